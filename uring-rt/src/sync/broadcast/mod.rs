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
