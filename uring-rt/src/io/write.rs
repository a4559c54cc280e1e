use std::future::Future;
use std::io;

use crate::buf::IoBuf;
use crate::BufResult;

/// Writes from owned buffers.
///
/// Each method takes the buffer by value and returns it with the result, on
/// error too. What is written is the buffer's initialized bytes
/// (`bytes_init()` bytes at `read_ptr()`); write a part of a buffer with
/// [`IoBuf::slice`]. A write may be partial; see
/// [`write_all`](crate::io::AsyncWriteRentExt::write_all), which
/// [`AsyncWriteRentExt`](crate::io::AsyncWriteRentExt) adds to every
/// implementor.
///
/// # Implementing
///
/// `Ok(n)` means the first `n` initialized bytes were written, in order
/// (across the buffers, for `writev`), with `n` no larger than what was
/// given. `Ok(0)` for a non-empty buffer means the writer can take no more;
/// `write_all` turns it into [`ErrorKind::WriteZero`](io::ErrorKind::WriteZero).
pub trait AsyncWriteRent {
    /// Writes some prefix of `buf`'s initialized bytes, returning how many.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future cancels the write; the buffer is released only
    /// after the kernel is done with it. Some bytes may have been written.
    fn write<B: IoBuf>(&mut self, buf: B) -> impl Future<Output = BufResult<usize, B>>;

    /// Writes from several buffers in order (gather). Returns the total
    /// number of bytes written.
    ///
    /// # Cancel safety
    ///
    /// As for [`write`](AsyncWriteRent::write).
    fn writev<B: IoBuf>(&mut self, bufs: Vec<B>) -> impl Future<Output = BufResult<usize, Vec<B>>>;

    /// Flushes buffered data. aio's streams do not buffer, so this completes
    /// at once for them.
    fn flush(&mut self) -> impl Future<Output = io::Result<()>>;

    /// Shuts down the write side (a TCP FIN); the peer reads end of stream.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping it before completion may or may not shut down.
    fn shutdown(&mut self) -> impl Future<Output = io::Result<()>>;
}

/// A mutable reference writes to what it points to, so generic code can take
/// `W: AsyncWriteRent` and callers keep their stream.
impl<T: AsyncWriteRent + ?Sized> AsyncWriteRent for &mut T {
    fn write<B: IoBuf>(&mut self, buf: B) -> impl Future<Output = BufResult<usize, B>> {
        (**self).write(buf)
    }

    fn writev<B: IoBuf>(&mut self, bufs: Vec<B>) -> impl Future<Output = BufResult<usize, Vec<B>>> {
        (**self).writev(bufs)
    }

    fn flush(&mut self) -> impl Future<Output = io::Result<()>> {
        (**self).flush()
    }

    fn shutdown(&mut self) -> impl Future<Output = io::Result<()>> {
        (**self).shutdown()
    }
}
