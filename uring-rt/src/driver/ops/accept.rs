use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::rc::Rc;
use std::task::Waker;

use crate::driver::fd::SharedFd;
use crate::driver::{Call, OpCode};
use crate::sys::addr::RawAddr;

/// Connections accepted by the kernel for an accept whose future was
/// dropped, kept for the listener's next `accept()`.
pub(crate) type Stash = Rc<RefCell<StashInner>>;

#[derive(Default)]
pub(crate) struct StashInner {
    pub(crate) conns: VecDeque<(OwnedFd, RawAddr)>,
    /// The task waiting in the listener's `accept()`, woken when a
    /// connection is stashed (its own accept may wait for another one).
    pub(crate) waker: Option<Waker>,
}

/// accept4(2). The accepted descriptor is owned by the output. If the
/// accept's future was dropped but the kernel had already accepted (the
/// cancellation lost the race), the connection goes to the listener's
/// stash rather than being closed, so no connection is lost.
pub(crate) struct Accept {
    fd: SharedFd,
    addr: Box<RawAddr>,
    stash: Stash,
}

impl Accept {
    pub(crate) fn new(fd: SharedFd, stash: Stash) -> Accept {
        let mut addr = Box::<RawAddr>::default();
        addr.len = std::mem::size_of::<libc::sockaddr_storage>() as _;
        Accept { fd, addr, stash }
    }
}

impl OpCode for Accept {
    /// The new socket and the peer's raw address.
    type Output = io::Result<(OwnedFd, RawAddr)>;

    const CANCEL_NOW: bool = true;

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

    fn orphaned(self, res: io::Result<u32>, flags: u32) {
        let stash = self.stash.clone();
        if let Ok(accepted) = self.complete(res, flags) {
            let waker = {
                let mut stash = stash.borrow_mut();
                stash.conns.push_back(accepted);
                stash.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}
