//! The state one channel's senders and receiver share, and the protocol
//! that keeps its wakeups from getting lost.
//!
//! # State
//!
//! Everything a sender and the receiver must agree on lives in [`State`]
//! behind one mutex: the queue, the parked receiver's waker, whether the
//! receiver is alive, the sender count and the parked senders. Outside the
//! mutex are two atomics:
//!
//! - `len`: messages sent and not yet handed out by the receiver, i.e. in
//!   `queue` plus in the receiver's private batch. Senders increment it
//!   (under the mutex, so they never overshoot `capacity`); the receiver
//!   decrements it, without the mutex, once per message it hands out.
//! - `sender_parked`: `true` while `send_waiters` is non-empty (kept equal
//!   under the mutex), read by the receiver without the mutex to decide
//!   whether freeing room must wake someone.
//!
//! # Wakeups
//!
//! Receiver: it parks by storing its waker in `rx_waker` under the mutex
//! after seeing an empty queue; a sender pushes under the same mutex and
//! takes the waker out, so exactly one of them sees the other. Because the
//! waker is taken, later sends do not wake again until the receiver has
//! run and parked again: a burst of sends costs one wakeup.
//!
//! Senders waiting for room: a sender that finds the channel full
//! registers, stores `sender_parked = true`, then re-reads `len`; the
//! receiver decrements `len`, then reads `sender_parked`. All four are
//! `SeqCst`, so in their single total order either the sender's re-read
//! sees the room (and it sends at once) or the receiver's read sees the
//! flag (and it wakes a parked sender). Neither side can miss both. The
//! receiver only reads the flag once `len` is at most half the capacity
//! (see [`Shared::release`]), which a parked sender's channel always
//! reaches again.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::Waker;

use super::TrySendError;
use crate::cores::waiters::Waiters;

pub(super) struct Shared<T> {
    state: Mutex<State<T>>,
    len: AtomicUsize,
    sender_parked: AtomicBool,
    pub(super) capacity: usize,
}

pub(super) struct State<T> {
    /// Messages not yet taken by the receiver, oldest first.
    pub(super) queue: VecDeque<T>,
    /// The receiver's waker while it is parked on an empty queue.
    pub(super) rx_waker: Option<Waker>,
    /// `false` once the receiver is dropped; sends fail from then on.
    pub(super) rx_alive: bool,
    /// Live `Sender` handles; at zero the receiver sees the end.
    pub(super) senders: usize,
    /// Senders parked on a full channel.
    pub(super) send_waiters: Waiters,
}

impl<T> Shared<T> {
    pub(super) fn new(capacity: usize) -> Shared<T> {
        Shared {
            state: Mutex::new(State {
                // Grows on demand up to `capacity`; do not reserve a huge
                // buffer for a generous bound that is never reached.
                queue: VecDeque::with_capacity(capacity.min(1024)),
                rx_waker: None,
                rx_alive: true,
                senders: 1,
                send_waiters: Waiters::default(),
            }),
            len: AtomicUsize::new(0),
            sender_parked: AtomicBool::new(false),
            capacity,
        }
    }

    /// Locks the state. No code panics while holding the lock in a way
    /// that could leave the state half-updated (only `Waker::clone` runs
    /// user code, and it runs before any field changes), so a poisoned lock
    /// is still consistent and is used as is.
    pub(super) fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `value` if there is room. On success returns the receiver's
    /// waker if it was parked; the caller wakes it after unlocking.
    pub(super) fn push(
        &self,
        st: &mut State<T>,
        value: T,
    ) -> Result<Option<Waker>, TrySendError<T>> {
        if !st.rx_alive {
            return Err(TrySendError::Closed(value));
        }
        if self.len.load(SeqCst) >= self.capacity {
            return Err(TrySendError::Full(value));
        }
        self.len.fetch_add(1, SeqCst);
        st.queue.push_back(value);
        Ok(st.rx_waker.take())
    }

    /// Parks a sender on a full channel (see the module docs). Returns
    /// `true` if room appeared meanwhile: the caller must retry instead of
    /// waiting.
    pub(super) fn park_sender(
        &self,
        st: &mut State<T>,
        key: &mut Option<u64>,
        waker: &Waker,
    ) -> bool {
        st.send_waiters.register(key, waker);
        self.sender_parked.store(true, SeqCst);
        self.len.load(SeqCst) < self.capacity
    }

    /// Forgets a sender's registration (it finished or was dropped). A
    /// sender that had been notified and gives up passes the notification
    /// on to the next parked sender; that waker is returned for waking
    /// after unlock.
    pub(super) fn unpark_sender(&self, st: &mut State<T>, key: u64, sent: bool) -> Option<Waker> {
        let was_parked = st.send_waiters.remove(key);
        let next = if !was_parked && !sent {
            st.send_waiters.pop()
        } else {
            None
        };
        if st.send_waiters.is_empty() {
            self.sender_parked.store(false, SeqCst);
        }
        next
    }

    /// The receiver handed out `n` messages: frees their room and, once
    /// the channel is at most half full, wakes a parked sender.
    ///
    /// Waiting for half the room (not one slot) lets a woken sender queue a
    /// batch before it must park again, instead of one wake per message
    /// when a fast sender meets a full channel. It cannot strand a parked
    /// sender: it parked on a full channel, and the receiver hands out
    /// every queued message before it parks itself, so `len` passes below
    /// the mark on a later release (whose flag read then sees the sender).
    pub(super) fn release(&self, n: usize) {
        let left = self.len.fetch_sub(n, SeqCst) - n;
        if left <= self.capacity / 2 && self.sender_parked.load(SeqCst) {
            let waker = {
                let mut st = self.lock();
                let w = st.send_waiters.pop();
                if st.send_waiters.is_empty() {
                    self.sender_parked.store(false, SeqCst);
                }
                w
            };
            if let Some(w) = waker {
                w.wake();
            }
        }
    }

    /// The receiver is dropped: refuse further sends, wake every parked
    /// sender so it sees the error, and hand back the queued messages for
    /// dropping outside the lock.
    pub(super) fn close_receiver(&self) -> VecDeque<T> {
        let (queue, wakers) = {
            let mut st = self.lock();
            st.rx_alive = false;
            st.rx_waker = None;
            self.sender_parked.store(false, SeqCst);
            (std::mem::take(&mut st.queue), st.send_waiters.take_all())
        };
        for w in wakers {
            w.wake();
        }
        queue
    }
}
