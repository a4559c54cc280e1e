//! [`copy`]: everything from a reader to a writer, through one buffer.

#![forbid(unsafe_code)]

use std::io;

use crate::io::{AsyncReadRent, AsyncWriteRent, AsyncWriteRentExt};

/// The buffer [`copy`] reads into.
const COPY_BUF: usize = 64 * 1024;

/// Copies everything `reader` yields into `writer`, until `reader`'s end of
/// stream, then flushes `writer`; returns how many bytes were copied (as
/// tokio's `io::copy`).
///
/// One 64 KiB buffer is rented back and forth: each read's bytes are
/// written out in full before the next read. Between a socket and a pipe
/// (or a file and a socket), [`splice`](super::splice) and
/// [`TcpStream::sendfile`](crate::net::TcpStream::sendfile) move bytes
/// without copying them through user space.
///
/// # Errors
///
/// The first read, write or flush error. Bytes read before it were
/// written.
///
/// # Cancel safety
///
/// Not cancel safe: dropping the future loses the bytes read but not yet
/// written.
///
/// # Examples
///
/// ```
/// use aio::io::AsyncWriteRentExt;
///
/// aio::Runtime::new().unwrap().block_on(async {
///     let mut reader: &[u8] = b"all of this";
///     let mut out = std::io::Cursor::new(Vec::new());
///     let n = aio::io::copy(&mut reader, &mut out).await.unwrap();
///     assert_eq!(n, 11);
///     assert_eq!(out.into_inner(), b"all of this");
/// });
/// ```
pub async fn copy<R, W>(reader: &mut R, writer: &mut W) -> io::Result<u64>
where
    R: AsyncReadRent + ?Sized,
    W: AsyncWriteRent + ?Sized,
{
    let mut buf = Vec::with_capacity(COPY_BUF);
    let mut total = 0u64;
    loop {
        buf.clear();
        let (res, back) = reader.read(buf).await;
        buf = back;
        let n = res?;
        if n == 0 {
            break;
        }
        let (res, back) = writer.write_all(buf).await;
        buf = back;
        res?;
        total += n as u64;
    }
    writer.flush().await?;
    Ok(total)
}
