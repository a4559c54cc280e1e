use std::io;
use std::os::fd::RawFd;

use crate::driver::{Call, OpCode};

/// close(2) through the driver, so its error reaches the caller. Never
/// cancelled (see `Call::cancellable`): dropped in flight, it still runs.
pub(crate) struct Close {
    fd: RawFd,
}

impl Close {
    /// Takes ownership of `fd`; the caller must not use or close it again.
    pub(crate) fn new(fd: RawFd) -> Close {
        crate::driver::context::try_with(|d| d.forget_fd(fd));
        Close { fd }
    }
}

impl OpCode for Close {
    type Output = io::Result<()>;

    fn call(&mut self) -> Call {
        Call::Close { fd: self.fd }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> io::Result<()> {
        res.map(drop)
    }
}
