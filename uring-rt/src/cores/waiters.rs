//! [`Waiters`]: a FIFO list of parked tasks' wakers, used for senders that
//! wait for room in a cross-core [`channel`](super::channel) and for
//! receivers that wait for a value of a cross-core
//! [`broadcast`](super::broadcast()).
//!
//! Each waiting future holds a key (`Option<u64>`). The states of one key:
//!
//! - `None`: never registered (or finished);
//! - `Some(id)` and in the list: parked, will be woken by [`Waiters::pop`];
//! - `Some(id)` and not in the list: woken ("notified") but not yet done.
//!   A future dropped in this state passes its notification on, so a wakeup
//!   meant for "some waiter" is never lost with it.
//!
//! The list lives inside its owner's mutex; it does no locking itself.
//! Lookups are linear in the number of parked waiters, which is small: in
//! a bounded channel each blocked sender is one task, in a broadcast each
//! parked receiver is one (and a send takes them all at once).

use std::collections::VecDeque;
use std::task::Waker;

#[derive(Debug, Default)]
pub(crate) struct Waiters {
    list: VecDeque<(u64, Waker)>,
    next_id: u64,
}

impl Waiters {
    /// Parks `waker` under `key`: updates the stored waker of a parked key,
    /// puts a notified key back at the front (it was first in line), and
    /// appends a new key at the back.
    pub(crate) fn register(&mut self, key: &mut Option<u64>, waker: &Waker) {
        match *key {
            Some(id) => match self.list.iter_mut().find(|(k, _)| *k == id) {
                Some((_, stored)) => {
                    if !stored.will_wake(waker) {
                        stored.clone_from(waker);
                    }
                }
                None => self.list.push_front((id, waker.clone())),
            },
            None => {
                let id = self.next_id;
                self.next_id += 1;
                self.list.push_back((id, waker.clone()));
                *key = Some(id);
            }
        }
    }

    /// Forgets `key`. Returns `true` if it was still parked, `false` if it
    /// had been notified (or was never registered).
    pub(crate) fn remove(&mut self, key: u64) -> bool {
        match self.list.iter().position(|(k, _)| *k == key) {
            Some(pos) => {
                self.list.remove(pos);
                true
            }
            None => false,
        }
    }

    /// Notifies the first parked waiter: removes it and returns its waker,
    /// to be woken after the owner's lock is released.
    pub(crate) fn pop(&mut self) -> Option<Waker> {
        self.list.pop_front().map(|(_, w)| w)
    }

    /// Notifies every parked waiter.
    pub(crate) fn take_all(&mut self) -> Vec<Waker> {
        self.list.drain(..).map(|(_, w)| w).collect()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}
