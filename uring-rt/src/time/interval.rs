//! [`Interval`]: a stream of evenly spaced instants.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::Instant;

use super::sleep::{deadline_after, Sleep};
use crate::runtime::context;

/// How late a tick may be before it counts as missed: below this, the
/// lateness is timer resolution and scheduling noise, and the schedule is
/// kept whatever the [`MissedTickBehavior`].
const MISSED_SLACK: Duration = Duration::from_millis(5);

/// An [`Interval`] whose first tick completes immediately and whose ticks
/// are `period` apart.
///
/// Equivalent to `interval_at(Instant::now(), period)`.
///
/// # Panics
///
/// Panics if `period` is zero, or if called outside an aio runtime.
/// Polling the returned value outside one panics too.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// aio::Runtime::new().unwrap().block_on(async {
///     let mut every = aio::time::interval(Duration::from_millis(10));
///     let first = every.tick().await; // immediately
///     let second = every.tick().await; // 10 ms later
///     assert_eq!(second - first, Duration::from_millis(10));
/// });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "`aio::time::interval` period must be non-zero; use a period of at least 1 ns"
    );
    context::assert_in_runtime("aio::time::interval");
    Interval::new(Instant::now(), period)
}

/// An [`Interval`] whose first tick completes at `start` and whose ticks are
/// `period` apart.
///
/// # Panics
///
/// Panics if `period` is zero, or if called outside an aio runtime.
/// Polling the returned value outside one panics too.
#[track_caller]
pub fn interval_at(start: impl Into<Instant>, period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "`aio::time::interval_at` period must be non-zero; use a period of at least 1 ns"
    );
    context::assert_in_runtime("aio::time::interval_at");
    Interval::new(start.into(), period)
}

/// What an [`Interval`] does when ticks were missed: when a tick completes
/// more than a few milliseconds after it was scheduled (the task was busy,
/// or did not call `tick` for a while).
///
/// The default is [`Burst`](MissedTickBehavior::Burst).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// Keep the original schedule: the missed ticks complete immediately,
    /// one per call, until the interval has caught up.
    ///
    /// With period 10 ms and a tick taken 35 ms late, the next ticks are
    /// due at 10, 20, 30 (all at once), then 40, 50, ... ms.
    #[default]
    Burst,
    /// Restart the schedule from the late tick: the next tick is one period
    /// after the moment the late one was taken, and so on from there.
    Delay,
    /// Drop the missed ticks: the next tick is the next one on the original
    /// schedule that is still in the future.
    Skip,
}

impl MissedTickBehavior {
    /// The deadline following a tick scheduled at `scheduled` but taken at
    /// `now`, more than [`MISSED_SLACK`] late.
    fn next_deadline(self, scheduled: Instant, now: Instant, period: Duration) -> Instant {
        match self {
            MissedTickBehavior::Burst => deadline_after(scheduled, period),
            MissedTickBehavior::Delay => deadline_after(now, period),
            MissedTickBehavior::Skip => {
                let late = (now - scheduled).as_nanos();
                let into_period = late % period.as_nanos();
                // `into_period < period`, so it fits in a u64 of nanoseconds
                // whenever `period` does; saturate for absurd periods.
                let into_period =
                    Duration::from_nanos(u64::try_from(into_period).unwrap_or(u64::MAX));
                deadline_after(now, period.saturating_sub(into_period))
            }
        }
    }
}

/// Ticks every `period`; made by [`interval`] or [`interval_at`].
///
/// Use [`tick`](Interval::tick), or use it as a
/// [`Stream`](futures_core::Stream) of tick instants (it never ends).
/// Each tick yields the instant it was *scheduled* for, which the real
/// completion time is at or after.
///
/// # Panics
///
/// Polling it outside an aio runtime panics.
#[derive(Debug)]
pub struct Interval {
    /// Completes at the next scheduled tick.
    delay: Sleep,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    fn new(start: Instant, period: Duration) -> Interval {
        Interval {
            delay: Sleep::new(start),
            period,
            missed_tick_behavior: MissedTickBehavior::default(),
        }
    }

    /// Waits for the next tick and returns the instant it was scheduled for.
    ///
    /// # Panics
    ///
    /// Panics if polled outside an aio runtime.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before completing, no tick is
    /// consumed, and the next call to `tick` returns it.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick; `Ready` with the instant it was scheduled
    /// for. Only the waker of the latest call is woken.
    ///
    /// # Panics
    ///
    /// Panics if called outside an aio runtime.
    #[track_caller]
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if Pin::new(&mut self.delay).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.delay.deadline();
        let now = Instant::now();
        let next = if now.saturating_duration_since(scheduled) > MISSED_SLACK {
            self.missed_tick_behavior
                .next_deadline(scheduled, now, self.period)
        } else {
            deadline_after(scheduled, self.period)
        };
        Pin::new(&mut self.delay).reset(next);
        Poll::Ready(scheduled)
    }

    /// Restarts the schedule: the next tick is one period from now.
    pub fn reset(&mut self) {
        self.reset_at(deadline_after(Instant::now(), self.period));
    }

    /// Restarts the schedule: the next tick completes immediately.
    pub fn reset_immediately(&mut self) {
        self.reset_at(Instant::now());
    }

    /// Restarts the schedule: the next tick is at `deadline`, then every
    /// period after it.
    pub fn reset_at(&mut self, deadline: impl Into<Instant>) {
        Pin::new(&mut self.delay).reset(deadline);
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// What happens when ticks are missed.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets what happens when ticks are missed; see [`MissedTickBehavior`].
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }
}

impl futures_core::Stream for Interval {
    type Item = Instant;

    #[track_caller]
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}
