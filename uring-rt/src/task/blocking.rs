//! `spawn_blocking`: a closure on the process-wide blocking pool, awaited
//! through a task's `JoinHandle`.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::JoinHandle;
use crate::blocking::BlockingPool;
use crate::runtime::{context, Shared};

/// Runs a blocking closure on the blocking thread pool and returns a handle
/// to its result.
///
/// Use it for CPU-heavy work or calls that block (a synchronous library, DNS
/// lookup) so they don't stall the runtime's thread. A panic in `f` is
/// returned through the handle as a [`JoinError`](crate::JoinError).
/// Aborting the handle stops waiting for the result but cannot interrupt `f`.
///
/// # Panics
///
/// Panics if called outside an aio runtime.
///
/// # Examples
///
/// ```
/// # aio::Runtime::new().unwrap().block_on(async {
/// let sum = aio::task::spawn_blocking(|| (1..=100u64).sum::<u64>()).await.unwrap();
/// assert_eq!(sum, 5050);
/// # });
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let slot = Arc::new(Mutex::new(Slot::<R> {
        result: None,
        waker: None,
    }));
    let receiver = BlockingResult { slot: slot.clone() };
    let handle = super::spawn(receiver);
    // Counted until the job has woken its task, so a paused clock does not
    // jump past a deadline while the job runs (see `aio::time::pause`).
    let running = Running(context::with_core(|core| core.shared().clone()));
    running.0.blocking_started();
    BlockingPool::global().execute(Box::new(move || {
        let running = running;
        let result = catch_unwind(AssertUnwindSafe(f));
        let waker = {
            let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
            slot.result = Some(result);
            slot.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        drop(running);
    }));
    handle
}

/// A job of this runtime's on the pool; uncounted when dropped (also if
/// the job is dropped unrun).
struct Running(Arc<Shared>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.blocking_done();
    }
}

struct Slot<R> {
    result: Option<std::thread::Result<R>>,
    waker: Option<Waker>,
}

/// The local task's side: waits for the pool thread's result.
struct BlockingResult<R> {
    slot: Arc<Mutex<Slot<R>>>,
}

impl<R> Future for BlockingResult<R> {
    type Output = R;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        match slot.result.take() {
            Some(Ok(value)) => Poll::Ready(value),
            // Re-raise inside the task so its JoinHandle reports the panic.
            Some(Err(panic)) => {
                drop(slot);
                std::panic::resume_unwind(panic)
            }
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
