//! [`Timeout`]: runs a future with a deadline.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::Instant;

use super::sleep::{deadline_after, Sleep};
use super::Elapsed;
use crate::runtime::context;

/// Runs `future`, giving up once `duration` has elapsed.
///
/// Resolves to `Ok(output)` if the future completes first and to
/// `Err(Elapsed)` otherwise; the future is dropped when the `Timeout` is.
/// The deadline is fixed now; the future is polled before the deadline is
/// checked, so a future that is ready on its first poll always gives `Ok`,
/// even with `Duration::ZERO`.
///
/// # Panics
///
/// Panics if called outside an aio runtime. Polling the returned future
/// outside one panics too.
///
/// # Cancel safety
///
/// `Timeout` is as cancel safe as `future`: dropping it drops `future`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use aio::time::timeout;
///
/// aio::Runtime::new().unwrap().block_on(async {
///     let slow = std::future::pending::<u32>();
///     assert!(timeout(Duration::from_millis(10), slow).await.is_err());
///
///     let fast = async { 7 };
///     assert_eq!(timeout(Duration::from_millis(10), fast).await, Ok(7));
/// });
/// ```
#[track_caller]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    context::assert_in_runtime("aio::time::timeout");
    Timeout::new(deadline_after(Instant::now(), duration), future)
}

/// Runs `future`, giving up at `deadline`. See [`timeout`].
///
/// # Panics
///
/// Panics if called outside an aio runtime. Polling the returned future
/// outside one panics too.
///
/// # Cancel safety
///
/// `Timeout` is as cancel safe as `future`: dropping it drops `future`.
#[track_caller]
pub fn timeout_at<F: IntoFuture>(
    deadline: impl Into<Instant>,
    future: F,
) -> Timeout<F::IntoFuture> {
    context::assert_in_runtime("aio::time::timeout_at");
    Timeout::new(deadline.into(), future)
}

/// Future returned by [`timeout`] and [`timeout_at`].
///
/// # Panics
///
/// Polling it outside an aio runtime panics.
///
/// # Cancel safety
///
/// As cancel safe as the inner future, which it drops when dropped.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Timeout<F> {
    /// Structurally pinned: never moved while `Timeout` is pinned.
    value: F,
    /// `Unpin`, so not structurally pinned.
    delay: Sleep,
}

impl<F> Timeout<F> {
    fn new<I: IntoFuture<IntoFuture = F>>(deadline: Instant, future: I) -> Timeout<F> {
        Timeout {
            value: future.into_future(),
            delay: Sleep::new(deadline),
        }
    }

    /// The inner future.
    pub fn get_ref(&self) -> &F {
        &self.value
    }

    /// The inner future, mutably.
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.value
    }

    /// Consumes the `Timeout`, returning the inner future (and disarming the
    /// timer).
    pub fn into_inner(self) -> F {
        self.value
    }

    /// The instant at which the timeout elapses.
    pub fn deadline(&self) -> Instant {
        self.delay.deadline()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `value` is structurally pinned: it is only ever reached
        // through this pinned projection while `self` is pinned, `Timeout`
        // has no `Drop` impl that could move it, and `Timeout: Unpin` holds
        // only when `F: Unpin` (auto trait). `delay` is `Unpin` and is not
        // projected as pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above; `value` stays where it is for as long as `self`
        // is pinned.
        let value = unsafe { Pin::new_unchecked(&mut this.value) };
        if let Poll::Ready(output) = value.poll(cx) {
            if !this.delay.is_armed() {
                // Ready on the first poll: check we are in a runtime anyway,
                // so misuse fails the same way whatever the inner future does.
                context::with_timers(|_| ());
            }
            return Poll::Ready(Ok(output));
        }
        Pin::new(&mut this.delay)
            .poll(cx)
            .map(|()| Err(Elapsed::new()))
    }
}
