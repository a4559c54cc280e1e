use std::cell::RefCell;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::rc::Rc;
use std::task::Waker;

use crate::driver::fd::SharedFd;
use crate::driver::{Call, MultiCode, MultiOp};

/// A listener's accepting state, shared by its `accept()` calls.
pub(crate) type Stash = Rc<RefCell<StashInner>>;

#[derive(Default)]
pub(crate) struct StashInner {
    /// The task waiting in the listener's `accept()` (the multishot op
    /// keeps one waker; another waiting task is handed the turn when one
    /// returns).
    pub(crate) waker: Option<Waker>,
    /// The listener's multishot accept, armed by the first `accept()` and
    /// kept across calls: connections arriving between two calls queue in
    /// its slot, so a dropped `accept()` future loses none. Dropped (and
    /// cancelled, closing what it still holds) with the listener.
    pub(crate) multi: Option<MultiOp<AcceptMulti>>,
}

/// A multishot accept4(2): one completion per connection, each a new
/// descriptor (no peer address: the caller asks getpeername). What is left
/// when its listener goes is closed.
pub(crate) struct AcceptMulti {
    fd: SharedFd,
}

impl AcceptMulti {
    pub(crate) fn new(fd: SharedFd) -> AcceptMulti {
        AcceptMulti { fd }
    }
}

impl MultiCode for AcceptMulti {
    const CANCEL_NOW: bool = true;

    fn call(&mut self) -> Call {
        Call::AcceptMulti {
            fd: self.fd.raw(),
            flags: libc::SOCK_CLOEXEC,
        }
    }

    fn orphaned_cqe(&mut self, res: i32, _flags: u32) {
        // Nobody will take it: closed.
        drop(AcceptMulti::accepted(res));
    }
}

impl AcceptMulti {
    /// The connection one of its completions carries (`res`: the new
    /// descriptor, or `-errno`), owned. Call once per completion.
    pub(crate) fn accepted(res: i32) -> io::Result<OwnedFd> {
        if res < 0 {
            return Err(io::Error::from_raw_os_error(-res));
        }
        // SAFETY: a successful accept's result is a new descriptor that
        // nothing else owns; each completion is turned into one owner.
        Ok(unsafe { OwnedFd::from_raw_fd(res) })
    }
}
