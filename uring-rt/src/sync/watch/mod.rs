//! A single value that many tasks watch, with a wakeup when it changes,
//! between tasks on one core (tokio's `sync::watch`).
//!
//! [`channel`]`(initial)` returns a [`Sender`] and a [`Receiver`]. The
//! channel holds only the latest value: a send replaces it, and receivers
//! that were not looking see only the newest one. Each receiver remembers
//! whether it has *seen* the current value;
//! [`changed`](Receiver::changed) waits until it has not.
//!
//! ```
//! use std::time::Duration;
//!
//! # aio::Runtime::new().unwrap().block_on(async {
//! let (tx, mut rx) = aio::sync::watch::channel("starting");
//! let watcher = aio::spawn(async move {
//!     while rx.changed().await.is_ok() {
//!         if *rx.borrow_and_update() == "ready" {
//!             return true;
//!         }
//!     }
//!     false
//! });
//! tx.send("loading").unwrap();
//! aio::time::sleep(Duration::from_millis(1)).await;
//! tx.send("ready").unwrap();
//! assert!(watcher.await.unwrap());
//! # });
//! ```
//!
//! A [`Ref`] from `borrow` reads the value in place. Drop it before the
//! next send on the same channel and do not hold it across `.await`: a
//! write while one is alive panics (tokio's would deadlock).
//!
//! All handles are `!Send` and `!Sync`.

pub mod error;
mod receiver;
mod sender;
mod shared;

use std::fmt;
use std::ops::Deref;
use std::rc::Rc;

pub use error::{RecvError, SendError};
pub use receiver::Receiver;
pub use sender::Sender;

/// Creates a watch channel holding `init`, with one sender and one
/// receiver. The receiver has seen `init`: its first
/// [`changed`](Receiver::changed) waits for a send.
///
/// ```
/// let (tx, rx) = aio::sync::watch::channel(1);
/// assert_eq!(*rx.borrow(), 1);
/// tx.send(2).unwrap();
/// assert_eq!(*rx.borrow(), 2);
/// ```
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Rc::new(shared::Shared::new(init));
    (Sender::new(Rc::clone(&shared)), Receiver::new(shared, 0))
}

/// A read guard for the value of a watch channel, from
/// [`Receiver::borrow`], [`Receiver::borrow_and_update`],
/// [`Receiver::wait_for`] or [`Sender::borrow`].
///
/// While it lives, a send on the same channel panics: drop it first, and
/// never hold it across `.await`.
///
/// ```
/// let (tx, rx) = aio::sync::watch::channel(String::from("a"));
/// {
///     let value = rx.borrow();
///     assert_eq!(value.as_str(), "a");
///     assert!(!value.has_changed());
/// } // dropped before the send
/// tx.send("b".into()).unwrap();
/// assert!(rx.borrow().has_changed());
/// ```
///
/// Neither `Send` nor `Sync`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::watch::Ref<'static, u32>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::watch::Ref<'static, u32>>();
/// ```
pub struct Ref<'a, T> {
    inner: std::cell::Ref<'a, T>,
    has_changed: bool,
}

impl<'a, T> Ref<'a, T> {
    fn new(inner: std::cell::Ref<'a, T>, has_changed: bool) -> Self {
        Ref { inner, has_changed }
    }

    /// Whether the receiver that borrowed had not seen this value before
    /// the borrow (always `false` for [`Sender::borrow`]).
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.inner, f)
    }
}
