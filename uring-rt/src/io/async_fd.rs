//! [`AsyncFd`]: readiness for any descriptor, so libraries that do their
//! own nonblocking I/O (a database client's socket, an inotify fd, a
//! timerfd) can wait on an aio core without a thread.

use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;

use super::{Interest, Ready};
use crate::driver::{ops, IoDriver, Op};

/// A descriptor `T` registered with the current core for readiness, as
/// tokio's `AsyncFd`.
///
/// The descriptor should be in nonblocking mode (`O_NONBLOCK`): the I/O
/// done through [`AsyncFdReadyGuard::try_io`] must return `WouldBlock`
/// rather than block the core.
///
/// Where aio differs: readiness is not cached. Each `readable()` or
/// `writable()` is one single-shot readiness op (IORING_OP_POLL_ADD on
/// io_uring, the descriptor's readiness queue on epoll) that completes at
/// once while the descriptor is ready, so [`clear_ready`] has nothing to
/// forget; it is kept so code written for tokio reads the same.
///
/// [`clear_ready`]: AsyncFdReadyGuard::clear_ready
///
/// ```
/// use std::os::fd::{FromRawFd, OwnedFd};
/// use aio::io::AsyncFd;
///
/// # aio::Runtime::new()?.block_on(async {
/// // An eventfd, nonblocking.
/// // SAFETY: eventfd(2) returns a fresh descriptor we own.
/// let fd = unsafe { OwnedFd::from_raw_fd(libc::eventfd(0, libc::EFD_NONBLOCK)) };
/// let afd = AsyncFd::new(fd)?;
/// afd.writable().await?.clear_ready();
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct AsyncFd<T: AsRawFd> {
    inner: Option<T>,
    fd: RawFd,
    driver: Rc<IoDriver>,
    _core: crate::marker::NotSend,
}

impl<T: AsRawFd> AsyncFd<T> {
    /// Registers `inner` with the current core.
    ///
    /// # Errors
    ///
    /// `EBADF` if `inner`'s descriptor is negative. (Whether it can be
    /// polled shows at the first wait.)
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn new(inner: T) -> io::Result<AsyncFd<T>> {
        let fd = inner.as_raw_fd();
        if fd < 0 {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        }
        let driver = crate::driver::context::current();
        // Whatever the backend remembers about this number belongs to a
        // descriptor closed behind its back.
        driver.forget_fd(fd);
        Ok(AsyncFd {
            inner: Some(inner),
            fd,
            driver,
            _core: PhantomData,
        })
    }

    /// The wrapped value.
    pub fn get_ref(&self) -> &T {
        self.inner
            .as_ref()
            .expect("AsyncFd holds its value until dropped")
    }

    /// The wrapped value, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner
            .as_mut()
            .expect("AsyncFd holds its value until dropped")
    }

    /// Unregisters the descriptor and returns the value (still open).
    pub fn into_inner(mut self) -> T {
        self.release();
        self.inner
            .take()
            .expect("AsyncFd holds its value until dropped")
    }

    /// Waits until the descriptor is ready for any of `interest`.
    ///
    /// # Errors
    ///
    /// An error from the readiness op (`EBADF` for a closed descriptor,
    /// `ECANCELED` when the runtime shuts down).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future cancels the readiness op.
    pub async fn ready(&self, interest: Interest) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        let mask = Op::submit(ops::PollAdd::borrowed(self.fd, interest.mask())).await?;
        Ok(AsyncFdReadyGuard {
            async_fd: self,
            ready: Ready::from_mask(mask),
        })
    }

    /// Waits until the descriptor is readable.
    ///
    /// # Errors
    ///
    /// As [`ready`](Self::ready).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`ready`](Self::ready).
    pub async fn readable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Interest::READABLE).await
    }

    /// Waits until the descriptor is writable.
    ///
    /// # Errors
    ///
    /// As [`ready`](Self::ready).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`ready`](Self::ready).
    pub async fn writable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Interest::WRITABLE).await
    }

    /// The descriptor leaves the driver's hands: ops for it reach the
    /// kernel now (io_uring), and epoll forgets it.
    fn release(&self) {
        match self.driver.release_fd(self.fd) {
            Ok(()) => {}
            // The ring refused queued submissions: a fatal driver error,
            // which its next turn reports to the ops themselves. A
            // readiness op passes no memory to the kernel, so one that
            // meets a reused number later only wakes its waiter (if any)
            // spuriously; there is nothing for `AsyncFd` to add.
            Err(_fatal) => {}
        }
    }
}

impl<T: AsRawFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.fd
    }
}

impl<T: AsRawFd> Drop for AsyncFd<T> {
    fn drop(&mut self) {
        if self.inner.is_some() {
            self.release();
        }
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFd")
            .field("inner", &self.inner)
            .finish()
    }
}

/// Readiness found by [`AsyncFd::readable`] / [`AsyncFd::writable`].
pub struct AsyncFdReadyGuard<'a, T: AsRawFd> {
    async_fd: &'a AsyncFd<T>,
    ready: Ready,
}

/// [`AsyncFdReadyGuard::try_io`]'s closure met `WouldBlock`: wait again.
#[derive(Debug)]
pub struct TryIoError(());

impl<'a, T: AsRawFd> AsyncFdReadyGuard<'a, T> {
    /// The readiness that was found.
    pub fn ready(&self) -> Ready {
        self.ready
    }

    /// Says the readiness was used up (the I/O met `WouldBlock`). With
    /// aio's uncached readiness the next wait asks the kernel anew anyway.
    pub fn clear_ready(&mut self) {
        self.ready = Ready::EMPTY;
    }

    /// Keeps the readiness (dropping the guard does the same here).
    pub fn retain_ready(&mut self) {}

    /// Runs `f` on the descriptor's value; `Err(TryIoError)` if it returned
    /// `WouldBlock` (the readiness is cleared; wait again), its result
    /// otherwise.
    pub fn try_io<R>(
        &mut self,
        f: impl FnOnce(&'a AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        match f(self.async_fd) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                Err(TryIoError(()))
            }
            res => Ok(res),
        }
    }

    /// The [`AsyncFd`] this guard is for.
    pub fn get_ref(&self) -> &'a AsyncFd<T> {
        self.async_fd
    }

    /// The wrapped value.
    pub fn get_inner(&self) -> &'a T {
        self.async_fd.get_ref()
    }
}

impl<T: AsRawFd> fmt::Debug for AsyncFdReadyGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyGuard")
            .field("fd", &self.async_fd.fd)
            .field("ready", &self.ready)
            .finish()
    }
}
