use std::future::Future;

use crate::buf::IoBufMut;
use crate::BufResult;

/// Reads into owned buffers.
///
/// Each method takes the buffer by value and returns it with the result, on
/// error too. Data is written into the buffer's writable region (for a
/// `Vec<u8>`, `[len, capacity)`), whose initialized length is updated.
pub trait AsyncReadRent {
    /// Reads at most `buf.bytes_total()` bytes. `Ok(0)` means end of stream
    /// (or a buffer with no room).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future cancels the read; the buffer is released only
    /// after the kernel is done with it, and bytes the kernel had already
    /// consumed into it are lost.
    fn read<B: IoBufMut>(&mut self, buf: B) -> impl Future<Output = BufResult<usize, B>>;

    /// Reads into several buffers in order (scatter), filling each before the
    /// next. Returns the total number of bytes read.
    ///
    /// # Cancel safety
    ///
    /// As for [`read`](AsyncReadRent::read).
    fn readv<B: IoBufMut>(
        &mut self,
        bufs: Vec<B>,
    ) -> impl Future<Output = BufResult<usize, Vec<B>>>;
}

/// A mutable reference reads from what it points to, so generic code can take
/// `R: AsyncReadRent` and callers keep their stream (`read_exact(&mut stream, ..)`).
impl<T: AsyncReadRent + ?Sized> AsyncReadRent for &mut T {
    fn read<B: IoBufMut>(&mut self, buf: B) -> impl Future<Output = BufResult<usize, B>> {
        (**self).read(buf)
    }

    fn readv<B: IoBufMut>(
        &mut self,
        bufs: Vec<B>,
    ) -> impl Future<Output = BufResult<usize, Vec<B>>> {
        (**self).readv(bufs)
    }
}
