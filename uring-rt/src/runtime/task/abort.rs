//! [`AbortHandle`]: the right to cancel a task, from any thread.

use std::fmt;

use super::raw::TaskRef;
use super::Id;

/// Cancels a spawned task from any thread; made by
/// [`JoinHandle::abort_handle`](crate::task::JoinHandle::abort_handle).
///
/// Unlike the `JoinHandle`, it is `Send + Sync` and cannot await the
/// output. [`abort`](Self::abort) from a thread other than the task's runtime
/// queues the request in that runtime's inbox and wakes the runtime (out of
/// `io_uring_enter` or `epoll_wait`, through the same path a waker takes), so
/// the task is dropped on its own thread. Dropping an `AbortHandle` does
/// nothing to the task.
///
/// # Examples
///
/// ```
/// # aio::Runtime::new().unwrap().block_on(async {
/// let handle = aio::spawn(aio::time::sleep(std::time::Duration::from_secs(3600)));
/// let abort = handle.abort_handle();
/// std::thread::spawn(move || abort.abort());
/// assert!(handle.await.unwrap_err().is_cancelled());
/// # });
/// ```
pub struct AbortHandle {
    raw: TaskRef,
}

// SAFETY: `TaskRef` is `Send` (the task's cell is shared by reference
// count, atomically). Through `&AbortHandle`, any thread only reaches the
// header's atomics (`refs`, `flags`), its immutable `id` and `owner`
// (`Arc<Shared>`, which is `Sync`), and `runtime::schedule`, which touches
// the task's owner-only state only on the owner's thread and otherwise
// pushes into the owner's mutex-guarded inbox. Nothing `!Sync` (the state
// cell, the stage, the join waker) is reached off the owner thread.
unsafe impl Sync for AbortHandle {}

impl AbortHandle {
    pub(crate) fn new(raw: TaskRef) -> AbortHandle {
        AbortHandle { raw }
    }

    /// Cancels the task, as [`JoinHandle::abort`](crate::task::JoinHandle::abort)
    /// does: if it has not finished, its future is dropped on its runtime's
    /// thread the next time that runtime gets to it, and its `JoinHandle`
    /// yields a cancelled [`JoinError`](crate::task::JoinError). Callable
    /// from any thread; aborting a finished task does nothing. If the
    /// runtime has already been dropped, so has the task.
    pub fn abort(&self) {
        self.raw.request_abort();
    }

    /// Whether the task has finished: completed, panicked, or been dropped
    /// after an abort. Right after [`abort`](Self::abort) it may still be
    /// `false`, until the task's runtime has dropped the future.
    pub fn is_finished(&self) -> bool {
        self.raw.is_done()
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.raw.id()
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}
