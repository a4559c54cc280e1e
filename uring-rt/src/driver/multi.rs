//! The stream type for multishot operations: one submission, many
//! completions (see the module docs of [`driver`](super) for the slot's
//! states).

use std::rc::Rc;
use std::task::{Context, Poll};

use super::{cqe_flags, Call, IoDriver};

/// A multishot operation's definition (multishot receive, accept).
pub(crate) trait MultiCode: 'static {
    /// Whether a cancellation must reach the kernel at once (accepts; see
    /// [`OpCode::CANCEL_NOW`](super::OpCode::CANCEL_NOW)).
    const CANCEL_NOW: bool = false;

    /// The kernel call ([`Call::is_multishot`]). Pointers in it must stay
    /// valid while `self` is alive, even if `self` is moved.
    fn call(&mut self) -> Call;

    /// Releases what a completion carries (a provided buffer, an accepted
    /// descriptor) when nobody will take it: the stream was dropped.
    fn orphaned_cqe(&mut self, res: i32, flags: u32);
}

/// A submitted multishot operation: yields its completions, `(res, flags)`,
/// in order, then `None` after the last one (the one without
/// `CQE_F_MORE`). Dropping it early cancels the operation; completions
/// that arrive after go to [`MultiCode::orphaned_cqe`].
pub(crate) struct MultiOp<T: MultiCode> {
    driver: Rc<IoDriver>,
    key: u64,
    data: Option<T>,
    /// The last completion was yielded; the next poll frees the slot.
    last_seen: bool,
}

impl<T: MultiCode> MultiOp<T> {
    /// Submits `data` to the current runtime's driver.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub(crate) fn submit(mut data: T) -> MultiOp<T> {
        let driver = super::context::current();
        let call = data.call();
        debug_assert!(call.is_multishot());
        let key = driver.submit(call);
        MultiOp {
            driver,
            key,
            data: Some(data),
            last_seen: false,
        }
    }

    /// The next completion; `Ready(None)` once the op is over. A
    /// completion without `CQE_F_MORE` is the last.
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<(i32, u32)>> {
        if self.data.is_none() {
            return Poll::Ready(None);
        }
        // Out of budget: let the core's other tasks and timers run first
        // (completions keep queueing meanwhile).
        if crate::coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        match self.driver.poll_stream(self.key, cx) {
            Poll::Ready(Some(cqe)) => {
                self.last_seen |= cqe.1 & cqe_flags::MORE == 0;
                Poll::Ready(Some(cqe))
            }
            Poll::Ready(None) => {
                crate::coop::refund();
                self.data = None;
                Poll::Ready(None)
            }
            Poll::Pending => {
                crate::coop::refund();
                Poll::Pending
            }
        }
    }

    /// Whether the last completion was yielded (the op is over).
    pub(crate) fn is_done(&self) -> bool {
        self.last_seen || self.data.is_none()
    }
}

impl<T: MultiCode> Drop for MultiOp<T> {
    fn drop(&mut self) {
        if let Some(data) = self.data.take() {
            self.driver.drop_stream(self.key, data);
        }
    }
}
