//! The sending half of a oneshot channel.

use std::fmt;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::shared::{register, wake, Shared};

/// Sends the one value of a [`oneshot`](super) channel.
///
/// Dropping it without sending makes the receiver fail with
/// [`RecvError`](super::RecvError).
///
/// Neither `Send` nor `Sync`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::oneshot::Sender<u32>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::oneshot::Sender<u32>>();
/// ```
pub struct Sender<T> {
    shared: Rc<Shared<T>>,
}

impl<T> Sender<T> {
    pub(super) fn new(shared: Rc<Shared<T>>) -> Self {
        Sender { shared }
    }

    /// Sends `value`, waking the receiver.
    ///
    /// # Errors
    ///
    /// Gives `value` back if the receiver was dropped or closed.
    pub fn send(self, value: T) -> Result<(), T> {
        if self.shared.rx_closed.get() {
            return Err(value);
        }
        *self.shared.value.borrow_mut() = Some(value);
        // `self` drops here and marks the sender gone; wake explicitly so
        // the order of the two is not load-bearing.
        wake(&self.shared.rx_waker);
        Ok(())
    }

    /// Whether the receiver was dropped or closed (a send would fail).
    pub fn is_closed(&self) -> bool {
        self.shared.rx_closed.get()
    }

    /// Waits until the receiver is dropped or closed — e.g. to stop
    /// computing a value nobody wants.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only observes state.
    pub async fn closed(&mut self) {
        poll_fn(|cx| self.poll_closed(cx)).await
    }

    /// Poll form of [`closed`](Self::closed): `Ready` once the receiver is
    /// gone, otherwise registers `cx`'s waker (only the latest one is
    /// kept).
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.shared.rx_closed.get() {
            return Poll::Ready(());
        }
        register(&self.shared.tx_waker, cx.waker());
        Poll::Pending
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.shared.tx_gone.set(true);
        wake(&self.shared.rx_waker);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}
