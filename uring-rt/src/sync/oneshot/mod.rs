//! A one-shot channel: one value from one [`Sender`] to one [`Receiver`],
//! between tasks on one core.
//!
//! ```
//! # async fn demo() {
//! let (tx, rx) = aio::sync::oneshot::channel();
//! tx.send(42).unwrap();
//! assert_eq!(rx.await, Ok(42));
//! # }
//! ```
//!
//! The [`Receiver`] is itself the future of the value; it fails with
//! [`RecvError`] if the sender is dropped without sending. Both halves
//! are `!Send`: for values crossing cores use `aio::cores::channel`.

pub mod error;
mod receiver;
mod sender;
mod shared;

use std::rc::Rc;

pub use error::{RecvError, TryRecvError};
pub use receiver::Receiver;
pub use sender::Sender;

/// Creates a one-shot channel.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Rc::new(shared::Shared::new());
    (Sender::new(Rc::clone(&shared)), Receiver::new(shared))
}
