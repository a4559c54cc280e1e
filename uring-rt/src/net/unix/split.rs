use std::io;

use super::addr::from_raw;
use super::UnixSocketAddr;
use crate::buf::{IoBuf, IoBufMut};
use crate::io::{AsyncReadRent, AsyncWriteRent};
use crate::net::socket::Socket;
use crate::BufResult;

/// The read half of a [`UnixStream`](super::UnixStream), from
/// [`into_split`](super::UnixStream::into_split).
#[derive(Debug)]
pub struct OwnedReadHalf {
    socket: Socket,
}

/// The write half of a [`UnixStream`](super::UnixStream), from
/// [`into_split`](super::UnixStream::into_split).
#[derive(Debug)]
pub struct OwnedWriteHalf {
    socket: Socket,
}

pub(super) fn new(socket: Socket) -> (OwnedReadHalf, OwnedWriteHalf) {
    (
        OwnedReadHalf {
            socket: socket.clone(),
        },
        OwnedWriteHalf { socket },
    )
}

impl OwnedReadHalf {
    /// The peer's address.
    ///
    /// # Errors
    ///
    /// getpeername(2) failed.
    pub fn peer_addr(&self) -> io::Result<UnixSocketAddr> {
        Ok(from_raw(&self.socket.peer_raw()?))
    }
}

impl OwnedWriteHalf {
    /// The peer's address.
    ///
    /// # Errors
    ///
    /// getpeername(2) failed.
    pub fn peer_addr(&self) -> io::Result<UnixSocketAddr> {
        Ok(from_raw(&self.socket.peer_raw()?))
    }
}

impl AsyncReadRent for OwnedReadHalf {
    async fn read<B: IoBufMut>(&mut self, buf: B) -> BufResult<usize, B> {
        self.socket.recv(buf).await
    }

    async fn readv<B: IoBufMut>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        self.socket.recv_vectored(bufs).await
    }
}

impl AsyncWriteRent for OwnedWriteHalf {
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
        self.socket.send(buf).await
    }

    async fn writev<B: IoBuf>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        self.socket.send_vectored(bufs).await
    }

    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        self.socket.shutdown(std::net::Shutdown::Write).await
    }
}
