//! Runtime metrics: what a core is doing, and slow-poll reports.
//!
//! [`Runtime::metrics`] (from outside) and [`current`] (from inside a
//! runtime) return a [`RuntimeMetrics`]: a plain `Copy` snapshot of one
//! runtime's counters since it started (tasks, polls, I/O operations,
//! driver turns, wakes from other threads, timers) and two process-wide
//! figures of the blocking pool. The runtime keeps them with plain
//! increments on its own thread, cheap enough to stay on in release
//! builds; taking a snapshot costs a few loads and one lock (the blocking
//! pool's). Subtract two snapshots to get rates.
//!
//! With [`aio::cores::Cores`](crate::cores::Cores), each core is its own
//! runtime: call [`current`] on each (the `sharded_echo` example's
//! `--stats` prints such a table).
//!
//! A task poll that takes longer than
//! [`RuntimeBuilder::slow_poll_threshold`](crate::RuntimeBuilder::slow_poll_threshold)
//! (100 ms by default) blocked its core: it is counted in
//! [`slow_polls`](RuntimeMetrics::slow_polls) and reported, as a
//! [`SlowPoll`] naming the task's spawn location, to the hook set with
//! [`RuntimeBuilder::on_slow_poll`](crate::RuntimeBuilder::on_slow_poll)
//! (by default, one line on stderr at most once a second).
//!
//! With the `tracing` feature, each task also has a `tracing` span (its id
//! and spawn location) entered while it is polled, and slow polls, a
//! `Driver::Auto` falling back to epoll and a panicking core are `tracing`
//! events.
//!
//! # Examples
//!
//! ```
//! let rt = aio::Runtime::new()?;
//! rt.block_on(async {
//!     let before = aio::metrics::current();
//!     let tasks: Vec<_> = (0..10).map(|i| aio::spawn(async move { i })).collect();
//!     for t in tasks {
//!         t.await.unwrap();
//!     }
//!     let after = aio::metrics::current();
//!     assert_eq!(after.tasks_spawned - before.tasks_spawned, 10);
//!     assert!(after.polls - before.polls >= 10);
//!     assert_eq!(after.tasks_alive, 0);
//! });
//! let m = rt.metrics();
//! assert_eq!(m.ops_in_flight, 0);
//! println!("{} polls in {} driver turns", m.polls, m.driver_turns);
//! # Ok::<(), std::io::Error>(())
//! ```

use crate::blocking::BlockingPool;
use crate::runtime::context;
use crate::runtime::metrics::Counts;
use crate::Runtime;

pub use crate::runtime::metrics::SlowPoll;

/// A snapshot of one runtime's counters, since it started.
///
/// Counters only grow; the fields documented as *now* are gauges. The
/// `blocking_*` fields describe the process-wide blocking pool, which all
/// runtimes share. New fields may be added (the struct is
/// `#[non_exhaustive]`), so read it by field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuntimeMetrics {
    /// Tasks spawned on this runtime (`aio::spawn`, `JoinSet::spawn`,
    /// `spawn_blocking`).
    pub tasks_spawned: u64,
    /// Tasks not finished *now* (spawned and neither complete nor
    /// aborted). The root future of `block_on` is not a task.
    pub tasks_alive: u64,
    /// Task polls (the root future's polls are not counted).
    pub polls: u64,
    /// Times a task was made to yield because it spent its cooperative
    /// budget (128 ready operations in one poll); see
    /// [`aio::task::consume_budget`](crate::task::consume_budget).
    pub budget_yields: u64,
    /// Operations submitted to the I/O driver (reads, writes, accepts,
    /// connects, file operations, ...).
    pub ops_submitted: u64,
    /// Operations whose last completion arrived (cancelled ones included).
    pub ops_completed: u64,
    /// Cancellations requested: an operation's future dropped while in
    /// flight (a `timeout`, a `select` loser, an aborted task), or a
    /// multishot stream dropped before its end.
    pub ops_cancelled: u64,
    /// Operations in flight *now* (submitted, last completion not arrived).
    pub ops_in_flight: u64,
    /// Driver turns: submit what is queued, reap completions, wait in the
    /// kernel when nothing is ready.
    pub driver_turns: u64,
    /// Calls into the kernel's wait: `io_uring_enter` or `epoll_wait`.
    pub driver_syscalls: u64,
    /// io_uring: turns that found the completion queue overflowing (the
    /// kernel held completions back because the queue was full: make
    /// `RuntimeBuilder::entries` bigger), plus completions the kernel
    /// dropped (only kernels before 5.5 drop any). Always 0 on epoll.
    pub cq_overflows: u64,
    /// Tasks woken from other threads, counted when this runtime takes
    /// them from its inbox.
    pub remote_wakes: u64,
    /// Timers armed *now* (sleeps, timeouts, intervals waiting).
    pub timers_active: u64,
    /// Threads of the process-wide blocking pool *now*, busy or idle.
    pub blocking_threads: u64,
    /// Jobs waiting for a thread of the blocking pool *now*.
    pub blocking_queue_depth: u64,
    /// Task polls longer than the slow-poll threshold.
    pub slow_polls: u64,
}

impl RuntimeMetrics {
    fn new(counts: Counts) -> RuntimeMetrics {
        let (threads, queued) = BlockingPool::global().stats();
        let driver = counts.driver;
        RuntimeMetrics {
            tasks_spawned: counts.tasks_spawned,
            tasks_alive: counts.tasks_alive,
            polls: counts.polls,
            budget_yields: counts.budget_yields,
            ops_submitted: driver.submitted,
            ops_completed: driver.completed,
            ops_cancelled: driver.cancelled,
            ops_in_flight: driver.in_flight(),
            driver_turns: driver.turns,
            driver_syscalls: driver.syscalls,
            cq_overflows: driver.cq_overflows,
            remote_wakes: counts.remote_wakes,
            timers_active: counts.timers_active,
            blocking_threads: threads as u64,
            blocking_queue_depth: queued as u64,
            slow_polls: counts.slow_polls,
        }
    }
}

/// The metrics of the runtime running on this thread.
///
/// # Panics
///
/// Panics outside a runtime; use [`Runtime::metrics`] there.
///
/// # Examples
///
/// ```
/// # aio::Runtime::new().unwrap().block_on(async {
/// let m = aio::metrics::current();
/// assert_eq!(m.tasks_alive, 0);
/// # });
/// ```
#[track_caller]
pub fn current() -> RuntimeMetrics {
    match context::try_counts() {
        Some(counts) => RuntimeMetrics::new(counts),
        None => panic!(
            "`aio::metrics::current` must be called from inside an aio runtime (a task or \
             `block_on`); from outside, use `Runtime::metrics` on the runtime"
        ),
    }
}

impl Runtime {
    /// A snapshot of this runtime's counters (see
    /// [`aio::metrics`](crate::metrics)); callable from outside
    /// `block_on`, e.g. after it returned.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = aio::Runtime::new()?;
    /// rt.block_on(async { aio::spawn(async {}).await.unwrap() });
    /// assert_eq!(rt.metrics().tasks_spawned, 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics::new(self.counts())
    }
}
