//! [`unconstrained`]: opting a future out of the cooperative budget.

use std::future::Future;

pub use crate::coop::Unconstrained;

/// Runs `inner` without the cooperative budget.
///
/// Normally each task poll may complete only so many ready operations (128,
/// tokio's number) before the next one returns `Pending` and the task goes
/// to the back of the run queue, so that a loop whose I/O is always ready
/// cannot starve the other tasks and timers of its core. Inside
/// `unconstrained`, operations never yield for that reason, and what they
/// do is not charged to the enclosing task's budget.
///
/// Use it sparingly: a loop of always-ready operations inside it keeps its
/// whole core busy (timers fire late, other tasks wait) until it awaits
/// something that is genuinely not ready.
///
/// # Cancel safety
///
/// As cancel safe as `inner`, which it drops when dropped.
///
/// # Examples
///
/// ```
/// # aio::Runtime::new().unwrap().block_on(async {
/// let (tx, mut rx) = aio::sync::mpsc::unbounded_channel();
/// for i in 0..1000 {
///     tx.send(i).unwrap();
/// }
/// drop(tx);
/// // Drains all 1000 messages in one poll, without yielding.
/// let sum = aio::task::unconstrained(async move {
///     let mut sum = 0;
///     while let Some(i) = rx.recv().await {
///         sum += i;
///     }
///     sum
/// })
/// .await;
/// assert_eq!(sum, 499_500);
/// # });
/// ```
pub fn unconstrained<F: Future>(inner: F) -> Unconstrained<F> {
    Unconstrained::new(inner)
}
