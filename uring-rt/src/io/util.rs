//! [`empty`] and [`sink`]: a reader that is always at end of stream and a
//! writer that accepts and discards everything (tokio's `io::empty` and
//! `io::sink`).

#![forbid(unsafe_code)]

use std::io;

use crate::buf::{init_bytes, no_room, IoBuf, IoBufMut};
use crate::io::{AsyncReadRent, AsyncWriteRent};
use crate::BufResult;

/// A reader at end of stream; see [`empty`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Empty {
    _private: (),
}

/// A reader that is always at end of stream: every read returns `Ok(0)`.
///
/// As for every reader, a buffer with no room is an
/// [`InvalidInput`](io::ErrorKind::InvalidInput) error, not `Ok(0)` (see
/// [`AsyncReadRent::read`]); this is where aio differs from tokio's
/// `io::empty`, whose reads cannot tell the two apart.
///
/// ```
/// use aio::io::AsyncReadRentExt;
///
/// # aio::Runtime::new().unwrap().block_on(async {
/// let (res, buf) = aio::io::empty().read_to_end(Vec::new()).await;
/// assert_eq!(res.unwrap(), 0);
/// assert!(buf.is_empty());
/// # });
/// ```
pub fn empty() -> Empty {
    Empty { _private: () }
}

impl AsyncReadRent for Empty {
    async fn read<B: IoBufMut>(&mut self, buf: B) -> BufResult<usize, B> {
        if buf.bytes_total() == 0 {
            return (Err(no_room()), buf);
        }
        (Ok(0), buf)
    }

    async fn readv<B: IoBufMut>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        if bufs.iter().all(|b| b.bytes_total() == 0) {
            return (Err(no_room()), bufs);
        }
        (Ok(0), bufs)
    }
}

/// A writer that discards everything; see [`sink`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Sink {
    _private: (),
}

/// A writer that accepts every byte and discards it: each write returns
/// the buffer's whole length; `flush` and `shutdown` succeed at once.
///
/// ```
/// use aio::io::AsyncWriteRentExt;
///
/// # aio::Runtime::new().unwrap().block_on(async {
/// let (res, _) = aio::io::sink().write_all(vec![7u8; 1 << 20]).await;
/// assert_eq!(res.unwrap(), 1 << 20);
/// # });
/// ```
pub fn sink() -> Sink {
    Sink { _private: () }
}

impl AsyncWriteRent for Sink {
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
        (Ok(init_bytes(&buf).len()), buf)
    }

    async fn writev<B: IoBuf>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        (Ok(bufs.iter().map(IoBuf::bytes_init).sum()), bufs)
    }

    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        Ok(())
    }
}
