//! [`Sender`], the sending half of a cross-core channel, and its
//! [`SendFuture`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::shared::Shared;
use super::{SendError, TrySendError};
use crate::cores::thread_waker::block_on_thread;

/// The sending half of a [`channel`](super::channel). Clone it to have
/// several producers; move clones to other cores or to plain threads.
pub struct Sender<T> {
    pub(super) shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting while the channel is full.
    ///
    /// Waiting senders are served first come, first served, though a
    /// sender that arrives just as room appears may go first.
    ///
    /// # Errors
    /// [`SendError`] with the value when the receiver is gone (before or
    /// while waiting).
    ///
    /// # Cancel safety
    /// Cancel safe: if the future is dropped before it completes, the value
    /// was not sent (it is dropped with the future), and a wakeup it had
    /// received is passed on to the next waiting sender.
    pub fn send(&self, value: T) -> SendFuture<'_, T> {
        SendFuture {
            sender: self,
            value: Some(value),
            key: None,
        }
    }

    /// Sends `value` if there is room right now, never waiting.
    ///
    /// # Errors
    /// [`TrySendError::Full`] when `capacity` messages are queued,
    /// [`TrySendError::Closed`] when the receiver is gone; both carry the
    /// value back.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let waker = {
            let mut st = self.shared.lock();
            self.shared.push(&mut st, value)?
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// Sends `value` from a plain (non-runtime) thread, blocking the thread
    /// while the channel is full.
    ///
    /// # Errors
    /// [`SendError`] with the value when the receiver is gone.
    ///
    /// # Panics
    /// When called on a thread running an aio runtime (it would stall
    /// every task of that core); use `send(v).await` there.
    #[track_caller]
    pub fn send_blocking(&self, value: T) -> Result<(), SendError<T>> {
        block_on_thread("Sender::send_blocking", self.send(value))
    }

    /// `true` once the receiver is gone; every send fails from then on.
    pub fn is_closed(&self) -> bool {
        !self.shared.lock().rx_alive
    }

    /// The bound given to [`channel`](super::channel).
    pub fn capacity(&self) -> usize {
        self.shared.capacity
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.lock().senders += 1;
        Sender {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut st = self.shared.lock();
            st.senders -= 1;
            if st.senders == 0 {
                st.rx_waker.take()
            } else {
                None
            }
        };
        // The last sender is gone: a parked receiver must see the end.
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("capacity", &self.shared.capacity)
            .finish_non_exhaustive()
    }
}

/// The future of [`Sender::send`].
///
/// # Cancel safety
/// See [`Sender::send`].
#[must_use = "futures do nothing unless awaited"]
pub struct SendFuture<'a, T> {
    sender: &'a Sender<T>,
    /// The value, until it is queued or handed back in an error.
    value: Option<T>,
    /// Registration among the parked senders (see `waiters.rs`).
    key: Option<u64>,
}

// The value is only ever moved out by `Option::take`, never pinned in place,
// so the future may move freely whatever `T` is.
impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let shared = &this.sender.shared;
        let mut value = this
            .value
            .take()
            .expect("SendFuture polled after it completed");
        let mut st = shared.lock();
        loop {
            match shared.push(&mut st, value) {
                Ok(rx_waker) => {
                    let next = this
                        .key
                        .take()
                        .and_then(|k| shared.unpark_sender(&mut st, k, true));
                    drop(st);
                    debug_assert!(next.is_none());
                    if let Some(w) = rx_waker {
                        w.wake();
                    }
                    return Poll::Ready(Ok(()));
                }
                Err(TrySendError::Closed(v)) => {
                    if let Some(k) = this.key.take() {
                        shared.unpark_sender(&mut st, k, true);
                    }
                    return Poll::Ready(Err(SendError(v)));
                }
                Err(TrySendError::Full(v)) => {
                    if shared.park_sender(&mut st, &mut this.key, cx.waker()) {
                        // Room appeared while registering: retry now.
                        value = v;
                        continue;
                    }
                    this.value = Some(v);
                    return Poll::Pending;
                }
            }
        }
    }
}

impl<T> Drop for SendFuture<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let next = {
                let mut st = self.sender.shared.lock();
                self.sender.shared.unpark_sender(&mut st, key, false)
            };
            if let Some(w) = next {
                w.wake();
            }
        }
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture")
            .field("pending", &self.value.is_some())
            .finish_non_exhaustive()
    }
}
