use std::io;
use std::os::fd::RawFd;

use crate::driver::fd::SharedFd;
use crate::driver::{Call, OpCode};

/// Waits until `fd` has any of the `POLL*` events in `mask` pending (an
/// error or hangup always counts) and yields the pending mask. Single-shot:
/// IORING_OP_POLL_ADD on io_uring; on epoll the call parks on the
/// descriptor's readiness queue and is retried as `poll(2)` with a zero
/// timeout.
pub(crate) struct PollAdd {
    fd: RawFd,
    /// Keeps an aio socket's descriptor open until the completion; `None`
    /// for a descriptor someone else owns (`AsyncFd`), who releases it
    /// from the driver before closing it.
    _owner: Option<SharedFd>,
    mask: u32,
}

impl PollAdd {
    pub(crate) fn new(fd: SharedFd, mask: u32) -> PollAdd {
        PollAdd {
            fd: fd.raw(),
            _owner: Some(fd),
            mask,
        }
    }

    /// A readiness op on a descriptor the caller owns. It passes no memory
    /// to the kernel, so a descriptor closed while the op waits is no
    /// memory hazard; the owner calls `IoDriver::release_fd` before the
    /// descriptor leaves its hands, so the op reaches the kernel (io_uring)
    /// or leaves the readiness table (epoll) while the number is still its.
    pub(crate) fn borrowed(fd: RawFd, mask: u32) -> PollAdd {
        PollAdd {
            fd,
            _owner: None,
            mask,
        }
    }
}

impl OpCode for PollAdd {
    type Output = io::Result<u32>;

    fn call(&mut self) -> Call {
        Call::PollAdd {
            fd: self.fd,
            mask: self.mask,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> io::Result<u32> {
        res
    }
}
