use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;

use super::addr::{from_raw, to_raw};
use super::stream::socketpair;
use super::UnixSocketAddr;
use crate::buf::{IoBuf, IoBufMut};
use crate::driver::{ops, Op};
use crate::net::socket::{owned_from_std, Socket};
use crate::net::NetConfig;
use crate::BufResult;

/// A Unix-domain datagram socket. Methods take `&self`.
pub struct UnixDatagram {
    _core: crate::marker::NotSend,
    socket: Socket,
}

impl UnixDatagram {
    /// A socket bound to `path` (or an abstract name).
    ///
    /// # Errors
    ///
    /// The path exists or is invalid.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::bind_with(path, &NetConfig::default())
    }

    /// Binds with socket options: the buffer sizes and `busy_poll` apply
    /// (the TCP and IP options have no meaning for Unix sockets and are
    /// ignored), as for [`UnixListener::bind_with`](super::UnixListener::bind_with).
    ///
    /// # Errors
    ///
    /// As for [`bind`](Self::bind), plus an option the kernel rejects.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn bind_with(path: impl AsRef<Path>, config: &NetConfig) -> io::Result<UnixDatagram> {
        let raw = to_raw(path.as_ref())?;
        let socket = Socket::new(libc::AF_UNIX, libc::SOCK_DGRAM)?;
        socket.apply_common(config, libc::AF_UNIX)?;
        socket.bind(&raw)?;
        Ok(UnixDatagram {
            _core: std::marker::PhantomData,
            socket,
        })
    }

    /// An unbound socket (it can send, and receive replies once connected).
    ///
    /// # Errors
    ///
    /// socket(2) failed.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn unbound() -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            _core: std::marker::PhantomData,
            socket: Socket::new(libc::AF_UNIX, libc::SOCK_DGRAM)?,
        })
    }

    /// A connected pair.
    ///
    /// # Errors
    ///
    /// socketpair(2) failed.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = socketpair(libc::SOCK_DGRAM)?;
        Ok((
            UnixDatagram {
                _core: std::marker::PhantomData,
                socket: Socket::from_accepted(a),
            },
            UnixDatagram {
                _core: std::marker::PhantomData,
                socket: Socket::from_accepted(b),
            },
        ))
    }

    /// Adopts a std socket (switching it to the current backend's mode).
    ///
    /// # Errors
    ///
    /// The mode switch failed.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            _core: std::marker::PhantomData,
            socket: Socket::from_owned(owned_from_std(socket))?,
        })
    }

    /// Sets the default destination (and the only accepted source).
    ///
    /// # Errors
    ///
    /// Nobody is bound at `path`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe (connect on a datagram socket completes at once).
    pub async fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.socket.connect(to_raw(path.as_ref())?).await
    }

    /// Sends one datagram to `path`.
    ///
    /// # Errors
    ///
    /// sendmsg(2) errors, or an invalid path; the buffer comes back.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future may or may not send the datagram.
    pub async fn send_to<B: IoBuf>(&self, buf: B, path: impl AsRef<Path>) -> BufResult<usize, B> {
        let raw = match to_raw(path.as_ref()) {
            Ok(raw) => raw,
            Err(e) => return (Err(e), buf),
        };
        Op::submit(ops::SendTo::new(self.socket.fd().clone(), buf, raw)).await
    }

    /// Receives one datagram and its source address.
    ///
    /// # Errors
    ///
    /// recvmsg(2) errors; the buffer comes back.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future may lose a datagram already delivered.
    pub async fn recv_from<B: IoBufMut>(&self, buf: B) -> BufResult<(usize, UnixSocketAddr), B> {
        // A zero-length receive would consume (and lose) a datagram.
        if buf.bytes_total() == 0 {
            return (Err(crate::buf::no_room()), buf);
        }
        let (res, buf) = Op::submit(ops::RecvFrom::new(self.socket.fd().clone(), buf)).await;
        (res.map(|(n, raw)| (n, from_raw(&raw))), buf)
    }

    /// Sends to the connected peer.
    ///
    /// # Errors
    ///
    /// send(2) errors; the buffer comes back.
    ///
    /// # Cancel safety
    ///
    /// As for [`send_to`](Self::send_to).
    pub async fn send<B: IoBuf>(&self, buf: B) -> BufResult<usize, B> {
        self.socket.send(buf).await
    }

    /// Receives from the connected peer.
    ///
    /// # Errors
    ///
    /// recv(2) errors; the buffer comes back.
    ///
    /// # Cancel safety
    ///
    /// As for [`recv_from`](Self::recv_from).
    pub async fn recv<B: IoBufMut>(&self, buf: B) -> BufResult<usize, B> {
        self.socket.recv(buf).await
    }

    /// Turns this into a std socket, open and in blocking mode (as std
    /// creates them), to hand to another core (whose `from_std` adopts it)
    /// or to a library that wants a std socket.
    ///
    /// # Errors
    ///
    /// The runtime's driver failed fatally, or the mode switch failed.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        self.socket.into_std()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// getsockname(2) failed.
    pub fn local_addr(&self) -> io::Result<UnixSocketAddr> {
        Ok(from_raw(&self.socket.local_raw()?))
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `ENOTCONN` if not connected.
    pub fn peer_addr(&self) -> io::Result<UnixSocketAddr> {
        Ok(from_raw(&self.socket.peer_raw()?))
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.raw()
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("fd", &self.socket.raw())
            .finish()
    }
}

crate::net::socket::fd_impls!(UnixDatagram);

super::fds::fds_impl!(
    UnixDatagram,
    "let (a, b) = aio::net::UnixDatagram::pair().unwrap();"
);

crate::net::readiness::ready_impl!(UnixDatagram);

impl UnixDatagram {
    /// Receives one datagram from the connected peer into `buf` without
    /// waiting (recv(2), `MSG_DONTWAIT`); a longer datagram is truncated.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when no datagram is queued (wait with
    /// [`readable`](Self::readable)), or the socket's error.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.socket.try_recv(buf)
    }

    /// Sends `buf` as one datagram to the connected peer without waiting
    /// (send(2), `MSG_DONTWAIT | MSG_NOSIGNAL`).
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the peer's queue is full (wait with
    /// [`writable`](Self::writable)), `ENOTCONN` if not connected.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.socket.try_send(buf)
    }

    /// Receives one datagram and its sender's address without waiting
    /// (recvfrom(2), `MSG_DONTWAIT`); a longer datagram is truncated.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when no datagram is queued, or the socket's error.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, UnixSocketAddr)> {
        let (n, raw) = self.socket.try_recv_from(buf)?;
        Ok((n, from_raw(&raw)))
    }

    /// Sends `buf` as one datagram to the socket at `path` without waiting
    /// (sendto(2), `MSG_DONTWAIT | MSG_NOSIGNAL`).
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the receiver's queue is full, an invalid path, or
    /// the socket's error.
    pub fn try_send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        self.socket.try_send_to(buf, &to_raw(path.as_ref())?)
    }
}
