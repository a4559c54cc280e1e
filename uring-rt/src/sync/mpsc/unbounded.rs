//! The handles of an unbounded channel: [`UnboundedSender`] and
//! [`UnboundedReceiver`].

use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::chan::Chan;
use super::error::{SendError, TryRecvError};

/// Sends into a channel made by
/// [`unbounded_channel`](super::unbounded_channel); sending never waits.
/// Clone it for more producers.
///
/// Neither `Send` nor `Sync`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::mpsc::UnboundedSender<u32>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::mpsc::UnboundedSender<u32>>();
/// ```
pub struct UnboundedSender<T> {
    chan: Rc<Chan<T>>,
}

/// Receives from a channel made by
/// [`unbounded_channel`](super::unbounded_channel). Dropping it closes
/// the channel and drops every queued message.
///
/// Neither `Send` nor `Sync`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::mpsc::UnboundedReceiver<u32>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::mpsc::UnboundedReceiver<u32>>();
/// ```
pub struct UnboundedReceiver<T> {
    chan: Rc<Chan<T>>,
}

impl<T> UnboundedSender<T> {
    pub(super) fn new(chan: Rc<Chan<T>>) -> Self {
        UnboundedSender { chan }
    }

    /// Queues `value` at once.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if the receiver is closed or dropped.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.chan.push(value).map_err(SendError)
    }

    /// Whether the receiver is closed or dropped (sends would fail).
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Waits until the receiver is closed or dropped.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only observes state.
    pub async fn closed(&self) {
        self.chan.closed().await
    }

    /// Whether `self` and `other` send into the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        UnboundedSender {
            chan: Rc::clone(&self.chan),
        }
    }
}

impl<T> Drop for UnboundedSender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender")
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

impl<T> UnboundedReceiver<T> {
    pub(super) fn new(chan: Rc<Chan<T>>) -> Self {
        UnboundedReceiver { chan }
    }

    /// Waits for the next message. Returns `None` once the queue is empty
    /// and no more can arrive: every sender is dropped, or
    /// [`close`](Self::close) was called.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no
    /// message was taken from the channel.
    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Poll form of [`recv`](Self::recv); registers `cx`'s waker when it
    /// returns `Pending` (only the latest waker is kept).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.chan.poll_recv(cx)
    }

    /// Takes the next message if one is queued.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if nothing is queued but senders remain;
    /// [`TryRecvError::Disconnected`] if nothing is queued and nothing can
    /// arrive.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.chan.try_recv()
    }

    /// Closes the channel for sending while keeping the queued messages
    /// receivable.
    pub fn close(&mut self) {
        self.chan.close_rx();
    }

    /// How many messages are queued.
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether no message is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Drop for UnboundedReceiver<T> {
    fn drop(&mut self) {
        self.chan.drop_rx();
    }
}

impl<T> futures_core::Stream for UnboundedReceiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().poll_recv(cx)
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedReceiver")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use crate::sync::test_util::Task;

    #[test]
    fn unbounded_never_waits_and_keeps_order() {
        let (tx, mut rx) = unbounded_channel();
        for i in 0..10_000 {
            tx.send(i).unwrap();
        }
        assert_eq!(rx.len(), 10_000);
        for i in 0..10_000 {
            assert_eq!(rx.try_recv(), Ok(i));
        }
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        drop(tx);
        assert_eq!(Task::new(rx.recv()).ready(), None);
    }

    #[test]
    fn send_after_receiver_dropped_returns_value() {
        let (tx, rx) = unbounded_channel();
        let tx2 = tx.clone();
        assert!(tx.same_channel(&tx2));
        drop(rx);
        assert_eq!(tx2.send(4).unwrap_err().into_inner(), 4);
    }

    #[test]
    fn receiver_wakes_on_send() {
        let (tx, mut rx) = unbounded_channel();
        let mut recv = Task::new(rx.recv());
        recv.pending();
        tx.send('x').unwrap();
        assert_eq!(recv.wakes(), 1);
        assert_eq!(recv.ready(), Some('x'));
    }
}
