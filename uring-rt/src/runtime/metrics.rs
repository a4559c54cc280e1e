//! The executor's counters and the slow-poll detector. The public snapshot
//! (`aio::metrics::RuntimeMetrics`) is assembled in `crate::metrics` from
//! [`Counts`]; this module only counts.
//!
//! Everything here is touched by the runtime's own thread only, so the
//! counters are plain `Cell`s: one add per event, no atomics, cheap enough
//! to stay on in release builds.

use std::cell::Cell;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::task::Id;
use crate::driver::DriverStats;

/// The counters a `Core` keeps on its own path.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) tasks_spawned: Cell<u64>,
    pub(crate) polls: Cell<u64>,
    pub(crate) remote_wakes: Cell<u64>,
    pub(crate) slow_polls: Cell<u64>,
    /// Budget yields of the runtime's past `block_on`s (see [`Counters::enter`]).
    yields: Cell<u64>,
    /// The thread's budget-yield count when the runtime was entered, while
    /// it is.
    yields_base: Cell<Option<u64>>,
}

impl Counters {
    /// Adds one to `counter`.
    #[inline]
    pub(crate) fn add(counter: &Cell<u64>, n: u64) {
        counter.set(counter.get().wrapping_add(n));
    }

    /// The runtime is entered on this thread. `coop` counts forced yields
    /// per thread (one thread-local add, where the yield happens); a
    /// runtime owns the thread's count between `enter` and `leave`, and
    /// only one runtime is entered on a thread at a time.
    pub(crate) fn enter(&self) {
        self.yields_base.set(Some(crate::coop::yields()));
    }

    /// The runtime is left: its share of the thread's yields is kept.
    pub(crate) fn leave(&self) {
        if let Some(base) = self.yields_base.take() {
            Counters::add(&self.yields, crate::coop::yields().wrapping_sub(base));
        }
    }

    /// Budget yields so far, those of a `block_on` in progress included.
    pub(crate) fn budget_yields(&self) -> u64 {
        let running = self
            .yields_base
            .get()
            .map_or(0, |base| crate::coop::yields().wrapping_sub(base));
        self.yields.get().wrapping_add(running)
    }
}

/// Everything the runtime knows for a metrics snapshot (the blocking pool's
/// figures are added by `crate::metrics`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counts {
    pub(crate) tasks_spawned: u64,
    pub(crate) tasks_alive: u64,
    pub(crate) polls: u64,
    pub(crate) budget_yields: u64,
    pub(crate) remote_wakes: u64,
    pub(crate) timers_active: u64,
    pub(crate) slow_polls: u64,
    pub(crate) driver: DriverStats,
}

/// A task poll that took longer than the runtime's slow-poll threshold,
/// as handed to the hook set with
/// [`RuntimeBuilder::on_slow_poll`](crate::RuntimeBuilder::on_slow_poll).
///
/// A slow poll means the task blocked its core: every other task, timer
/// and I/O completion of that core waited meanwhile. The usual causes are
/// a blocking call (`std::thread::sleep`, `std::fs`, a mutex held by
/// another thread, DNS through `std::net`) or a long computation without
/// an `.await` that yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SlowPoll {
    /// The task that was polled.
    pub id: Id,
    /// Where the task was spawned (the `aio::spawn`, `JoinSet::spawn` or
    /// `spawn_blocking` call).
    pub location: &'static Location<'static>,
    /// How long the poll took. Polls are timed with the kernel's coarse
    /// clock when the threshold is at least ten of its ticks (the default
    /// 100 ms is), so the figure is then a multiple of the tick (1–10 ms).
    pub duration: Duration,
    /// The threshold it exceeded.
    pub threshold: Duration,
}

impl fmt::Display for SlowPoll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the task spawned at {} (id {}) blocked its core for {:?} in one poll \
             (slow-poll threshold {:?})",
            self.location, self.id, self.duration, self.threshold
        )
    }
}

/// A user's slow-poll hook. `Send + Sync` because a `RuntimeBuilder` (and
/// so its hook) is shared by every core of `aio::cores::Cores`.
#[derive(Clone)]
pub(crate) struct SlowPollHook(pub(crate) Arc<dyn Fn(&SlowPoll) + Send + Sync>);

impl fmt::Debug for SlowPollHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SlowPollHook(..)")
    }
}

/// Thresholds under this many coarse-clock ticks are timed precisely.
const COARSE_TICKS_PER_THRESHOLD: u32 = 10;

/// Times task polls against the threshold and reports the slow ones.
#[derive(Debug)]
pub(crate) struct SlowPolls {
    /// Whether polls are timed at all (a threshold is set).
    timed: bool,
    /// Whether they are timed with `CLOCK_MONOTONIC_COARSE` (a few ns a
    /// read, see `sys::clock`) rather than `Instant` (~25 ns): for
    /// thresholds of [`COARSE_TICKS_PER_THRESHOLD`] kernel ticks or more,
    /// which the tick cannot blur.
    coarse: bool,
    /// What precise readings count from.
    origin: Instant,
    threshold: Duration,
    threshold_ns: u64,
    /// The user's hook, or `None` for the default (a rate-limited line on
    /// stderr).
    hook: Option<SlowPollHook>,
    /// The default hook's rate limit.
    limit: RateLimit,
}

impl SlowPolls {
    pub(crate) fn new(threshold: Duration, hook: Option<SlowPollHook>) -> SlowPolls {
        let coarse =
            threshold >= crate::sys::clock::coarse_resolution() * COARSE_TICKS_PER_THRESHOLD;
        SlowPolls {
            timed: !threshold.is_zero(),
            coarse,
            origin: Instant::now(),
            threshold,
            threshold_ns: u64::try_from(threshold.as_nanos()).unwrap_or(u64::MAX),
            hook,
            limit: RateLimit::default(),
        }
    }

    /// A reading to time a poll from; `None` when polls are not timed.
    #[inline]
    pub(crate) fn start(&self) -> Option<u64> {
        self.timed.then(|| self.now())
    }

    /// A clock reading, in nanoseconds.
    #[inline]
    pub(crate) fn now(&self) -> u64 {
        if self.coarse {
            crate::sys::clock::coarse_now()
        } else {
            self.origin.elapsed().as_nanos() as u64
        }
    }

    /// The poll's duration if it ran from reading `start` to `end` and was
    /// slow.
    #[inline]
    pub(crate) fn slow(&self, start: u64, end: u64) -> Option<Duration> {
        let ns = end.saturating_sub(start);
        (ns > self.threshold_ns).then(|| Duration::from_nanos(ns))
    }

    /// Reports a slow poll: the tracing event, then the hook (user code; a
    /// panic in it propagates out of `block_on`).
    pub(crate) fn report(&self, id: Id, location: &'static Location<'static>, duration: Duration) {
        let info = SlowPoll {
            id,
            location,
            duration,
            threshold: self.threshold,
        };
        crate::trace::slow_poll(id.as_u64(), location, duration, self.threshold);
        match &self.hook {
            Some(hook) => (hook.0)(&info),
            None => {
                if let Some(suppressed) = self.limit.admit(Instant::now()) {
                    eprintln!("{}", default_message(&info, suppressed));
                }
            }
        }
    }
}

/// The default hook's line.
fn default_message(info: &SlowPoll, suppressed: u64) -> String {
    let more = match suppressed {
        0 => String::new(),
        1 => "; 1 more slow poll since the previous report was not shown".to_owned(),
        n => format!("; {n} more slow polls since the previous report were not shown"),
    };
    format!(
        "aio: slow poll: {info}; move blocking work to `aio::task::spawn_blocking` \
         (or set `RuntimeBuilder::on_slow_poll`){more}"
    )
}

/// At most one report per [`RateLimit::PERIOD`]; counts the rest.
#[derive(Debug, Default)]
struct RateLimit {
    last: Cell<Option<Instant>>,
    suppressed: Cell<u64>,
}

impl RateLimit {
    const PERIOD: Duration = Duration::from_secs(1);

    /// `Some(suppressed since the last report)` if a report may go out
    /// `now`; otherwise counts it as suppressed.
    fn admit(&self, now: Instant) -> Option<u64> {
        match self.last.get() {
            Some(last) if now.saturating_duration_since(last) < RateLimit::PERIOD => {
                Counters::add(&self.suppressed, 1);
                None
            }
            _ => {
                self.last.set(Some(now));
                Some(self.suppressed.replace(0))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_hook_prints_once_a_second_and_counts_the_rest() {
        let limit = RateLimit::default();
        let t0 = Instant::now();
        assert_eq!(limit.admit(t0), Some(0));
        assert_eq!(limit.admit(t0 + Duration::from_millis(10)), None);
        assert_eq!(limit.admit(t0 + Duration::from_millis(999)), None);
        assert_eq!(limit.admit(t0 + Duration::from_millis(1000)), Some(2));
        assert_eq!(limit.admit(t0 + Duration::from_millis(1001)), None);
        assert_eq!(limit.admit(t0 + Duration::from_millis(2500)), Some(1));
    }

    #[test]
    fn the_default_line_names_location_duration_and_suppressed_count() {
        let info = SlowPoll {
            id: Id::next(),
            location: Location::caller(),
            duration: Duration::from_millis(150),
            threshold: Duration::from_millis(100),
        };
        let line = default_message(&info, 3);
        assert!(
            line.contains(&format!("{}:{}", file!(), info.location.line())),
            "{line}"
        );
        assert!(line.contains("150ms") && line.contains("100ms"), "{line}");
        assert!(line.contains("3 more slow polls"), "{line}");
        assert!(!default_message(&info, 0).contains("more slow"));
    }

    #[test]
    fn thresholds_pick_the_clock() {
        let off = SlowPolls::new(Duration::ZERO, None);
        assert!(!off.timed && off.start().is_none());
        let default = SlowPolls::new(Duration::from_millis(100), None);
        assert!(default.timed && default.coarse);
        let short = SlowPolls::new(Duration::from_micros(10), None);
        assert!(short.timed && !short.coarse);
        assert_eq!(short.slow(0, 10_000), None);
        assert_eq!(short.slow(0, 10_001), Some(Duration::from_nanos(10_001)));
        assert_eq!(short.slow(5, 0), None);
    }
}
