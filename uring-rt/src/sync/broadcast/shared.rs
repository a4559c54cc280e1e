//! The ring shared by every handle of one broadcast channel.
//!
//! Every value sent gets a *position*: 0, 1, 2, … (`tail` is the next
//! one). Position `p` lives in slot `p % capacity`, so the ring retains
//! the last `capacity` positions, `[oldest, tail)` with
//! `oldest = tail.saturating_sub(capacity)`; a send into a full ring
//! overwrites (and drops) the value at `oldest`.
//!
//! Each receiver keeps `next`, the position it takes next
//! (`next <= tail`). A receiver is alive at the send of every position in
//! `[next, tail)` — it starts at `tail` — so the send counted it in that
//! slot's `rem`, and nothing else takes that count away:
//!
//! - **taking** position `p` (receiver's `next == p`) decrements `rem`;
//!   the receiver that brings it to 0 gets the value itself, the others a
//!   clone. So a value is dropped as soon as every receiver has seen it;
//! - a **dropped** receiver decrements `rem` of every retained position in
//!   `[next, tail)`;
//! - a receiver with `next < oldest` **lagged**: its next take reports
//!   `Lagged(oldest - next)` and moves `next` to `oldest`.
//!
//! Invariant: a retained slot holds `Some` value exactly while `rem > 0`.
//!
//! Receivers that found nothing new wait in `waiters`; a send or the last
//! sender's drop completes them all (FIFO order), and each then polls
//! again. No value or `T` method runs while a `RefCell` is borrowed except
//! `T::clone` (which must not send on this same channel); values are
//! dropped and wakers woken after the borrows end.

use std::cell::{Cell, RefCell};
use std::task::{Context, Poll};

use super::error::TryRecvError;
use crate::sync::waiters::{wake_all, Key, WaitList};

/// Shared by the senders and receivers through an `Rc`.
pub(super) struct Shared<T> {
    /// `capacity` slots; position `p` is in `slots[p % capacity]`.
    slots: RefCell<Box<[Slot<T>]>>,
    /// `slots.len()`, readable without a borrow.
    capacity: u64,
    /// The position the next sent value gets.
    tail: Cell<u64>,
    /// Live receivers.
    receivers: Cell<usize>,
    /// Live senders; 0 means closed (it never rises again).
    senders: Cell<usize>,
    /// Receivers waiting for a value past `tail`.
    waiters: RefCell<WaitList<(), ()>>,
}

/// One place in the ring.
struct Slot<T> {
    /// Receivers that were alive at the send and have not taken it yet.
    rem: usize,
    /// The value, while `rem > 0`.
    val: Option<T>,
}

impl<T> Shared<T> {
    /// A channel with one sender and one receiver (at position 0).
    pub(super) fn new(capacity: usize) -> Self {
        Shared {
            slots: RefCell::new((0..capacity).map(|_| Slot { rem: 0, val: None }).collect()),
            capacity: capacity as u64,
            tail: Cell::new(0),
            receivers: Cell::new(1),
            senders: Cell::new(1),
            waiters: RefCell::new(WaitList::new()),
        }
    }

    fn index(&self, pos: u64) -> usize {
        (pos % self.capacity) as usize
    }

    /// The oldest position still in the ring.
    fn oldest(&self) -> u64 {
        self.tail.get().saturating_sub(self.capacity)
    }

    /// Writes `value` at `tail` for every live receiver and wakes the
    /// waiting ones. Returns the receiver count, or the value if there is
    /// no receiver.
    pub(super) fn send(&self, value: T) -> Result<usize, T> {
        let receivers = self.receivers.get();
        if receivers == 0 {
            return Err(value);
        }
        let pos = self.tail.get();
        let idx = self.index(pos);
        let overwritten = {
            let mut slots = self.slots.borrow_mut();
            let slot = &mut slots[idx];
            slot.rem = receivers;
            slot.val.replace(value)
        };
        self.tail.set(pos + 1);
        let wakers = self.waiters.borrow_mut().complete_all(());
        drop(overwritten);
        wake_all(wakers);
        Ok(receivers)
    }

    /// Takes the value at `*next` for a receiver, moving `*next` on.
    pub(super) fn try_recv(&self, next: &mut u64) -> Result<T, TryRecvError>
    where
        T: Clone,
    {
        let tail = self.tail.get();
        if *next == tail {
            return Err(if self.is_closed() {
                TryRecvError::Closed
            } else {
                TryRecvError::Empty
            });
        }
        let oldest = self.oldest();
        if *next < oldest {
            let missed = oldest - *next;
            *next = oldest;
            return Err(TryRecvError::Lagged(missed));
        }
        let idx = self.index(*next);
        *next += 1;
        let mut slots = self.slots.borrow_mut();
        let slot = &mut slots[idx];
        slot.rem -= 1;
        let value = if slot.rem == 0 {
            slot.val.take()
        } else {
            slot.val.clone()
        };
        match value {
            Some(value) => Ok(value),
            None => unreachable!("a retained broadcast slot with receivers left has a value"),
        }
    }

    /// [`try_recv`](Self::try_recv) within the cooperative budget, parking
    /// the receiver in `*key` (FIFO) when there is nothing new.
    pub(super) fn poll_recv(
        &self,
        next: &mut u64,
        key: &mut Option<Key>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<T, TryRecvError>>
    where
        T: Clone,
    {
        if crate::coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        match self.try_recv(next) {
            Err(TryRecvError::Empty) => {
                let mut waiters = self.waiters.borrow_mut();
                match *key {
                    // Still queued: nothing was sent since it parked.
                    Some(k) if waiters.take_outcome(k).is_none() => {
                        waiters.update_waker(k, cx.waker());
                    }
                    _ => *key = Some(waiters.push(cx.waker(), ())),
                }
                crate::coop::refund();
                Poll::Pending
            }
            done => {
                self.unpark(key);
                Poll::Ready(done)
            }
        }
    }

    /// Takes a receiver out of the wait list, wherever it is.
    pub(super) fn unpark(&self, key: &mut Option<Key>) {
        if let Some(k) = key.take() {
            self.waiters.borrow_mut().remove(k);
        }
    }

    /// A new receiver; returns its starting position (only values sent
    /// from now on reach it).
    pub(super) fn subscribe(&self) -> u64 {
        self.receivers.set(self.receivers.get() + 1);
        self.tail.get()
    }

    /// A receiver at `next` went away: it gives up its share of every
    /// retained value it had not taken.
    pub(super) fn drop_receiver(&self, next: u64) {
        self.receivers.set(self.receivers.get() - 1);
        for pos in next.max(self.oldest())..self.tail.get() {
            let idx = self.index(pos);
            let unseen = {
                let mut slots = self.slots.borrow_mut();
                let slot = &mut slots[idx];
                slot.rem -= 1;
                if slot.rem == 0 {
                    slot.val.take()
                } else {
                    None
                }
            };
            // Outside the borrow: the value may own a handle of this channel.
            drop(unseen);
        }
    }

    pub(super) fn add_sender(&self) {
        self.senders.set(self.senders.get() + 1);
    }

    /// The last sender's drop closes the channel and wakes every waiting
    /// receiver to see it.
    pub(super) fn drop_sender(&self) {
        let left = self.senders.get() - 1;
        self.senders.set(left);
        if left == 0 {
            let wakers = self.waiters.borrow_mut().complete_all(());
            wake_all(wakers);
        }
    }

    pub(super) fn is_closed(&self) -> bool {
        self.senders.get() == 0
    }

    pub(super) fn receiver_count(&self) -> usize {
        self.receivers.get()
    }

    /// Values not yet taken by a receiver at `next` (lagged ones included).
    pub(super) fn len_from(&self, next: u64) -> usize {
        (self.tail.get() - next) as usize
    }

    /// Retained values some receiver has not taken yet.
    pub(super) fn queued(&self) -> usize {
        let slots = self.slots.borrow();
        (self.oldest()..self.tail.get())
            .filter(|&pos| slots[self.index(pos)].rem > 0)
            .count()
    }
}
