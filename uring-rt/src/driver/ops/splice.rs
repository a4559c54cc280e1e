//! Moving bytes between descriptors in the kernel: splice(2) (one side a
//! pipe) and sendfile(2) (file to socket, epoll only).

use std::io;

use crate::driver::fd::SharedFd;
use crate::driver::{Call, OpCode};

/// splice(2) of up to `len` bytes from `from` to `to`. Each side's offset
/// is `None` for its own position (a pipe, a socket). Both descriptors are
/// held until the kernel is done, whether or not the future still waits.
pub(crate) struct Splice {
    from: SharedFd,
    off_from: Option<u64>,
    to: SharedFd,
    off_to: Option<u64>,
    len: u32,
}

impl Splice {
    pub(crate) fn new(
        from: SharedFd,
        off_from: Option<u64>,
        to: SharedFd,
        off_to: Option<u64>,
        len: u32,
    ) -> Splice {
        Splice {
            from,
            off_from,
            to,
            off_to,
            len,
        }
    }
}

/// A file offset as splice takes it: `-1` for the descriptor's own
/// position; offsets past `i64::MAX` are clamped (the kernel refuses them
/// with `EINVAL` either way).
fn offset(off: Option<u64>) -> i64 {
    off.map_or(-1, |o| i64::try_from(o).unwrap_or(i64::MAX))
}

impl OpCode for Splice {
    type Output = io::Result<usize>;

    fn call(&mut self) -> Call {
        Call::Splice {
            fd_in: self.from.raw(),
            off_in: offset(self.off_from),
            fd_out: self.to.raw(),
            off_out: offset(self.off_to),
            len: self.len,
            flags: libc::SPLICE_F_MOVE,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> io::Result<usize> {
        res.map(|n| n as usize)
    }
}

/// sendfile(2) of up to `len` bytes of `file` from `offset` to `socket`.
/// The offset lives in a box (the kernel advances it through a pointer).
pub(crate) struct Sendfile {
    socket: SharedFd,
    file: SharedFd,
    offset: Box<libc::off64_t>,
    len: u32,
}

impl Sendfile {
    pub(crate) fn new(socket: SharedFd, file: SharedFd, offset: u64, len: u32) -> Sendfile {
        Sendfile {
            socket,
            file,
            offset: Box::new(i64::try_from(offset).unwrap_or(i64::MAX)),
            len,
        }
    }
}

impl OpCode for Sendfile {
    type Output = io::Result<usize>;

    fn call(&mut self) -> Call {
        Call::Sendfile {
            out_fd: self.socket.raw(),
            in_fd: self.file.raw(),
            offset: &mut *self.offset,
            len: self.len,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> io::Result<usize> {
        res.map(|n| n as usize)
    }
}
