//! `pidfd_open(2)`: a descriptor for a child process that becomes readable
//! when the process exits (Linux 5.3).

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

/// A close-on-exec pidfd for the process `pid` (always close-on-exec: the
/// kernel sets `O_CLOEXEC` on every pidfd).
///
/// # Errors
///
/// `ENOSYS` before Linux 5.3 (or under a seccomp filter that refuses the
/// call), `ESRCH` if no such process exists, `EMFILE` when out of
/// descriptors.
pub(crate) fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    let pid = libc::pid_t::try_from(pid).map_err(|_| io::Error::from_raw_os_error(libc::ESRCH))?;
    // SAFETY: pidfd_open takes a pid and flags by value and touches no
    // memory of ours; the result is checked.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = i32::try_from(fd).expect("a descriptor fits an int");
    // SAFETY: pidfd_open returned a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Sends `sig` to the process `pidfd` refers to (`pidfd_send_signal(2)`,
/// Linux 5.1): that process whatever its pid has become, so never one that
/// reused the number after it was reaped.
///
/// # Errors
///
/// `ESRCH` once the process has been reaped (by anyone); `ENOSYS`/`EPERM`
/// where the call is missing or refused (seccomp), or `EPERM` where the
/// process may not be signalled.
pub(crate) fn send_signal(pidfd: std::os::fd::BorrowedFd<'_>, sig: libc::c_int) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: pidfd_send_signal takes a descriptor, a signal number, a null
    // siginfo (the kernel fills in a kill(2)-like one) and flags; it
    // touches no memory of ours. `pidfd` is open for the call (borrowed).
    let rc = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            sig,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
