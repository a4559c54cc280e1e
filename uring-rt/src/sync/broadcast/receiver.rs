//! [`Receiver`]: one receiving end of a broadcast channel.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::error::{RecvError, TryRecvError};
use super::shared::Shared;
use crate::sync::waiters::Key;

/// Receives every value sent on a broadcast channel after it was created
/// (by [`channel`](super::channel), [`Sender::subscribe`](super::Sender::subscribe)
/// or [`resubscribe`](Self::resubscribe)). Dropping it gives up its share
/// of the values it had not taken, so they are not kept for it.
///
/// ```
/// use aio::sync::broadcast;
///
/// # aio::Runtime::new().unwrap().block_on(async {
/// let (tx, mut rx) = broadcast::channel(8);
/// let mut late = tx.subscribe();
/// let listener = aio::spawn(async move {
///     let mut got = Vec::new();
///     while let Ok(v) = late.recv().await {
///         got.push(v);
///     }
///     got
/// });
/// for i in 0..3 {
///     tx.send(i).unwrap();
/// }
/// drop(tx);
/// assert_eq!(rx.recv().await, Ok(0));
/// assert_eq!(listener.await.unwrap(), [0, 1, 2]);
/// # });
/// ```
///
/// Neither `Send` nor `Sync`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::broadcast::Receiver<u32>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::broadcast::Receiver<u32>>();
/// ```
pub struct Receiver<T> {
    shared: Rc<Shared<T>>,
    /// The position this receiver takes next.
    next: u64,
}

impl<T> Receiver<T> {
    pub(super) fn new(shared: Rc<Shared<T>>, next: u64) -> Self {
        Receiver { shared, next }
    }

    /// How many values were sent that this receiver has not taken,
    /// including ones already overwritten (a lagging receiver's `len` can
    /// exceed the capacity).
    pub fn len(&self) -> usize {
        self.shared.len_from(self.next)
    }

    /// Whether this receiver has taken every value sent so far.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every sender is gone (values may still be waiting here).
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// A new receiver of the same channel that sees the values sent from
    /// now on (not the ones `self` has yet to take).
    pub fn resubscribe(&self) -> Self {
        let next = self.shared.subscribe();
        Receiver::new(Rc::clone(&self.shared), next)
    }

    /// Whether `self` and `other` receive from the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T: Clone> Receiver<T> {
    /// Waits for the next value this receiver has not taken.
    ///
    /// Each ready receive spends one unit of the task's cooperative
    /// budget, so a receiver that always finds values still lets the
    /// core's other tasks run.
    ///
    /// # Errors
    ///
    /// - [`RecvError::Lagged`]`(n)`: `n` values were overwritten before
    ///   this receiver took them. Reported once; the next call returns the
    ///   oldest value still retained.
    /// - [`RecvError::Closed`]: every sender is gone and every value for
    ///   this receiver has been taken.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no value
    /// was taken, and the next receive returns the same one. Waiting
    /// receivers are woken in the order they started waiting.
    pub async fn recv(&mut self) -> Result<T, RecvError> {
        Recv {
            rx: self,
            key: None,
        }
        .await
    }

    /// Takes the next value if there is one now.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if nothing new was sent and senders
    /// remain; [`TryRecvError::Lagged`] and [`TryRecvError::Closed`] as
    /// for [`recv`](Self::recv).
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.shared.try_recv(&mut self.next)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.drop_receiver(self.next);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

/// The future inside [`Receiver::recv`]: `key` is its place in the wait
/// list while it waits (`None` before the first `Pending` and after
/// completion); `Drop` takes it out so nothing dangles.
struct Recv<'a, T> {
    rx: &'a mut Receiver<T>,
    key: Option<Key>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let rx = &mut *this.rx;
        rx.shared
            .poll_recv(&mut rx.next, &mut this.key, cx)
            .map(|res| {
                res.map_err(|err| match err {
                    TryRecvError::Lagged(n) => RecvError::Lagged(n),
                    TryRecvError::Closed => RecvError::Closed,
                    TryRecvError::Empty => unreachable!("poll_recv waits instead of Empty"),
                })
            })
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        self.rx.shared.unpark(&mut self.key);
    }
}
