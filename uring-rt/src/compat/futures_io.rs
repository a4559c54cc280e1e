//! `futures_io::{AsyncRead, AsyncWrite, AsyncBufRead}` for [`Compat`]
//! (feature `futures-io`).

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};

use super::Compat;
use crate::io::AsyncRentDuplex;

/// See [`Compat`] for the copy, cancel and error semantics.
impl<T: AsyncRentDuplex + 'static> AsyncRead for Compat<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let room = buf.len();
        this.read.poll_read_with(&this.inner, cx, room, |data| {
            buf[..data.len()].copy_from_slice(data)
        })
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
/// `poll_close` flushes, then shuts the write side down.
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

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.write.poll_flush(&this.inner, cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.write.poll_shutdown(&this.inner, cx)
    }
}
