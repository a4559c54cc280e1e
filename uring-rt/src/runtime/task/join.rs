use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::raw::{TaskRef, CANCELLED, COMPLETE, JOIN_INTEREST};
use super::JoinError;

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
    pub fn abort(&self) {
        let state = self.raw.state();
        if state & (COMPLETE | CANCELLED) == 0 {
            self.raw.set_state(state | CANCELLED);
            crate::runtime::schedule(self.raw.clone_ref());
        }
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
            .field("finished", &self.is_finished())
            .finish()
    }
}
