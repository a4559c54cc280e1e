//! A multi-producer, multi-consumer channel where every receiver sees
//! every value, between tasks on one core (tokio's `sync::broadcast`).
//!
//! [`channel`]`(capacity)` returns a [`Sender`] and a first [`Receiver`];
//! [`Sender::subscribe`] adds receivers, which see the values sent from
//! then on. Each value is cloned to each receiver (the last one to take
//! it gets the value itself) and dropped as soon as every receiver that
//! was alive when it was sent has taken it.
//!
//! **Lagging.** The channel retains the last `capacity` values; sending
//! never waits. A receiver more than `capacity` values behind lost the
//! overwritten ones: its next receive returns
//! [`RecvError::Lagged`]`(n)` with the exact number lost, once, and the
//! following receives continue from the oldest value still retained.
//!
//! **Closing.** When every [`Sender`] is dropped, receivers still get the
//! values they have not taken, then [`RecvError::Closed`].
//!
//! ```
//! use aio::sync::broadcast::{self, error::RecvError};
//!
//! # aio::Runtime::new().unwrap().block_on(async {
//! let (tx, mut rx1) = broadcast::channel(2);
//! let mut rx2 = tx.subscribe();
//! assert_eq!(tx.send(1).unwrap(), 2); // two receivers
//! tx.send(2).unwrap();
//! assert_eq!(rx1.recv().await, Ok(1));
//! assert_eq!(rx1.recv().await, Ok(2));
//!
//! tx.send(3).unwrap(); // overwrites 1, which rx2 never took
//! assert_eq!(rx2.recv().await, Err(RecvError::Lagged(1)));
//! assert_eq!(rx2.recv().await, Ok(2));
//! assert_eq!(rx2.recv().await, Ok(3));
//!
//! drop(tx);
//! assert_eq!(rx1.recv().await, Ok(3));
//! assert_eq!(rx1.recv().await, Err(RecvError::Closed));
//! # });
//! ```
//!
//! All handles are `!Send` and `!Sync`; for values that cross cores use
//! `aio::cores::broadcast`.

pub mod error;
mod receiver;
mod sender;
mod shared;

use std::rc::Rc;

pub use error::{RecvError, SendError, TryRecvError};
pub use receiver::Receiver;
pub use sender::Sender;

/// Creates a broadcast channel retaining the last `capacity` values,
/// with one sender and one receiver.
///
/// The ring of `capacity` slots is allocated up front; it never grows,
/// however far behind a receiver falls.
///
/// # Panics
///
/// Panics if `capacity` is 0.
///
/// ```
/// # aio::Runtime::new().unwrap().block_on(async {
/// let (tx, mut rx) = aio::sync::broadcast::channel(16);
/// tx.send("hello").unwrap();
/// assert_eq!(rx.recv().await.unwrap(), "hello");
/// # });
/// ```
#[track_caller]
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "broadcast::channel needs a capacity above 0");
    let shared = Rc::new(shared::Shared::new(capacity));
    (Sender::new(Rc::clone(&shared)), Receiver::new(shared, 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::test_util::Task;
    use std::cell::Cell;

    /// Counts its drops in a shared cell.
    #[derive(Clone)]
    struct Counted(Rc<Cell<usize>>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn lagged_reports_the_exact_count_once_then_continues() {
        let (tx, mut rx) = channel(3);
        for i in 0..10 {
            tx.send(i).unwrap();
        }
        assert_eq!(rx.len(), 10);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(7)));
        assert_eq!(rx.try_recv(), Ok(7));
        assert_eq!(rx.try_recv(), Ok(8));
        assert_eq!(rx.try_recv(), Ok(9));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }

    #[test]
    fn last_receiver_to_take_a_value_gets_it_and_it_is_not_kept() {
        let drops = Rc::new(Cell::new(0));
        let (tx, mut a) = channel(4);
        let mut b = tx.subscribe();
        tx.send(Counted(Rc::clone(&drops))).unwrap();
        assert_eq!(tx.len(), 1);
        drop(a.try_recv().unwrap()); // a clone
        assert_eq!(drops.get(), 1);
        assert_eq!(tx.len(), 1);
        drop(b.try_recv().unwrap()); // the value itself, out of the ring
        assert_eq!(drops.get(), 2);
        assert!(tx.is_empty());
        drop((tx, a, b));
        assert_eq!(drops.get(), 2);
    }

    #[test]
    fn dropped_receiver_gives_up_its_share() {
        let drops = Rc::new(Cell::new(0));
        let (tx, mut a) = channel(4);
        let b = tx.subscribe();
        tx.send(Counted(Rc::clone(&drops))).unwrap();
        tx.send(Counted(Rc::clone(&drops))).unwrap();
        drop(a.try_recv().unwrap());
        drop(a.try_recv().unwrap());
        assert_eq!((drops.get(), tx.len()), (2, 2));
        drop(b);
        assert_eq!((drops.get(), tx.len()), (4, 0));
    }

    #[test]
    fn overwriting_drops_the_oldest_value() {
        let drops = Rc::new(Cell::new(0));
        let (tx, _rx) = channel(2);
        for _ in 0..5 {
            tx.send(Counted(Rc::clone(&drops))).unwrap();
        }
        assert_eq!(drops.get(), 3);
        assert_eq!(tx.len(), 2);
    }

    #[test]
    fn waiting_receivers_wake_on_send_and_on_close() {
        let (tx, mut a) = channel(2);
        let mut b = tx.subscribe();
        {
            let mut ra = Task::new(a.recv());
            let mut rb = Task::new(b.recv());
            ra.pending();
            rb.pending();
            ra.pending(); // a repoll keeps one place
            tx.send(1).unwrap();
            assert_eq!((ra.wakes(), rb.wakes()), (1, 1));
            assert_eq!(ra.ready(), Ok(1));
            assert_eq!(rb.ready(), Ok(1));
        }
        let mut ra = Task::new(a.recv());
        ra.pending();
        drop(tx);
        assert_eq!(ra.wakes(), 1);
        assert_eq!(ra.ready(), Err(RecvError::Closed));
    }

    #[test]
    fn dropped_recv_future_takes_nothing() {
        let (tx, mut rx) = channel(2);
        let mut waiting = Task::new(rx.recv());
        waiting.pending();
        tx.send(5).unwrap();
        drop(waiting); // woken, never polled again
        assert_eq!(rx.try_recv(), Ok(5));
    }

    #[test]
    fn values_sent_before_subscribing_are_not_seen() {
        let (tx, mut a) = channel(4);
        tx.send(1).unwrap();
        let mut b = tx.subscribe();
        let mut c = a.resubscribe();
        tx.send(2).unwrap();
        assert_eq!(a.try_recv(), Ok(1));
        assert_eq!(b.try_recv(), Ok(2));
        assert_eq!(c.try_recv(), Ok(2));
        assert_eq!(tx.receiver_count(), 3);
    }

    #[test]
    fn closed_only_after_the_buffer_is_drained() {
        let (tx, mut rx) = channel(4);
        tx.send(1).unwrap();
        drop(tx);
        assert!(rx.is_closed());
        assert_eq!(rx.try_recv(), Ok(1));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    }

    #[test]
    fn send_without_receivers_gives_the_value_back() {
        let (tx, rx) = channel(1);
        drop(rx);
        assert_eq!(tx.send(3).unwrap_err().into_inner(), 3);
        let mut rx = tx.subscribe();
        assert_eq!(tx.send(4), Ok(1));
        assert_eq!(rx.try_recv(), Ok(4));
    }

    #[test]
    fn value_owning_a_sender_can_be_dropped_by_the_channel() {
        #[derive(Clone)]
        struct Msg(#[allow(dead_code)] Sender<Msg>);
        let (tx, rx) = channel::<Msg>(1);
        tx.send(Msg(tx.clone())).unwrap();
        tx.send(Msg(tx.clone())).unwrap(); // overwrites the first
        drop(tx);
        drop(rx); // drops the second
    }

    #[test]
    #[should_panic(expected = "capacity above 0")]
    fn zero_capacity_panics() {
        let _ = channel::<u8>(0);
    }
}
