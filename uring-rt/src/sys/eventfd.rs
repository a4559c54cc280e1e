//! The eventfd a runtime's driver keeps a read (io_uring) or readiness wait
//! (epoll) armed on, so other threads can end its wait.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// A non-blocking, close-on-exec eventfd.
#[derive(Debug)]
pub(crate) struct EventFd(OwnedFd);

impl EventFd {
    pub(crate) fn new() -> io::Result<EventFd> {
        // SAFETY: plain syscall; the result is checked.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: eventfd returned a fresh descriptor that we own.
        Ok(EventFd(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Adds one to the counter, making the eventfd readable.
    pub(crate) fn signal(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our eventfd.
        let n = unsafe { libc::write(self.0.as_raw_fd(), (&one as *const u64).cast(), 8) };
        // The only possible failure is EAGAIN, when the counter is already
        // at its maximum: the reader is signalled either way.
        debug_assert!(n == 8 || super::errno() == libc::EAGAIN);
    }

    /// Resets the counter (epoll: after it reported readable).
    pub(crate) fn clear(&self) {
        let mut buf: u64 = 0;
        // SAFETY: reads 8 bytes into a live u64; a non-blocking eventfd
        // returns EAGAIN when already clear, which is fine.
        unsafe { libc::read(self.0.as_raw_fd(), (&mut buf as *mut u64).cast(), 8) };
    }
}

impl AsRawFd for EventFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}
