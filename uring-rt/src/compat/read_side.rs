//! The read half of [`Compat`](super::Compat)'s state: one owned buffer and
//! at most one read in flight, kept across polls.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{ready, Context, Poll};

use crate::io::AsyncRentDuplex;
use crate::BufResult;

/// A read of the stream into the adapter's buffer, owning both (an `Rc`
/// clone of the stream, the buffer by value).
type ReadOp = Pin<Box<dyn Future<Output = BufResult<usize, Vec<u8>>>>>;

/// The states, and who moves between them (only the poll methods of
/// `Compat`, through [`poll_fill`](ReadSide::poll_fill) and
/// [`consume`](ReadSide::consume)):
///
/// - **Buffered**: `op` is `None`, `buf[pos..]` holds bytes not yet handed
///   out. `consume` advances `pos`.
/// - **Idle**: `op` is `None` and `pos == buf.len()`. The next `poll_fill`
///   clears `buf`, moves it into a new read op (→ Reading) and polls it.
/// - **Reading**: `op` is `Some` and owns the buffer (`buf` is an empty
///   placeholder). A `Pending` poll leaves it in flight; its completion
///   puts the buffer back (→ Buffered, or Idle at end of stream or on an
///   error, which that poll returns).
pub(super) struct ReadSide {
    buf: Vec<u8>,
    pos: usize,
    op: Option<ReadOp>,
    capacity: usize,
}

impl ReadSide {
    pub(super) fn new(capacity: usize) -> ReadSide {
        ReadSide {
            buf: Vec::new(),
            pos: 0,
            op: None,
            capacity,
        }
    }

    /// The buffered bytes, reading more first when there are none; an empty
    /// slice is end of stream. The read it starts stays in flight when this
    /// returns `Pending`.
    pub(super) fn poll_fill<T: AsyncRentDuplex + 'static>(
        &mut self,
        inner: &Rc<T>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<&[u8]>> {
        if self.pos < self.buf.len() {
            return Poll::Ready(Ok(&self.buf[self.pos..]));
        }
        let op = match &mut self.op {
            Some(op) => op,
            None => {
                let mut buf = std::mem::take(&mut self.buf);
                buf.clear();
                buf.reserve_exact(self.capacity);
                self.pos = 0;
                let inner = Rc::clone(inner);
                self.op
                    .insert(Box::pin(async move { inner.read_shared(buf).await }))
            }
        };
        let (res, buf) = ready!(op.as_mut().poll(cx));
        self.op = None;
        self.buf = buf;
        self.pos = 0;
        match res {
            Ok(_) => Poll::Ready(Ok(&self.buf)),
            Err(e) => {
                self.buf.clear();
                Poll::Ready(Err(e))
            }
        }
    }

    /// Marks `n` buffered bytes as handed out.
    pub(super) fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }

    /// Copies up to `room` bytes to `put` (reading first when none are
    /// buffered), returning how many; 0 is end of stream (or no room).
    pub(super) fn poll_read_with<T: AsyncRentDuplex + 'static>(
        &mut self,
        inner: &Rc<T>,
        cx: &mut Context<'_>,
        room: usize,
        put: impl FnOnce(&[u8]),
    ) -> Poll<io::Result<usize>> {
        if room == 0 {
            return Poll::Ready(Ok(0));
        }
        let data = ready!(self.poll_fill(inner, cx))?;
        let n = room.min(data.len());
        put(&data[..n]);
        self.consume(n);
        Poll::Ready(Ok(n))
    }
}

impl fmt::Debug for ReadSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadSide")
            .field("buffered", &(self.buf.len() - self.pos))
            .field("in_flight", &self.op.is_some())
            .finish()
    }
}
