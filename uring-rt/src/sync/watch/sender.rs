//! [`Sender`]: the writing half of a watch channel.

use std::fmt;
use std::rc::Rc;

use super::error::SendError;
use super::shared::Shared;
use super::{Receiver, Ref};

/// Replaces (or modifies) the value of a watch channel made by
/// [`channel`](super::channel) and wakes receivers waiting for a change.
/// Clone it for more writers; receivers see the channel closed when the
/// last clone is dropped.
///
/// ```
/// # aio::Runtime::new().unwrap().block_on(async {
/// let (tx, mut rx) = aio::sync::watch::channel(0);
/// tx.send_modify(|n| *n += 1);
/// rx.changed().await.unwrap();
/// assert_eq!(*rx.borrow(), 1);
/// drop(tx);
/// assert!(rx.changed().await.is_err());
/// # });
/// ```
///
/// Neither `Send` nor `Sync`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::watch::Sender<u32>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::watch::Sender<u32>>();
/// ```
pub struct Sender<T> {
    shared: Rc<Shared<T>>,
}

impl<T> Sender<T> {
    pub(super) fn new(shared: Rc<Shared<T>>) -> Self {
        Sender { shared }
    }

    /// Stores `value` as the new version and wakes every receiver waiting
    /// in [`changed`](Receiver::changed). The replaced value is dropped.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value, which is not stored, if every
    /// receiver is gone. Use [`send_replace`](Self::send_replace) to store
    /// it anyway (for receivers [`subscribe`](Self::subscribe)d later).
    ///
    /// # Panics
    ///
    /// If a [`Ref`] of this channel is alive.
    #[track_caller]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.shared.receiver_count() == 0 {
            return Err(SendError(value));
        }
        drop(self.shared.replace(value));
        Ok(())
    }

    /// Stores `value` as the new version whether or not receivers are
    /// alive, wakes waiting receivers, and returns the replaced value.
    ///
    /// # Panics
    ///
    /// If a [`Ref`] of this channel is alive.
    #[track_caller]
    pub fn send_replace(&self, value: T) -> T {
        self.shared.replace(value)
    }

    /// Modifies the value in place as a new version (whether or not
    /// receivers are alive) and wakes waiting receivers.
    ///
    /// # Panics
    ///
    /// If a [`Ref`] of this channel is alive, or if `modify` borrows this
    /// channel or panics (then no receiver is woken, but what `modify`
    /// changed before panicking stays).
    #[track_caller]
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.shared.modify(|value| {
            modify(value);
            true
        });
    }

    /// Lets `modify` change the value in place; if it returns `true` that
    /// is a new version and waiting receivers are woken, if `false` the
    /// receivers are not told (so it should not have changed anything
    /// they care about). Returns what `modify` returned.
    ///
    /// # Panics
    ///
    /// As [`send_modify`](Self::send_modify).
    #[track_caller]
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        self.shared.modify(modify)
    }

    /// Reads the current value. The [`Ref`]'s
    /// [`has_changed`](Ref::has_changed) is always `false`.
    ///
    /// # Panics
    ///
    /// If called from inside a `send_modify`/`send_if_modified` closure
    /// of this channel.
    #[track_caller]
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref::new(self.shared.borrow(), false)
    }

    /// A new receiver that has seen the current value: its first
    /// [`changed`](Receiver::changed) waits for the next send. Works
    /// after every receiver is gone, too.
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.add_receiver();
        Receiver::new(Rc::clone(&self.shared), self.shared.version())
    }

    /// How many receivers are alive.
    pub fn receiver_count(&self) -> usize {
        self.shared.receiver_count()
    }

    /// Whether every receiver is gone ([`send`](Self::send) would fail).
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Waits until every receiver is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only observes state.
    pub async fn closed(&self) {
        self.shared.closed().await
    }

    /// Whether `self` and `other` write the same channel.
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
