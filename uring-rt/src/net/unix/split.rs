use std::io;

use super::addr::from_raw;
use super::UnixSocketAddr;
use crate::net::socket::Socket;

/// The read half of a [`UnixStream`](super::UnixStream), from
/// [`into_split`](super::UnixStream::into_split).
#[derive(Debug)]
pub struct OwnedReadHalf {
    _core: crate::marker::NotSend,
    socket: Socket,
}

/// The write half of a [`UnixStream`](super::UnixStream), from
/// [`into_split`](super::UnixStream::into_split).
#[derive(Debug)]
pub struct OwnedWriteHalf {
    _core: crate::marker::NotSend,
    socket: Socket,
    /// Whether dropping it shuts the write side down (not when it is
    /// reunited with its read half).
    shutdown_on_drop: bool,
}

pub(super) fn new(socket: Socket) -> (OwnedReadHalf, OwnedWriteHalf) {
    (
        OwnedReadHalf {
            _core: std::marker::PhantomData,
            socket: socket.clone(),
        },
        OwnedWriteHalf {
            _core: std::marker::PhantomData,
            socket,
            shutdown_on_drop: true,
        },
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

crate::net::socket::stream_read_impl!(OwnedReadHalf);
crate::net::socket::stream_pooled_impl!(OwnedReadHalf);

crate::net::socket::stream_write_impl!(OwnedWriteHalf);

/// Dropping the write half shuts the write direction down (the peer reads
/// end of stream) even while the read half lives, as tokio does; the
/// socket itself closes when both halves are gone.
impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        // Not connected any more (reset, already shut down): nothing to
        // send, and nobody to tell.
        if self.shutdown_on_drop {
            let _ = self.socket.shutdown_write_now();
        }
    }
}

crate::net::split::split_halves!(UnixStream);
