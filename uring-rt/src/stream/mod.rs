//! [`StreamExt`]: `next().await` on any `futures_core::Stream` (a
//! listener's `incoming()`, an `interval`, `recv_multi`), without pulling
//! in the `futures` crate.
//!
//! ```
//! use aio::stream::StreamExt;
//! use std::time::Duration;
//!
//! # aio::Runtime::new().unwrap().block_on(async {
//! let mut ticks = aio::time::interval(Duration::from_millis(1));
//! ticks.next().await;
//! ticks.next().await;
//! # });
//! ```

#![forbid(unsafe_code)]

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use futures_core::Stream;

/// Awaiting helpers for every [`Stream`] (blanket-implemented; import the
/// trait, or `aio::prelude::*`, to call them).
pub trait StreamExt: Stream {
    /// The next item; `None` once the stream has ended.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe as far as the stream's own `poll_next` is: no item is
    /// taken until it is returned.
    fn next(&mut self) -> Next<'_, Self>
    where
        Self: Unpin,
    {
        Next { stream: self }
    }
}

impl<S: Stream + ?Sized> StreamExt for S {}

/// The future returned by [`StreamExt::next`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct Next<'a, S: ?Sized> {
    stream: &'a mut S,
}

impl<S: Stream + Unpin + ?Sized> Future for Next<'_, S> {
    type Output = Option<S::Item>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut *self.stream).poll_next(cx)
    }
}
