//! Core-local synchronisation: async locks, a semaphore, notification and
//! channels for tasks running on **one** aio runtime (one core).
//!
//! | type | for |
//! |------|-----|
//! | [`Mutex`] | exclusive access held across `.await` |
//! | [`RwLock`] | many readers or one writer, writer not starved |
//! | [`Semaphore`] | limiting concurrency; FIFO, large requests not starved |
//! | [`Notify`] | waking one or all waiting tasks |
//! | [`oneshot`] | one value from one task to another |
//! | [`mpsc`] | a stream of values from many tasks to one (bounded or not) |
//! | [`broadcast`] | every value to every receiver; slow receivers lag, senders never wait |
//! | [`watch`] | the latest value of something, and a wakeup when it changes |
//! | [`Barrier`] | `n` tasks waiting for each other, round after round |
//!
//! Because an aio runtime runs all its tasks on one thread, these types
//! use `Cell`/`RefCell` and plain `std::task::Waker`s instead of atomics
//! or OS locks, and none is `Send` or `Sync`: the compiler stops them
//! from leaking to another core. Share them between tasks with `Rc`. For
//! values that cross cores use `aio::cores::channel`.
//!
//! Every waiting operation is served first-in, first-out, and every
//! waiting future can be dropped at any point without leaking its place
//! or losing what it was handed: a granted permit or lock goes back, a
//! consumed `notify_one` passes on to the next waiter. Each future's
//! `# Cancel safety` section says exactly what dropping it means.
//!
//! ```
//! # async fn demo() {
//! use std::rc::Rc;
//! use aio::sync::{mpsc, Mutex};
//!
//! let total = Rc::new(Mutex::new(0));
//! let (tx, mut rx) = mpsc::channel(16);
//! tx.send(5).await.unwrap();
//! drop(tx);
//! while let Some(n) = rx.recv().await {
//!     *total.lock().await += n;
//! }
//! assert_eq!(*total.lock().await, 5);
//! # }
//! ```
//!
//! Each type's docs carry `compile_fail` tests proving it is neither
//! `Send` nor `Sync`. This one compiles, which shows those tests fail for
//! the trait bound and not for a wrong path:
//!
//! ```
//! use aio::sync::{broadcast, mpsc, oneshot, watch};
//! use aio::sync::Barrier;
//! use aio::sync::{Mutex, MutexGuard, Notified, Notify, RwLock};
//! use aio::sync::{OwnedSemaphorePermit, RwLockReadGuard, RwLockWriteGuard};
//! use aio::sync::{Semaphore, SemaphorePermit};
//! fn named<T>() {}
//! named::<Semaphore>();
//! named::<SemaphorePermit<'static>>();
//! named::<OwnedSemaphorePermit>();
//! named::<Mutex<u32>>();
//! named::<MutexGuard<'static, u32>>();
//! named::<RwLock<u32>>();
//! named::<RwLockReadGuard<'static, u32>>();
//! named::<RwLockWriteGuard<'static, u32>>();
//! named::<Notify>();
//! named::<Notified<'static>>();
//! named::<oneshot::Sender<u32>>();
//! named::<oneshot::Receiver<u32>>();
//! named::<mpsc::Sender<u32>>();
//! named::<mpsc::Receiver<u32>>();
//! named::<mpsc::Permit<'static, u32>>();
//! named::<mpsc::UnboundedSender<u32>>();
//! named::<mpsc::UnboundedReceiver<u32>>();
//! named::<broadcast::Sender<u32>>();
//! named::<broadcast::Receiver<u32>>();
//! named::<watch::Sender<u32>>();
//! named::<watch::Receiver<u32>>();
//! named::<watch::Ref<'static, u32>>();
//! named::<Barrier>();
//! ```

#![forbid(unsafe_code)]

mod barrier;
pub mod broadcast;
pub mod mpsc;
mod mutex;
mod notify;
pub mod oneshot;
mod rwlock;
mod semaphore;
#[cfg(test)]
mod test_util;
mod waiters;
pub mod watch;

pub use barrier::{Barrier, BarrierWaitResult};
pub use mutex::{Mutex, MutexGuard, TryLockError};
pub use notify::{Notified, Notify};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::{
    AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};
