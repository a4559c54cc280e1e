//! [`Sender`]: the sending half of a broadcast channel.

use std::fmt;
use std::rc::Rc;

use super::error::SendError;
use super::shared::Shared;
use super::Receiver;

/// Sends values to every [`Receiver`] of a channel made by
/// [`channel`](super::channel). Clone it for more producers; the channel
/// closes when the last clone is dropped.
///
/// ```
/// # aio::Runtime::new().unwrap().block_on(async {
/// let (tx, mut rx) = aio::sync::broadcast::channel(4);
/// let tx2 = tx.clone();
/// tx.send(1).unwrap();
/// tx2.send(2).unwrap();
/// assert_eq!(rx.recv().await, Ok(1));
/// assert_eq!(rx.recv().await, Ok(2));
/// # });
/// ```
///
/// Neither `Send` nor `Sync`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::broadcast::Sender<u32>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::broadcast::Sender<u32>>();
/// ```
pub struct Sender<T> {
    shared: Rc<Shared<T>>,
}

impl<T> Sender<T> {
    pub(super) fn new(shared: Rc<Shared<T>>) -> Self {
        Sender { shared }
    }

    /// Sends `value` to every receiver alive now and wakes those waiting.
    /// Never waits: if the channel holds `capacity` values already, the
    /// oldest is overwritten and receivers that had not taken it will
    /// see [`Lagged`](super::RecvError::Lagged).
    ///
    /// Returns how many receivers the value was sent to. That is not a
    /// promise they will see it (they may lag or be dropped first).
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if there is no receiver.
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        self.shared.send(value).map_err(SendError)
    }

    /// A new receiver that sees the values sent from now on.
    pub fn subscribe(&self) -> Receiver<T> {
        let next = self.shared.subscribe();
        Receiver::new(Rc::clone(&self.shared), next)
    }

    /// How many receivers are alive.
    pub fn receiver_count(&self) -> usize {
        self.shared.receiver_count()
    }

    /// How many values are retained because some receiver alive at their
    /// send has not taken them yet (at most the capacity).
    pub fn len(&self) -> usize {
        self.shared.queued()
    }

    /// Whether every value sent has been taken by every receiver (or
    /// overwritten).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `self` and `other` send into the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.add_sender();
        Sender {
            shared: Rc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.shared.drop_sender();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("receivers", &self.receiver_count())
            .finish_non_exhaustive()
    }
}
