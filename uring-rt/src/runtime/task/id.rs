//! Task ids: a process-wide counter hands each task a unique [`Id`], and a
//! thread-local names the task whose future is being polled (or dropped)
//! on this thread right now.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};

/// An opaque identifier of a spawned task, unique among all tasks of the
/// process for its lifetime (ids are never reused).
///
/// Get it with [`JoinHandle::id`](crate::task::JoinHandle::id),
/// [`AbortHandle::id`](crate::task::AbortHandle::id), or from inside the
/// task with [`aio::task::id`](crate::task::id). `Display` writes the bare
/// number; the numbers carry no other meaning (they are not an order of
/// spawning across threads).
///
/// # Examples
///
/// ```
/// # aio::Runtime::new().unwrap().block_on(async {
/// let handle = aio::spawn(async { aio::task::id() });
/// let id = handle.id();
/// assert_eq!(handle.await.unwrap(), id);
/// # });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

/// The next id to hand out; starts at 1 so that `Id` can be `NonZero`.
static NEXT: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// The task whose future this thread is polling or dropping.
    static CURRENT: Cell<Option<Id>> = const { Cell::new(None) };
}

impl Id {
    /// A fresh id, never handed out before in this process.
    pub(crate) fn next() -> Id {
        // Relaxed: only uniqueness matters, and fetch_add gives it. 2^64
        // spawns cannot happen, but wrap to 1 rather than to 0 regardless.
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        Id(NonZeroU64::new(n).unwrap_or(NonZeroU64::MIN))
    }

    /// The bare number (what `Display` writes).
    pub(crate) fn as_u64(self) -> u64 {
        self.0.get()
    }

    /// The id of the task being polled (or dropped) on this thread.
    pub(crate) fn current() -> Option<Id> {
        CURRENT.try_with(Cell::get).ok().flatten()
    }

    /// Makes `self` the current task id until the guard drops (which
    /// restores the previous one: a task may drop another, e.g. its own
    /// `JoinHandle` of a finished task, while it runs).
    pub(crate) fn enter(self) -> IdGuard {
        IdGuard(CURRENT.try_with(|c| c.replace(Some(self))).ok().flatten())
    }
}

/// Restores the previous current task id; see [`Id::enter`].
pub(crate) struct IdGuard(Option<Id>);

impl Drop for IdGuard {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.0));
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}
