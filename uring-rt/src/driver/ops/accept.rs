use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

use crate::driver::fd::SharedFd;
use crate::driver::{Call, OpCode};
use crate::net::addr::RawAddr;

/// accept4(2). The accepted descriptor is owned by the output, so an accept
/// whose future was dropped closes what the kernel produced.
pub(crate) struct Accept {
    fd: SharedFd,
    addr: Box<RawAddr>,
}

impl Accept {
    pub(crate) fn new(fd: SharedFd) -> Accept {
        let mut addr = Box::<RawAddr>::default();
        addr.len = std::mem::size_of::<libc::sockaddr_storage>() as _;
        Accept { fd, addr }
    }
}

impl OpCode for Accept {
    /// The new socket and the peer's raw address.
    type Output = io::Result<(OwnedFd, RawAddr)>;

    fn call(&mut self) -> Call {
        Call::Accept {
            fd: self.fd.raw(),
            addr: (&mut self.addr.storage as *mut libc::sockaddr_storage).cast(),
            addrlen: &mut self.addr.len,
            flags: libc::SOCK_CLOEXEC,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> Self::Output {
        // SAFETY: a successful accept returns a new descriptor we now own.
        let fd = unsafe { OwnedFd::from_raw_fd(res? as i32) };
        Ok((fd, *self.addr))
    }
}
