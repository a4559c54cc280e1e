use std::io;
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

    /// Last modification time (`stx_mtime`), as `std::fs::Metadata::modified`.
    ///
    /// ```no_run
    /// # aio::Runtime::new()?.block_on(async {
    /// let modified = aio::fs::metadata("Cargo.toml").await?.modified()?;
    /// println!("{:?} ago", modified.elapsed());
    /// # Ok::<(), std::io::Error>(())
    /// # })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Unsupported`](io::ErrorKind::Unsupported) if the
    /// filesystem did not report it.
    pub fn modified(&self) -> io::Result<SystemTime> {
        self.time(libc::STATX_MTIME, self.stx.stx_mtime, "modification")
    }

    /// Last access time (`stx_atime`), as `std::fs::Metadata::accessed`
    /// (how current it is depends on the mount's `atime` options).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Unsupported`](io::ErrorKind::Unsupported) if the
    /// filesystem did not report it.
    pub fn accessed(&self) -> io::Result<SystemTime> {
        self.time(libc::STATX_ATIME, self.stx.stx_atime, "access")
    }

    /// Creation (birth) time (`stx_btime`), as `std::fs::Metadata::created`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Unsupported`](io::ErrorKind::Unsupported) if the
    /// filesystem does not record it (tmpfs before Linux 5.x, many network
    /// filesystems).
    pub fn created(&self) -> io::Result<SystemTime> {
        self.time(libc::STATX_BTIME, self.stx.stx_btime, "creation")
    }

    /// The timestamp `t` if statx reported the field `bit` of its mask.
    fn time(&self, bit: u32, t: libc::statx_timestamp, what: &str) -> io::Result<SystemTime> {
        if self.stx.stx_mask & bit == 0 {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("the filesystem does not report the {what} time of this file"),
            ));
        }
        let d = Duration::new(t.tv_sec.unsigned_abs(), t.tv_nsec);
        Ok(if t.tv_sec >= 0 {
            SystemTime::UNIX_EPOCH + d
        } else {
            SystemTime::UNIX_EPOCH - d
        })
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
