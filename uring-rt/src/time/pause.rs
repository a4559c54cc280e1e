//! A paused, virtual clock for tests: [`pause`], [`resume`], [`advance`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::runtime::context;

/// Stops the clock of the runtime on this thread.
///
/// From then on [`Instant::now`](super::Instant::now) returns the paused
/// time, and it moves only when
///
/// - [`advance`] moves it, or
/// - the runtime has nothing to do: every task waits and a non-blocking
///   look at the I/O driver found nothing ready. Then the clock jumps to
///   the next timer's deadline and that timer fires (*auto-advance*).
///
/// So a test of a one-hour timeout runs in microseconds, in the same order
/// of events as in real time. `#[aio::test(start_paused = true)]` and
/// [`RuntimeBuilder::start_paused`](crate::RuntimeBuilder::start_paused)
/// start a runtime paused.
///
/// Auto-advance waits for work that finishes on its own: blocking-pool
/// jobs (`spawn_blocking`, name resolution, epoll's file operations) and
/// the kernel's file and path operations (positional reads and writes,
/// `open`, `statx`, `fsync`, `close`...). It does not wait for sockets,
/// pipes or other threads: a `timeout` around a read from a peer that has
/// not written yet fires once nothing else is runnable, as it would after
/// the real hour. The clock is per runtime: each core of a
/// [`Cores`](crate::cores::Cores) group has its own.
///
/// # Panics
///
/// Panics if called outside an aio runtime, or if the clock is already
/// paused (as tokio's does).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use aio::time::{self, Instant};
///
/// aio::Runtime::new().unwrap().block_on(async {
///     time::pause();
///     let start = Instant::now();
///     let wall = std::time::Instant::now();
///     time::sleep(Duration::from_secs(3600)).await; // auto-advance
///     assert_eq!(start.elapsed(), Duration::from_secs(3600));
///     assert!(wall.elapsed() < Duration::from_secs(10));
/// });
/// ```
#[track_caller]
pub fn pause() {
    context::assert_in_runtime("aio::time::pause");
    context::with_core(|core| core.pause_clock());
}

/// Lets the paused clock of this thread's runtime run again, at the
/// system's pace from the time it was paused at (so it may stay ahead of
/// the system clock by what was advanced).
///
/// # Panics
///
/// Panics if called outside an aio runtime or if the clock is not paused.
#[track_caller]
pub fn resume() {
    context::assert_in_runtime("aio::time::resume");
    context::with_core(|core| core.clock().resume());
}

/// Moves the paused clock forward by `duration`, then yields once, so that
/// the timers it passed fire (in deadline order) before the caller runs
/// again; tasks they wake run at their turn, as after any wake-up.
///
/// The clock moves when the future is first polled, as tokio's does.
///
/// # Panics
///
/// Panics if called outside an aio runtime, or if the clock is not paused
/// (here, or when the future is first polled).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use aio::time::{self, Instant};
///
/// aio::Runtime::new().unwrap().block_on(async {
///     time::pause();
///     let sleep = time::sleep(Duration::from_secs(10));
///     let start = Instant::now();
///     time::advance(Duration::from_secs(10)).await;
///     assert_eq!(start.elapsed(), Duration::from_secs(10));
///     assert!(sleep.is_elapsed());
/// });
/// ```
#[track_caller]
pub fn advance(duration: Duration) -> Advance {
    context::assert_in_runtime("aio::time::advance");
    assert!(
        context::with_core(|core| core.clock().is_paused()),
        "aio::time::advance: the clock is not paused (call aio::time::pause first)"
    );
    Advance {
        duration: Some(duration),
    }
}

/// Future returned by [`advance`].
#[derive(Debug)]
#[must_use = "the clock moves only when the future is polled: `.await` it"]
pub struct Advance {
    /// `None` once the clock has moved.
    duration: Option<Duration>,
}

impl Future for Advance {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.duration.take() {
            Some(duration) => {
                context::with_core(|core| core.clock().advance(duration));
                // One turn of the loop, which fires the timers passed.
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            None => Poll::Ready(()),
        }
    }
}
