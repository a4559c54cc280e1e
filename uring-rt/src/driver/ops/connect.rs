use std::io;

use crate::driver::fd::SharedFd;
use crate::driver::{Call, OpCode};
use crate::sys::addr::RawAddr;

/// connect(2).
pub(crate) struct Connect {
    fd: SharedFd,
    addr: Box<RawAddr>,
}

impl Connect {
    pub(crate) fn new(fd: SharedFd, addr: RawAddr) -> Connect {
        Connect {
            fd,
            addr: Box::new(addr),
        }
    }
}

impl OpCode for Connect {
    type Output = io::Result<()>;

    fn call(&mut self) -> Call {
        Call::Connect {
            fd: self.fd.raw(),
            addr: (&self.addr.storage as *const libc::sockaddr_storage).cast(),
            addrlen: self.addr.len,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> io::Result<()> {
        res.map(drop)
    }
}
