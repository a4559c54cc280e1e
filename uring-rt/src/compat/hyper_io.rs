//! `hyper::rt::{Read, Write}` for [`Compat`] (feature `hyper`).

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::rt::{Read, ReadBufCursor, Write};

use super::Compat;
use crate::io::AsyncRentDuplex;

/// See [`Compat`] for the copy, cancel and error semantics.
impl<T: AsyncRentDuplex + 'static> Read for Compat<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let room = buf.remaining();
        this.read
            .poll_read_with(&this.inner, cx, room, |data| buf.put_slice(data))
            .map_ok(drop)
    }
}

/// Vectored: hyper then hands over its header and body buffers as they are
/// (no flattening copy on its side); the adapter copies them once, into its
/// write buffer.
impl<T: AsyncRentDuplex + 'static> Write for Compat<T> {
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
