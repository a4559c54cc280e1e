use std::io;

use crate::driver::fd::SharedFd;
use crate::driver::{Call, OpCode};

/// shutdown(2). `ENOTCONN` is success, as in tokio (tokio#4665): the
/// connection is gone already (the peer reset it, or this is a second
/// shutdown after the peer closed), so there is nothing left to shut.
pub(crate) struct Shutdown {
    fd: SharedFd,
    how: i32,
}

impl Shutdown {
    pub(crate) fn new(fd: SharedFd, how: std::net::Shutdown) -> Shutdown {
        let how = match how {
            std::net::Shutdown::Read => libc::SHUT_RD,
            std::net::Shutdown::Write => libc::SHUT_WR,
            std::net::Shutdown::Both => libc::SHUT_RDWR,
        };
        Shutdown { fd, how }
    }
}

impl OpCode for Shutdown {
    type Output = io::Result<()>;

    fn call(&mut self) -> Call {
        Call::Shutdown {
            fd: self.fd.raw(),
            how: self.how,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> io::Result<()> {
        match res {
            Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => Ok(()),
            res => res.map(drop),
        }
    }
}
