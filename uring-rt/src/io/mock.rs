//! In-memory streams for testing the trait-level loops (`read_exact`,
//! `write_all`, ...) without a kernel: scripted partial reads and writes,
//! errors, end of stream, and a suspension before every operation.

use std::collections::VecDeque;
use std::future::{poll_fn, Future};
use std::io;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use crate::buf::{IoBuf, IoBufMut};
use crate::io::{AsyncReadRent, AsyncWriteRent};
use crate::BufResult;

/// Runs a future that only ever waits on [`suspend`] to completion.
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..100_000 {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
    }
    panic!("the future never completed");
}

/// Returns `Pending` once, like an operation waiting for its completion.
async fn suspend() {
    let mut first = true;
    poll_fn(|_| {
        if std::mem::take(&mut first) {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await
}

/// One step of a [`MockReader`] script.
pub(crate) enum ReadStep {
    /// These bytes are available; a read takes as many as fit, and the rest
    /// stays for the next read.
    Data(Vec<u8>),
    /// The next read fails with this kind.
    Fail(io::ErrorKind),
}

/// A reader that plays a script; after the script, end of stream.
pub(crate) struct MockReader {
    script: VecDeque<ReadStep>,
    /// Number of `read`/`readv` calls made.
    pub(crate) calls: usize,
}

impl MockReader {
    pub(crate) fn new(script: impl IntoIterator<Item = ReadStep>) -> Self {
        MockReader {
            script: script.into_iter().collect(),
            calls: 0,
        }
    }

    /// Copies up to `buf.bytes_total()` scripted bytes into `buf`.
    fn fill<B: IoBufMut>(&mut self, buf: &mut B) -> io::Result<usize> {
        match self.script.pop_front() {
            None => Ok(0),
            Some(ReadStep::Fail(kind)) => Err(kind.into()),
            Some(ReadStep::Data(mut data)) => {
                let n = data.len().min(buf.bytes_total());
                // SAFETY: `write_ptr()` points to `bytes_total() >= n` writable
                // bytes (IoBufMut's contract) that cannot overlap `data`, a
                // separate allocation.
                unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), buf.write_ptr(), n) };
                // SAFETY: the first `n` bytes of the region were just written.
                unsafe { buf.set_init(n) };
                if n < data.len() {
                    self.script.push_front(ReadStep::Data(data.split_off(n)));
                }
                Ok(n)
            }
        }
    }
}

impl AsyncReadRent for MockReader {
    async fn read<B: IoBufMut>(&mut self, mut buf: B) -> BufResult<usize, B> {
        suspend().await;
        self.calls += 1;
        (self.fill(&mut buf), buf)
    }

    async fn readv<B: IoBufMut>(&mut self, mut bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        suspend().await;
        self.calls += 1;
        let mut total = 0;
        for buf in &mut bufs {
            match self.fill(buf) {
                Ok(0) => break,
                Ok(n) => total += n,
                Err(e) => return (Err(e), bufs),
            }
        }
        (Ok(total), bufs)
    }
}

/// One step of a [`MockWriter`] script.
pub(crate) enum WriteStep {
    /// The next write accepts at most this many bytes (0: it accepts none).
    Accept(usize),
    /// The next write fails with this kind.
    Fail(io::ErrorKind),
}

/// A writer that records what it accepts; after its script, each write
/// accepts everything.
pub(crate) struct MockWriter {
    script: VecDeque<WriteStep>,
    /// Every byte accepted, in order.
    pub(crate) data: Vec<u8>,
    /// Number of `write` calls made.
    pub(crate) writes: usize,
    /// Number of `writev` calls made.
    pub(crate) writevs: usize,
}

impl MockWriter {
    pub(crate) fn new(script: impl IntoIterator<Item = WriteStep>) -> Self {
        MockWriter {
            script: script.into_iter().collect(),
            data: Vec::new(),
            writes: 0,
            writevs: 0,
        }
    }

    fn limit(&mut self) -> io::Result<usize> {
        match self.script.pop_front() {
            None => Ok(usize::MAX),
            Some(WriteStep::Accept(n)) => Ok(n),
            Some(WriteStep::Fail(kind)) => Err(kind.into()),
        }
    }

    fn take<B: IoBuf>(&mut self, buf: &B, limit: usize) -> usize {
        // SAFETY: `read_ptr()` points to `bytes_init()` initialized bytes
        // (IoBuf's contract), which nobody writes while we hold `&B`.
        let bytes = unsafe { std::slice::from_raw_parts(buf.read_ptr(), buf.bytes_init()) };
        let n = bytes.len().min(limit);
        self.data.extend_from_slice(&bytes[..n]);
        n
    }
}

impl AsyncWriteRent for MockWriter {
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
        suspend().await;
        self.writes += 1;
        let res = self.limit().map(|limit| self.take(&buf, limit));
        (res, buf)
    }

    async fn writev<B: IoBuf>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        suspend().await;
        self.writevs += 1;
        let mut limit = match self.limit() {
            Ok(limit) => limit,
            Err(e) => return (Err(e), bufs),
        };
        let mut total = 0;
        for buf in &bufs {
            let n = self.take(buf, limit);
            total += n;
            limit -= n;
        }
        (Ok(total), bufs)
    }

    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        Ok(())
    }
}
