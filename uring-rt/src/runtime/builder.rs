use std::io;
use std::sync::Arc;
use std::time::Duration;

use super::core::Core;
use super::metrics::{SlowPoll, SlowPollHook};
use super::Runtime;
use crate::Driver;

/// Configures and builds a [`Runtime`].
///
/// ```
/// let rt = aio::RuntimeBuilder::new().entries(512).driver(aio::Driver::Auto).build()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RuntimeBuilder {
    pub(crate) entries: u32,
    pub(crate) driver: Driver,
    pub(crate) start_paused: bool,
    pub(crate) slow_poll_threshold: Duration,
    /// `None`: the default hook (a rate-limited line on stderr).
    pub(crate) slow_poll_hook: Option<SlowPollHook>,
}

/// The default [`RuntimeBuilder::slow_poll_threshold`].
const DEFAULT_SLOW_POLL_THRESHOLD: Duration = Duration::from_millis(100);

impl RuntimeBuilder {
    /// Default settings: 256 submission entries, [`Driver::Auto`], a
    /// 100 ms slow-poll threshold reported by a line on stderr.
    pub fn new() -> RuntimeBuilder {
        RuntimeBuilder {
            entries: 256,
            driver: Driver::Auto,
            start_paused: false,
            slow_poll_threshold: DEFAULT_SLOW_POLL_THRESHOLD,
            slow_poll_hook: None,
        }
    }

    /// The io_uring submission queue size (rounded up to a power of two by
    /// the kernel). More operations than this may be in flight at once: a
    /// full queue is flushed to the kernel, never an error. Ignored by epoll.
    ///
    /// # Panics
    ///
    /// Panics if `entries` is 0.
    #[track_caller]
    pub fn entries(mut self, entries: u32) -> RuntimeBuilder {
        assert!(entries > 0, "RuntimeBuilder::entries must be at least 1");
        self.entries = entries;
        self
    }

    /// Which backend to use. [`Driver::Auto`] (the default) picks io_uring
    /// when it works and epoll otherwise; `AIO_DRIVER=uring|epoll` in the
    /// environment overrides `Auto` (only).
    pub fn driver(mut self, driver: Driver) -> RuntimeBuilder {
        self.driver = driver;
        self
    }

    /// Starts the runtime with its clock paused (default `false`), as
    /// [`aio::time::pause`](crate::time::pause) would as the first thing
    /// it runs: for tests of timeouts and intervals, which then take no
    /// real time. `#[aio::test(start_paused = true)]` sets it.
    pub fn start_paused(mut self, paused: bool) -> RuntimeBuilder {
        self.start_paused = paused;
        self
    }

    /// A task poll that takes longer than `threshold` (default 100 ms) is
    /// a *slow poll*: it blocked the core, and every other task, timer and
    /// completion of the core waited. Each one increments
    /// [`RuntimeMetrics::slow_polls`](crate::metrics::RuntimeMetrics::slow_polls)
    /// and is reported to the [`on_slow_poll`](Self::on_slow_poll) hook
    /// (and, with the `tracing` feature, as a `WARN` event).
    /// `Duration::ZERO` turns the detector off: polls are then not timed.
    ///
    /// Thresholds of ten kernel ticks or more (the default is) are timed
    /// with the kernel's coarse clock, a few nanoseconds per poll; shorter
    /// ones with `Instant`, ~25 ns per reading.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = aio::RuntimeBuilder::new()
    ///     .slow_poll_threshold(Duration::from_millis(20))
    ///     .build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn slow_poll_threshold(mut self, threshold: Duration) -> RuntimeBuilder {
        self.slow_poll_threshold = threshold;
        self
    }

    /// Calls `hook` on the runtime's thread after each slow poll (see
    /// [`slow_poll_threshold`](Self::slow_poll_threshold)), with the task's
    /// id, its spawn location and how long the poll took, instead of the
    /// default: one line on stderr naming the spawn location and the
    /// duration, at most one a second per runtime (the line says how many
    /// it left out).
    ///
    /// The hook runs on the core that made the slow poll, between two
    /// polls, so it should be quick. It must be `Send + Sync` because a
    /// builder serves every core of [`aio::cores::Cores`](crate::cores::Cores).
    /// A panic in the hook propagates out of `block_on`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    ///
    /// let slow = Arc::new(AtomicU64::new(0));
    /// let seen = slow.clone();
    /// let rt = aio::RuntimeBuilder::new()
    ///     .slow_poll_threshold(Duration::from_millis(5))
    ///     .on_slow_poll(move |info: &aio::metrics::SlowPoll| {
    ///         eprintln!("{} at {}", info.duration.as_millis(), info.location);
    ///         seen.fetch_add(1, Ordering::Relaxed);
    ///     })
    ///     .build()?;
    /// rt.block_on(async {
    ///     // Blocks the core: never do this in a task.
    ///     aio::spawn(async { std::thread::sleep(Duration::from_millis(20)) }).await
    /// })
    /// .unwrap();
    /// assert_eq!(slow.load(Ordering::Relaxed), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn on_slow_poll<F>(mut self, hook: F) -> RuntimeBuilder
    where
        F: Fn(&SlowPoll) + Send + Sync + 'static,
    {
        self.slow_poll_hook = Some(SlowPollHook(Arc::new(hook)));
        self
    }

    /// Builds the runtime on the current thread.
    ///
    /// # Errors
    ///
    /// With [`Driver::IoUring`], fails if io_uring cannot start here; the
    /// error names the errno and the likely cause (seccomp, the
    /// `kernel.io_uring_disabled` sysctl, the memlock limit, the kernel
    /// version). Any driver fails if the process is out of file descriptors
    /// or memory.
    pub fn build(&self) -> io::Result<Runtime> {
        Ok(Runtime::from_core(Core::new(self)?))
    }
}

impl Default for RuntimeBuilder {
    fn default() -> Self {
        RuntimeBuilder::new()
    }
}
