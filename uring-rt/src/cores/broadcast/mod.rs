//! Cross-core broadcast: every receiver, on any core or plain thread, sees
//! every value, with tokio's `broadcast` shape.
//!
//! [`aio::cores::broadcast(cap)`](crate::cores::broadcast()) (also reachable
//! as `aio::cores::broadcast::channel`, tokio's spelling) returns a
//! [`Sender`] and a first [`Receiver`]; more receivers come from
//! [`Sender::subscribe`] and [`Receiver::resubscribe`]. The channel keeps
//! the last `cap` values; a receiver that falls further behind is told
//! [`RecvError::Lagged(n)`](RecvError::Lagged) once and continues from the
//! oldest value kept. A value is dropped as soon as every receiver that
//! was subscribed when it was sent has seen it (or it is pushed out).
//!
//! # Differences from tokio
//!
//! - The capacity is kept exactly; tokio rounds it up to a power of two.
//!   With a power-of-two capacity the lag counts are the same.
//! - The ring is one `std::sync::Mutex` (held for a few field updates and,
//!   on receive, one `T::clone`); see `shared.rs`. A `T::clone` that itself
//!   uses the same channel would deadlock.
//! - [`Receiver::recv_blocking`] receives on a plain thread.
//!
//! # How receivers on other cores are woken
//!
//! As for [`channel`](crate::cores::channel()): a parked receiver leaves
//! its task's waker; a send takes every parked waker and wakes it after
//! unlocking. Woken from another thread, the runtime's waker routes the
//! task to its owning core and signals that core's ring (`MSG_RING` or its
//! eventfd), never by spinning; the runtime makes sure such a signal is
//! delivered even if the sending runtime's `block_on` returns right after.
//! A burst of sends wakes each parked receiver once.

pub mod error;
mod receiver;
mod sender;
mod shared;

use std::sync::Arc;

pub use error::{RecvError, SendError, TryRecvError};
pub use receiver::{Receiver, RecvFuture};
pub use sender::Sender;

/// Creates a cross-core broadcast channel that keeps up to `capacity`
/// values for receivers that fall behind; `aio::cores::broadcast` is this
/// function.
///
/// Every receiver sees every value sent after it subscribed, in order.
/// `send` never waits; `recv().await` parks the receiving task until a
/// value arrives, without spinning or polling.
///
/// ```
/// use aio::cores::{broadcast, Cores};
///
/// # fn main() -> std::io::Result<()> {
/// # if Cores::first(2).cpus().is_err() { return Ok(()); }
/// let (tx, rx) = broadcast::<u64>(1024);
/// // Each core gets its own receiver; core 0 also gets the sender.
/// let values = vec![(Some(tx), rx.resubscribe()), (None, rx)];
/// let sums = Cores::first(2).run_with(values, |_core, (tx, mut rx)| async move {
///     if let Some(tx) = tx {
///         for i in 1..=100 {
///             tx.send(i).unwrap();
///         }
///         // Dropping the only sender closes the channel once it is drained.
///     }
///     let mut sum = 0;
///     while let Ok(i) = rx.recv().await {
///         sum += i;
///     }
///     sum
/// })?;
/// // Both cores saw every value (capacity 1024 > 100: nobody lagged).
/// assert_eq!(sums, vec![5050, 5050]);
/// # Ok(())
/// # }
/// ```
///
/// Values must be `Clone + Send`; core-local types are refused at compile
/// time:
///
/// ```compile_fail
/// let (tx, rx) = aio::cores::broadcast::<std::rc::Rc<u8>>(1);
/// ```
///
/// # Panics
/// If `capacity` is 0.
#[track_caller]
pub fn channel<T: Clone + Send>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "broadcast capacity must be at least 1");
    let shared = Arc::new(shared::Shared::new(capacity));
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver {
            shared,
            next: 0,
            key: None,
        },
    )
}
