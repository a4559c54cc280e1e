//! Bounded multi-producer, single-consumer channels between cores (and
//! plain threads).
//!
//! # How the receiving core is woken
//!
//! The receiver parks its task by leaving an ordinary [`Waker`] in the
//! channel; a sender takes it and calls `wake()`. A waker woken from another
//! thread routes the task to its owning runtime's inbox and signals that
//! core's ring, so a parked receiver costs no CPU and is woken by one
//! message to its ring:
//!
//! - from a thread running an io_uring runtime, an `IORING_OP_MSG_RING`
//!   queued on the sender's own ring posts a CQE straight into the
//!   receiver's ring; it goes out with the sender's next `io_uring_enter`,
//!   so the sending side makes no extra syscall;
//! - from a plain thread, an epoll runtime, a kernel without `MSG_RING`
//!   (before 5.18), or when the message cannot be queued, a `write(2)` on
//!   the receiver's eventfd, on which its ring keeps a read armed (or its
//!   epoll waits).
//!
//! Only the wake that finds the receiver parked pays that: while it is
//! scheduled or running, senders just queue.
//!
//! The channel is built on `Waker`s on purpose: it works unchanged for
//! senders on plain threads (which have no ring to send from), on the epoll
//! backend and on kernels without `MSG_RING`, and it needs nothing from the
//! driver. How a cross-thread wake is delivered is the waker's business
//! (the driver's), which is how ring-to-ring wakes moved to `MSG_RING`
//! without changing a line here. In a channel the wake is rare anyway (once
//! per burst, see above), so the per-message cost is the queue, not the
//! wake.
//!
//! Measured (2-vCPU VM, two threads pinned to CPUs 0 and 1, each blocked in
//! `io_uring_enter` on its own ring, 50,000 ping-pongs, medians of 6 runs):
//! eventfd write + eventfd read SQE ~57 µs per round trip, `MSG_RING` (sent
//! in the same enter that waits) ~53 µs; with COOP_TASKRUN ~62 vs ~57,
//! with DEFER_TASKRUN ~63 vs ~58. `MSG_RING` saves ~2-3 µs per wake (~8%);
//! the rest is the kernel waking a sleeping thread. A ping-pong over two
//! of these channels between two aio cores costs ~50-70 µs per round trip,
//! the same as the raw eventfd loop, so the channel adds no measurable cost
//! to the wake. 200,000 messages core 0 -> core 1 stream at ~3-11 M msg/s
//! with capacity 1024 (the receiver takes a whole burst per lock).
//!
//! [`Waker`]: std::task::Waker

mod error;
mod receiver;
mod sender;
mod shared;

use std::collections::VecDeque;
use std::sync::Arc;

pub use error::{SendError, TryRecvError, TrySendError};
pub use receiver::{Receiver, RecvFuture};
pub use sender::{SendFuture, Sender};

/// Creates a bounded channel that holds up to `capacity` messages, for
/// sending between cores (or from plain threads to a core).
///
/// `send().await` waits for room; `recv().await` parks the receiving task
/// until a message arrives, without spinning or polling.
///
/// ```
/// use aio::cores::{channel, Cores};
/// use std::sync::Mutex;
///
/// # fn main() -> std::io::Result<()> {
/// # if Cores::first(2).cpus().is_err() { return Ok(()); }
/// let (tx, rx) = channel::<u64>(1024);
/// // `run` calls the closure once per core: hand each half to one core.
/// let (tx, rx) = (Mutex::new(Some(tx)), Mutex::new(Some(rx)));
/// let sums = Cores::first(2).run(move |core| {
///     // Core 0 sends, core 1 receives.
///     let tx = if core.index() == 0 { tx.lock().unwrap().take() } else { None };
///     let rx = if core.index() == 1 { rx.lock().unwrap().take() } else { None };
///     async move {
///         if let Some(tx) = tx {
///             for i in 1..=100 {
///                 tx.send(i).await.unwrap();
///             }
///         }
///         let mut sum = 0;
///         if let Some(mut rx) = rx {
///             while let Some(i) = rx.recv().await {
///                 sum += i;
///             }
///         }
///         sum
///     }
/// })?;
/// assert_eq!(sums.iter().sum::<u64>(), 5050);
/// # Ok(())
/// # }
/// ```
///
/// Messages must be `Send`; core-local types are refused at compile time:
///
/// ```compile_fail
/// let (tx, rx) = aio::cores::channel::<std::rc::Rc<u8>>(1);
/// ```
///
/// There is one receiver; it cannot be cloned:
///
/// ```compile_fail
/// let (tx, rx) = aio::cores::channel::<u8>(1);
/// let rx2 = rx.clone();
/// ```
///
/// # Panics
/// If `capacity` is 0.
#[track_caller]
pub fn channel<T: Send>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "channel capacity must be at least 1");
    let shared = Arc::new(shared::Shared::new(capacity));
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver {
            shared,
            batch: VecDeque::new(),
        },
    )
}
