//! The write half of [`Compat`](super::Compat)'s state: accepted bytes
//! gather in one owned buffer while another is being written out.

use std::fmt;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{ready, Context, Poll};

use crate::io::{write_all_shared, AsyncRentDuplex};
use crate::BufResult;

/// Writes every byte of a buffer to the stream (looping over partial
/// writes), owning both; gives the buffer back for reuse.
type WriteOp = Pin<Box<dyn Future<Output = BufResult<(), Vec<u8>>>>>;

/// Shuts the stream's write side down, owning an `Rc` clone of it.
type ShutdownOp = Pin<Box<dyn Future<Output = io::Result<()>>>>;

/// The states, moved only by the poll methods of `Compat`:
///
/// - `gather` holds accepted bytes not yet handed to a write (at most
///   `capacity`); `poll_write` appends to it.
/// - `op`, when `Some`, is writing an earlier batch out and owns that
///   buffer; it stays in flight across polls. When it completes, its
///   buffer, emptied, becomes `spare`; when no op is in flight and
///   `gather` is not empty, `gather` goes into a new op and `spare`
///   becomes the new `gather`.
/// - `shutdown` is the shutdown in flight, started once everything is
///   flushed; `shut` records that it completed.
pub(super) struct WriteSide {
    gather: Vec<u8>,
    spare: Vec<u8>,
    op: Option<WriteOp>,
    shutdown: Option<ShutdownOp>,
    shut: bool,
    capacity: usize,
}

impl WriteSide {
    pub(super) fn new(capacity: usize) -> WriteSide {
        WriteSide {
            gather: Vec::new(),
            spare: Vec::new(),
            op: None,
            shutdown: None,
            shut: false,
            capacity,
        }
    }

    /// Moves `gather` into a new write op, if there is something to write
    /// and no op in flight.
    fn start<T: AsyncRentDuplex + 'static>(&mut self, inner: &Rc<T>) {
        if self.op.is_some() || self.gather.is_empty() {
            return;
        }
        let batch = std::mem::replace(&mut self.gather, std::mem::take(&mut self.spare));
        let inner = Rc::clone(inner);
        self.op = Some(Box::pin(
            async move { write_all_shared(&*inner, batch).await },
        ));
    }

    /// Polls the write in flight, if any; `Ready` once none is (with the
    /// error of the one that just completed, if it failed).
    fn poll_op(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(op) = &mut self.op else {
            return Poll::Ready(Ok(()));
        };
        let (res, mut buf) = ready!(op.as_mut().poll(cx));
        self.op = None;
        buf.clear();
        self.spare = buf;
        Poll::Ready(res)
    }

    /// Accepts as many bytes of `bufs` as fit, in order, returning how many;
    /// `Pending` when nothing fits and a write is in flight.
    pub(super) fn poll_write_vectored<T: AsyncRentDuplex + 'static>(
        &mut self,
        inner: &Rc<T>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total == 0 {
            return Poll::Ready(Ok(0));
        }
        loop {
            // Reap the write in flight if it is done, freeing a buffer.
            if let Poll::Ready(res) = self.poll_op(cx) {
                res?;
            }
            let room = self.capacity.saturating_sub(self.gather.len());
            if room > 0 {
                if self.gather.capacity() == 0 {
                    self.gather.reserve_exact(self.capacity);
                }
                let mut accepted = 0;
                for b in bufs {
                    let n = b.len().min(room - accepted);
                    self.gather.extend_from_slice(&b[..n]);
                    accepted += n;
                    if accepted == room {
                        break;
                    }
                }
                // Start writing at once (unless a write is in flight, in
                // which case these bytes go with the next one), and poll
                // the new op so that it is submitted and wakes this task.
                if self.op.is_none() {
                    self.start(inner);
                    if let Poll::Ready(res) = self.poll_op(cx) {
                        res?;
                    }
                }
                return Poll::Ready(Ok(accepted));
            }
            if self.op.is_some() {
                // Both buffers are full: backpressure. `poll_op` above
                // registered this task's waker with the op in flight.
                return Poll::Pending;
            }
            self.start(inner);
        }
    }

    /// Writes out every accepted byte; `Ready(Ok)` once all have been
    /// written to the stream.
    pub(super) fn poll_flush<T: AsyncRentDuplex + 'static>(
        &mut self,
        inner: &Rc<T>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            ready!(self.poll_op(cx))?;
            if self.gather.is_empty() {
                return Poll::Ready(Ok(()));
            }
            self.start(inner);
        }
    }

    /// Flushes, then shuts the stream's write side down (once).
    pub(super) fn poll_shutdown<T: AsyncRentDuplex + 'static>(
        &mut self,
        inner: &Rc<T>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        if self.shut {
            return Poll::Ready(Ok(()));
        }
        ready!(self.poll_flush(inner, cx))?;
        let op = self.shutdown.get_or_insert_with(|| {
            let inner = Rc::clone(inner);
            Box::pin(async move { inner.shutdown_shared().await })
        });
        let res = ready!(op.as_mut().poll(cx));
        self.shutdown = None;
        self.shut = res.is_ok();
        Poll::Ready(res)
    }
}

impl fmt::Debug for WriteSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteSide")
            .field("gathered", &self.gather.len())
            .field("in_flight", &self.op.is_some())
            .field("shut", &self.shut)
            .finish()
    }
}
