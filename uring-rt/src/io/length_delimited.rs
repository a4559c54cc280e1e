//! [`LengthDelimited`]: frames with a 4-byte big-endian length prefix over
//! a byte stream.

#![forbid(unsafe_code)]

use std::io;
use std::mem;

use crate::io::{AsyncReadRent, AsyncWriteRent, AsyncWriteRentExt};

/// The default largest frame, as tokio-util's `LengthDelimitedCodec`.
const DEFAULT_MAX_FRAME_LENGTH: usize = 8 * 1024 * 1024;

/// The least each read into the read buffer asks for.
const READ_CHUNK: usize = 8 * 1024;

/// Buffers that grew past this for a large frame are given back once idle.
const KEEP_CAPACITY: usize = 64 * 1024;

/// Frames over a byte stream, each a `u32` big-endian length followed by
/// that many bytes (tokio-util's `LengthDelimitedCodec` with its defaults,
/// so either side may be tokio).
///
/// [`read_frame`](Self::read_frame) returns the next frame as a slice of the
/// internal read buffer, and [`write_frame`](Self::write_frame) sends the
/// length and the bytes in one write from the internal write buffer: both
/// buffers are reused, so steady traffic of frames up to 64 KiB allocates
/// nothing per frame (a buffer that grew for a larger frame is given back
/// afterwards, so memory follows the traffic).
/// Several small frames that arrive together are taken from one read.
///
/// Frames longer than [`max_frame_length`](Self::max_frame_length) (8 MiB
/// unless set) are refused in both directions, so a corrupt or hostile
/// length cannot make the reader allocate gigabytes.
///
/// # Cancel safety
///
/// Neither method is cancel safe, and a cancelled one is not silent: a
/// dropped read may have lost bytes the kernel delivered (and the bytes of
/// the partial frame), and a dropped write may have sent a partial frame,
/// so the stream is no longer at a frame boundary. Every later call in that
/// direction fails with [`ErrorKind::Other`](io::ErrorKind::Other) saying
/// so, instead of reading garbage lengths. Do not put `read_frame` under a
/// timeout you expect to recover from; read in a task of its own and hand
/// the frames over a channel instead.
///
/// # Examples
///
/// ```
/// use aio::io::LengthDelimited;
/// use aio::net::UnixStream;
///
/// # aio::Runtime::new().unwrap().block_on(async {
/// let (a, b) = UnixStream::pair()?;
/// let mut tx = LengthDelimited::new(a);
/// let mut rx = LengthDelimited::new(b);
/// tx.write_frame(b"hello").await?;
/// tx.write_frame(b"").await?;
/// drop(tx);
/// assert_eq!(rx.read_frame().await?, Some(&b"hello"[..]));
/// assert_eq!(rx.read_frame().await?, Some(&b""[..]));
/// assert_eq!(rx.read_frame().await?, None); // clean end of stream
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct LengthDelimited<T> {
    io: T,
    max_frame_length: usize,
    /// Received bytes not yet returned are `read_buf[read_pos..]`.
    read_buf: Vec<u8>,
    read_pos: usize,
    /// Reused for each frame written: the prefix and the bytes.
    write_buf: Vec<u8>,
    /// Set while a read is in flight; still set at the next call if that
    /// read's future was dropped.
    read_broken: bool,
    /// The same for a write.
    write_broken: bool,
}

impl<T> LengthDelimited<T> {
    /// Frames over `io`, at most 8 MiB each.
    pub fn new(io: T) -> Self {
        Self::with_max_frame_length(io, DEFAULT_MAX_FRAME_LENGTH)
    }

    /// Frames over `io`, at most `max` bytes each (and never more than
    /// `u32::MAX`, what the prefix can say).
    pub fn with_max_frame_length(io: T, max: usize) -> Self {
        LengthDelimited {
            io,
            max_frame_length: max,
            read_buf: Vec::new(),
            read_pos: 0,
            write_buf: Vec::new(),
            read_broken: false,
            write_broken: false,
        }
    }

    /// The largest frame read or written, in bytes (without the prefix).
    pub fn max_frame_length(&self) -> usize {
        self.max_frame_length
    }

    /// Changes the largest frame read or written.
    pub fn set_max_frame_length(&mut self, max: usize) {
        self.max_frame_length = max;
    }

    /// The stream.
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// The stream. Reading or writing it directly breaks the framing unless
    /// done at a frame boundary with nothing buffered.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// The bytes received and not yet returned as frames (the start of the
    /// next frames, prefixes included).
    pub fn read_buffer(&self) -> &[u8] {
        &self.read_buf[self.read_pos..]
    }

    /// The stream; received bytes still buffered are dropped (copy
    /// [`read_buffer`](Self::read_buffer) first to keep them).
    pub fn into_inner(self) -> T {
        self.io
    }

    fn limit(&self) -> usize {
        self.max_frame_length.min(u32::MAX as usize)
    }
}

fn broken(what: &str) -> io::Error {
    io::Error::other(format!(
        "LengthDelimited: a previous {what} was cancelled while in flight, so the stream may have \
         lost or sent part of a frame and is no longer at a frame boundary"
    ))
}

impl<T: AsyncReadRent> LengthDelimited<T> {
    /// Reads the next frame; `Ok(None)` when the stream ends cleanly between
    /// frames. The slice lives in the internal buffer until the next call.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InvalidData`](io::ErrorKind::InvalidData) if the
    ///   prefix announces more than
    ///   [`max_frame_length`](Self::max_frame_length) bytes (the frame is
    ///   not read, and later calls fail the same way: the stream cannot be
    ///   resynchronised);
    /// - [`ErrorKind::UnexpectedEof`](io::ErrorKind::UnexpectedEof) if the
    ///   stream ends inside a frame or its prefix;
    /// - [`ErrorKind::Other`](io::ErrorKind::Other) after a cancelled read
    ///   (see [`LengthDelimited`]);
    /// - those of the stream's `read` (`Interrupted` is retried).
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe; a dropped call makes the later ones fail (see
    /// [`LengthDelimited`]).
    pub async fn read_frame(&mut self) -> io::Result<Option<&[u8]>> {
        if self.read_broken {
            return Err(broken("read_frame"));
        }
        loop {
            let avail = &self.read_buf[self.read_pos..];
            let want = match avail.first_chunk::<4>() {
                None => 4,
                Some(prefix) => {
                    let len = u32::from_be_bytes(*prefix) as usize;
                    if len > self.limit() {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!(
                                "LengthDelimited: a frame of {len} bytes exceeds the maximum of \
                                 {} (max_frame_length)",
                                self.max_frame_length
                            ),
                        ));
                    }
                    if avail.len() >= 4 + len {
                        let start = self.read_pos + 4;
                        self.read_pos = start + len;
                        return Ok(Some(&self.read_buf[start..start + len]));
                    }
                    4 + len
                }
            };
            let have = avail.len();
            match self.read_more(want - have).await {
                Ok(0) if have == 0 => return Ok(None),
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "LengthDelimited: the stream ended inside a frame ({have} of {want} \
                             bytes, prefix included)"
                        ),
                    ))
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Moves the unread bytes to the front and reads once, asking for at
    /// least `missing` more bytes' room.
    async fn read_more(&mut self, missing: usize) -> io::Result<usize> {
        if self.read_pos == self.read_buf.len() && self.read_buf.capacity() > KEEP_CAPACITY {
            self.read_buf = Vec::new();
        } else {
            self.read_buf.drain(..self.read_pos);
        }
        self.read_pos = 0;
        self.read_buf.reserve(missing.max(READ_CHUNK));
        self.read_broken = true;
        let (res, buf) = self.io.read(mem::take(&mut self.read_buf)).await;
        self.read_buf = buf;
        self.read_broken = false;
        res
    }
}

impl<T: AsyncWriteRent> LengthDelimited<T> {
    /// Writes `frame` with its length prefix, in one write when the stream
    /// takes it all.
    ///
    /// The bytes are written with `write_all` to the stream; if the stream
    /// buffers (a [`BufWriter`](crate::io::BufWriter)), flush it through
    /// [`get_mut`](Self::get_mut).
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InvalidInput`](io::ErrorKind::InvalidInput) if the
    ///   frame is longer than [`max_frame_length`](Self::max_frame_length)
    ///   (nothing is written);
    /// - [`ErrorKind::Other`](io::ErrorKind::Other) after a cancelled write
    ///   (see [`LengthDelimited`]);
    /// - those of [`write_all`](AsyncWriteRentExt::write_all); part of the
    ///   frame may have been written.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe; a dropped call makes the later ones fail (see
    /// [`LengthDelimited`]).
    pub async fn write_frame(&mut self, frame: &[u8]) -> io::Result<()> {
        if self.write_broken {
            return Err(broken("write_frame"));
        }
        if frame.len() > self.limit() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "LengthDelimited: a frame of {} bytes exceeds the maximum of {} \
                     (max_frame_length)",
                    frame.len(),
                    self.max_frame_length
                ),
            ));
        }
        if self.write_buf.capacity() > KEEP_CAPACITY {
            self.write_buf = Vec::new();
        }
        self.write_buf.clear();
        self.write_buf.reserve(4 + frame.len());
        self.write_buf
            .extend_from_slice(&(frame.len() as u32).to_be_bytes());
        self.write_buf.extend_from_slice(frame);
        self.write_broken = true;
        let (res, buf) = self.io.write_all(mem::take(&mut self.write_buf)).await;
        self.write_buf = buf;
        self.write_broken = false;
        res.map(drop)
    }
}
