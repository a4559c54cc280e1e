//! [`Compat`]: the adapter and its constructors; the read and write state
//! machines live in `read_side` and `write_side`.

use std::fmt;
use std::rc::Rc;

use super::read_side::ReadSide;
use super::write_side::WriteSide;

/// What [`Compat::new`] gives each direction: the read buffer's size, and
/// how many accepted bytes the write buffer holds before `poll_write`
/// waits.
const DEFAULT_CAPACITY: usize = 64 * 1024;

/// An aio stream seen through poll-based I/O traits: tokio's `AsyncRead`,
/// `AsyncWrite` and `AsyncBufRead` (feature `tokio-io`), the `futures-io`
/// equivalents (feature `futures-io`) and `hyper::rt::{Read, Write}`
/// (feature `hyper`).
///
/// The stream must implement [`AsyncRentDuplex`](crate::io::AsyncRentDuplex)
/// (aio's [`TcpStream`](crate::net::TcpStream) and
/// [`UnixStream`](crate::net::UnixStream) do): the adapter keeps one read
/// and one write in flight at once, as full-duplex protocols such as HTTP/2
/// need, each through a shared reference to the stream.
///
/// # How it works, and what it costs
///
/// The adapter owns one read buffer and two write buffers (each
/// [`capacity`](Compat::with_capacity) bytes, 64 KiB by default, allocated
/// on first use), and keeps the stream in an `Rc` that its in-flight
/// operations share.
///
/// - **Reads**: `poll_read` hands out bytes already in the read buffer; when
///   it is empty, it starts one read of the stream into it and waits. That
///   read **stays in flight across polls**: a `poll_read` returning
///   `Pending` does not cancel it, and the next `poll_read` continues it.
///   Each byte is copied once, from the read buffer into the caller's (the
///   kernel writes into the read buffer directly).
/// - **Writes**: `poll_write` copies what fits into the write buffer and
///   returns `Ready(n)` at once; the buffer is then written out by an
///   operation that stays in flight across polls, while the next bytes
///   gather in the second buffer. When the second buffer is full too,
///   `poll_write` returns `Pending` until the write in flight completes
///   (backpressure). Each byte is copied once, into the write buffer.
///   `poll_flush` completes when every accepted byte has been written to
///   the stream; `poll_shutdown` (`poll_close` for futures-io) flushes, then
///   shuts the stream's write side down (a TCP FIN).
/// - Every read, write and shutdown in flight costs one small allocation
///   (the boxed operation future).
///
/// # Cancel safety
///
/// The poll methods never cancel an operation. A caller that stops polling
/// (its future was dropped, a timeout fired) loses nothing: bytes the
/// in-flight read delivers wait in the read buffer for the next
/// `poll_read`, and accepted writes go out on the next `poll_write`,
/// `poll_flush` or `poll_shutdown` (the write already in flight completes on
/// its own).
///
/// Dropping the `Compat` cancels what is in flight, through the runtime as
/// any dropped operation is (the buffers stay alive until the kernel is done
/// with them): bytes read and not yet handed out, and bytes accepted but not
/// flushed, are lost. Flush or shut down before dropping it.
///
/// # Errors
///
/// The stream's errors, unchanged, from the poll that observes them. A
/// failed write in the background is reported by the next `poll_write`,
/// `poll_flush` or `poll_shutdown`; the bytes it carried are gone.
///
/// # Examples
///
/// ```no_run
/// # #[cfg(feature = "tokio-io")]
/// # aio::Runtime::new()?.block_on(async {
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// let stream = aio::net::TcpStream::connect("127.0.0.1:8080").await?;
/// let mut io = aio::compat::Compat::new(stream);
/// io.write_all(b"ping").await?;
/// io.flush().await?;
/// let mut pong = [0; 4];
/// io.read_exact(&mut pong).await?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Compat<T> {
    /// The stream, shared with the operations in flight (each holds a
    /// clone for as long as it runs).
    pub(super) inner: Rc<T>,
    pub(super) read: ReadSide,
    pub(super) write: WriteSide,
}

impl<T> Compat<T> {
    /// Wraps `inner`, with 64 KiB buffers.
    pub fn new(inner: T) -> Compat<T> {
        Compat::with_capacity(inner, DEFAULT_CAPACITY)
    }

    /// Wraps `inner`, with a read buffer of `capacity` bytes and write
    /// buffers holding up to `capacity` bytes each.
    ///
    /// # Panics
    ///
    /// If `capacity` is 0.
    #[track_caller]
    pub fn with_capacity(inner: T, capacity: usize) -> Compat<T> {
        assert!(
            capacity > 0,
            "Compat::with_capacity: the capacity must be at least 1 byte"
        );
        Compat {
            inner: Rc::new(inner),
            read: ReadSide::new(capacity),
            write: WriteSide::new(capacity),
        }
    }

    /// The stream.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The stream, mutably, when no read, write or shutdown is in flight
    /// (they share it); `None` otherwise.
    ///
    /// Reading or writing through it bypasses the adapter's buffers: bytes
    /// already buffered stay there, in order.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        Rc::get_mut(&mut self.inner)
    }

    /// The stream, after cancelling what is in flight.
    ///
    /// Bytes read and not yet handed out, and bytes accepted but not yet
    /// written, are dropped: flush first (and read to a message boundary)
    /// to lose nothing.
    pub fn into_inner(self) -> T {
        let Compat { inner, read, write } = self;
        // The operations own the only other clones of `inner`.
        drop(read);
        drop(write);
        match Rc::try_unwrap(inner) {
            Ok(inner) => inner,
            Err(_) => unreachable!("Compat: an operation outlived the adapter it belongs to"),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Compat<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compat")
            .field("inner", &self.inner)
            .field("read", &self.read)
            .field("write", &self.write)
            .finish()
    }
}
