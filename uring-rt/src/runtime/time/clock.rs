//! The runtime's clock: the system's monotonic clock, or a paused one that
//! only `advance` (and auto-advance) move, for tests.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// One runtime's clock. Reading it costs one `Instant::now()` while it runs
/// unshifted (it has never been paused), nothing while paused.
#[derive(Debug)]
pub(crate) struct Clock {
    state: Cell<State>,
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// The system clock, as is.
    Real,
    /// Stopped at this instant.
    Paused(Instant),
    /// Running again after a pause: it read `base` at the system instant
    /// `since`, and runs at the system's pace from there.
    Shifted { base: Instant, since: Instant },
}

impl Clock {
    /// A clock that reads the system's.
    pub(crate) fn new() -> Clock {
        Clock {
            state: Cell::new(State::Real),
        }
    }

    /// The clock's current time.
    pub(crate) fn now(&self) -> Instant {
        match self.state.get() {
            State::Real => Instant::now(),
            State::Paused(now) => now,
            State::Shifted { base, since } => base + since.elapsed(),
        }
    }

    pub(crate) fn is_paused(&self) -> bool {
        matches!(self.state.get(), State::Paused(_))
    }

    /// Stops the clock at its current time, moved up (by less than `tick`)
    /// to the next point of the grid `grid + k * tick`: the timer wheel's
    /// ticks. Paused time then moves in whole ticks (by auto-advance, and
    /// by `advance` of whole milliseconds), so a timer's deadline falls on
    /// a tick and fires at exactly that virtual time: after a paused
    /// `sleep(1 h)`, `start.elapsed()` is exactly one hour.
    ///
    /// # Panics
    ///
    /// Panics if it is already paused (as tokio's `pause` does).
    #[track_caller]
    pub(crate) fn pause(&self, grid: Instant, tick: Duration) {
        assert!(
            !self.is_paused(),
            "aio::time::pause: the clock is already paused"
        );
        let now = self.now();
        let aligned = match now.checked_duration_since(grid) {
            Some(since) => {
                let tick_ns = tick.as_nanos();
                let ticks = since.as_nanos().div_ceil(tick_ns);
                let offset = ticks.saturating_mul(tick_ns);
                u64::try_from(offset)
                    .ok()
                    .and_then(|ns| grid.checked_add(Duration::from_nanos(ns)))
                    .unwrap_or(now)
            }
            // Before the grid (a clock shifted back by `resume`): as is.
            None => now,
        };
        self.state.set(State::Paused(aligned));
    }

    /// Lets the paused clock run again from its paused time.
    ///
    /// # Panics
    ///
    /// Panics if it is not paused.
    #[track_caller]
    pub(crate) fn resume(&self) {
        let State::Paused(now) = self.state.get() else {
            panic!("aio::time::resume: the clock is not paused");
        };
        self.state.set(State::Shifted {
            base: now,
            since: Instant::now(),
        });
    }

    /// Moves the paused clock forward by `by` (to about 30 years ahead at
    /// most, where an `Instant` may stop being representable).
    ///
    /// # Panics
    ///
    /// Panics if it is not paused.
    #[track_caller]
    pub(crate) fn advance(&self, by: Duration) {
        let State::Paused(now) = self.state.get() else {
            panic!("aio::time::advance: the clock is not paused (call aio::time::pause first)");
        };
        // Roughly 30 years, as `sleep`'s far future: representable.
        let to = now
            .checked_add(by)
            .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365 * 30));
        self.state.set(State::Paused(to));
    }

    /// Moves the paused clock forward to `to`, if that is later.
    pub(crate) fn advance_to(&self, to: Instant) {
        if let State::Paused(now) = self.state.get() {
            if to > now {
                self.state.set(State::Paused(to));
            }
        }
    }
}
