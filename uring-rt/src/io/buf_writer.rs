//! [`BufWriter`]: an owned write buffer in front of an [`AsyncWriteRent`].

#![forbid(unsafe_code)]

use std::io;
use std::mem;

use crate::buf::{init_bytes, IoBuf, IoBufMut};
use crate::io::{AsyncReadRent, AsyncWriteRent};
use crate::BufResult;

/// The capacity of [`BufWriter::new`], as std's.
const DEFAULT_CAPACITY: usize = 8 * 1024;

/// Adds an owned write buffer to a writer, so that many small writes cost
/// few system calls.
///
/// A write that fits is copied into the buffer and completes at once; when
/// it does not fit, the buffer is written out first, and a write at least as
/// large as the capacity then goes straight to the inner writer, uncopied.
/// [`flush`](AsyncWriteRent::flush) writes the buffer out and flushes the
/// inner writer; [`shutdown`](AsyncWriteRent::shutdown) writes the buffer
/// out before shutting the inner writer down. The buffer is a `Vec<u8>`
/// lent by value to the inner writer's `write`. It forwards
/// [`AsyncReadRent`] to the inner stream.
///
/// **Dropping a `BufWriter` discards what is still buffered**: there is no
/// asynchronous drop, so flush (or shut down) before dropping it, or use
/// [`into_inner`](Self::into_inner), which flushes.
///
/// # Cancel safety
///
/// A write that only copies into the buffer completes without waiting, so
/// it cannot be cancelled half-way. A future dropped while the buffer is
/// being written out (in `write`, `flush`, `shutdown` or `into_inner`)
/// takes the buffered bytes with the cancelled operation: some of them may
/// have reached the inner writer, the rest are lost. The `BufWriter` stays
/// usable, with an empty buffer.
///
/// # Examples
///
/// ```
/// use aio::io::{AsyncReadRentExt, AsyncWriteRent, AsyncWriteRentExt, BufWriter};
/// use aio::net::UnixStream;
///
/// # aio::Runtime::new().unwrap().block_on(async {
/// let (a, mut b) = UnixStream::pair()?;
/// let mut writer = BufWriter::new(a);
/// for i in 0..100u8 {
///     writer.write_all(vec![i]).await.0?; // copied, no system call
/// }
/// assert_eq!(writer.buffer().len(), 100);
/// writer.flush().await?; // one write of 100 bytes
/// let (res, got) = b.read_exact(Vec::with_capacity(100)).await;
/// res?;
/// assert_eq!(got, (0..100u8).collect::<Vec<_>>());
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct BufWriter<W> {
    inner: W,
    /// The bytes written to the `BufWriter` and not yet to `inner`. Empty
    /// with no capacity after a write-out that held it was cancelled.
    buf: Vec<u8>,
    /// Buffered bytes beyond this are written out first.
    capacity: usize,
}

impl<W> BufWriter<W> {
    /// A `BufWriter` with an 8 KiB buffer (allocated on the first write).
    pub fn new(inner: W) -> Self {
        Self::with_capacity(DEFAULT_CAPACITY, inner)
    }

    /// A `BufWriter` that buffers up to `capacity` bytes (allocated on the
    /// first write). With a capacity of 0 every write goes straight through.
    pub fn with_capacity(capacity: usize, inner: W) -> Self {
        BufWriter {
            inner,
            buf: Vec::new(),
            capacity,
        }
    }

    /// The capacity asked for at construction.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The bytes buffered and not yet written to the inner writer.
    pub fn buffer(&self) -> &[u8] {
        &self.buf
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The inner writer. Writing to it directly puts the bytes before those
    /// still in [`buffer`](Self::buffer).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The inner writer and the bytes still buffered, without writing
    /// anything: the lossless way out after a failed
    /// [`flush`](AsyncWriteRent::flush), which keeps the unwritten bytes.
    pub fn into_parts(self) -> (W, Vec<u8>) {
        (self.inner, self.buf)
    }
}

impl<W: AsyncWriteRent> BufWriter<W> {
    /// Writes the buffered bytes out, then returns the inner writer (it does
    /// not flush the inner writer itself, as std's).
    ///
    /// Unlike tokio's `into_inner`, which drops unwritten bytes silently,
    /// this one writes them, so it is `async`. To take the writer without
    /// writing, use [`into_parts`](Self::into_parts).
    ///
    /// # Errors
    ///
    /// Those of the inner writer's `write`; `WriteZero` if it accepts no
    /// byte. The writer and the unwritten bytes are then dropped: to keep
    /// them, call `flush().await` and, if it fails, `into_parts()`.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: dropping the future drops the writer and the bytes.
    pub async fn into_inner(mut self) -> io::Result<W> {
        self.write_out().await?;
        Ok(self.inner)
    }

    /// Writes the whole buffer to the inner writer. On error the buffer
    /// holds exactly the bytes not written.
    async fn write_out(&mut self) -> io::Result<()> {
        let mut written = 0;
        let len = self.buf.len();
        let mut res = Ok(());
        while written < len {
            let buf = mem::take(&mut self.buf);
            let (r, buf) = self.inner.write(buf.slice(written..)).await;
            self.buf = buf.into_inner();
            match r {
                Ok(0) => {
                    res = Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "BufWriter: the inner writer accepted 0 bytes of the buffer",
                    ));
                    break;
                }
                Ok(n) => written += n.min(len - written),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    res = Err(e);
                    break;
                }
            }
        }
        self.buf.drain(..written);
        res
    }

    /// Makes room for `len` more bytes: writes the buffer out if they would
    /// not fit.
    async fn make_room(&mut self, len: usize) -> io::Result<()> {
        if self.buf.len() + len > self.capacity {
            self.write_out().await?;
        }
        Ok(())
    }
}

impl<W: AsyncWriteRent> AsyncWriteRent for BufWriter<W> {
    /// Copies `buf` into the buffer (writing the buffer out first if it
    /// does not fit) and returns its whole length; a `buf` at least as large
    /// as the capacity is written straight to the inner writer instead,
    /// after the buffer, and may be written partially.
    ///
    /// # Cancel safety
    ///
    /// See [`BufWriter`].
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
        let len = buf.bytes_init();
        if let Err(e) = self.make_room(len).await {
            return (Err(e), buf);
        }
        if len >= self.capacity {
            return self.inner.write(buf).await;
        }
        self.buf
            .reserve(self.capacity.saturating_sub(self.buf.len()));
        self.buf.extend_from_slice(init_bytes(&buf));
        (Ok(len), buf)
    }

    /// As [`write`](Self::write), for the buffers together.
    async fn writev<B: IoBuf>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        let len: usize = bufs.iter().map(IoBuf::bytes_init).sum();
        if let Err(e) = self.make_room(len).await {
            return (Err(e), bufs);
        }
        if len >= self.capacity {
            return self.inner.writev(bufs).await;
        }
        self.buf
            .reserve(self.capacity.saturating_sub(self.buf.len()));
        for buf in &bufs {
            self.buf.extend_from_slice(init_bytes(buf));
        }
        (Ok(len), bufs)
    }

    /// Writes the buffer out, then flushes the inner writer.
    ///
    /// # Errors
    ///
    /// Those of the inner writer's `write` and `flush`; `WriteZero` if it
    /// accepts no byte. The bytes not written stay buffered.
    ///
    /// # Cancel safety
    ///
    /// See [`BufWriter`].
    async fn flush(&mut self) -> io::Result<()> {
        self.write_out().await?;
        self.inner.flush().await
    }

    /// Writes the buffer out, then shuts the inner writer down.
    ///
    /// # Cancel safety
    ///
    /// See [`BufWriter`].
    async fn shutdown(&mut self) -> io::Result<()> {
        self.write_out().await?;
        self.inner.shutdown().await
    }
}

/// Reads go straight to the inner stream; the write buffer is not involved
/// (and not flushed first).
impl<W: AsyncReadRent> AsyncReadRent for BufWriter<W> {
    async fn read<B: IoBufMut>(&mut self, buf: B) -> BufResult<usize, B> {
        self.inner.read(buf).await
    }

    async fn readv<B: IoBufMut>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        self.inner.readv(bufs).await
    }
}
