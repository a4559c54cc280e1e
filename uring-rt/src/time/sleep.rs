//! [`Sleep`]: a future that completes at a deadline.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::Instant;
use crate::runtime::context;
use crate::runtime::time::{TimerKey, Timers};

/// Waits until `duration` has elapsed.
///
/// The deadline is fixed now (`Instant::now() + duration`); the timer is
/// armed on the first poll. `sleep(Duration::ZERO)` completes on its first
/// poll without arming anything. A duration too large to add to the current
/// instant is treated as "about 30 years".
///
/// Equivalent to `sleep_until(Instant::now() + duration)`.
///
/// # Panics
///
/// Panics if called outside an aio runtime (as tokio's does: a timer needs
/// the runtime's wheel). Polling the returned future outside one panics
/// too.
///
/// # Cancel safety
///
/// Cancel safe: dropping the future disarms its timer, and nothing is lost.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// aio::Runtime::new().unwrap().block_on(async {
///     aio::time::sleep(Duration::from_millis(10)).await;
/// });
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    context::assert_in_runtime("aio::time::sleep");
    Sleep::new(deadline_after(Instant::now(), duration))
}

/// Waits until `deadline`.
///
/// A deadline already in the past completes on the first poll. A
/// `std::time::Instant` is accepted too.
///
/// # Panics
///
/// Panics if called outside an aio runtime. Polling the returned future
/// outside one panics too.
///
/// # Cancel safety
///
/// Cancel safe: dropping the future disarms its timer, and nothing is lost.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use aio::time::{sleep_until, Instant};
///
/// aio::Runtime::new().unwrap().block_on(async {
///     let deadline = Instant::now() + Duration::from_millis(10);
///     sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
/// });
/// ```
#[track_caller]
pub fn sleep_until(deadline: impl Into<Instant>) -> Sleep {
    context::assert_in_runtime("aio::time::sleep_until");
    Sleep::new(deadline.into())
}

/// `now + duration`, or about 30 years from `now` if that overflows.
pub(crate) fn deadline_after(now: Instant, duration: Duration) -> Instant {
    now.checked_add(duration).unwrap_or_else(|| far_future(now))
}

fn far_future(now: Instant) -> Instant {
    // Roughly 30 years, as tokio does; representable on every platform.
    now + Duration::from_secs(86_400 * 365 * 30)
}

/// Future returned by [`sleep`] and [`sleep_until`]; completes once
/// `Instant::now() >= self.deadline()`.
///
/// `Sleep` holds no self-references and is `Unpin`; [`reset`](Sleep::reset)
/// still takes `Pin<&mut Self>` so that code written for a pinned sleep
/// (`std::pin::pin!`) keeps working.
///
/// # Panics
///
/// Polling a `Sleep` outside an aio runtime panics.
///
/// # Cancel safety
///
/// Cancel safe: dropping it disarms its timer.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    deadline: Instant,
    /// The armed timer, if any. `None` before the first pending poll, after
    /// completion, and after a `reset` whose timer had already fired.
    key: Option<TimerKey>,
}

impl Sleep {
    /// A sleep until `deadline`, not armed yet. Does not check for a
    /// runtime: the public constructors do, for their callers' lines.
    pub(crate) fn new(deadline: Instant) -> Sleep {
        Sleep {
            deadline,
            key: None,
        }
    }

    /// The instant at which this sleep completes.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed, i.e. the next poll returns `Ready`.
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline to `deadline`, whether or not the sleep has
    /// completed; a completed sleep becomes pending again if `deadline` is in
    /// the future. An armed timer is moved in place, keeping its waker.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use aio::time::{sleep, Instant};
    ///
    /// aio::Runtime::new().unwrap().block_on(async {
    ///     let mut s = std::pin::pin!(sleep(Duration::from_secs(3600)));
    ///     s.as_mut().reset(Instant::now() + Duration::from_millis(5));
    ///     s.await;
    /// });
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: impl Into<Instant>) {
        let deadline = deadline.into();
        let this = self.get_mut();
        this.deadline = deadline;
        if let Some(key) = this.key {
            // Outside the runtime (or with a stale key) there is nothing to
            // move: forget the key and arm afresh on the next poll.
            if context::try_with_timers(|timers| timers.reset(key, deadline.into_std()))
                != Some(true)
            {
                this.key = None;
            }
        }
    }

    /// The poll, given the runtime's timers.
    pub(crate) fn poll_with(&mut self, timers: &mut Timers, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            if let Some(key) = self.key.take() {
                timers.remove(key);
            }
            return Poll::Ready(());
        }
        match self.key {
            Some(key) if timers.update_waker(key, cx.waker()) => {}
            // Not armed yet, or the key no longer names a pending timer here
            // (it was armed in another runtime's wheel): arm it.
            _ => self.key = Some(timers.insert(self.deadline.into_std(), cx.waker())),
        }
        Poll::Pending
    }

    /// Whether the timer has been armed and not yet disarmed.
    pub(crate) fn is_armed(&self) -> bool {
        self.key.is_some()
    }
}

impl Future for Sleep {
    type Output = ();

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        context::with_timers(|timers| this.poll_with(timers, cx))
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            // Outside the runtime (it is being torn down, or the sleep moved
            // to another thread) the entry goes when its timer fires.
            context::try_with_timers(|timers| timers.remove(key));
        }
    }
}
