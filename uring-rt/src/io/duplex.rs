use std::future::Future;
use std::io;

use crate::buf::{IoBuf, IoBufMut};
use crate::BufResult;

/// A stream that reads and writes through a shared reference, so that one
/// read and one write can be in flight at the same time without two `&mut`
/// borrows of it.
///
/// [`AsyncReadRent`](crate::io::AsyncReadRent) and
/// [`AsyncWriteRent`](crate::io::AsyncWriteRent) take `&mut self`: a caller
/// holding a pending read cannot start a write on the same value. A
/// full-duplex protocol driven through poll-based traits (HTTP/2 over
/// hyper, for one) needs exactly that, and this trait is how a stream says
/// it supports it. aio's [`TcpStream`](crate::net::TcpStream) and
/// [`UnixStream`](crate::net::UnixStream) implement it (their reads and
/// writes are independent kernel operations on one descriptor); it is what
/// `aio::compat::Compat` requires of the stream it adapts.
///
/// # Implementing
///
/// The methods follow the contracts of `read`, `write` and `shutdown` on the
/// rent traits (`Ok(n)` from `read_shared` has called `set_init(n)`; a
/// buffer with no room is `InvalidInput`; `Ok(0)` is end of stream). On top
/// of those:
///
/// - One `read_shared` and one `write_shared` (or `shutdown_shared`) future
///   may be alive and polled at the same time, from one task, and each must
///   make progress independently of the other: a read waiting for the peer
///   must not hold up a write. Callers never run two reads, or two writes,
///   at once.
/// - There is no flush: bytes a `write_shared` reports as written must
///   reach the peer without further calls. A stream that buffers (a TLS
///   stream's records) writes them out before the future completes.
/// - `shutdown_shared` shuts the write side down (for TLS: close_notify,
///   then the transport's write side).
///
/// A type with internal state shared by both directions (a TLS session)
/// keeps it in a `RefCell` or similar, borrowed only between its awaits.
pub trait AsyncRentDuplex {
    /// Reads at most `buf.bytes_total()` bytes, as
    /// [`AsyncReadRent::read`](crate::io::AsyncReadRent::read).
    ///
    /// # Cancel safety
    ///
    /// As `AsyncReadRent::read`: dropping the future may lose bytes the
    /// kernel had already put into the buffer.
    fn read_shared<B: IoBufMut>(&self, buf: B) -> impl Future<Output = BufResult<usize, B>>;

    /// Writes some prefix of `buf`'s initialized bytes, as
    /// [`AsyncWriteRent::write`](crate::io::AsyncWriteRent::write).
    ///
    /// # Cancel safety
    ///
    /// As `AsyncWriteRent::write`: dropping the future may leave some bytes
    /// written.
    fn write_shared<B: IoBuf>(&self, buf: B) -> impl Future<Output = BufResult<usize, B>>;

    /// Shuts the write side down (a TCP FIN), as
    /// [`AsyncWriteRent::shutdown`](crate::io::AsyncWriteRent::shutdown).
    ///
    /// # Cancel safety
    ///
    /// Dropping it before completion may or may not shut down.
    fn shutdown_shared(&self) -> impl Future<Output = io::Result<()>>;
}

#[cfg(any(
    feature = "tokio-io",
    feature = "futures-io",
    feature = "hyper",
    feature = "rustls"
))]
/// Writes all of `buf` through `inner.write_shared`, looping over partial
/// writes, and gives the buffer back for reuse. The shared form of
/// `write_all`, used by `aio::compat`'s write operations and by the duplex
/// TLS stream's record writes.
///
/// # Errors
///
/// `WriteZero` if a write makes no progress; the stream's errors (some
/// prefix of `buf` may then have been written).
///
/// # Cancel safety
///
/// Not cancel safe: dropped, some prefix of `buf` may have been written.
pub(crate) async fn write_all_shared<T: AsyncRentDuplex + ?Sized>(
    inner: &T,
    mut buf: Vec<u8>,
) -> BufResult<(), Vec<u8>> {
    let len = buf.len();
    let mut done = 0;
    while done < len {
        let (res, slice) = inner.write_shared(buf.slice(done..)).await;
        buf = slice.into_inner();
        match res {
            Ok(0) => return (Err(io::ErrorKind::WriteZero.into()), buf),
            Ok(n) => done += n,
            Err(e) => return (Err(e), buf),
        }
    }
    (Ok(()), buf)
}
