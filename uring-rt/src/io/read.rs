use std::future::Future;

use crate::buf::IoBufMut;
use crate::BufResult;

/// Reads into owned buffers.
///
/// Each method takes the buffer by value and returns it with the result, on
/// error too. Data is written into the buffer's writable region (for a
/// `Vec<u8>`, `[len, capacity)`, so a read appends), whose initialized
/// length is updated. [`AsyncReadRentExt`](crate::io::AsyncReadRentExt)
/// adds `read_exact` to every implementor.
///
/// # Implementing
///
/// A `read` that returns `Ok(n)` has written `n` bytes at the start of the
/// buffer's writable region (`write_ptr()`, at most `bytes_total()` bytes)
/// and called [`set_init(n)`](IoBufMut::set_init) before returning: callers
/// such as `read_exact` learn how far the buffer is filled from the buffer,
/// not from `n`. `readv` does the same for each buffer it fills.
pub trait AsyncReadRent {
    /// Reads at most `buf.bytes_total()` bytes. `Ok(0)` means end of stream.
    ///
    /// A buffer with no room (`bytes_total() == 0`: a `Vec` without spare
    /// capacity, such as `vec![0; n]` or `Vec::new()`) is an
    /// [`InvalidInput`](std::io::ErrorKind::InvalidInput) error, never
    /// `Ok(0)`, which would look like end of stream: size reads with
    /// `Vec::with_capacity(n)`, `clear()` a reused `Vec`, or read into
    /// `buf.slice_mut(..)`. Implementors follow the same contract.
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
