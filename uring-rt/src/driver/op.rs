//! The one future type for every kernel operation.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::{Call, IoDriver};

/// An operation's definition: how to describe it to the kernel, and how to
/// turn the kernel's answer into its output. Implemented once per operation
/// in `driver/ops/`, and run by both backends.
pub(crate) trait OpCode: 'static {
    /// What awaiting the op yields (usually with the buffer handed back).
    type Output;

    /// Whether a cancellation of this op must reach the kernel at once
    /// rather than with the loop turn's batch (accepts: see
    /// `Uring::cancel`).
    const CANCEL_NOW: bool = false;

    /// The kernel call. Called once, on the runtime thread, at submission.
    /// Pointers in it must stay valid while `self` is alive, even if `self`
    /// is moved: point into heap memory the op owns (the buffer, a `Box`).
    fn call(&mut self) -> Call;

    /// Builds the output from the result (`Ok(res)` for a non-negative
    /// kernel result, the errno otherwise) and the CQE flags. Called once.
    /// It may also be called for an op whose future was dropped, with the
    /// output then dropped: resources the kernel produced (an accepted or
    /// opened fd) are released that way.
    fn complete(self, res: io::Result<u32>, flags: u32) -> Self::Output;

    /// Completes an op nobody awaits any more (its future was dropped).
    /// By default the output is built and dropped, releasing whatever the
    /// kernel produced; an op may instead hand it to someone who wants it
    /// (an accept gives the connection back to its listener).
    fn orphaned(self, res: io::Result<u32>, flags: u32)
    where
        Self: Sized,
    {
        drop(self.complete(res, flags));
    }
}

/// Turns a raw completion result into `io::Result` (the one place that does).
pub(crate) fn cqe_result(res: i32) -> io::Result<u32> {
    if res < 0 {
        Err(io::Error::from_raw_os_error(-res))
    } else {
        Ok(res as u32)
    }
}

/// A submitted operation. Awaiting it yields the op's output; dropping it
/// early cancels the operation and parks `T` (its buffer, fd, sockaddr) in
/// the driver until the kernel reports it done.
pub(crate) struct Op<T: OpCode> {
    driver: Rc<IoDriver>,
    key: u64,
    data: Option<T>,
    /// A cancellation was requested through a scope (`crate::cancel`).
    cancelling: bool,
}

impl<T: OpCode> Op<T> {
    /// Submits `data` to the current runtime's driver.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub(crate) fn submit(mut data: T) -> Op<T> {
        let driver = super::context::current();
        let key = driver.submit(data.call());
        Op {
            driver,
            key,
            data: Some(data),
            cancelling: false,
        }
    }
}

impl<T: OpCode> Unpin for Op<T> {}

impl<T: OpCode> Future for Op<T> {
    type Output = T::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T::Output> {
        // A deadline passed (`time::cancel_after`): ask the kernel to stop,
        // and go on waiting for the op's own completion.
        if !self.cancelling && crate::cancel::requested() {
            self.cancelling = true;
            self.driver.cancel_op(self.key, T::CANCEL_NOW);
        }
        // Out of budget: let the core's other tasks and timers run first
        // (the op keeps running, or stays completed, meanwhile).
        if crate::coop::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        match self.driver.poll_op(self.key, cx) {
            Poll::Ready((res, flags)) => {
                let data = self.data.take().expect("`Op` polled after completion");
                Poll::Ready(data.complete(cqe_result(res), flags))
            }
            Poll::Pending => {
                crate::coop::refund();
                Poll::Pending
            }
        }
    }
}

impl<T: OpCode> Drop for Op<T> {
    fn drop(&mut self) {
        if let Some(data) = self.data.take() {
            self.driver.drop_op(self.key, data);
        }
    }
}
