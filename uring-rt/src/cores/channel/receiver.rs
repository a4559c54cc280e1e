//! [`Receiver`], the receiving half of a cross-core channel, and its
//! [`RecvFuture`].

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::shared::Shared;
use super::TryRecvError;
use crate::cores::thread_waker::block_on_thread;

/// The receiving half of a [`channel`](super::channel). There is one; move
/// it to the core that consumes the messages.
///
/// The receiver takes every queued message in one go (one lock for a whole
/// burst) and hands them out one by one from a private batch. A message
/// counts against the channel's capacity until it is handed out.
pub struct Receiver<T> {
    pub(super) shared: Arc<Shared<T>>,
    /// Messages taken from the shared queue, not yet handed out. Its
    /// allocation is swapped back into the shared queue on the next take,
    /// so a steady stream allocates nothing.
    pub(super) batch: VecDeque<T>,
}

// The batch is a queue of values that are moved, never pinned in place, so
// the receiver may move freely whatever `T` is (needed for `Stream`).
impl<T> Unpin for Receiver<T> {}

impl<T> Receiver<T> {
    /// Receives the next message, waiting while the channel is empty.
    /// Returns `None` once every [`Sender`](super::Sender) is gone and every
    /// message sent before has been received.
    ///
    /// While waiting the task is parked: it is polled again only when a
    /// message or the end arrives, and its core's thread sleeps in the ring
    /// if nothing else is runnable. A burst of sends wakes it once.
    ///
    /// # Cancel safety
    /// Cancel safe: a message is taken only when the future completes, so
    /// dropping it (e.g. losing a race against a timeout) loses nothing.
    pub fn recv(&mut self) -> RecvFuture<'_, T> {
        RecvFuture { receiver: self }
    }

    /// Takes the next message if one is queued, never waiting.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] when nothing is queued,
    /// [`TryRecvError::Disconnected`] when nothing is queued and every
    /// sender is gone.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.take(None) {
            Poll::Ready(Some(v)) => Ok(v),
            Poll::Ready(None) => Err(TryRecvError::Disconnected),
            Poll::Pending => Err(TryRecvError::Empty),
        }
    }

    /// Receives from a plain (non-runtime) thread, blocking it while the
    /// channel is empty. Same results as [`recv`](Self::recv).
    ///
    /// # Panics
    /// When called on a thread running an aio runtime (it would stall
    /// every task of that core); use `recv().await` there.
    #[track_caller]
    pub fn recv_blocking(&mut self) -> Option<T> {
        block_on_thread("Receiver::recv_blocking", self.recv())
    }

    /// Polls for the next message: the body of [`recv`](Self::recv), for
    /// hand-written futures.
    ///
    /// A receiver that keeps finding messages yields to the core's other
    /// tasks after a bounded number of them (the cooperative budget).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if crate::coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let res = self.take(Some(cx));
        if res.is_pending() {
            crate::coop::refund();
        }
        res
    }

    /// Hands out the next message; with `cx`, parks the receiver when there
    /// is none.
    fn take(&mut self, cx: Option<&mut Context<'_>>) -> Poll<Option<T>> {
        if let Some(v) = self.batch.pop_front() {
            self.shared.release(1);
            return Poll::Ready(Some(v));
        }
        let mut st = self.shared.lock();
        if !st.queue.is_empty() {
            mem::swap(&mut st.queue, &mut self.batch);
            drop(st);
            let Some(v) = self.batch.pop_front() else {
                unreachable!("a non-empty queue was just swapped in");
            };
            self.shared.release(1);
            return Poll::Ready(Some(v));
        }
        if st.senders == 0 {
            return Poll::Ready(None);
        }
        if let Some(cx) = cx {
            match &mut st.rx_waker {
                Some(w) => w.clone_from(cx.waker()),
                None => st.rx_waker = Some(cx.waker().clone()),
            }
        }
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // Messages still queued are dropped here, outside the lock.
        drop(self.shared.close_receiver());
    }
}

impl<T> futures_core::Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().poll_recv(cx)
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("capacity", &self.shared.capacity)
            .finish_non_exhaustive()
    }
}

/// The future of [`Receiver::recv`].
///
/// # Cancel safety
/// See [`Receiver::recv`].
#[must_use = "futures do nothing unless awaited"]
pub struct RecvFuture<'a, T> {
    receiver: &'a mut Receiver<T>,
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().receiver.poll_recv(cx)
    }
}

impl<T> fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecvFuture")
    }
}
