//! Multi-producer, single-consumer channels between tasks on one core.
//!
//! - [`channel`]`(capacity)` is bounded: [`Sender::send`] waits while
//!   `capacity` messages are queued, which pushes back on producers.
//!   Waiting senders get slots in the order they asked (FIFO).
//! - [`unbounded_channel`] never waits; the queue grows as needed.
//!
//! Messages arrive in the order they were sent. [`Receiver::recv`]
//! returns `None` once every sender is gone (or the receiver was
//! [`close`](Receiver::close)d) and the queue is drained; a send fails,
//! giving the message back, once the receiver is closed or dropped.
//!
//! ```
//! # async fn demo() {
//! let (tx, mut rx) = aio::sync::mpsc::channel(8);
//! let tx2 = tx.clone();
//! tx.send(1).await.unwrap();
//! tx2.send(2).await.unwrap();
//! drop((tx, tx2));
//! assert_eq!(rx.recv().await, Some(1));
//! assert_eq!(rx.recv().await, Some(2));
//! assert_eq!(rx.recv().await, None);
//! # }
//! ```
//!
//! All halves are `!Send` and `!Sync`; for messages between cores use
//! `aio::cores::channel`.

mod bounded;
mod chan;
pub mod error;
mod unbounded;

use std::rc::Rc;

pub use bounded::{Permit, Receiver, Sender};
pub use error::{SendError, TryRecvError, TrySendError};
pub use unbounded::{UnboundedReceiver, UnboundedSender};

/// Creates a bounded channel holding at most `capacity` queued messages.
///
/// # Panics
///
/// Panics if `capacity` is 0 or above
/// [`Semaphore::MAX_PERMITS`](crate::sync::Semaphore::MAX_PERMITS).
#[track_caller]
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "mpsc::channel needs a capacity above 0");
    let chan = Rc::new(chan::Chan::bounded(capacity));
    (Sender::new(Rc::clone(&chan)), Receiver::new(chan))
}

/// Creates a channel with no capacity limit: sends never wait.
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Rc::new(chan::Chan::unbounded());
    (
        UnboundedSender::new(Rc::clone(&chan)),
        UnboundedReceiver::new(chan),
    )
}
