//! The runtime: one executor and one I/O driver on the current thread.
//!
//! [`Runtime::block_on`] runs the event loop: poll the root future when it
//! was woken, run every ready task once, fire expired timers, then make one
//! driver turn — submit everything queued and reap completions, waiting in
//! the kernel (bounded by the nearest timer) only when nothing is runnable.

mod builder;
pub(crate) mod context;
mod core;
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

use self::core::Core;
use crate::Driver;

/// A single-threaded aio runtime: an executor, a timer wheel and an I/O
/// driver (io_uring, or epoll where io_uring is unavailable).
///
/// A `Runtime` is `!Send`: it runs on the thread that built it. For one
/// runtime per core, see [`aio::cores`](crate::cores).
///
/// Dropping the runtime drops every task, cancels every in-flight operation
/// and waits (boundedly) for the kernel to finish with their buffers;
/// anything the kernel still owns after that is leaked, never freed.
pub struct Runtime {
    core: Rc<Core>,
}

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
        }
    }

    /// The backend this runtime runs on (never [`Driver::Auto`]).
    pub fn driver(&self) -> Driver {
        self.core.kind()
    }

    /// Runs `future` to completion on this thread, driving every spawned
    /// task and all I/O meanwhile, and returns its output.
    ///
    /// The future may borrow from the caller and need not be `Send`. A panic
    /// in it propagates to the caller (a panic in a spawned task does not:
    /// it is reported through that task's `JoinHandle`).
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
        let root = Arc::new(RootWaker {
            woken: AtomicBool::new(true),
            shared: self.core.shared().clone(),
        });
        let waker = Waker::from(root.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            if root.woken.swap(false, Ordering::Acquire) {
                if let Poll::Ready(out) = crate::coop::budgeted(|| future.as_mut().poll(&mut cx)) {
                    std::mem::forget(flush);
                    self.core.driver().flush()?;
                    return Ok(out);
                }
            }
            let busy = self.core.tick() || root.woken.load(Ordering::Relaxed);
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

impl Drop for Runtime {
    fn drop(&mut self) {
        let _enter = context::enter_for_shutdown(&self.core);
        self.core.shutdown();
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
