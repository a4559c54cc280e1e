use std::time::{Duration, SystemTime};

/// File metadata (from statx(2)).
#[derive(Clone, Copy)]
pub struct Metadata {
    stx: libc::statx,
}

impl Metadata {
    pub(crate) fn new(stx: libc::statx) -> Metadata {
        Metadata { stx }
    }

    /// Size in bytes.
    pub fn len(&self) -> u64 {
        self.stx.stx_size
    }

    /// Whether the size is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn file_type(&self) -> u32 {
        u32::from(self.stx.stx_mode) & libc::S_IFMT
    }

    /// A regular file.
    pub fn is_file(&self) -> bool {
        self.file_type() == libc::S_IFREG
    }

    /// A directory.
    pub fn is_dir(&self) -> bool {
        self.file_type() == libc::S_IFDIR
    }

    /// A symbolic link (only from a call that does not follow links).
    pub fn is_symlink(&self) -> bool {
        self.file_type() == libc::S_IFLNK
    }

    /// Permission bits (`st_mode & 0o7777`).
    pub fn mode(&self) -> u32 {
        u32::from(self.stx.stx_mode) & 0o7777
    }

    /// Last modification time.
    pub fn modified(&self) -> SystemTime {
        let t = self.stx.stx_mtime;
        let d = Duration::new(t.tv_sec.unsigned_abs(), t.tv_nsec);
        if t.tv_sec >= 0 {
            SystemTime::UNIX_EPOCH + d
        } else {
            SystemTime::UNIX_EPOCH - d
        }
    }

    /// Inode number.
    pub fn ino(&self) -> u64 {
        self.stx.stx_ino
    }

    /// Number of hard links.
    pub fn nlink(&self) -> u32 {
        self.stx.stx_nlink
    }
}

impl std::fmt::Debug for Metadata {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metadata")
            .field("len", &self.len())
            .field("is_file", &self.is_file())
            .field("is_dir", &self.is_dir())
            .field("mode", &format_args!("{:o}", self.mode()))
            .finish()
    }
}
