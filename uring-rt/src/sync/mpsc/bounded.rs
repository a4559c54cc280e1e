//! The handles of a bounded channel: [`Sender`], [`Receiver`], and the
//! reserved slot [`Permit`].

use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::chan::Chan;
use super::error::{SendError, TryRecvError, TrySendError};
use crate::sync::semaphore::{SemaphorePermit, TryAcquireError};

/// Sends into a bounded channel made by [`channel`](super::channel).
/// Clone it for more producers; the channel ends when the last clone is
/// dropped.
///
/// Neither `Send` nor `Sync`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::mpsc::Sender<u32>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::mpsc::Sender<u32>>();
/// ```
pub struct Sender<T> {
    chan: Rc<Chan<T>>,
}

/// Receives from a bounded channel made by [`channel`](super::channel).
/// Dropping it closes the channel and drops every queued message.
///
/// Neither `Send` nor `Sync`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::mpsc::Receiver<u32>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::mpsc::Receiver<u32>>();
/// ```
pub struct Receiver<T> {
    chan: Rc<Chan<T>>,
}

/// A slot reserved by [`Sender::reserve`]: sending through it cannot
/// wait or fail for lack of capacity. Dropping it unused frees the slot.
///
/// Neither `Send` nor `Sync`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::mpsc::Permit<'static, u32>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::mpsc::Permit<'static, u32>>();
/// ```
#[must_use = "dropping the permit frees the reserved slot"]
pub struct Permit<'a, T> {
    chan: &'a Chan<T>,
    slot: SemaphorePermit<'a>,
}

impl<T> Sender<T> {
    pub(super) fn new(chan: Rc<Chan<T>>) -> Self {
        Sender { chan }
    }

    /// Sends `value`, waiting for a free slot if the channel is full.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if the receiver is closed or dropped
    /// (before or while waiting).
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before it completes, `value` was not sent
    /// and is dropped with it, and the place in the FIFO queue of waiting
    /// senders is lost. A slot granted to it but not used is freed. Use
    /// [`reserve`](Self::reserve) to wait for a slot without handing the
    /// value over first.
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        match self.reserve().await {
            // Not `Permit::send`: a slot granted just before the receiver
            // closed must still report the failure and return the value.
            Ok(permit) => {
                permit.slot.forget();
                self.chan.push(value).map_err(SendError)
            }
            Err(SendError(())) => Err(SendError(value)),
        }
    }

    /// Sends `value` if a slot is free now.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] if the channel is at capacity or other
    /// senders are waiting; [`TrySendError::Closed`] if the receiver is
    /// closed or dropped. Either way the value comes back.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.chan.slots().try_acquire() {
            Ok(slot) => {
                slot.forget();
                self.chan.push(value).map_err(TrySendError::Closed)
            }
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(value)),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(value)),
        }
    }

    /// Waits for a free slot and reserves it.
    ///
    /// # Errors
    ///
    /// [`SendError`] if the receiver is closed or dropped.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, but dropping the future gives up its place in the FIFO
    /// queue; a slot granted to it is freed for the next sender.
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        match self.chan.slots().acquire().await {
            Ok(slot) => Ok(Permit {
                chan: &self.chan,
                slot,
            }),
            Err(_) => Err(SendError(())),
        }
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

    /// Free slots right now.
    pub fn capacity(&self) -> usize {
        self.chan.slots().available_permits()
    }

    /// The capacity the channel was created with.
    pub fn max_capacity(&self) -> usize {
        self.chan.capacity()
    }

    /// Whether `self` and `other` send into the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Sender {
            chan: Rc::clone(&self.chan),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

impl<T> Permit<'_, T> {
    /// Sends `value` into the reserved slot. If the receiver was closed
    /// after the slot was reserved, `value` is dropped.
    pub fn send(self, value: T) {
        self.slot.forget();
        // The slot is consumed either way; a closed channel just drops it.
        drop(self.chan.push(value));
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

impl<T> Receiver<T> {
    pub(super) fn new(chan: Rc<Chan<T>>) -> Self {
        Receiver { chan }
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

    /// Closes the channel for sending (pending and later sends fail with
    /// their value) while keeping the queued messages receivable.
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

    /// The capacity the channel was created with.
    pub fn max_capacity(&self) -> usize {
        self.chan.capacity()
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.drop_rx();
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
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use crate::sync::test_util::Task;
    use std::rc::Rc;

    #[test]
    fn messages_arrive_in_order_and_end_when_senders_go() {
        let (tx, mut rx) = channel(4);
        let tx2 = tx.clone();
        tx.try_send(1).unwrap();
        tx2.try_send(2).unwrap();
        tx.try_send(3).unwrap();
        drop(tx);
        assert_eq!(rx.try_recv(), Ok(1));
        drop(tx2);
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Ok(3));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        assert_eq!(Task::new(rx.recv()).ready(), None);
    }

    #[test]
    fn full_channel_makes_senders_wait_in_fifo_order() {
        let (tx, mut rx) = channel(1);
        tx.try_send(0).unwrap();
        assert!(matches!(tx.try_send(9), Err(TrySendError::Full(9))));
        let mut a = Task::new(tx.send(1));
        let mut b = Task::new(tx.send(2));
        a.pending();
        b.pending();
        assert_eq!(tx.capacity(), 0);
        assert_eq!(rx.try_recv(), Ok(0));
        // The freed slot went to `a`; `b` and try_send must not take it.
        assert_eq!(a.wakes(), 1);
        assert_eq!(b.wakes(), 0);
        assert!(matches!(tx.try_send(9), Err(TrySendError::Full(9))));
        a.ready().unwrap();
        b.pending();
        assert_eq!(rx.try_recv(), Ok(1));
        b.ready().unwrap();
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        assert_eq!(tx.capacity(), 1);
    }

    #[test]
    fn receiver_is_woken_by_send_and_by_last_sender_drop() {
        let (tx, mut rx) = channel::<u8>(2);
        {
            let mut recv = Task::new(rx.recv());
            recv.pending();
            tx.try_send(5).unwrap();
            assert_eq!(recv.wakes(), 1);
            assert_eq!(recv.ready(), Some(5));
        }
        let mut recv = Task::new(rx.recv());
        recv.pending();
        drop(tx);
        assert_eq!(recv.wakes(), 1);
        assert_eq!(recv.ready(), None);
    }

    #[test]
    fn cancelled_send_frees_its_granted_slot() {
        let (tx, mut rx) = channel(1);
        tx.try_send(0).unwrap();
        let mut a = Task::new(tx.send(1));
        let mut b = Task::new(tx.send(2));
        a.pending();
        b.pending();
        assert_eq!(rx.try_recv(), Ok(0));
        drop(a); // granted the slot, never used it
        assert_eq!(b.wakes(), 1);
        b.ready().unwrap();
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }

    #[test]
    fn closing_the_receiver_fails_senders_and_keeps_queued_messages() {
        let (tx, mut rx) = channel(1);
        tx.try_send(1).unwrap();
        let mut waiting = Task::new(tx.send(2));
        waiting.pending();
        let mut closed = Task::new(tx.closed());
        closed.pending();
        rx.close();
        assert_eq!(waiting.wakes(), 1);
        assert_eq!(waiting.ready().unwrap_err().0, 2);
        assert_eq!(closed.wakes(), 1);
        closed.ready();
        assert!(tx.is_closed());
        assert!(matches!(tx.try_send(3), Err(TrySendError::Closed(3))));
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    }

    #[test]
    fn slot_granted_just_before_close_reports_failure() {
        let (tx, mut rx) = channel(1);
        tx.try_send(1).unwrap();
        let mut waiting = Task::new(tx.send(2));
        waiting.pending();
        assert_eq!(rx.try_recv(), Ok(1)); // grants the slot to `waiting`
        rx.close();
        assert_eq!(waiting.ready().unwrap_err().0, 2);
    }

    #[test]
    fn reserve_then_send_or_drop() {
        let (tx, mut rx) = channel(1);
        let permit = Task::new(tx.reserve()).ready().unwrap();
        assert!(matches!(tx.try_send(1), Err(TrySendError::Full(1))));
        drop(permit);
        let permit = Task::new(tx.reserve()).ready().unwrap();
        permit.send(7);
        assert_eq!(rx.try_recv(), Ok(7));
    }

    #[test]
    fn dropping_the_receiver_drops_queued_messages() {
        let marker = Rc::new(());
        let (tx, rx) = channel(4);
        tx.try_send(Rc::clone(&marker)).unwrap();
        tx.try_send(Rc::clone(&marker)).unwrap();
        drop(rx);
        assert_eq!(Rc::strong_count(&marker), 1);
        assert!(tx.is_closed());
    }

    #[test]
    fn message_owning_a_sender_can_be_dropped_with_the_receiver() {
        struct Msg(#[allow(dead_code)] Sender<Msg>);
        let (tx, rx) = channel::<Msg>(2);
        tx.try_send(Msg(tx.clone())).unwrap();
        drop(tx);
        drop(rx);
    }

    #[test]
    #[should_panic(expected = "capacity above 0")]
    fn zero_capacity_panics() {
        let _ = channel::<u8>(0);
    }
}
