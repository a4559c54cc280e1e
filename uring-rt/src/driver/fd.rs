//! `SharedFd`: a reference-counted file descriptor that in-flight ops hold,
//! so the descriptor is closed only after the last op using it completed.
//!
//! Dropping the last reference never blocks the core on close(2) where the
//! ring can do it: on an io_uring runtime's thread the close is a detached
//! IORING_OP_CLOSE ([`IoDriver::close_detached`](super::IoDriver::close_detached)),
//! submitted at once.

use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd, RawFd};
use std::rc::Rc;

/// A file descriptor shared by a socket or file and its in-flight ops.
///
/// Closing happens when the last clone is dropped: an op whose future was
/// dropped keeps its clone parked in the driver until the kernel reports the
/// op done, so the kernel never sees the number reused under it.
#[derive(Clone, Debug)]
pub(crate) struct SharedFd {
    inner: Rc<Inner>,
}

#[derive(Debug)]
struct Inner {
    fd: RawFd,
}

impl SharedFd {
    pub(crate) fn new(fd: OwnedFd) -> SharedFd {
        let fd = fd.into_raw_fd();
        // A new descriptor may reuse the number of one closed where no
        // runtime could be told (outside any runtime, or on another one):
        // clear whatever the backend remembers about that number.
        crate::driver::context::try_with(|d| d.forget_fd(fd));
        SharedFd {
            inner: Rc::new(Inner { fd }),
        }
    }

    pub(crate) fn raw(&self) -> RawFd {
        self.inner.fd
    }

    /// Takes the descriptor out if this is the only reference (for an
    /// explicit asynchronous close).
    pub(crate) fn try_unwrap(self) -> Result<RawFd, SharedFd> {
        match Rc::try_unwrap(self.inner) {
            Ok(inner) => {
                let fd = inner.fd;
                std::mem::forget(inner);
                Ok(fd)
            }
            Err(inner) => Err(SharedFd { inner }),
        }
    }
}

impl AsRawFd for SharedFd {
    fn as_raw_fd(&self) -> RawFd {
        self.raw()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        close(self.fd);
    }
}

/// Closes `fd`, which the caller owns and gives up: with a detached close
/// on the ring where this thread runs an io_uring runtime (the core never
/// waits for a flush), with close(2) otherwise.
fn close(fd: RawFd) {
    let detached = crate::driver::context::try_with(|d| d.close_detached(fd));
    if detached != Some(true) {
        close_now(fd);
    }
}

/// Closes `fd` synchronously, first telling the current runtime's driver
/// (the epoll backend forgets its registration).
fn close_now(fd: RawFd) {
    crate::driver::context::try_with(|d| d.forget_fd(fd));
    // SAFETY: we own `fd` (SharedFd's invariant) and nothing uses it after.
    // close(2) releases the descriptor even when it reports an error, so
    // there is nothing to retry; errors here have no one to go to (an
    // explicit `close().await` reports them).
    unsafe { libc::close(fd) };
}
