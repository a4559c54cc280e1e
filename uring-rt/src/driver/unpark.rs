//! The unparker: how other threads end a runtime's wait in the kernel.
//!
//! Each driver owns one. A waker running on another thread queues its task
//! in the owner's inbox (the executor's business) and then calls
//! [`Unparker::unpark`], which gets the owner out of `io_uring_enter` or
//! `epoll_wait` by one of two routes:
//!
//! - **MSG_RING** when the waking thread itself runs an io_uring runtime:
//!   an `IORING_OP_MSG_RING` SQE on the waker's own ring posts a CQE into
//!   the owner's ring. It costs the waking side no syscall of its own (it
//!   rides on that ring's next enter), measured at about 58 µs per two-core
//!   round trip against 63 µs for the eventfd on 6.18.
//! - **the eventfd** otherwise (plain threads, epoll runtimes, a full or
//!   shut-down ring): a `write(2)` that completes the read (io_uring) or
//!   readiness wait (epoll) the owner keeps armed on it.
//!
//! # The latch, and the invariant that keeps wakes from being lost
//!
//! `notified` makes the signal once per drain: the first unpark after the
//! owner drained sets it and signals; later ones see it set and return.
//! That is only sound if every signal that sets the latch is *delivered*:
//! a latch left set with no signal on its way suppresses every later wake
//! and the owner sleeps forever. The driver keeps that invariant:
//!
//! - a queued MSG_RING SQE is handed to the kernel before the waking
//!   runtime's `block_on` returns (or unwinds) and before it parks
//!   ([`IoDriver::flush`](super::IoDriver::flush), and every turn submits);
//! - a MSG_RING that completes with an error (the target ring's CQ full,
//!   `ENOMEM`, `EOWNERDEAD`...) falls back to the target's eventfd;
//! - a ring dropped with MSG_RINGs whose outcome it cannot learn any more
//!   signals those targets' eventfds too (a spurious wake costs one turn).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use crate::sys::eventfd::EventFd;

/// Ends a runtime's wait from any thread. See the module docs.
#[derive(Debug)]
pub(crate) struct Unparker {
    /// Set when a signal is on its way to the owner; cleared by the owner
    /// (`take_notified`) before it looks at what the signal is about.
    notified: AtomicBool,
    eventfd: EventFd,
    /// A duplicate of the owner's io_uring fd, when it runs on io_uring, so
    /// other rings can reach it with MSG_RING. Owned here (not borrowed from
    /// the ring) so the number stays valid for as long as a sender can reach
    /// this struct.
    ring: OnceLock<OwnedFd>,
}

impl Unparker {
    pub(crate) fn new() -> io::Result<Arc<Unparker>> {
        Ok(Arc::new(Unparker {
            notified: AtomicBool::new(false),
            eventfd: EventFd::new()?,
            ring: OnceLock::new(),
        }))
    }

    /// The eventfd the backend keeps a read (or readiness wait) armed on.
    pub(crate) fn eventfd(&self) -> RawFd {
        self.eventfd.as_raw_fd()
    }

    /// Records the owner's ring so other rings can wake it with MSG_RING.
    /// Without a duplicate (out of descriptors) the eventfd is used.
    pub(crate) fn set_ring(&self, ring_fd: RawFd) {
        // SAFETY: F_DUPFD_CLOEXEC returns a new descriptor we own, or -1.
        let dup = unsafe { libc::fcntl(ring_fd, libc::F_DUPFD_CLOEXEC, 0) };
        if dup >= 0 {
            // SAFETY: a fresh descriptor from fcntl.
            let fd = unsafe { OwnedFd::from_raw_fd(dup) };
            // A second call (never made) would just drop its duplicate.
            let _ = self.ring.set(fd);
        }
    }

    /// The owner's ring, for MSG_RING.
    pub(crate) fn ring_fd(&self) -> Option<RawFd> {
        self.ring.get().map(|fd| fd.as_raw_fd())
    }

    /// Ends the owner's current or next wait, once per drain: a no-op while
    /// an earlier signal has not been taken yet.
    pub(crate) fn unpark(self: &Arc<Self>) {
        if self.notified.swap(true, Ordering::AcqRel) {
            return;
        }
        if self.ring.get().is_some() && super::context::try_msg_ring(self) {
            return;
        }
        self.eventfd.signal();
    }

    /// Owner side: whether a signal arrived since the last call; clears the
    /// latch so the next `unpark` signals again. Call before looking at what
    /// the wakers left (the inbox), so nothing queued after the look goes
    /// unsignalled.
    /// Whether an unpark is pending (not yet taken by `take_notified`).
    pub(crate) fn is_notified(&self) -> bool {
        self.notified.load(Ordering::Acquire)
    }

    pub(crate) fn take_notified(&self) -> bool {
        // The cheap load keeps the common "nothing happened" case free of a
        // read-modify-write on a cache line other threads write.
        self.notified.load(Ordering::Acquire) && self.notified.swap(false, Ordering::AcqRel)
    }

    /// Signals the eventfd regardless of the latch: the fallback for a
    /// MSG_RING that failed, and the blocking pool's completion signal.
    pub(crate) fn signal_eventfd(&self) {
        self.eventfd.signal();
    }

    /// Resets the eventfd counter (epoll, after it reported readable).
    pub(crate) fn clear_eventfd(&self) {
        self.eventfd.clear();
    }
}
