//! A FIFO list of parked tasks, shared by every primitive in `sync`.
//!
//! Each waiting future gets a [`Key`] when it parks. Keys come from a
//! counter that never repeats, so a stale key can never name another
//! waiter, and ordering keys orders waiters by arrival (FIFO).
//!
//! A waiter is in exactly one of three places, and only the owning
//! primitive (holding its `RefCell` borrow) moves it:
//!
//! - **queued** — in `queue` with its [`Waker`] and a per-primitive
//!   request `W` (e.g. how many permits it wants);
//! - **done** — taken off the queue by the primitive, which recorded an
//!   outcome `R` for it (e.g. "granted" or "closed") and woke it; the
//!   outcome stays in `done` until the future collects it;
//! - **gone** — its future collected the outcome or removed itself.
//!
//! A future that is dropped while queued or done removes itself with
//! [`WaitList::remove`] and, if it had an outcome it never saw, hands the
//! resource on (that is how cancellation loses no permit or notification).
//!
//! Wakers are never called from inside this list: every method that wakes
//! returns the [`Waker`]s so the caller can release its `RefCell` borrow
//! first. A waker that polls synchronously would otherwise hit a
//! `BorrowMutError`.

use std::collections::BTreeMap;
use std::task::Waker;

/// Identifies one parked waiter in a [`WaitList`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key(u64);

/// Where a waiter was when it was removed (see [`WaitList::remove`]).
#[derive(Debug)]
pub(crate) enum Removed<W, R> {
    /// It was still queued, with this request.
    Queued(W),
    /// It had been completed with this outcome that it never collected.
    Done(R),
    /// It was not in the list (already collected, or never parked).
    Gone,
}

/// A FIFO queue of waiters with requests `W` and outcomes `R`.
#[derive(Debug)]
pub(crate) struct WaitList<W, R> {
    next_key: u64,
    queue: BTreeMap<Key, (Waker, W)>,
    done: BTreeMap<Key, R>,
}

impl<W, R> WaitList<W, R> {
    /// An empty list.
    pub(crate) const fn new() -> Self {
        WaitList {
            next_key: 0,
            queue: BTreeMap::new(),
            done: BTreeMap::new(),
        }
    }

    /// Parks a new waiter at the back of the queue.
    pub(crate) fn push(&mut self, waker: &Waker, request: W) -> Key {
        let key = Key(self.next_key);
        // A u64 incremented once per park cannot wrap in practice.
        self.next_key += 1;
        self.queue.insert(key, (waker.clone(), request));
        key
    }

    /// Whether no waiter is queued (done outcomes are not counted).
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// How many waiters are queued.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    /// The request of the waiter at the front of the queue.
    pub(crate) fn front(&self) -> Option<&W> {
        self.queue.first_key_value().map(|(_, (_, w))| w)
    }

    /// Whether `key` is still queued.
    #[cfg(test)]
    pub(crate) fn is_queued(&self, key: Key) -> bool {
        self.queue.contains_key(&key)
    }

    /// Replaces the stored waker of a queued waiter if it would not wake
    /// the same task. Does nothing for a waiter that is not queued.
    pub(crate) fn update_waker(&mut self, key: Key, waker: &Waker) {
        if let Some((stored, _)) = self.queue.get_mut(&key) {
            if !stored.will_wake(waker) {
                stored.clone_from(waker);
            }
        }
    }

    /// Takes the front waiter off the queue, records `outcome` for it and
    /// returns its waker (to be woken by the caller) and its request.
    pub(crate) fn complete_front(&mut self, outcome: R) -> Option<(Waker, W)> {
        let (key, (waker, request)) = self.queue.pop_first()?;
        self.done.insert(key, outcome);
        Some((waker, request))
    }

    /// Completes every queued waiter with a clone of `outcome` and returns
    /// their wakers, in FIFO order.
    pub(crate) fn complete_all(&mut self, outcome: R) -> Vec<Waker>
    where
        R: Clone,
    {
        let queue = std::mem::take(&mut self.queue);
        let mut wakers = Vec::with_capacity(queue.len());
        for (key, (waker, _)) in queue {
            self.done.insert(key, outcome.clone());
            wakers.push(waker);
        }
        wakers
    }

    /// Collects the outcome of a completed waiter, if it has one.
    pub(crate) fn take_outcome(&mut self, key: Key) -> Option<R> {
        self.done.remove(&key)
    }

    /// Removes a waiter wherever it is; used when its future is dropped.
    pub(crate) fn remove(&mut self, key: Key) -> Removed<W, R> {
        if let Some((_, request)) = self.queue.remove(&key) {
            return Removed::Queued(request);
        }
        match self.done.remove(&key) {
            Some(outcome) => Removed::Done(outcome),
            None => Removed::Gone,
        }
    }
}

/// Wakes every waker in `wakers`; call with no `RefCell` borrow held.
pub(crate) fn wake_all(wakers: Vec<Waker>) {
    for waker in wakers {
        waker.wake();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::test_util::{CountingWaker, CountingWakerExt};

    #[test]
    fn fifo_order_and_outcomes() {
        let w = CountingWaker::new();
        let waker = w.waker();
        let mut list: WaitList<u32, &'static str> = WaitList::new();
        let a = list.push(&waker, 1);
        let b = list.push(&waker, 2);
        let c = list.push(&waker, 3);
        assert_eq!(list.len(), 3);
        assert_eq!(list.front(), Some(&1));

        let (_, req) = list.complete_front("first").unwrap();
        assert_eq!(req, 1);
        assert!(!list.is_queued(a));
        assert_eq!(list.front(), Some(&2));

        // Removing from the middle keeps the rest in order.
        assert!(matches!(list.remove(b), Removed::Queued(2)));
        assert_eq!(list.front(), Some(&3));

        assert_eq!(list.take_outcome(a), Some("first"));
        assert_eq!(list.take_outcome(a), None);
        assert!(matches!(list.remove(a), Removed::Gone));

        let wakers = list.complete_all("all");
        assert_eq!(wakers.len(), 1);
        assert!(list.is_empty());
        assert!(matches!(list.remove(c), Removed::Done("all")));
    }

    #[test]
    fn keys_are_never_reused() {
        let w = CountingWaker::new();
        let mut list: WaitList<(), ()> = WaitList::new();
        let a = list.push(&w.waker(), ());
        list.remove(a);
        let b = list.push(&w.waker(), ());
        assert_ne!(a, b);
        assert!(!list.is_queued(a));
        assert!(list.is_queued(b));
    }
}
