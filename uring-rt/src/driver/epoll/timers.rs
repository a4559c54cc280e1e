//! Deadlines of `Timeout` calls. The runtime's own timers live in its wheel
//! and bound the wait from outside; these are the kernel-style one-off
//! timeouts an op may ask for, completed with `-ETIME` when due.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use io_uring::types::Timespec;

/// The layout of `Timespec` (a `#[repr(transparent)]` wrapper around the
/// kernel's `struct __kernel_timespec`).
#[repr(C)]
struct KernelTimespec {
    tv_sec: i64,
    tv_nsec: i64,
}

/// Reads the duration a `Call::Timeout` points to.
///
/// # Safety
///
/// `ts` must point to a live `Timespec` (the op's, per `Call`'s contract).
pub(super) unsafe fn duration(ts: *const Timespec) -> Duration {
    // SAFETY: the caller guarantees `ts` is live; `Timespec` is a
    // transparent wrapper around the kernel's two-i64 timespec, which
    // `KernelTimespec` mirrors.
    let ts = unsafe { &*ts.cast::<KernelTimespec>() };
    let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
    let nanos = u32::try_from(ts.tv_nsec).unwrap_or(0).min(999_999_999);
    Duration::new(secs, nanos)
}

/// A min-heap of `(deadline, key)`. Cancelled entries are not removed; the
/// caller skips entries whose key no longer waits on a timer.
#[derive(Debug, Default)]
pub(super) struct Deadlines {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
}

impl Deadlines {
    pub(super) fn push(&mut self, deadline: Instant, key: u64) {
        self.heap.push(Reverse((deadline, key)));
    }

    /// The earliest deadline (possibly of a cancelled entry: waking early
    /// only costs a turn).
    pub(super) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((d, _))| *d)
    }

    /// Takes the key of one entry due at `now`, if any.
    pub(super) fn pop_due(&mut self, now: Instant) -> Option<u64> {
        match self.heap.peek() {
            Some(Reverse((d, _))) if *d <= now => self.heap.pop().map(|Reverse((_, k))| k),
            _ => None,
        }
    }

    /// Takes every entry's key.
    pub(super) fn drain(&mut self) -> impl Iterator<Item = u64> + '_ {
        self.heap.drain().map(|Reverse((_, k))| k)
    }
}
