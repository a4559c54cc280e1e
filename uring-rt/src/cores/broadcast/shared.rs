//! The ring one broadcast channel's senders and receivers share, and the
//! rules that keep its counts, lag and wakeups right.
//!
//! # State
//!
//! Everything lives in [`State`] behind one `std::sync::Mutex`; there are
//! no atomics. A send, a receive and a subscribe each hold it for a few
//! field updates (a receive also clones one value under it), and wakers are
//! only ever woken after it is released. A cross-core broadcast is for
//! fan-out of events (configuration, shutdown, chat), where one short lock
//! per send and per receive is cheap next to the cross-core wake.
//!
//! Values are numbered by position: the `n`th value ever sent has position
//! `n`. The ring holds the values at positions `head..tail`, oldest first,
//! each with `rem`, the number of receivers that still have to see it. A
//! receiver's cursor `next` is the position of the next value it will see.
//!
//! # Invariants (kept under the mutex)
//!
//! 1. `tail - head == ring.len() <= capacity`.
//! 2. A live receiver is counted in `rem` of exactly the retained values it
//!    has not seen yet (positions `max(next, head)..tail`). A receiver
//!    starts at `tail` (it sees only values sent after it subscribed), so
//!    each send counts every live receiver.
//! 3. The front value has `rem > 0`: a value seen by every receiver is
//!    removed (and dropped) at once. Receivers read in order and a value's
//!    receivers are a superset of an older retained value's unseen-by set,
//!    so values whose `rem` is 0 always form a prefix of the ring, and
//!    removing them from the front frees each value as soon as all its
//!    receivers saw it. The last receiver to see a value takes it by move
//!    instead of cloning it.
//! 4. A receiver whose `next < head` has lagged: the values between were
//!    overwritten. Since the front value it has not seen has `rem > 0`, it
//!    can only have left by being pushed out by a send to a full ring, so
//!    then `head == tail - capacity`, and the receiver is told
//!    `Lagged(head - next)` once and moves to `head`: exactly tokio's rule.
//!
//! # Wakeups
//!
//! A receiver that finds nothing new parks by registering its waker in
//! `waiters` under the mutex. A send (or the last sender's drop) takes
//! every registered waker under the same mutex and wakes them after
//! unlocking, so each parked receiver either sees the value or is woken.
//! Taking the wakers means a burst of sends wakes each parked receiver
//! once. The wakers are the runtime's own: woken from another thread they
//! route the task to its core and signal that core's ring, as for
//! [`channel`](crate::cores::channel).

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::Waker;

use crate::cores::waiters::Waiters;

pub(super) struct Shared<T> {
    state: Mutex<State<T>>,
    pub(super) capacity: usize,
}

pub(super) struct State<T> {
    /// The values at positions `head..tail`, oldest first.
    pub(super) ring: VecDeque<Slot<T>>,
    /// Position of `ring[0]`; `tail` is `head + ring.len()`.
    pub(super) head: u64,
    /// Live `Sender` handles; at zero receivers see `Closed` once caught up.
    pub(super) senders: usize,
    /// Live `Receiver` handles; at zero sends fail.
    pub(super) receivers: usize,
    /// Receivers parked with nothing new to see.
    pub(super) waiters: Waiters,
}

pub(super) struct Slot<T> {
    pub(super) value: T,
    /// Receivers that have not seen this value yet (always > 0 at rest).
    pub(super) rem: usize,
}

/// What a receiver found at its cursor.
pub(super) enum Take<T> {
    Value(T),
    Lagged(u64),
    /// Nothing new; senders remain.
    Empty,
    /// Nothing new and every sender is gone.
    Closed,
}

impl<T> State<T> {
    pub(super) fn tail(&self) -> u64 {
        self.head + self.ring.len() as u64
    }

    /// Removes the values every receiver has seen from the front
    /// (invariant 3), appending them to `out` for dropping after unlock.
    fn pop_seen(&mut self, out: &mut Vec<T>) {
        while self.ring.front().is_some_and(|s| s.rem == 0) {
            if let Some(slot) = self.ring.pop_front() {
                self.head += 1;
                out.push(slot.value);
            }
        }
    }
}

impl<T> Shared<T> {
    pub(super) fn new(capacity: usize) -> Shared<T> {
        Shared {
            state: Mutex::new(State {
                // Grows on demand up to `capacity`.
                ring: VecDeque::with_capacity(capacity.min(1024)),
                head: 0,
                senders: 1,
                receivers: 1,
                waiters: Waiters::default(),
            }),
            capacity,
        }
    }

    /// Locks the state. Only `T::clone` (in [`Shared::take`]) and
    /// `Waker::clone` run user code under the lock, and both run before any
    /// field changes, so a poisoned lock is still consistent and is used
    /// as is.
    pub(super) fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends `value` for every live receiver. Returns the receiver count
    /// and, through `overwritten`, the value pushed out of a full ring (to
    /// drop after unlock) and through `wake`, the parked receivers. With no
    /// receiver, hands the value back.
    pub(super) fn send(
        &self,
        st: &mut State<T>,
        value: T,
        overwritten: &mut Option<T>,
        wake: &mut Vec<Waker>,
    ) -> Result<usize, T> {
        if st.receivers == 0 {
            return Err(value);
        }
        if st.ring.len() == self.capacity {
            if let Some(slot) = st.ring.pop_front() {
                st.head += 1;
                *overwritten = Some(slot.value);
            }
        }
        st.ring.push_back(Slot {
            value,
            rem: st.receivers,
        });
        if !st.waiters.is_empty() {
            *wake = st.waiters.take_all();
        }
        Ok(st.receivers)
    }

    /// Hands the receiver at `*next` what it is owed: a lag report, its
    /// next value (cloned, or moved if it is the last to see it), or
    /// nothing. Advances `*next`. A value removed because every receiver
    /// has now seen it is returned by move, so nothing is dropped under
    /// the lock here.
    pub(super) fn take(&self, st: &mut State<T>, next: &mut u64) -> Take<T>
    where
        T: Clone,
    {
        if *next < st.head {
            let lag = st.head - *next;
            *next = st.head;
            return Take::Lagged(lag);
        }
        let index = (*next - st.head) as usize;
        let Some(slot) = st.ring.get_mut(index) else {
            return if st.senders == 0 {
                Take::Closed
            } else {
                Take::Empty
            };
        };
        *next += 1;
        if slot.rem > 1 {
            // Clone before touching the count: a panicking clone leaves
            // the state as it was (see `lock`).
            let value = slot.value.clone();
            slot.rem -= 1;
            return Take::Value(value);
        }
        // The last receiver to see it. It is at the front: every older
        // value has been seen by everyone (invariant 3).
        debug_assert_eq!(index, 0, "values seen by everyone form a prefix");
        slot.rem = 0;
        match st.ring.pop_front() {
            Some(slot) => {
                st.head += 1;
                Take::Value(slot.value)
            }
            None => unreachable!("the slot was just found"),
        }
    }

    /// A receiver at `next` goes away: it no longer counts for the values
    /// it has not seen. Returns the values that every receiver has now
    /// seen, for dropping after unlock.
    pub(super) fn drop_receiver(&self, st: &mut State<T>, next: u64, key: Option<u64>) -> Vec<T> {
        if let Some(key) = key {
            st.waiters.remove(key);
        }
        st.receivers -= 1;
        let from = next.saturating_sub(st.head) as usize;
        for slot in st.ring.iter_mut().skip(from) {
            slot.rem -= 1;
        }
        let mut seen = Vec::new();
        st.pop_seen(&mut seen);
        seen
    }

    /// A new receiver that sees values sent from now on: returns its cursor.
    pub(super) fn subscribe(&self) -> u64 {
        let mut st = self.lock();
        st.receivers += 1;
        st.tail()
    }
}
