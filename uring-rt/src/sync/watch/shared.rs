//! The value and version shared by every handle of one watch channel.
//!
//! `version` counts the values stored: `channel` stores version 0 and
//! each send (or modification that reports a change) adds one. A receiver
//! remembers the version it last *saw*; it has a change to see while the
//! two differ. Receivers waiting for a change sit in `waiters` (FIFO);
//! every new version, and the last sender's drop, completes them all and
//! each polls again. Senders waiting for the last receiver to go use
//! `rx_gone`.
//!
//! The value has its own `RefCell` so that a [`Ref`](super::Ref) guard
//! blocks only writes of the value, not version checks or waiting.
//! Replaced values are dropped, and wakers woken, after the borrows end.

use std::cell::{Cell, RefCell, RefMut};
use std::task::{Context, Poll};

use super::error::RecvError;
use crate::sync::waiters::{wake_all, Key, WaitList};
use crate::sync::Notify;

/// Shared by the senders and receivers through an `Rc`.
pub(super) struct Shared<T> {
    value: RefCell<T>,
    /// The version of `value` (see the module docs).
    version: Cell<u64>,
    /// Live senders; 0 means closed (it never rises again).
    senders: Cell<usize>,
    /// Live receivers.
    receivers: Cell<usize>,
    /// Receivers waiting for a version they have not seen.
    waiters: RefCell<WaitList<(), ()>>,
    /// Notified (all) when the last receiver goes.
    rx_gone: Notify,
}

impl<T> Shared<T> {
    /// A channel holding `value` with one sender and one receiver.
    pub(super) fn new(value: T) -> Self {
        Shared {
            value: RefCell::new(value),
            version: Cell::new(0),
            senders: Cell::new(1),
            receivers: Cell::new(1),
            waiters: RefCell::new(WaitList::new()),
            rx_gone: Notify::new(),
        }
    }

    pub(super) fn version(&self) -> u64 {
        self.version.get()
    }

    /// Reads the value.
    #[track_caller]
    pub(super) fn borrow(&self) -> std::cell::Ref<'_, T> {
        match self.value.try_borrow() {
            Ok(value) => value,
            Err(_) => panic!(
                "a watch value was borrowed from inside the closure of \
                 send_modify/send_if_modified, which already holds it as &mut; \
                 use the closure's argument instead"
            ),
        }
    }

    /// Writes the value.
    #[track_caller]
    fn borrow_mut(&self) -> RefMut<'_, T> {
        match self.value.try_borrow_mut() {
            Ok(value) => value,
            Err(_) => panic!(
                "a watch channel was written while a watch::Ref of it is alive \
                 (from borrow, borrow_and_update or wait_for); drop the Ref \
                 before sending and never hold one across .await"
            ),
        }
    }

    /// Stores a new version and wakes waiting receivers. The old value is
    /// returned, so the caller drops it after every borrow ended.
    #[track_caller]
    pub(super) fn replace(&self, value: T) -> T {
        let old = std::mem::replace(&mut *self.borrow_mut(), value);
        self.publish();
        old
    }

    /// Lets `modify` change the value in place; a new version is stored
    /// and receivers woken only if it returns `true`. If it panics the
    /// version stays (changes made so far remain visible to `borrow`).
    #[track_caller]
    pub(super) fn modify(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        let changed = modify(&mut *self.borrow_mut());
        if changed {
            self.publish();
        }
        changed
    }

    fn publish(&self) {
        self.version.set(self.version.get() + 1);
        self.wake_waiters();
    }

    fn wake_waiters(&self) {
        let wakers = self.waiters.borrow_mut().complete_all(());
        wake_all(wakers);
    }

    /// Ready with `Ok` (marking it seen) once there is a version newer
    /// than `*seen`, with `Err` once there is none and no sender is left;
    /// otherwise parks in `*key` (FIFO). Within the cooperative budget.
    pub(super) fn poll_changed(
        &self,
        seen: &mut u64,
        key: &mut Option<Key>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), RecvError>> {
        if crate::coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let result = if *seen != self.version() {
            *seen = self.version();
            Ok(())
        } else if self.is_closed() {
            Err(RecvError(()))
        } else {
            let mut waiters = self.waiters.borrow_mut();
            match *key {
                // Still queued: nothing changed since it parked.
                Some(k) if waiters.take_outcome(k).is_none() => {
                    waiters.update_waker(k, cx.waker());
                }
                _ => *key = Some(waiters.push(cx.waker(), ())),
            }
            crate::coop::refund();
            return Poll::Pending;
        };
        self.unpark(key);
        Poll::Ready(result)
    }

    /// Takes a receiver out of the wait list, wherever it is.
    pub(super) fn unpark(&self, key: &mut Option<Key>) {
        if let Some(k) = key.take() {
            self.waiters.borrow_mut().remove(k);
        }
    }

    pub(super) fn is_closed(&self) -> bool {
        self.senders.get() == 0
    }

    pub(super) fn add_sender(&self) {
        self.senders.set(self.senders.get() + 1);
    }

    /// The last sender's drop wakes every waiting receiver to see it.
    pub(super) fn drop_sender(&self) {
        let left = self.senders.get() - 1;
        self.senders.set(left);
        if left == 0 {
            self.wake_waiters();
        }
    }

    pub(super) fn receiver_count(&self) -> usize {
        self.receivers.get()
    }

    pub(super) fn add_receiver(&self) {
        self.receivers.set(self.receivers.get() + 1);
    }

    pub(super) fn drop_receiver(&self) {
        let left = self.receivers.get() - 1;
        self.receivers.set(left);
        if left == 0 {
            self.rx_gone.notify_waiters();
        }
    }

    /// Waits until no receiver is alive.
    pub(super) async fn closed(&self) {
        loop {
            // Created before the check, so a drop in between is seen.
            let notified = self.rx_gone.notified();
            if self.receivers.get() == 0 {
                return;
            }
            notified.await;
        }
    }
}
