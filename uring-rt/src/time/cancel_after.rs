//! [`cancel_after`]: a deadline for an owned-buffer operation that cancels
//! the kernel operation and waits for it, instead of dropping it.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::Instant;

use super::sleep::{deadline_after, Sleep};
use crate::runtime::context;

/// Runs `future` until `duration` has elapsed, then cancels the kernel
/// operation it waits on and waits for that operation to finish, so the
/// future completes and hands its buffer back.
///
/// Resolves to `Ok(output)` if the future finished before the deadline,
/// and to `Err(output)` if the deadline passed first: `output` is then what
/// the future returned once its operation stopped, usually an `ECANCELED`
/// error with the buffer, but a success if the kernel completed the
/// operation before the cancellation reached it (those bytes are not lost).
///
/// This is [`timeout`](super::timeout) for operations that own a buffer:
/// `timeout` drops the future, and with it the buffer (which the driver
/// keeps until the kernel lets go) and any bytes already read. The
/// [`read_timeout`](crate::io::AsyncReadRentExt::read_timeout) and
/// [`recv_from_timeout`](crate::net::UdpSocket::recv_from_timeout)
/// helpers are built on it; use it directly for a deadline on a write, an
/// accept or a sequence of reads:
///
/// ```
/// use std::time::Duration;
/// use aio::io::AsyncWriteRentExt;
/// use aio::net::{TcpListener, TcpStream};
/// use aio::time::cancel_after;
///
/// # aio::Runtime::new().unwrap().block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
/// let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
/// let (_server, _) = listener.accept().await.unwrap();
/// match cancel_after(Duration::from_secs(5), client.write_all(b"ping".to_vec())).await {
///     Ok((res, _buf)) => assert_eq!(res.unwrap(), 4),
///     // The deadline passed: the write was stopped and the buffer is back.
///     Err((_res, _buf)) => unreachable!("a 4-byte write does not take 5 s"),
/// }
/// # });
/// ```
///
/// After the deadline the future is polled with every kernel operation it
/// waits on (however deeply nested) asked to stop, each once; one it
/// starts later is stopped as soon as it starts. So a future waiting on
/// something else (a lock, a channel) is interrupted only at its next
/// kernel operation: for those, use `timeout`, which drops it.
///
/// # Panics
///
/// Panics if called outside an aio runtime; polling the future outside
/// one panics too.
///
/// # Cancel safety
///
/// As cancel safe as the inner future, which it drops when dropped.
#[track_caller]
pub fn cancel_after<F: IntoFuture>(duration: Duration, future: F) -> CancelAfter<F::IntoFuture> {
    context::assert_in_runtime("aio::time::cancel_after");
    new(deadline_after(Instant::now(), duration), future)
}

/// [`cancel_after`] with an absolute deadline (a `std::time::Instant` is
/// accepted too).
///
/// # Panics
///
/// Panics if called outside an aio runtime; polling the future outside
/// one panics too.
#[track_caller]
pub fn cancel_at<F: IntoFuture>(
    deadline: impl Into<Instant>,
    future: F,
) -> CancelAfter<F::IntoFuture> {
    context::assert_in_runtime("aio::time::cancel_at");
    new(deadline, future)
}

fn new<F: IntoFuture>(deadline: impl Into<Instant>, future: F) -> CancelAfter<F::IntoFuture> {
    CancelAfter {
        value: future.into_future(),
        delay: Sleep::new(deadline.into()),
        expired: false,
    }
}

/// Future returned by [`cancel_after`] and [`cancel_at`].
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct CancelAfter<F> {
    /// Structurally pinned: never moved while `CancelAfter` is pinned.
    value: F,
    /// `Unpin`, so not structurally pinned.
    delay: Sleep,
    expired: bool,
}

impl<F> CancelAfter<F> {
    /// The instant at which the operation is cancelled.
    pub fn deadline(&self) -> Instant {
        self.delay.deadline()
    }

    /// Whether the deadline has passed (the operation is being cancelled).
    pub fn is_expired(&self) -> bool {
        self.expired
    }
}

impl<F: Future> Future for CancelAfter<F> {
    type Output = Result<F::Output, F::Output>;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `value` is structurally pinned: it is only ever reached
        // through this pinned projection while `self` is pinned,
        // `CancelAfter` has no `Drop` impl that could move it, and
        // `CancelAfter: Unpin` holds only when `F: Unpin` (auto trait).
        // `delay` and `expired` are `Unpin` and not projected as pinned.
        let this = unsafe { self.get_unchecked_mut() };
        if !this.expired {
            // SAFETY: as above.
            let value = unsafe { Pin::new_unchecked(&mut this.value) };
            if let Poll::Ready(output) = value.poll(cx) {
                return Poll::Ready(Ok(output));
            }
            if Pin::new(&mut this.delay).poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.expired = true;
        }
        // SAFETY: as above.
        let value = unsafe { Pin::new_unchecked(&mut this.value) };
        crate::cancel::requesting(|| value.poll(cx)).map(Err)
    }
}
