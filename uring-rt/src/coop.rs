//! Cooperative scheduling: a per-poll budget of operations.
//!
//! An operation that is ready at once never returns `Pending` (an epoll
//! read from a fast peer completes inline; a channel keeps having
//! messages), so a task looping over such operations would never give its
//! thread back: every other task and timer of its core would wait. As in
//! tokio's `coop`, the executor hands each task poll a budget of
//! [`BUDGET`] ready operations; each ready operation spends one, and once it
//! is spent the next operation returns `Pending` after waking its own task,
//! which goes to the back of the run queue. Outside an executor poll there
//! is no budget and nothing is limited.
//!
//! A leaf: the driver's `Op` and the channels call [`poll_proceed`] (and
//! [`refund`] when they turn out not ready); the runtime calls
//! [`budgeted`] around each poll.

use std::cell::Cell;
use std::task::{Context, Poll};

/// Ready operations per task poll (tokio's value).
pub(crate) const BUDGET: u8 = 128;

thread_local! {
    static LEFT: Cell<Option<u8>> = const { Cell::new(None) };
    /// Times a task was made to yield, for the runtime's metrics.
    static YIELDS: Cell<u64> = const { Cell::new(0) };
}

/// Restores the budget of the enclosing poll (if any).
struct Restore(Option<u8>);

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = LEFT.try_with(|l| l.set(self.0));
    }
}

/// Runs `f` (one poll of a task or of `block_on`'s future) with a fresh
/// budget.
pub(crate) fn budgeted<R>(f: impl FnOnce() -> R) -> R {
    let _restore = Restore(LEFT.with(|l| l.replace(Some(BUDGET))));
    f()
}

/// Takes one unit of the current poll's budget: `Ready` if there was one;
/// otherwise wakes the task (so it runs again after the others) and returns
/// `Pending`. An operation that then turns out not to be ready gives the
/// unit back with [`refund`]. One thread-local access on the ready path.
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<()> {
    let exhausted = LEFT.with(|l| match l.get() {
        Some(0) => true,
        Some(n) => {
            l.set(Some(n - 1));
            false
        }
        None => false,
    });
    if exhausted {
        YIELDS.with(|y| y.set(y.get() + 1));
        cx.waker().wake_by_ref();
        return Poll::Pending;
    }
    Poll::Ready(())
}

/// Gives back the unit taken by [`poll_proceed`]: the operation was not
/// ready after all.
pub(crate) fn refund() {
    LEFT.with(|l| {
        if let Some(n) = l.get() {
            l.set(Some(n.saturating_add(1).min(BUDGET)));
        }
    });
}

/// Yields forced on this thread so far.
#[allow(dead_code)] // read by the runtime's metrics
pub(crate) fn yields() -> u64 {
    YIELDS.with(|y| y.get())
}
