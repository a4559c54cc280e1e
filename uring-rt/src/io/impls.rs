//! The rent traits for in-memory types and boxes: `&[u8]` and
//! `std::io::Cursor<Vec<u8>>` read (and the cursor writes) by copying, as
//! tokio's `AsyncRead for &[u8]` and `Cursor` do; `Box<T>` forwards.
//!
//! These never wait, so their futures complete on the first poll.

#![forbid(unsafe_code)]

use std::io::{self, Cursor};

use crate::buf::{init_bytes, no_room, put_slice, IoBuf, IoBufMut};
use crate::io::{AsyncReadRent, AsyncWriteRent};
use crate::BufResult;

/// Copies from the front of `src` into `bufs` in order; how many bytes.
fn scatter<B: IoBufMut>(bufs: &mut [B], src: &[u8]) -> usize {
    let mut n = 0;
    for buf in bufs {
        n += put_slice(buf, &src[n..]);
    }
    n
}

/// A byte slice reads from its front and advances past what it gave, so
/// the next read continues there; an empty slice is at end of stream.
///
/// ```
/// use aio::buf::IoBufMut;
/// use aio::io::AsyncReadRent;
///
/// # aio::Runtime::new().unwrap().block_on(async {
/// let mut src: &[u8] = b"hello world";
/// let (res, buf) = src.read(Vec::with_capacity(5).slice_mut(..5)).await;
/// assert_eq!(res.unwrap(), 5);
/// assert_eq!(buf.into_inner(), b"hello");
/// assert_eq!(src, b" world");
/// # });
/// ```
impl AsyncReadRent for &[u8] {
    async fn read<B: IoBufMut>(&mut self, mut buf: B) -> BufResult<usize, B> {
        if buf.bytes_total() == 0 {
            return (Err(no_room()), buf);
        }
        let n = put_slice(&mut buf, self);
        *self = &self[n..];
        (Ok(n), buf)
    }

    async fn readv<B: IoBufMut>(&mut self, mut bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        if bufs.iter().all(|b| b.bytes_total() == 0) {
            return (Err(no_room()), bufs);
        }
        let n = scatter(&mut bufs, self);
        *self = &self[n..];
        (Ok(n), bufs)
    }
}

/// The bytes of a cursor from its position on; empty past the end.
fn remaining(cursor: &Cursor<Vec<u8>>) -> &[u8] {
    let data = cursor.get_ref();
    let pos = usize::try_from(cursor.position()).map_or(data.len(), |p| p.min(data.len()));
    &data[pos..]
}

/// A cursor reads from its position and moves it past what it gave.
///
/// ```
/// use std::io::Cursor;
/// use aio::io::{AsyncReadRentExt, AsyncWriteRentExt};
///
/// # aio::Runtime::new().unwrap().block_on(async {
/// let mut cursor = Cursor::new(Vec::new());
/// cursor.write_all(b"abc".to_vec()).await.0.unwrap();
/// cursor.set_position(1);
/// let (res, buf) = cursor.read_to_end(Vec::new()).await;
/// assert_eq!(res.unwrap(), 2);
/// assert_eq!(buf, b"bc");
/// # });
/// ```
impl AsyncReadRent for Cursor<Vec<u8>> {
    async fn read<B: IoBufMut>(&mut self, mut buf: B) -> BufResult<usize, B> {
        if buf.bytes_total() == 0 {
            return (Err(no_room()), buf);
        }
        let n = put_slice(&mut buf, remaining(self));
        self.set_position(self.position() + n as u64);
        (Ok(n), buf)
    }

    async fn readv<B: IoBufMut>(&mut self, mut bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        if bufs.iter().all(|b| b.bytes_total() == 0) {
            return (Err(no_room()), bufs);
        }
        let n = scatter(&mut bufs, remaining(self));
        self.set_position(self.position() + n as u64);
        (Ok(n), bufs)
    }
}

/// A cursor writes at its position, overwriting and extending the vector
/// (zero-filled up to the position if it lies past the end) as
/// `std::io::Write for Cursor<Vec<u8>>` does; writes take every byte.
impl AsyncWriteRent for Cursor<Vec<u8>> {
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
        let res = io::Write::write(self, init_bytes(&buf));
        (res, buf)
    }

    async fn writev<B: IoBuf>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        let mut n = 0;
        for buf in &bufs {
            match io::Write::write_all(self, init_bytes(buf)) {
                Ok(()) => n += buf.bytes_init(),
                Err(e) if n == 0 => return (Err(e), bufs),
                Err(_) => break,
            }
        }
        (Ok(n), bufs)
    }

    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A box reads from what it holds.
impl<T: AsyncReadRent + ?Sized> AsyncReadRent for Box<T> {
    async fn read<B: IoBufMut>(&mut self, buf: B) -> BufResult<usize, B> {
        (**self).read(buf).await
    }

    async fn readv<B: IoBufMut>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        (**self).readv(bufs).await
    }
}

/// A box writes to what it holds.
impl<T: AsyncWriteRent + ?Sized> AsyncWriteRent for Box<T> {
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
        (**self).write(buf).await
    }

    async fn writev<B: IoBuf>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        (**self).writev(bufs).await
    }

    async fn flush(&mut self) -> io::Result<()> {
        (**self).flush().await
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        (**self).shutdown().await
    }
}
