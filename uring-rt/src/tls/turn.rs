//! [`SendTurn`]: which direction of a duplex TLS stream is writing records.
//!
//! A [`DuplexTlsStream`](super::DuplexTlsStream) has one outgoing record
//! buffer and one inner write side, but two directions that may need to
//! send: the write side (application data, close_notify) and the read side
//! (what rustls answers to what it read: alerts, TLS 1.3 key updates). The
//! turn is held by at most one of them, from before it looks at the record
//! buffer's state until its records are written, so that the other never
//! mistakes a buffer lent by a running write for one lent by a dropped
//! future.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::task::{Poll, Waker};

/// The turn to write records: free, or held by one [`TurnGuard`].
///
/// States: free (`held == false`) and held. [`acquire`](Self::acquire)
/// moves free to held (waiting while held); dropping the guard moves held
/// to free and wakes every waiter, whether the holder finished or its
/// future was dropped mid-write (the record buffer's own state then says
/// the records were lost, see `records::State`).
#[derive(Debug, Default)]
pub(super) struct SendTurn {
    held: Cell<bool>,
    /// Tasks waiting for the turn (at most the read side and the write
    /// side of one stream, so a tiny list).
    waiters: RefCell<Vec<Waker>>,
}

impl SendTurn {
    /// Whether no direction is writing records now.
    pub(super) fn is_free(&self) -> bool {
        !self.held.get()
    }

    /// Takes the turn now if it is free.
    pub(super) fn try_acquire(&self) -> Option<TurnGuard<'_>> {
        if self.held.replace(true) {
            return None;
        }
        Some(TurnGuard { turn: self })
    }

    /// Waits for the turn and takes it.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropped while waiting, it holds nothing.
    pub(super) async fn acquire(&self) -> TurnGuard<'_> {
        poll_fn(|cx| match self.try_acquire() {
            Some(guard) => Poll::Ready(guard),
            None => {
                let mut waiters = self.waiters.borrow_mut();
                if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
                    waiters.push(cx.waker().clone());
                }
                Poll::Pending
            }
        })
        .await
    }
}

/// The turn, held; dropping it hands the turn back.
#[derive(Debug)]
pub(super) struct TurnGuard<'a> {
    turn: &'a SendTurn,
}

impl Drop for TurnGuard<'_> {
    fn drop(&mut self) {
        self.turn.held.set(false);
        let waiters = std::mem::take(&mut *self.turn.waiters.borrow_mut());
        for waker in waiters {
            waker.wake();
        }
    }
}
