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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::test_util::Task;

    #[test]
    fn changed_sees_several_sends_as_one_change() {
        let (tx, mut rx) = channel(0);
        let mut changed = Task::new(rx.changed());
        changed.pending();
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        assert_eq!(changed.wakes(), 1);
        assert_eq!(changed.ready(), Ok(()));
        drop(changed);
        assert_eq!(*rx.borrow(), 2);
        Task::new(rx.changed()).pending();
    }

    #[test]
    fn waiters_wake_on_send_and_on_last_sender_drop() {
        let (tx, mut a) = channel(0);
        let mut b = a.clone();
        let tx2 = tx.clone();
        {
            let mut ca = Task::new(a.changed());
            let mut cb = Task::new(b.changed());
            ca.pending();
            cb.pending();
            cb.pending(); // a repoll keeps one place
            tx.send(1).unwrap();
            assert_eq!((ca.wakes(), cb.wakes()), (1, 1));
            ca.ready().unwrap();
            cb.ready().unwrap();
        }
        let mut ca = Task::new(a.changed());
        ca.pending();
        drop(tx);
        assert_eq!(ca.wakes(), 0);
        drop(tx2);
        assert_eq!(ca.wakes(), 1);
        assert!(ca.ready().is_err());
    }

    #[test]
    fn unseen_value_beats_closed_in_changed_but_not_in_has_changed() {
        let (tx, mut rx) = channel(0);
        tx.send(1).unwrap();
        drop(tx);
        assert!(rx.has_changed().is_err());
        assert_eq!(Task::new(rx.changed()).ready(), Ok(()));
        assert!(Task::new(rx.changed()).ready().is_err());
    }

    #[test]
    fn mark_changed_and_unchanged() {
        let (_tx, mut rx) = channel(0);
        rx.mark_changed();
        assert_eq!(rx.has_changed(), Ok(true));
        rx.mark_unchanged();
        assert_eq!(rx.has_changed(), Ok(false));
        rx.mark_changed();
        assert_eq!(Task::new(rx.changed()).ready(), Ok(()));
    }

    #[test]
    fn send_fails_without_receivers_but_send_replace_stores() {
        let (tx, rx) = channel(1);
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(tx.send(2).unwrap_err().into_inner(), 2);
        assert_eq!(*tx.borrow(), 1);
        assert_eq!(tx.send_replace(3), 1);
        let rx = tx.subscribe();
        assert_eq!(*rx.borrow(), 3);
        assert!(!rx.borrow().has_changed());
    }

    #[test]
    fn send_if_modified_false_wakes_nobody() {
        let (tx, mut rx) = channel(0);
        let mut changed = Task::new(rx.changed());
        changed.pending();
        assert!(!tx.send_if_modified(|_| false));
        assert_eq!(changed.wakes(), 0);
        changed.pending();
        assert!(tx.send_if_modified(|v| {
            *v = 5;
            true
        }));
        assert_eq!(changed.wakes(), 1);
        changed.ready().unwrap();
    }

    #[test]
    fn closed_waits_for_every_receiver() {
        let (tx, rx) = channel(0);
        let rx2 = rx.clone();
        let mut closed = Task::new(tx.closed());
        closed.pending();
        drop(rx);
        assert_eq!(closed.wakes(), 0);
        drop(rx2);
        assert_eq!(closed.wakes(), 1);
        closed.ready();
    }

    #[test]
    fn wait_for_checks_the_current_value_first() {
        let (tx, mut rx) = channel(3);
        assert_eq!(*Task::new(rx.wait_for(|v| *v == 3)).ready().unwrap(), 3);
        let mut wait = Task::new(rx.wait_for(|v| *v > 10));
        wait.pending();
        tx.send(5).unwrap();
        wait.pending();
        tx.send(11).unwrap();
        let got = wait.ready().unwrap();
        assert!(got.has_changed());
        assert_eq!(*got, 11);
        drop(got);
        drop(wait);
        let mut wait = Task::new(rx.wait_for(|v| *v == 0));
        wait.pending();
        drop(tx);
        assert!(wait.ready().is_err());
    }

    #[test]
    #[should_panic(expected = "drop the Ref before sending")]
    fn sending_while_a_ref_is_alive_panics_with_advice() {
        let (tx, rx) = channel(0);
        let _held = rx.borrow();
        let _ = tx.send(1);
    }
}
