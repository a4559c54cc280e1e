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
//! A leaf: the driver's `Op`, the channels and `task::consume_budget` call
//! [`poll_proceed`] (and [`refund`] when they turn out not ready); the
//! runtime calls [`budgeted`] around each poll, and
//! `task::unconstrained` calls [`unconstrained`] around its inner one.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
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

/// Runs `f` (one poll of an `unconstrained` future) with no budget: nothing
/// inside it is limited or made to yield, and nothing it does is charged to
/// the enclosing poll's budget, which is restored afterwards.
pub(crate) fn unconstrained<R>(f: impl FnOnce() -> R) -> R {
    let _restore = Restore(LEFT.with(|l| l.replace(None)));
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

/// Yields forced on this thread so far (the runtime's metrics take each
/// runtime's share: see `runtime::metrics::Counters::enter`).
pub(crate) fn yields() -> u64 {
    YIELDS.with(|y| y.get())
}

/// Future returned by [`aio::task::unconstrained`](crate::task::unconstrained).
///
/// # Cancel safety
///
/// As cancel safe as the inner future.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Unconstrained<F> {
    /// Structurally pinned.
    inner: F,
}

impl<F> Unconstrained<F> {
    pub(crate) fn new(inner: F) -> Unconstrained<F> {
        Unconstrained { inner }
    }
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `inner` is structurally pinned: it is only reached through
        // this projection while `self` is pinned, `Unconstrained` has no
        // `Drop` impl, and it is `Unpin` only when `F` is (auto trait).
        let inner = unsafe { self.map_unchecked_mut(|this| &mut this.inner) };
        unconstrained(|| inner.poll(cx))
    }
}
