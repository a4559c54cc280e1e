//! `Incoming`: a listener's accepted connections as a `Stream`, backing off
//! while the process is out of descriptors.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;

use crate::time::{sleep, Sleep};

type AcceptFuture<'a, T> = Pin<Box<dyn Future<Output = io::Result<T>> + 'a>>;

/// The stream returned by `TcpListener::incoming` and
/// `UnixListener::incoming`: each item is one `accept()`.
///
/// When accepting fails for lack of descriptors (`EMFILE`/`ENFILE`) the
/// error is yielded and the stream backs off (10 ms, doubling up to 1 s)
/// before trying again, so a server looping over it does not spin while
/// the process is out of descriptors. The connection stays queued in the
/// kernel and is accepted once descriptors are freed.
#[must_use = "streams do nothing unless polled"]
pub struct Incoming<'a, T> {
    accept: Box<dyn FnMut() -> AcceptFuture<'a, T> + 'a>,
    pending: Option<AcceptFuture<'a, T>>,
    backoff: Option<Pin<Box<Sleep>>>,
    delay: Duration,
}

impl<'a, T> Incoming<'a, T> {
    pub(crate) fn new<F, Fut>(mut accept: F) -> Incoming<'a, T>
    where
        F: FnMut() -> Fut + 'a,
        Fut: Future<Output = io::Result<T>> + 'a,
    {
        Incoming {
            accept: Box::new(move || Box::pin(accept())),
            pending: None,
            backoff: None,
            delay: Duration::ZERO,
        }
    }
}

impl<T> Stream for Incoming<'_, T> {
    type Item = io::Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Some(backoff) = this.backoff.as_mut() {
            if backoff.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.backoff = None;
        }
        let fut = this.pending.get_or_insert_with(|| (this.accept)());
        let res = match fut.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(res) => res,
        };
        this.pending = None;
        match &res {
            Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE) | Some(libc::ENFILE)) => {
                this.delay =
                    (this.delay * 2).clamp(Duration::from_millis(10), Duration::from_secs(1));
                this.backoff = Some(Box::pin(sleep(this.delay)));
            }
            _ => this.delay = Duration::ZERO,
        }
        Poll::Ready(Some(res))
    }
}

impl<T> fmt::Debug for Incoming<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Incoming")
            .field("backing_off", &self.backoff.is_some())
            .finish()
    }
}
