//! [`consume_budget`]: spending the cooperative budget from user code.

use std::future::poll_fn;
use std::task::Poll;

/// Spends one unit of the task's cooperative budget, yielding to the
/// runtime if the budget is exhausted.
///
/// Each task poll has a budget of ready operations (128); aio's I/O,
/// channels and timers spend it, and once it is spent the next one yields.
/// A loop that does CPU work without awaiting any of those (or awaits only
/// futures that are always ready) can call this each iteration: it returns
/// at once while budget is left, and yields (the task goes to the back of
/// the run queue, so other tasks, timers and I/O get their turn) about
/// every 128 calls. Unlike [`yield_now`](super::yield_now), it does not
/// yield on every call. Outside a task's poll (e.g. in
/// [`unconstrained`](super::unconstrained)) there is no budget and it never
/// yields.
///
/// # Cancel safety
///
/// Cancel safe: it holds nothing.
///
/// # Examples
///
/// ```
/// # aio::Runtime::new().unwrap().block_on(async {
/// let mut sum = 0u64;
/// for i in 0..100_000u64 {
///     sum += i;
///     // Lets the core's other tasks and timers run now and then.
///     aio::task::consume_budget().await;
/// }
/// assert_eq!(sum, 4_999_950_000);
/// # });
/// ```
pub async fn consume_budget() {
    let mut spent = false;
    poll_fn(move |cx| {
        if spent {
            return Poll::Ready(());
        }
        // After a forced yield, the next poll has a fresh budget.
        let status = crate::coop::poll_proceed(cx);
        spent = status.is_ready();
        status
    })
    .await
}
