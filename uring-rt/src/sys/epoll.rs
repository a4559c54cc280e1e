//! The epoll instance: registration and waiting. Every epoll system call of
//! the backend is in this file.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::errno;

/// Most events taken from the kernel per wait; more stay queued for the
/// next turn (epoll hands them out round-robin, so nothing starves).
const MAX_EVENTS: usize = 1024;

/// Interest every descriptor is registered with, once: both directions,
/// peer half-close, edge-triggered. With edge triggering the kernel reports
/// each new readiness once, so a descriptor never needs re-arming (no
/// `epoll_ctl` per op); the backend retries its waiting ops on each event
/// until one of them meets `EAGAIN` again.
pub(crate) const INTEREST: u32 =
    (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET) as u32;

/// Event bits that let a waiting reader make progress (data, end of stream,
/// an error to report).
pub(crate) const READABLE: u32 =
    (libc::EPOLLIN | libc::EPOLLPRI | libc::EPOLLRDHUP | libc::EPOLLHUP | libc::EPOLLERR) as u32;
/// Event bits that let a waiting writer make progress (buffer space, a
/// finished connect, an error to report).
pub(crate) const WRITABLE: u32 = (libc::EPOLLOUT | libc::EPOLLHUP | libc::EPOLLERR) as u32;

/// An epoll instance and the buffer its events are reaped into.
pub(crate) struct Poller {
    epfd: OwnedFd,
    events: Vec<libc::epoll_event>,
    /// Whether `epoll_pwait2` (5.11+, nanosecond timeouts) may be tried; set
    /// to false the first time the kernel or a seccomp filter refuses it.
    pwait2: bool,
}

impl Poller {
    pub(crate) fn new() -> io::Result<Poller> {
        // SAFETY: plain syscall; the result is checked.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Poller {
            // SAFETY: epoll_create1 returned a fresh descriptor we own.
            epfd: unsafe { OwnedFd::from_raw_fd(fd) },
            events: vec![libc::epoll_event { events: 0, u64: 0 }; MAX_EVENTS],
            pwait2: true,
        })
    }

    /// Registers `fd` with `events`, reported with `token`. Returns
    /// `-errno` on failure; `EEXIST` counts as success (the descriptor is
    /// already registered, e.g. through a duplicate of the same file).
    pub(crate) fn add(&self, fd: RawFd, events: u32, token: u64) -> Result<(), i32> {
        let mut ev = libc::epoll_event { events, u64: token };
        // SAFETY: `ev` is a live epoll_event the kernel copies.
        let r = unsafe { libc::epoll_ctl(self.epfd.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut ev) };
        if r < 0 {
            let e = errno();
            if e != libc::EEXIST {
                return Err(-e);
            }
        }
        Ok(())
    }

    /// Removes `fd` from the set. Errors are ignored: a descriptor that is
    /// not in the set has nothing to remove.
    pub(crate) fn delete(&self, fd: RawFd) {
        // SAFETY: EPOLL_CTL_DEL ignores the event argument (non-null for
        // kernels before 2.6.9, which want one).
        let mut ev = libc::epoll_event { events: 0, u64: 0 };
        // SAFETY: as above; both descriptors are plain numbers to the call.
        unsafe { libc::epoll_ctl(self.epfd.as_raw_fd(), libc::EPOLL_CTL_DEL, fd, &mut ev) };
    }

    /// Waits up to `timeout` (`None`: indefinitely; zero: not at all) and
    /// returns how many events arrived (read them with [`Poller::event`]).
    /// An interrupted wait (`EINTR`) returns none.
    pub(crate) fn wait(&mut self, timeout: Option<Duration>) -> io::Result<usize> {
        let n = match timeout {
            Some(d) if self.pwait2 && d.subsec_nanos() % 1_000_000 != 0 => match self.pwait2(d) {
                Err(e) if e == libc::ENOSYS || e == libc::EPERM => {
                    // Too old a kernel, or a seccomp profile that predates
                    // the call: millisecond timeouts from now on.
                    self.pwait2 = false;
                    self.epoll_wait(Some(d))
                }
                r => r,
            },
            _ => self.epoll_wait(timeout),
        };
        match n {
            Ok(n) => Ok(n),
            Err(libc::EINTR) => Ok(0),
            Err(e) => Err(io::Error::from_raw_os_error(e)),
        }
    }

    /// The `i`th event of the last wait: its token and event bits.
    pub(crate) fn event(&self, i: usize) -> (u64, u32) {
        let ev = self.events[i];
        (ev.u64, ev.events)
    }

    fn epoll_wait(&mut self, timeout: Option<Duration>) -> Result<usize, i32> {
        let ms = match timeout {
            None => -1,
            // Rounded up: waking before a deadline would only cost a spin.
            Some(d) => d.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as libc::c_int,
        };
        // SAFETY: `events` is a live buffer of `MAX_EVENTS` entries.
        let n = unsafe {
            libc::epoll_wait(
                self.epfd.as_raw_fd(),
                self.events.as_mut_ptr(),
                MAX_EVENTS as libc::c_int,
                ms,
            )
        };
        if n < 0 {
            Err(errno())
        } else {
            Ok(n as usize)
        }
    }

    fn pwait2(&mut self, d: Duration) -> Result<usize, i32> {
        let ts = libc::timespec {
            tv_sec: d.as_secs().min(i64::MAX as u64) as libc::time_t,
            tv_nsec: d.subsec_nanos() as libc::c_long,
        };
        // SAFETY: epoll_pwait2(epfd, events, maxevents, timeout, sigmask,
        // sigsetsize): `events` is a live buffer of `MAX_EVENTS` entries,
        // `ts` a live timespec, and a null sigmask leaves the mask alone.
        let n = unsafe {
            libc::syscall(
                libc::SYS_epoll_pwait2,
                self.epfd.as_raw_fd(),
                self.events.as_mut_ptr(),
                MAX_EVENTS as libc::c_int,
                &ts as *const libc::timespec,
                std::ptr::null::<libc::sigset_t>(),
                0usize,
            )
        };
        if n < 0 {
            Err(errno())
        } else {
            Ok(n as usize)
        }
    }
}
