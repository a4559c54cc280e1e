//! Owned buffers for completion-based I/O.
//!
//! An operation takes its buffer by value and hands it back with the result
//! ([`BufResult`]), so the kernel can write into it while the operation is in
//! flight without any borrow the user could observe. [`IoBuf`] is a buffer the
//! kernel reads from (writes, sends); [`IoBufMut`] one it writes into (reads,
//! receives).

mod io_buf;
mod io_buf_mut;

pub use io_buf::IoBuf;
pub use io_buf_mut::IoBufMut;

/// The result of an owned-buffer operation: the outcome and the buffer, which
/// always comes back, on error too.
pub type BufResult<T, B> = (std::io::Result<T>, B);
