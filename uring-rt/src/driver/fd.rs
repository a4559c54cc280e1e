//! `SharedFd`: a reference-counted file descriptor that in-flight ops hold,
//! so the descriptor is closed only after the last op using it completed.
//!
//! Dropping the last reference never blocks the core on close(2) where the
//! ring can do it: on an io_uring runtime's thread the close is a detached
//! IORING_OP_CLOSE ([`IoDriver::close_detached`](super::IoDriver::close_detached)),
//! submitted at once. An explicit close ([`SharedFd::into_unique`], then
//! the `Close` op) waits for the other references to go, so that it really
//! closes and its error is the close's own.

use std::cell::Cell;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::rc::Rc;
use std::task::{Poll, Waker};

/// A file descriptor shared by a socket or file and its in-flight ops.
///
/// Closing happens when the last clone is dropped: an op whose future was
/// dropped keeps its clone parked in the driver until the kernel reports the
/// op done, so the kernel never sees the number reused under it.
#[derive(Clone)]
pub(crate) struct SharedFd {
    inner: Rc<Inner>,
}

struct Inner {
    fd: RawFd,
    /// Set by [`SharedFd::into_unique`]: the descriptor was handed to an
    /// explicit close, so dropping this must not close it again.
    taken: Cell<bool>,
    /// The task waiting in [`SharedFd::into_unique`] for the other
    /// references to go; woken by the drop that leaves one.
    closer: Cell<Option<Waker>>,
}

impl SharedFd {
    pub(crate) fn new(fd: OwnedFd) -> SharedFd {
        let fd = fd.into_raw_fd();
        // A new descriptor may reuse the number of one closed where no
        // runtime could be told (outside any runtime, or on another one):
        // clear whatever the backend remembers about that number.
        crate::driver::context::try_with(|d| d.forget_fd(fd));
        SharedFd {
            inner: Rc::new(Inner {
                fd,
                taken: Cell::new(false),
                closer: Cell::new(None),
            }),
        }
    }

    pub(crate) fn raw(&self) -> RawFd {
        self.inner.fd
    }

    /// Whether both refer to the same descriptor.
    pub(crate) fn same(&self, other: &SharedFd) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    /// Takes the descriptor out, open, for a new owner (`into_std`, another
    /// core): ops still queued for it reach the kernel first, and the epoll
    /// backend stops watching it. If ops whose futures were dropped still
    /// hold it (the kernel, or epoll's blocking pool, still finishing
    /// them), the new owner gets a duplicate (`F_DUPFD_CLOEXEC`: the same
    /// open socket or file under another number) and the number closes
    /// with the last of them, so nothing the kernel does late lands on a
    /// descriptor that reused it (out of descriptors for the duplicate, the
    /// number itself is handed out, as when no op holds it).
    ///
    /// # Errors
    ///
    /// The ring could not take the queued submissions (a fatal driver
    /// error); the descriptor stays with `self` and is closed with it.
    pub(crate) fn into_owned(self) -> io::Result<OwnedFd> {
        let fd = self.inner.fd;
        if let Some(res) = crate::driver::context::try_with(|d| d.release_fd(fd)) {
            res?;
        }
        if Rc::strong_count(&self.inner) > 1 {
            // Ops whose futures were dropped still hold the number, and the
            // kernel may not be done with it: a splice on an io-wq worker
            // looks its input descriptor up only when the worker gets to
            // it. Were the number handed out, closed and reused meanwhile,
            // that op would read from whatever took it. The caller gets a
            // duplicate (the same open socket or file) instead, and the
            // number closes with the last of those ops, as usual.
            // Out of descriptors (EMFILE), the number itself is handed out
            // as before rather than failing a call that `IntoRawFd` cannot
            // report.
            // SAFETY: F_DUPFD_CLOEXEC reads no memory; `fd` is open (ours).
            let dup = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
            if dup >= 0 {
                // SAFETY: fcntl returned a fresh descriptor that nothing
                // else owns.
                return Ok(unsafe { OwnedFd::from_raw_fd(dup) });
            }
        }
        self.inner.taken.set(true);
        // SAFETY: `fd` is open and ours (SharedFd's invariant); `taken` now
        // stops every clone from closing it, so the `OwnedFd` is its only
        // owner.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// Waits until this is the only reference (ops that still hold the
    /// descriptor, their futures dropped, release it when the kernel reports
    /// them done), then takes the descriptor out for an explicit close.
    ///
    /// Dropped while waiting, nothing is taken: the last reference closes
    /// the descriptor as usual.
    pub(crate) async fn into_unique(self) -> RawFd {
        poll_fn(|cx| {
            if Rc::strong_count(&self.inner) == 1 {
                return Poll::Ready(());
            }
            // No busy loop: the drop that leaves this one alone wakes us.
            let old = self.inner.closer.replace(Some(cx.waker().clone()));
            drop(old);
            Poll::Pending
        })
        .await;
        self.inner.taken.set(true);
        self.inner.fd
    }
}

impl Drop for SharedFd {
    fn drop(&mut self) {
        // This drop leaves one reference: if it is a closer's, wake it.
        if Rc::strong_count(&self.inner) == 2 {
            if let Some(waker) = self.inner.closer.take() {
                waker.wake();
            }
        }
    }
}

impl AsRawFd for SharedFd {
    fn as_raw_fd(&self) -> RawFd {
        self.raw()
    }
}

impl AsFd for SharedFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the descriptor stays open while `self` (a reference to
        // it) is borrowed: only the last reference's drop, or
        // `into_owned(self)`, closes it or gives it away.
        unsafe { BorrowedFd::borrow_raw(self.raw()) }
    }
}

impl fmt::Debug for SharedFd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedFd")
            .field("fd", &self.inner.fd)
            .finish()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if !self.taken.get() {
            close(self.fd);
        }
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
