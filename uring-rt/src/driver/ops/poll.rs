use std::io;

use crate::driver::fd::SharedFd;
use crate::driver::{Call, OpCode};

/// Waits until `fd` has any of the `POLL*` events in `mask` pending (an
/// error or hangup always counts) and yields the pending mask. Single-shot:
/// IORING_OP_POLL_ADD on io_uring; on epoll the call parks on the
/// descriptor's readiness queue and is retried as `poll(2)` with a zero
/// timeout.
pub(crate) struct PollAdd {
    fd: SharedFd,
    mask: u32,
}

impl PollAdd {
    pub(crate) fn new(fd: SharedFd, mask: u32) -> PollAdd {
        PollAdd { fd, mask }
    }
}

impl OpCode for PollAdd {
    type Output = io::Result<u32>;

    fn call(&mut self) -> Call {
        Call::PollAdd {
            fd: self.fd.raw(),
            mask: self.mask,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> io::Result<u32> {
        res
    }
}
