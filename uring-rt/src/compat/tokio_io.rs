//! `tokio::io::{AsyncRead, AsyncWrite, AsyncBufRead}` for [`Compat`]
//! (feature `tokio-io`).

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};

use super::Compat;
use crate::io::AsyncRentDuplex;

/// See [`Compat`] for the copy, cancel and error semantics.
impl<T: AsyncRentDuplex + 'static> AsyncRead for Compat<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let room = buf.remaining();
        this.read
            .poll_read_with(&this.inner, cx, room, |data| buf.put_slice(data))
            .map_ok(drop)
    }
}

/// The adapter's read buffer, lent out.
impl<T: AsyncRentDuplex + 'static> AsyncBufRead for Compat<T> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        this.read.poll_fill(&this.inner, cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().read.consume(amt);
    }
}

/// See [`Compat`] for the copy, backpressure and flush semantics;
/// `poll_shutdown` flushes, then shuts the write side down.
impl<T: AsyncRentDuplex + 'static> AsyncWrite for Compat<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.write
            .poll_write_vectored(&this.inner, cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.write.poll_write_vectored(&this.inner, cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.write.poll_flush(&this.inner, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.write.poll_shutdown(&this.inner, cx)
    }
}
