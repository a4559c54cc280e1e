//! [`BufReader`]: an owned read buffer in front of an [`AsyncReadRent`], with
//! line and delimiter reads.

#![forbid(unsafe_code)]

use std::io;
use std::mem;

use crate::buf::{put_slice, IoBuf, IoBufMut};
use crate::io::{AsyncReadRent, AsyncWriteRent, Lines};
use crate::BufResult;

/// The capacity of [`BufReader::new`], as std's.
const DEFAULT_CAPACITY: usize = 8 * 1024;

/// Adds an owned read buffer to a reader, so that many small reads (a line, a
/// header) cost few system calls, and adds [`read_line`](Self::read_line),
/// [`read_until`](Self::read_until) and [`lines`](Self::lines).
///
/// The buffer is a `Vec<u8>` that is lent by value to the inner reader's
/// [`read`](AsyncReadRent::read) and taken back with the result, as every
/// owned-buffer read in aio. `BufReader` is itself [`AsyncReadRent`]: reads
/// are served from the buffer, and a read at least as large as the capacity
/// goes straight to the inner reader when the buffer is empty (as std's).
/// It forwards [`AsyncWriteRent`] to the inner stream, so a
/// `BufReader<TcpStream>` can still answer.
///
/// # Cancel safety
///
/// Bytes the `BufReader` holds are never lost by dropping one of its
/// futures: a line or delimiter read keeps the partial line in the buffer
/// until the whole line is there, so calling it again continues where the
/// dropped call stopped. What a dropped future does lose is the read in
/// flight at the drop (if any): its buffer goes with the cancelled operation
/// (the `BufReader` allocates a new one lazily, so it stays usable) and any
/// bytes the kernel had already delivered into it are gone from the stream.
///
/// # Examples
///
/// ```
/// use aio::io::{AsyncWriteRentExt, BufReader};
/// use aio::net::{TcpListener, TcpStream};
///
/// # aio::Runtime::new().unwrap().block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let addr = listener.local_addr()?;
/// aio::spawn(async move {
///     let mut peer = TcpStream::connect(addr).await.unwrap();
///     peer.write_all(&b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..]).await.0.unwrap();
/// });
/// let (stream, _) = listener.accept().await?;
/// let mut reader = BufReader::new(stream);
/// let mut line = String::new();
/// reader.read_line(&mut line).await?;
/// assert_eq!(line, "GET / HTTP/1.1\r\n");
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct BufReader<R> {
    inner: R,
    /// The buffered bytes are `buf[pos..]`. Empty with no capacity after a
    /// read that held it was cancelled; `fill` reallocates it.
    buf: Vec<u8>,
    /// Start of the unconsumed bytes; `pos <= buf.len()`.
    pos: usize,
    /// What a partial line is read into before it is appended to `buf`, so
    /// that `buf` (holding the partial line) is never lent to a read that a
    /// drop could cancel. Allocated on first use.
    spare: Vec<u8>,
    /// The capacity asked for: the size of each read into the buffer.
    capacity: usize,
}

impl<R> BufReader<R> {
    /// A `BufReader` with an 8 KiB buffer (allocated on the first read).
    pub fn new(inner: R) -> Self {
        Self::with_capacity(DEFAULT_CAPACITY, inner)
    }

    /// A `BufReader` whose reads into its buffer ask for `capacity` bytes
    /// (allocated on the first read).
    ///
    /// # Panics
    ///
    /// If `capacity` is 0: a read into no room would look like end of
    /// stream.
    #[track_caller]
    pub fn with_capacity(capacity: usize, inner: R) -> Self {
        assert!(
            capacity > 0,
            "BufReader::with_capacity: the capacity must be at least 1 byte"
        );
        BufReader {
            inner,
            buf: Vec::new(),
            pos: 0,
            spare: Vec::new(),
            capacity,
        }
    }

    /// The capacity asked for at construction.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The bytes read from the inner reader and not yet consumed.
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Marks the first `amt` bytes of [`buffer`](Self::buffer) as consumed
    /// (at most all of them).
    pub fn consume(&mut self, amt: usize) {
        self.pos = self.pos.saturating_add(amt).min(self.buf.len());
    }

    /// The inner reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The inner reader. Reading from it directly skips the bytes still in
    /// [`buffer`](Self::buffer).
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The inner reader; the buffered bytes are dropped (copy
    /// [`buffer`](Self::buffer) first to keep them).
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// A [`Stream`](crate::stream::Stream) of the lines that follow, without
    /// their `\n` or `\r\n` (see [`Lines`]).
    pub fn lines(self) -> Lines<R> {
        Lines::new(self)
    }

    fn is_empty(&self) -> bool {
        self.pos == self.buf.len()
    }
}

impl<R: AsyncReadRent> BufReader<R> {
    /// Returns the buffered bytes, reading once from the inner reader first
    /// if there are none. An empty slice means end of stream. Mark what you
    /// used with [`consume`](Self::consume).
    ///
    /// # Errors
    ///
    /// Those of the inner reader's [`read`](AsyncReadRent::read).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe as far as buffered bytes go (it reads only when there are
    /// none); a read in flight at the drop loses what the kernel delivered,
    /// as described on [`BufReader`].
    pub async fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.is_empty() {
            self.refill().await?;
        }
        Ok(self.buffer())
    }

    /// Reads bytes up to and including `byte` (or to end of stream), appends
    /// them to `buf`, and returns how many were appended. `Ok(0)` means end
    /// of stream.
    ///
    /// # Errors
    ///
    /// Those of the inner reader's [`read`](AsyncReadRent::read) (reads
    /// failing with `Interrupted` are retried). Nothing is appended or
    /// consumed on error: the bytes read so far stay in the buffer.
    ///
    /// # Cancel safety
    ///
    /// Nothing is appended until the delimiter or end of stream is found, so
    /// a dropped call leaves `buf` as it was and the partial line buffered;
    /// calling again continues. Only a read in flight at the drop is lost
    /// (see [`BufReader`]).
    pub async fn read_until(&mut self, byte: u8, buf: &mut Vec<u8>) -> io::Result<usize> {
        let end = self.scan_until(byte).await?;
        buf.extend_from_slice(&self.buf[self.pos..self.pos + end]);
        self.consume(end);
        Ok(end)
    }

    /// Reads a line (up to and including `\n`, or to end of stream), appends
    /// it to `buf`, and returns its length in bytes. `Ok(0)` means end of
    /// stream. The line ending is kept; [`lines`](Self::lines) strips it.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InvalidData`](io::ErrorKind::InvalidData) if the line
    ///   is not UTF-8: nothing is appended to `buf`, and the line is
    ///   consumed (as tokio does), so the next call reads the next line;
    /// - those of [`read_until`](Self::read_until).
    ///
    /// # Cancel safety
    ///
    /// As for [`read_until`](Self::read_until): `buf` is untouched until the
    /// whole line is there, and a dropped call loses no buffered byte.
    pub async fn read_line(&mut self, buf: &mut String) -> io::Result<usize> {
        let end = self.scan_until(b'\n').await?;
        let line = &self.buf[self.pos..self.pos + end];
        let res = match std::str::from_utf8(line) {
            Ok(s) => {
                buf.push_str(s);
                Ok(end)
            }
            Err(_) => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "read_line: the line is not valid UTF-8 (use read_until for bytes)",
            )),
        };
        self.consume(end);
        res
    }

    /// Reads until the buffer holds `byte` or the stream ended, and returns
    /// the length of the buffered prefix up to and including `byte` (all of
    /// it at end of stream). Consumes nothing.
    async fn scan_until(&mut self, byte: u8) -> io::Result<usize> {
        let mut scanned = 0;
        loop {
            let avail = &self.buf[self.pos..];
            if let Some(i) = avail[scanned..].iter().position(|b| *b == byte) {
                return Ok(scanned + i + 1);
            }
            scanned = avail.len();
            let res = if scanned == 0 {
                self.refill().await
            } else {
                self.read_more().await
            };
            match res {
                Ok(0) => return Ok(scanned),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads once into the (empty) buffer, which a cancelled read may take
    /// with it: nothing of value is in it.
    async fn refill(&mut self) -> io::Result<usize> {
        debug_assert!(self.is_empty());
        // Give back what a giant line made the buffer grow to.
        if self.buf.capacity() > 2 * self.capacity {
            self.buf = Vec::new();
        }
        self.buf.clear();
        self.pos = 0;
        self.buf.reserve(self.capacity);
        let (res, buf) = self.inner.read(mem::take(&mut self.buf)).await;
        self.buf = buf;
        res
    }

    /// Reads once into the spare buffer and appends what came to the
    /// buffered bytes (kept out of the read, so a drop cannot lose them).
    async fn read_more(&mut self) -> io::Result<usize> {
        let mut spare = mem::take(&mut self.spare);
        spare.clear();
        spare.reserve(self.capacity);
        let (res, spare) = self.inner.read(spare).await;
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(&spare);
        self.spare = spare;
        res
    }
}

impl<R: AsyncReadRent> AsyncReadRent for BufReader<R> {
    /// Copies buffered bytes into `buf`; with none buffered, a `buf` with at
    /// least [`capacity`](BufReader::capacity) bytes of room is read into
    /// directly, and a smaller one is served after one read into the buffer.
    ///
    /// # Cancel safety
    ///
    /// As for [`fill_buf`](BufReader::fill_buf).
    async fn read<B: IoBufMut>(&mut self, mut buf: B) -> BufResult<usize, B> {
        let room = buf.bytes_total();
        if room == 0 {
            return (Err(crate::buf::no_room()), buf);
        }
        if self.is_empty() {
            if room >= self.capacity {
                return self.inner.read(buf).await;
            }
            if let Err(e) = self.refill().await {
                return (Err(e), buf);
            }
        }
        let n = put_slice(&mut buf, self.buffer());
        self.consume(n);
        (Ok(n), buf)
    }

    /// As [`read`](Self::read), filling the buffers in order.
    async fn readv<B: IoBufMut>(&mut self, mut bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        let room: usize = bufs.iter().map(IoBufMut::bytes_total).sum();
        if room == 0 {
            return (Err(crate::buf::no_room()), bufs);
        }
        if self.is_empty() {
            if room >= self.capacity {
                return self.inner.readv(bufs).await;
            }
            if let Err(e) = self.refill().await {
                return (Err(e), bufs);
            }
        }
        let mut total = 0;
        for buf in &mut bufs {
            let n = put_slice(buf, self.buffer());
            self.consume(n);
            total += n;
        }
        (Ok(total), bufs)
    }
}

/// Writes go straight to the inner stream; the read buffer is not involved.
impl<R: AsyncWriteRent> AsyncWriteRent for BufReader<R> {
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
        self.inner.write(buf).await
    }

    async fn writev<B: IoBuf>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        self.inner.writev(bufs).await
    }

    async fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().await
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        self.inner.shutdown().await
    }
}
