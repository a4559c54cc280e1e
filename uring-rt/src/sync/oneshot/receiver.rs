//! The receiving half of a oneshot channel.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::error::{RecvError, TryRecvError};
use super::shared::{register, wake, Shared};

/// Receives the one value of a [`oneshot`](super) channel; `.await` it.
///
/// As a future it resolves to `Ok(value)` once the value is sent, or to
/// `Err(RecvError)` if the sender is dropped without sending. Polling
/// again after it resolved gives `Err(RecvError)`.
///
/// Neither `Send` nor `Sync`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::oneshot::Receiver<u32>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::oneshot::Receiver<u32>>();
/// ```
///
/// # Cancel safety
///
/// Awaiting `&mut receiver` is cancel safe: a value sent while the await
/// was pending stays in the channel for the next poll or
/// [`try_recv`](Self::try_recv). Dropping the receiver itself drops a
/// value that was sent but not received.
pub struct Receiver<T> {
    shared: Rc<Shared<T>>,
}

impl<T> Receiver<T> {
    pub(super) fn new(shared: Rc<Shared<T>>) -> Self {
        Receiver { shared }
    }

    /// Takes the value if it has been sent, without waiting.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if nothing was sent yet and the sender may
    /// still send; [`TryRecvError::Closed`] if nothing will come.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        if let Some(value) = self.shared.value.borrow_mut().take() {
            return Ok(value);
        }
        if self.shared.tx_gone.get() || self.shared.rx_closed.get() {
            Err(TryRecvError::Closed)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// Stops the sender from sending; a value sent before this can still
    /// be received. Wakes a sender waiting in
    /// [`Sender::closed`](super::Sender::closed).
    pub fn close(&mut self) {
        if !self.shared.rx_closed.replace(true) {
            wake(&self.shared.tx_waker);
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match this.try_recv() {
            Ok(value) => Poll::Ready(Ok(value)),
            Err(TryRecvError::Closed) => Poll::Ready(Err(RecvError(()))),
            Err(TryRecvError::Empty) => {
                // Nothing can change between the check above and this
                // registration: both run on this core without yielding.
                register(&this.shared.rx_waker, cx.waker());
                Poll::Pending
            }
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.close();
        // Release an unreceived value now rather than when the sender goes.
        let value = self.shared.value.borrow_mut().take();
        drop(value);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use crate::sync::test_util::Task;
    use std::rc::Rc;

    #[test]
    fn send_then_receive() {
        let (tx, rx) = channel();
        assert!(!tx.is_closed());
        tx.send(7).unwrap();
        assert_eq!(Task::new(rx).ready(), Ok(7));
    }

    #[test]
    fn receiver_is_woken_by_send() {
        let (tx, rx) = channel();
        let mut rx = Task::new(rx);
        rx.pending();
        tx.send("hi").unwrap();
        assert_eq!(rx.wakes(), 1);
        assert_eq!(rx.ready(), Ok("hi"));
        // Polling after completion reports the channel as spent.
        assert_eq!(rx.ready(), Err(RecvError(())));
    }

    #[test]
    fn dropped_sender_fails_the_receiver() {
        let (tx, rx) = channel::<u8>();
        let mut rx = Task::new(rx);
        rx.pending();
        drop(tx);
        assert_eq!(rx.wakes(), 1);
        assert_eq!(rx.ready(), Err(RecvError(())));
    }

    #[test]
    fn send_to_dropped_receiver_returns_the_value() {
        let (mut tx, rx) = channel();
        let mut closed = Task::new(async move {
            tx.closed().await;
            tx
        });
        closed.pending();
        drop(rx);
        assert_eq!(closed.wakes(), 1);
        let tx = closed.ready();
        assert!(tx.is_closed());
        assert_eq!(tx.send(3), Err(3));
    }

    #[test]
    fn close_keeps_an_already_sent_value() {
        let (tx, mut rx) = channel();
        tx.send(1).unwrap();
        rx.close();
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }

    #[test]
    fn close_before_send_rejects_it() {
        let (tx, mut rx) = channel();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        rx.close();
        assert_eq!(tx.send(1), Err(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }

    #[test]
    fn dropping_receiver_drops_unreceived_value() {
        let marker = Rc::new(());
        let (tx, rx) = channel();
        tx.send(Rc::clone(&marker)).unwrap();
        drop(rx);
        assert_eq!(Rc::strong_count(&marker), 1);
    }
}
