//! [`Receiver`], one subscriber of a cross-core broadcast, and its
//! [`RecvFuture`] future.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::shared::{Shared, Take};
use super::{RecvError, TryRecvError};
use crate::cores::thread_waker::block_on_thread;

/// One subscriber of a [`broadcast`](crate::cores::broadcast()) channel: it sees
/// every value sent after it subscribed, in order, unless it falls more
/// than the capacity behind (then [`RecvError::Lagged`] says how many it
/// missed).
///
/// A receiver is `Send`: create it anywhere, move it to the core (or
/// plain thread) that consumes. Get more with [`Sender::subscribe`] or
/// [`resubscribe`](Self::resubscribe); a receiver is not `Clone`, as in
/// tokio.
///
/// [`Sender::subscribe`]: super::Sender::subscribe
pub struct Receiver<T> {
    pub(super) shared: Arc<Shared<T>>,
    /// Position of the next value this receiver sees.
    pub(super) next: u64,
    /// Registration among the parked receivers while parked.
    pub(super) key: Option<u64>,
}

// Only positions and keys are stored, never a value, so the receiver may
// move freely whatever `T` is (needed for `Stream`-style polling).
impl<T> Unpin for Receiver<T> {}

impl<T: Clone> Receiver<T> {
    /// Receives the next value, waiting while there is none.
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let (tx, mut rx) = aio::cores::broadcast::<&str>(16);
    /// aio::Runtime::new()?.block_on(async move {
    ///     tx.send("hello").unwrap();
    ///     drop(tx);
    ///     assert_eq!(rx.recv().await, Ok("hello"));
    ///     assert_eq!(rx.recv().await, Err(aio::cores::broadcast::RecvError::Closed));
    /// });
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// While waiting the task is parked: it is polled again only when a
    /// value or the end arrives, and its core's thread sleeps in the ring if
    /// nothing else is runnable. A burst of sends wakes it once. A receiver
    /// that keeps finding values yields to its core's other tasks after a
    /// bounded number of them (the cooperative budget).
    ///
    /// # Errors
    /// - [`RecvError::Lagged(n)`](RecvError::Lagged): the receiver fell
    ///   more than the capacity behind and `n` values were overwritten
    ///   before it saw them. Reported once; the next call returns the
    ///   oldest value still held.
    /// - [`RecvError::Closed`]: every sender is gone and this receiver saw
    ///   every value.
    ///
    /// # Cancel safety
    /// Cancel safe: a value is taken only when the future completes, so
    /// dropping it (e.g. losing a race against a timeout) loses nothing.
    pub fn recv(&mut self) -> RecvFuture<'_, T> {
        RecvFuture { receiver: self }
    }

    /// Takes the next value if there is one, never waiting.
    ///
    /// ```
    /// use aio::cores::broadcast::TryRecvError;
    ///
    /// let (tx, mut rx) = aio::cores::broadcast::<u32>(2);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// for i in 1..=3 {
    ///     tx.send(i).unwrap();
    /// }
    /// // Capacity 2: value 1 was overwritten before `rx` saw it.
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(1)));
    /// assert_eq!(rx.try_recv(), Ok(2));
    /// assert_eq!(rx.try_recv(), Ok(3));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] when nothing new was sent,
    /// [`TryRecvError::Lagged`] as for [`recv`](Self::recv),
    /// [`TryRecvError::Closed`] when nothing new was sent and every sender
    /// is gone.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.take(None) {
            Poll::Ready(Ok(v)) => Ok(v),
            Poll::Ready(Err(RecvError::Lagged(n))) => Err(TryRecvError::Lagged(n)),
            Poll::Ready(Err(RecvError::Closed)) => Err(TryRecvError::Closed),
            Poll::Pending => Err(TryRecvError::Empty),
        }
    }

    /// Receives from a plain (non-runtime) thread, blocking it while there
    /// is nothing new. Same results as [`recv`](Self::recv).
    ///
    /// ```
    /// let (tx, mut rx) = aio::cores::broadcast::<u32>(8);
    /// let t = std::thread::spawn(move || rx.recv_blocking());
    /// tx.send(7).unwrap();
    /// assert_eq!(t.join().unwrap(), Ok(7));
    /// ```
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    ///
    /// # Panics
    /// When called on a thread running an aio runtime (it would stall
    /// every task of that core); use `recv().await` there.
    #[track_caller]
    pub fn recv_blocking(&mut self) -> Result<T, RecvError> {
        block_on_thread("broadcast::Receiver::recv_blocking", self.recv())
    }

    /// Polls for the next value: the body of [`recv`](Self::recv), for
    /// hand-written futures. Spends one unit of the cooperative budget
    /// when it returns `Ready`.
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// let (tx, mut rx) = aio::cores::broadcast::<u8>(4);
    /// tx.send(1).unwrap();
    /// let v = aio::Runtime::new().unwrap().block_on(poll_fn(|cx| rx.poll_recv(cx)));
    /// assert_eq!(v, Ok(1));
    /// ```
    ///
    /// # Errors
    /// As [`recv`](Self::recv).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        if crate::coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let res = self.take(Some(cx));
        if res.is_pending() {
            crate::coop::refund();
        }
        res
    }

    /// Hands out what the receiver is owed; with `cx`, parks it when there
    /// is nothing.
    fn take(&mut self, cx: Option<&mut Context<'_>>) -> Poll<Result<T, RecvError>> {
        let mut st = self.shared.lock();
        let res = match self.shared.take(&mut st, &mut self.next) {
            Take::Value(v) => Ok(v),
            Take::Lagged(n) => Err(RecvError::Lagged(n)),
            Take::Closed => Err(RecvError::Closed),
            Take::Empty => {
                if let Some(cx) = cx {
                    st.waiters.register(&mut self.key, cx.waker());
                }
                return Poll::Pending;
            }
        };
        // Not waiting any more: a later send need not wake this task.
        if let Some(key) = self.key.take() {
            st.waiters.remove(key);
        }
        Poll::Ready(res)
    }
}

impl<T> Receiver<T> {
    /// A new receiver of the same channel that sees the values sent from
    /// now on (not those this one has yet to see), as tokio's.
    ///
    /// ```
    /// let (tx, mut rx) = aio::cores::broadcast::<u32>(8);
    /// tx.send(1).unwrap();
    /// let mut late = rx.resubscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(late.try_recv(), Ok(2));
    /// ```
    pub fn resubscribe(&self) -> Receiver<T> {
        Receiver {
            next: self.shared.subscribe(),
            shared: Arc::clone(&self.shared),
            key: None,
        }
    }

    /// The bound given to [`broadcast`](crate::cores::broadcast()): how many values
    /// are kept for a receiver that falls behind.
    pub fn capacity(&self) -> usize {
        self.shared.capacity
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let seen = {
            let mut st = self.shared.lock();
            self.shared
                .drop_receiver(&mut st, self.next, self.key.take())
        };
        // Values nobody else was waiting for are dropped outside the lock.
        drop(seen);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Receiver")
            .field("capacity", &self.shared.capacity)
            .field("next", &self.next)
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

impl<T: Clone> Future for RecvFuture<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().receiver.poll_recv(cx)
    }
}

impl<T> Drop for RecvFuture<'_, T> {
    fn drop(&mut self) {
        // A cancelled wait leaves no waker behind to be woken for nothing.
        if let Some(key) = self.receiver.key.take() {
            self.receiver.shared.lock().waiters.remove(key);
        }
    }
}

impl<T> fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("broadcast::RecvFuture")
    }
}
