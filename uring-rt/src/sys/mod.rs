//! The raw system interface: sockaddr conversions, socket calls and
//! options, the eventfd, pidfds, epoll, CPU affinity and the coarse clock.
//! A leaf: nothing here knows about the driver, the executor or the socket
//! types built on top, and most of the crate's FFI `unsafe`
//! outside the driver's op table lives here.

pub(crate) mod addr;
pub(crate) mod affinity;
pub(crate) mod clock;
pub(crate) mod epoll;
pub(crate) mod eventfd;
pub(crate) mod pidfd;
pub(crate) mod pipe;
pub(crate) mod socket;

/// The calling thread's last OS error number (`EIO` if there is none).
pub(crate) fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}
