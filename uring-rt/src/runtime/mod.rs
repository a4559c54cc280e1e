//! The runtime: one executor and one I/O driver on the current thread.
//!
//! [`Runtime::block_on`] runs the event loop: poll the root future when it
//! was woken, run every ready task once, fire expired timers, then make one
//! driver turn — submit everything queued and reap completions, waiting in
//! the kernel (bounded by the nearest timer) only when nothing is runnable.

mod builder;
pub(crate) mod context;
mod core;
pub(crate) mod metrics;
mod shared;
pub(crate) mod task;
pub(crate) mod time;

pub use builder::RuntimeBuilder;
pub(crate) use context::schedule;
pub(crate) use shared::Shared;

use std::future::Future;
use std::io;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use self::core::Core;
use crate::Driver;

/// A single-threaded aio runtime: an executor, a timer wheel and an I/O
/// driver (io_uring, or epoll where io_uring is unavailable).
///
/// A `Runtime` is `!Send`: it runs on the thread that built it. For one
/// runtime per core, see [`aio::cores`](crate::cores).
///
/// # Teardown
///
/// Dropping the runtime (or [`shutdown_timeout`](Self::shutdown_timeout))
/// tears it down in this order, on the runtime's thread:
///
/// 1. Remote wakes and aborts are refused from then on; those queued are
///    released.
/// 2. Every spawned task's future is dropped (tasks their destructors spawn
///    too); a `JoinHandle` still held yields a cancelled
///    [`JoinError`](crate::JoinError).
/// 3. Every in-flight operation is cancelled, and the runtime waits for
///    the kernel to finish with their buffers, for at most the grace period
///    (1 s when the runtime is dropped; the argument of `shutdown_timeout`).
///    Whatever the kernel still owns after that is leaked, never freed.
/// 4. Timers and the driver (the ring or the epoll instance) go.
///
/// A destructor that panics during steps 2–3 does not cut the teardown
/// short: the first such panic is re-raised once step 4 is done, so the
/// kernel never writes into memory that the unwinding freed.
///
/// Panics elsewhere follow tokio's (and compio's) rules:
///
/// - A task that panics in `poll` has its future dropped during that unwind
///   (its destructors see [`std::thread::panicking`] return `true`); the
///   panic is caught there and reported through its `JoinHandle`. The
///   runtime keeps running.
/// - When the root future of [`block_on`](Self::block_on) panics, every
///   spawned task is dropped (step 2 above, also with
///   `thread::panicking()` true) before the panic leaves `block_on`. A
///   task's destructor that panics then is contained and its panic lost,
///   since a second panic escaping during an unwind would abort the
///   process. The runtime itself stays usable.
pub struct Runtime {
    core: Rc<Core>,
    /// How long dropping waits for the kernel to finish with cancelled ops.
    grace: Duration,
}

/// The grace period of a runtime that is simply dropped.
const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

impl Runtime {
    /// Builds a runtime with the default settings ([`Driver::Auto`]).
    ///
    /// # Errors
    ///
    /// Fails if no I/O backend can start (e.g. the process is out of file
    /// descriptors or memory).
    pub fn new() -> io::Result<Runtime> {
        RuntimeBuilder::new().build()
    }

    pub(crate) fn from_core(core: Core) -> Runtime {
        Runtime {
            core: Rc::new(core),
            grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }

    /// The backend this runtime runs on (never [`Driver::Auto`]).
    pub fn driver(&self) -> Driver {
        self.core.kind()
    }

    /// The counters behind [`Runtime::metrics`](Self::metrics) (which
    /// `crate::metrics` implements, keeping the public type there).
    pub(crate) fn counts(&self) -> metrics::Counts {
        self.core.counts()
    }

    /// Shuts the runtime down, waiting at most `timeout` for the kernel to
    /// finish with cancelled operations, instead of the 1 s a plain drop
    /// waits (see [Teardown](Self#teardown) for the whole order).
    ///
    /// Every task is dropped first, so `timeout` bounds only the wait for
    /// operations the kernel does not finish promptly once cancelled (a
    /// blocking-pool job stuck in `open(2)` on a FIFO, a file on a hung
    /// network mount). Their buffers and descriptors are leaked, never
    /// freed under the kernel. `Duration::ZERO` does not wait at all, as
    /// tokio's `shutdown_background` does not.
    ///
    /// # Panics
    ///
    /// Re-raises the first panic of a task's or buffer's destructor, once
    /// the teardown is complete.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = aio::Runtime::new()?;
    /// rt.block_on(async {
    ///     aio::spawn(aio::time::sleep(Duration::from_secs(3600)));
    /// });
    /// rt.shutdown_timeout(Duration::from_millis(100));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.grace = timeout;
        drop(self);
    }

    /// Runs `future` to completion on this thread, driving every spawned
    /// task and all I/O meanwhile, and returns its output.
    ///
    /// The future may borrow from the caller and need not be `Send`. A panic
    /// in it propagates to the caller, after every spawned task has been
    /// dropped (see [Teardown](Self#teardown)); a panic in a spawned task
    /// does not: it is reported through that task's `JoinHandle`.
    ///
    /// # Panics
    ///
    /// Panics if called from inside a runtime (nesting would block the outer
    /// one), or if the I/O driver fails in a way it cannot recover from (the
    /// message names the errno); [`try_block_on`](Self::try_block_on)
    /// returns that error instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = aio::Runtime::new()?;
    /// let answer = rt.block_on(async { aio::spawn(async { 42 }).await.unwrap() });
    /// assert_eq!(answer, 42);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        match self.try_block_on(future) {
            Ok(out) => out,
            Err(e) => panic!("aio: the I/O driver failed and cannot continue: {e}"),
        }
    }

    /// Like [`block_on`](Self::block_on), but an error that ends the I/O
    /// driver is returned instead of panicking.
    ///
    /// Transient failures of the kernel interface (`EINTR`, and `EAGAIN`,
    /// `EBUSY` or `ENOMEM` from `io_uring_enter` while the completion queue
    /// overflows or the kernel is short of memory) are retried with backoff
    /// and never reach the caller unless they persist for seconds.
    ///
    /// # Errors
    ///
    /// The errno of the driver call that failed (`io_uring_enter`,
    /// `epoll_wait`). The future is dropped; the runtime should be dropped
    /// too, since its driver cannot be trusted to make progress.
    ///
    /// # Panics
    ///
    /// Panics if called from inside a runtime; a panic in `future`
    /// propagates.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = aio::Runtime::new()?;
    /// let answer = rt.try_block_on(async { 6 * 7 })?;
    /// assert_eq!(answer, 42);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn try_block_on<F: Future>(&self, future: F) -> io::Result<F::Output> {
        let _enter = context::enter(&self.core);
        // Declared after `_enter`, so it runs first: whatever way this
        // returns (a panic included), queued SQEs reach the kernel, above
        // all MSG_RINGs waking other cores.
        let flush = FlushOnExit(&self.core);
        // Declared after `flush`, so it runs first, inside the runtime's
        // context (task destructors may cancel ops and disarm timers).
        let unwinding = DropTasksOnUnwind(&self.core);
        let out = self.run(future);
        std::mem::forget(unwinding);
        let out = out?;
        std::mem::forget(flush);
        self.core.driver().flush()?;
        Ok(out)
    }

    /// `try_block_on`'s loop, with the runtime entered: polls `future` to
    /// completion.
    fn run<F: Future>(&self, future: F) -> io::Result<F::Output> {
        let root = Arc::new(RootWaker {
            woken: AtomicBool::new(true),
            shared: self.core.shared().clone(),
        });
        let waker = Waker::from(root.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            if root.woken.swap(false, Ordering::Acquire) {
                self.core.polling_root();
                if let Poll::Ready(out) = crate::coop::budgeted(|| future.as_mut().poll(&mut cx)) {
                    return Ok(out);
                }
            }
            let busy = self.core.tick() || root.woken.load(Ordering::Relaxed);
            if !busy
                && self
                    .core
                    .auto_advance(|| root.woken.load(Ordering::Relaxed))?
            {
                continue; // the next park fires the timer now due
            }
            self.core.park(busy)?;
        }
    }
}

/// Flushes the driver's submission queue when `block_on` is left early.
struct FlushOnExit<'a>(&'a Core);

impl Drop for FlushOnExit<'_> {
    fn drop(&mut self) {
        // Nobody to report an error to while unwinding; the driver already
        // fell back to eventfd wakes for any MSG_RING it could not send.
        let _ = self.0.driver().flush();
    }
}

/// Drops every spawned task when `block_on` unwinds; forgotten otherwise.
struct DropTasksOnUnwind<'a>(&'a Core);

impl Drop for DropTasksOnUnwind<'_> {
    fn drop(&mut self) {
        self.0.drop_tasks_unwinding();
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let _enter = context::enter_for_shutdown(&self.core);
        self.core.shutdown(self.grace);
    }
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("driver", &self.driver())
            .finish()
    }
}

/// The waker of `block_on`'s root future.
struct RootWaker {
    woken: AtomicBool,
    shared: Arc<Shared>,
}

impl Wake for RootWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        if !context::is_owner(&self.shared) {
            // The loop may be parked in the kernel: signal its eventfd.
            self.shared.notify();
        }
    }
}
