//! File-system ops: open, fsync, statx, unlink, rename, mkdir.

use std::ffi::CString;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use crate::driver::fd::SharedFd;
use crate::driver::{Call, OpCode};

/// openat(2). The descriptor is owned by the output, so an open whose future
/// was dropped closes the file the kernel opened.
pub(crate) struct OpenAt {
    path: CString,
    flags: i32,
    mode: u32,
}

impl OpenAt {
    pub(crate) fn new(path: CString, flags: i32, mode: u32) -> OpenAt {
        OpenAt {
            path,
            flags: flags | libc::O_CLOEXEC,
            mode,
        }
    }
}

impl OpCode for OpenAt {
    type Output = io::Result<OwnedFd>;

    fn call(&mut self) -> Call {
        Call::OpenAt {
            dirfd: libc::AT_FDCWD,
            path: self.path.as_ptr(),
            flags: self.flags,
            mode: self.mode,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> Self::Output {
        // SAFETY: a successful openat returns a new descriptor we now own.
        Ok(unsafe { OwnedFd::from_raw_fd(res? as RawFd) })
    }
}

/// fsync(2) / fdatasync(2).
pub(crate) struct Fsync {
    fd: SharedFd,
    datasync: bool,
}

impl Fsync {
    pub(crate) fn new(fd: SharedFd, datasync: bool) -> Fsync {
        Fsync { fd, datasync }
    }
}

impl OpCode for Fsync {
    type Output = io::Result<()>;

    fn call(&mut self) -> Call {
        Call::Fsync {
            fd: self.fd.raw(),
            datasync: self.datasync,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> io::Result<()> {
        res.map(drop)
    }
}

/// statx(2) of an open file (`path` empty with AT_EMPTY_PATH) or of a path.
pub(crate) struct Statx {
    fd: Option<SharedFd>,
    path: CString,
    flags: i32,
    buf: Box<libc::statx>,
}

impl Statx {
    pub(crate) fn of_fd(fd: SharedFd) -> Statx {
        Statx::new(Some(fd), CString::default(), libc::AT_EMPTY_PATH)
    }

    /// `follow`: whether a final symlink is followed.
    pub(crate) fn of_path(path: CString, follow: bool) -> Statx {
        Statx::new(
            None,
            path,
            if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW },
        )
    }

    fn new(fd: Option<SharedFd>, path: CString, flags: i32) -> Statx {
        // SAFETY: statx is plain data; all-zero is a valid value.
        let buf = Box::new(unsafe { std::mem::zeroed::<libc::statx>() });
        Statx {
            fd,
            path,
            flags,
            buf,
        }
    }
}

impl OpCode for Statx {
    type Output = io::Result<libc::statx>;

    fn call(&mut self) -> Call {
        Call::Statx {
            dirfd: self.fd.as_ref().map_or(libc::AT_FDCWD, SharedFd::raw),
            path: self.path.as_ptr(),
            flags: self.flags,
            mask: libc::STATX_BASIC_STATS | libc::STATX_BTIME,
            buf: &mut *self.buf,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> Self::Output {
        res.map(|_| *self.buf)
    }
}

/// unlinkat(2): a file, or a directory with `AT_REMOVEDIR`.
pub(crate) struct UnlinkAt {
    path: CString,
    flags: i32,
}

impl UnlinkAt {
    pub(crate) fn new(path: CString, dir: bool) -> UnlinkAt {
        UnlinkAt {
            path,
            flags: if dir { libc::AT_REMOVEDIR } else { 0 },
        }
    }
}

impl OpCode for UnlinkAt {
    type Output = io::Result<()>;

    fn call(&mut self) -> Call {
        Call::UnlinkAt {
            dirfd: libc::AT_FDCWD,
            path: self.path.as_ptr(),
            flags: self.flags,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> io::Result<()> {
        res.map(drop)
    }
}

/// renameat2(2).
pub(crate) struct RenameAt {
    from: CString,
    to: CString,
}

impl RenameAt {
    pub(crate) fn new(from: CString, to: CString) -> RenameAt {
        RenameAt { from, to }
    }
}

impl OpCode for RenameAt {
    type Output = io::Result<()>;

    fn call(&mut self) -> Call {
        Call::RenameAt {
            olddirfd: libc::AT_FDCWD,
            oldpath: self.from.as_ptr(),
            newdirfd: libc::AT_FDCWD,
            newpath: self.to.as_ptr(),
            flags: 0,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> io::Result<()> {
        res.map(drop)
    }
}

/// mkdirat(2).
pub(crate) struct MkdirAt {
    path: CString,
    mode: u32,
}

impl MkdirAt {
    pub(crate) fn new(path: CString, mode: u32) -> MkdirAt {
        MkdirAt { path, mode }
    }
}

impl OpCode for MkdirAt {
    type Output = io::Result<()>;

    fn call(&mut self) -> Call {
        Call::MkdirAt {
            dirfd: libc::AT_FDCWD,
            path: self.path.as_ptr(),
            mode: self.mode,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> io::Result<()> {
        res.map(drop)
    }
}

/// linkat(2): a hard link `to` naming the file at `from`.
pub(crate) struct LinkAt {
    from: CString,
    to: CString,
}

impl LinkAt {
    pub(crate) fn new(from: CString, to: CString) -> LinkAt {
        LinkAt { from, to }
    }
}

impl OpCode for LinkAt {
    type Output = io::Result<()>;

    fn call(&mut self) -> Call {
        Call::LinkAt {
            olddirfd: libc::AT_FDCWD,
            oldpath: self.from.as_ptr(),
            newdirfd: libc::AT_FDCWD,
            newpath: self.to.as_ptr(),
            flags: 0,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> io::Result<()> {
        res.map(drop)
    }
}

/// symlinkat(2): a symbolic link `link` whose content is `target`.
pub(crate) struct SymlinkAt {
    target: CString,
    link: CString,
}

impl SymlinkAt {
    pub(crate) fn new(target: CString, link: CString) -> SymlinkAt {
        SymlinkAt { target, link }
    }
}

impl OpCode for SymlinkAt {
    type Output = io::Result<()>;

    fn call(&mut self) -> Call {
        Call::SymlinkAt {
            target: self.target.as_ptr(),
            newdirfd: libc::AT_FDCWD,
            linkpath: self.link.as_ptr(),
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> io::Result<()> {
        res.map(drop)
    }
}
