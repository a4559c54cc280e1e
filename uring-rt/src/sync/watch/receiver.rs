//! [`Receiver`]: one watcher of a watch channel.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::error::RecvError;
use super::shared::Shared;
use super::Ref;
use crate::sync::waiters::Key;

/// Reads the value of a watch channel and waits for it to change.
/// Clones start having seen what the original has seen.
///
/// ```
/// # aio::Runtime::new().unwrap().block_on(async {
/// let (tx, mut rx) = aio::sync::watch::channel(0);
/// for i in 1..=3 {
///     tx.send(i).unwrap();
/// }
/// // Three sends, one change to see: the latest value.
/// rx.changed().await.unwrap();
/// assert_eq!(*rx.borrow_and_update(), 3);
/// assert!(!rx.has_changed().unwrap());
/// # });
/// ```
///
/// Neither `Send` nor `Sync`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::watch::Receiver<u32>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::watch::Receiver<u32>>();
/// ```
pub struct Receiver<T> {
    shared: Rc<Shared<T>>,
    /// The version this receiver has seen.
    seen: u64,
}

impl<T> Receiver<T> {
    pub(super) fn new(shared: Rc<Shared<T>>, seen: u64) -> Self {
        Receiver { shared, seen }
    }

    /// Reads the current value without marking it seen.
    ///
    /// # Panics
    ///
    /// If called from inside a `send_modify`/`send_if_modified` closure
    /// of this channel.
    #[track_caller]
    pub fn borrow(&self) -> Ref<'_, T> {
        let has_changed = self.seen != self.shared.version();
        Ref::new(self.shared.borrow(), has_changed)
    }

    /// Reads the current value and marks it seen.
    ///
    /// # Panics
    ///
    /// As [`borrow`](Self::borrow).
    #[track_caller]
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let version = self.shared.version();
        let has_changed = self.seen != version;
        self.seen = version;
        Ref::new(self.shared.borrow(), has_changed)
    }

    /// Whether the current value has not been seen by this receiver.
    ///
    /// # Errors
    ///
    /// [`RecvError`] if every sender is gone (even if there is an unseen
    /// value, as tokio's).
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        if self.shared.is_closed() {
            return Err(RecvError(()));
        }
        Ok(self.seen != self.shared.version())
    }

    /// Marks the current value unseen: [`changed`](Self::changed)
    /// completes at once.
    pub fn mark_changed(&mut self) {
        self.seen = self.shared.version().wrapping_sub(1);
    }

    /// Marks the current value seen without reading it.
    pub fn mark_unchanged(&mut self) {
        self.seen = self.shared.version();
    }

    /// Waits until there is a value this receiver has not seen, and marks
    /// it seen. Completes at once if the current value is unseen; several
    /// sends while it was not looking make one change (read the latest
    /// value with [`borrow`](Self::borrow)).
    ///
    /// Each ready call spends one unit of the task's cooperative budget.
    ///
    /// # Errors
    ///
    /// [`RecvError`] if every sender is gone and the current value has
    /// been seen: nothing can change any more.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropped before it completes, it marked nothing seen.
    /// Waiting receivers are woken in the order they started waiting.
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        Changed {
            shared: &self.shared,
            seen: &mut self.seen,
            key: None,
        }
        .await
    }

    /// Waits until `f` returns `true` for the value, marks it seen and
    /// returns it. `f` sees the current value first, then each new
    /// version it is woken for (not every version sent: it runs when this
    /// task does).
    ///
    /// # Errors
    ///
    /// [`RecvError`] if every sender is gone and `f` returned `false` for
    /// the last value.
    ///
    /// # Panics
    ///
    /// As [`borrow`](Self::borrow), and if `f` panics.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropped before it completes, it returned nothing; the
    /// values `f` rejected are marked seen.
    pub async fn wait_for(
        &mut self,
        mut f: impl FnMut(&T) -> bool,
    ) -> Result<Ref<'_, T>, RecvError> {
        let shared: &Shared<T> = &self.shared;
        let seen = &mut self.seen;
        let mut closed = false;
        // Whether the value `f` looks at next was unseen when the call began
        // or arrived as a change while waiting.
        let mut has_changed = *seen != shared.version();
        loop {
            let version = shared.version();
            has_changed |= *seen != version;
            *seen = version;
            if !closed || has_changed {
                let value = shared.borrow();
                if f(&value) {
                    return Ok(Ref::new(value, has_changed));
                }
            }
            if closed {
                return Err(RecvError(()));
            }
            let change = Changed {
                shared,
                seen: &mut *seen,
                key: None,
            }
            .await;
            closed = change.is_err();
            has_changed = change.is_ok();
        }
    }

    /// Whether `self` and `other` watch the same channel.
    pub fn same_channel(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.add_receiver();
        Receiver::new(Rc::clone(&self.shared), self.seen)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.drop_receiver();
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("has_changed", &(self.seen != self.shared.version()))
            .finish_non_exhaustive()
    }
}

/// The future inside [`Receiver::changed`]: `key` is its place in the
/// wait list while it waits (`None` before the first `Pending` and after
/// completion); `Drop` takes it out.
struct Changed<'a, T> {
    shared: &'a Shared<T>,
    seen: &'a mut u64,
    key: Option<Key>,
}

impl<T> Future for Changed<'_, T> {
    type Output = Result<(), RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.shared.poll_changed(this.seen, &mut this.key, cx)
    }
}

impl<T> Drop for Changed<'_, T> {
    fn drop(&mut self) {
        self.shared.unpark(&mut self.key);
    }
}
