//! `pipe2(2)`: anonymous pipes, and their capacity.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A close-on-exec pipe, `(read end, write end)`, both in blocking mode.
///
/// # Errors
///
/// `EMFILE`/`ENFILE` when out of descriptors.
pub(crate) fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: writes two descriptors into a live two-element array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 returned two fresh descriptors that nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Asks for a pipe buffer of `size` bytes (F_SETPIPE_SZ); returns the
/// capacity the pipe has after (the kernel rounds up to pages, and caps an
/// unprivileged request at `/proc/sys/fs/pipe-max-size`).
pub(crate) fn set_capacity(fd: &OwnedFd, size: usize) -> usize {
    let size = libc::c_int::try_from(size).unwrap_or(libc::c_int::MAX);
    // SAFETY: fcntl on an open descriptor, with integer arguments only.
    let set = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETPIPE_SZ, size) };
    if set > 0 {
        return set as usize;
    }
    // SAFETY: as above.
    let now = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETPIPE_SZ) };
    usize::try_from(now).unwrap_or(0).max(4096)
}

/// Whether `fd` has any of `events` (`POLLIN`, `POLLOUT`) now: poll(2)
/// with a zero timeout. An error or hangup counts as ready (the next call
/// reports it).
pub(crate) fn ready_now(fd: std::os::fd::RawFd, events: libc::c_short) -> bool {
    let mut pfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: one live pollfd, a count of one, no waiting.
    let n = unsafe { libc::poll(&mut pfd, 1, 0) };
    n != 0
}

/// A close-on-exec duplicate of `fd` (F_DUPFD_CLOEXEC), for an operation
/// that must keep the descriptor open after the caller's borrow ends.
pub(crate) fn dup(fd: std::os::fd::BorrowedFd<'_>) -> io::Result<OwnedFd> {
    fd.try_clone_to_owned()
}
