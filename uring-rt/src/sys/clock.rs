//! `CLOCK_MONOTONIC_COARSE`: the kernel's tick-granular monotonic clock,
//! read from the vDSO without a system call.
//!
//! The runtime times every task poll against the slow-poll threshold (one
//! reading per poll: the reading that ends a poll starts the next). On a
//! measured host (x86-64 VM, `tsc` clocksource) a `CLOCK_MONOTONIC` read
//! (`Instant::now`) costs ~23 ns and a coarse one ~3.5 ns; a yield
//! ping-pong costs ~90 ns a round (two polls), so precise readings would
//! add a quarter to it. The coarse clock only moves once per kernel tick
//! (1–10 ms, see [`coarse_resolution`]), which is plenty to catch a poll
//! that blocks for 100 ms.

use std::time::Duration;

/// Nanoseconds on `CLOCK_MONOTONIC_COARSE` (an arbitrary origin).
pub(crate) fn coarse_now() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer;
    // CLOCK_MONOTONIC_COARSE exists on every kernel io_uring or epoll run
    // on (2.6.32+), so it cannot fail with EINVAL; EFAULT is impossible.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

/// How far apart two distinct readings of [`coarse_now`] are (the kernel
/// tick, e.g. 4 ms at `HZ=250`); 10 ms if the kernel will not say.
pub(crate) fn coarse_resolution() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_getres writes one timespec through a valid pointer.
    let rc = unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    if rc != 0 || ts.tv_sec < 0 || ts.tv_nsec < 0 {
        return Duration::from_millis(10);
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}
