use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::raw::{TaskRef, COMPLETE, JOIN_INTEREST};
use super::{AbortHandle, Id, JoinError};

/// An owned permission to await a spawned task's output.
///
/// Awaiting it yields `Ok(output)`, or a [`JoinError`] if the task panicked
/// or was aborted. Dropping the handle detaches the task: it keeps running
/// and its output is dropped when it finishes. A `JoinHandle` is `!Send`,
/// like the task it belongs to.
///
/// # Cancel safety
///
/// Awaiting is cancel safe: dropping the `.await` loses nothing, the handle
/// can be awaited again (if it was not moved into the dropped future).
pub struct JoinHandle<T> {
    raw: TaskRef,
    // !Send + !Sync: the task lives on one runtime thread.
    _marker: PhantomData<(*const (), T)>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(raw: TaskRef) -> JoinHandle<T> {
        JoinHandle {
            raw,
            _marker: PhantomData,
        }
    }

    /// Cancels the task. If it has not finished, its future is dropped the
    /// next time the runtime gets to it (releasing everything it owns:
    /// sockets are closed, in-flight operations are cancelled) and awaiting
    /// this handle yields a [`JoinError`] whose `is_cancelled()` is true.
    /// Aborting a finished task does nothing.
    ///
    /// A task that aborts itself (through its own handle) runs until its
    /// next `.await` that returns `Pending`, and is dropped then.
    pub fn abort(&self) {
        self.raw.request_abort();
    }

    /// A handle that can abort the task from any thread (it is
    /// `Send + Sync`), without the right to await its output.
    ///
    /// # Examples
    ///
    /// ```
    /// # aio::Runtime::new().unwrap().block_on(async {
    /// let handle = aio::spawn(std::future::pending::<()>());
    /// let abort = handle.abort_handle();
    /// std::thread::spawn(move || abort.abort()).join().unwrap();
    /// assert!(handle.await.unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn abort_handle(&self) -> AbortHandle {
        AbortHandle::new(self.raw.clone_ref())
    }

    /// The task's id, the same as [`aio::task::id()`](crate::task::id)
    /// returns inside it.
    pub fn id(&self) -> Id {
        self.raw.id()
    }

    /// Whether the task has finished (completed, panicked or been aborted).
    pub fn is_finished(&self) -> bool {
        self.raw.state() & COMPLETE != 0
    }
}

// The output lives in the task's cell, not in the handle: nothing of `T`
// is pinned through a `JoinHandle`, so it is `Unpin` whatever `T` is.
impl<T> Unpin for JoinHandle<T> {}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.raw.state() & COMPLETE != 0 {
            // SAFETY: we are on the owner thread (JoinHandle is !Send), T is
            // the task's output type (set by spawn), and the task is complete.
            Poll::Ready(unsafe { self.raw.read_output::<T>() })
        } else {
            self.raw.set_join_waker(cx.waker());
            Poll::Pending
        }
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let state = self.raw.state();
        self.raw.set_state(state & !JOIN_INTEREST);
        drop(self.raw.take_join_waker());
        if state & COMPLETE != 0 {
            // Nobody will read the output now.
            self.raw.drop_stage();
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}
