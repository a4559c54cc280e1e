//! Combinators for running futures side by side on the current task:
//! [`join`] waits for both, [`select`] for the first (dropping the other).
//!
//! # Cancelling owned-buffer operations
//!
//! The loser of a [`select`] is dropped. For an aio operation that means
//! *cancelled*: the runtime keeps its buffer until the kernel is done and
//! then frees it, and data the kernel already delivered into it is lost
//! with it. So do not race a `read(buf)` against a timer or another event
//! when the bytes matter: keep the read in its own task
//! ([`aio::spawn`](crate::spawn)) and `select` on its `JoinHandle` or on a
//! channel it sends to, so the read always completes and hands its buffer
//! back. Operations that move no data (sleeps, and accepts, whose
//! connection won by a dropped accept goes to the next one) are safe to
//! lose.
//!
//! ```
//! use std::time::Duration;
//! use aio::future::{join, select, Either};
//!
//! # aio::Runtime::new().unwrap().block_on(async {
//! let (a, b) = join(async { 1 }, async { "two" }).await;
//! assert_eq!((a, b), (1, "two"));
//!
//! let fast = aio::time::sleep(Duration::from_millis(1));
//! let slow = aio::time::sleep(Duration::from_secs(60));
//! assert!(matches!(select(fast, slow).await, Either::Left(())));
//! # });
//! ```

#![forbid(unsafe_code)]

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;

/// Which of two futures finished first, with its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Either<L, R> {
    /// The first future finished first.
    Left(L),
    /// The second future finished first.
    Right(R),
}

/// Runs `a` and `b` concurrently on the current task and returns both
/// outputs once both are done. Each is polled only when woken (no busy
/// polling of the other).
pub async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = pin!(a);
    let mut b = pin!(b);
    let (mut out_a, mut out_b) = (None, None);
    poll_fn(|cx| {
        if out_a.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                out_a = Some(v);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                out_b = Some(v);
            }
        }
        match (out_a.take(), out_b.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a, b) => {
                (out_a, out_b) = (a, b);
                Poll::Pending
            }
        }
    })
    .await
}

/// Runs `a` and `b` concurrently on the current task and returns the output
/// of the first to finish; the other is dropped (cancelled: see the module
/// docs for what that means for an owned-buffer operation). When both are
/// ready in the same poll, `a` wins (the order is biased, not random).
pub async fn select<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = pin!(a);
    let mut b = pin!(b);
    poll_fn(|cx| {
        if let Poll::Ready(v) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(v));
        }
        if let Poll::Ready(v) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(v));
        }
        Poll::Pending
    })
    .await
}
