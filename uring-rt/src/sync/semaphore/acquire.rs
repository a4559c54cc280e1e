//! The future that waits in a [`Semaphore`]'s queue.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{AcquireError, Outcome, Semaphore, SemaphorePermit};
use crate::sync::waiters::{wake_all, Key, Removed};

/// The future behind [`Semaphore::acquire`] and
/// [`Semaphore::acquire_many`].
///
/// States: `Idle` (not polled yet: not queued, holds nothing) → either
/// `Done` directly (fast path, or closed) or `Queued(key)` (parked in the
/// semaphore's wait list) → `Done` (its outcome collected; the permits, if
/// any, now belong to the returned `SemaphorePermit`). Only `Queued` owns
/// anything — a place in the queue or an uncollected grant — and `Drop`
/// gives that back.
pub(super) struct Acquire<'a> {
    sem: &'a Semaphore,
    wanted: usize,
    phase: Phase,
}

/// See [`Acquire`].
#[derive(Debug, Clone, Copy)]
enum Phase {
    Idle,
    Queued(Key),
    Done,
}

impl<'a> Acquire<'a> {
    pub(super) fn new(sem: &'a Semaphore, wanted: usize) -> Self {
        Acquire {
            sem,
            wanted,
            phase: Phase::Idle,
        }
    }
}

impl<'a> Future for Acquire<'a> {
    type Output = Result<SemaphorePermit<'a>, AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut state = this.sem.state.borrow_mut();
        match this.phase {
            Phase::Idle => {
                if state.closed {
                    this.phase = Phase::Done;
                    return Poll::Ready(Err(AcquireError(())));
                }
                if state.waiters.is_empty() && state.permits >= this.wanted {
                    state.permits -= this.wanted;
                    this.phase = Phase::Done;
                    return Poll::Ready(Ok(SemaphorePermit::new(this.sem, this.wanted)));
                }
                let key = state.waiters.push(cx.waker(), this.wanted);
                this.phase = Phase::Queued(key);
                Poll::Pending
            }
            Phase::Queued(key) => match state.waiters.take_outcome(key) {
                Some(Outcome::Granted) => {
                    this.phase = Phase::Done;
                    Poll::Ready(Ok(SemaphorePermit::new(this.sem, this.wanted)))
                }
                Some(Outcome::Closed) => {
                    this.phase = Phase::Done;
                    Poll::Ready(Err(AcquireError(())))
                }
                None => {
                    state.waiters.update_waker(key, cx.waker());
                    Poll::Pending
                }
            },
            Phase::Done => panic!("`Acquire` polled after it completed"),
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        let Phase::Queued(key) = self.phase else {
            return;
        };
        let mut state = self.sem.state.borrow_mut();
        match state.waiters.remove(key) {
            // Leaving the head may let the waiters behind it through.
            Removed::Queued(_) => {
                let wakers = state.grant();
                drop(state);
                wake_all(wakers);
            }
            // Granted but never collected: the permits go back.
            Removed::Done(Outcome::Granted) => {
                drop(state);
                self.sem.release(self.wanted);
            }
            Removed::Done(Outcome::Closed) | Removed::Gone => {}
        }
    }
}
