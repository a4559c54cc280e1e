//! Owned buffers for completion-based I/O.
//!
//! An operation takes its buffer by value and hands it back with the result
//! ([`BufResult`]), so the kernel can use it while the operation is in
//! flight without any borrow the user could observe, and a future dropped
//! early leaves the buffer with the runtime until the kernel is done.
//!
//! - [`IoBuf`]: a buffer the kernel reads from (writes, sends): its
//!   initialized bytes.
//! - [`IoBufMut`]: a buffer the kernel writes into (reads, receives): its
//!   *writable region*, which for a `Vec<u8>` is the spare capacity
//!   `[len, capacity)`, so reads append.
//! - [`Slice`] / [`SliceMut`]: owned views of part of a buffer, to write or
//!   read only that part; `into_inner()` gives the whole buffer back.
//!
//! With the `bytes` feature, `bytes::Bytes` is an `IoBuf` and
//! `bytes::BytesMut` both (its writable region is its spare capacity, as for
//! a `Vec`).

#[cfg(feature = "bytes")]
mod bytes;
mod copy;
mod io_buf;
mod io_buf_mut;
mod slice;
mod slice_mut;

pub(crate) use copy::{init_bytes, put_slice};
pub use io_buf::IoBuf;
pub use io_buf_mut::IoBufMut;
pub use slice::Slice;
pub use slice_mut::SliceMut;

/// The result of an owned-buffer operation: the outcome and the buffer, which
/// always comes back, on error too.
pub type BufResult<T, B> = (std::io::Result<T>, B);

/// The error of a read into a buffer with no room (`bytes_total() == 0`),
/// which would otherwise return `Ok(0)`, indistinguishable from end of
/// stream.
pub(crate) fn no_room() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        "read into a buffer with no room (bytes_total() == 0), which would look like \
         end of stream: reads fill a Vec's spare capacity, so pass \
         Vec::with_capacity(n), clear() a reused Vec first, or read into \
         buf.slice_mut(..) of a buffer with initialized bytes",
    )
}

#[cfg(test)]
mod tests;
