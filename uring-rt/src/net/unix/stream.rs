use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::Path;

use super::addr::{from_raw, to_raw};
use super::UnixSocketAddr;
use crate::net::socket::{owned_from_std, Socket};
use crate::net::NetConfig;
use crate::Driver;

/// A Unix-domain stream connection.
pub struct UnixStream {
    _core: crate::marker::NotSend,
    socket: Socket,
}

impl UnixStream {
    pub(crate) fn from_socket(socket: Socket) -> UnixStream {
        UnixStream {
            _core: std::marker::PhantomData,
            socket,
        }
    }

    /// Connects to the socket at `path` (or an abstract name).
    ///
    /// # Errors
    ///
    /// `ENOENT`/`ECONNREFUSED` if nobody listens there.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future cancels the attempt and closes the socket.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        UnixStream::connect_with(path, &NetConfig::default()).await
    }

    /// Connects with socket options (the buffer sizes apply; TCP and IP
    /// options are ignored for Unix sockets).
    ///
    /// # Errors
    ///
    /// As for [`connect`](Self::connect), plus an option the kernel rejects.
    ///
    /// # Cancel safety
    ///
    /// As for [`connect`](Self::connect).
    pub async fn connect_with(
        path: impl AsRef<Path>,
        config: &NetConfig,
    ) -> io::Result<UnixStream> {
        let raw = to_raw(path.as_ref())?;
        let socket = Socket::new(libc::AF_UNIX, libc::SOCK_STREAM)?;
        socket.apply_common(config, libc::AF_UNIX)?;
        socket.connect(raw).await?;
        Ok(UnixStream {
            _core: std::marker::PhantomData,
            socket,
        })
    }

    /// A connected pair of streams.
    ///
    /// # Errors
    ///
    /// socketpair(2) failed (e.g. out of descriptors).
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = socketpair(libc::SOCK_STREAM)?;
        Ok((
            UnixStream {
                _core: std::marker::PhantomData,
                socket: Socket::from_accepted(a),
            },
            UnixStream {
                _core: std::marker::PhantomData,
                socket: Socket::from_accepted(b),
            },
        ))
    }

    /// Adopts a std stream (switching it to the current backend's mode).
    ///
    /// # Errors
    ///
    /// The mode switch failed.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            _core: std::marker::PhantomData,
            socket: Socket::from_owned(owned_from_std(stream))?,
        })
    }

    /// Borrows the stream as a read half and a write half, to read and
    /// write at once from one task (e.g. `aio::future::join` of a reader
    /// and a writer) without giving the stream up; see
    /// [`into_split`](Self::into_split) for halves that go to two tasks.
    pub fn split(&mut self) -> (super::ReadHalf<'_>, super::WriteHalf<'_>) {
        super::split::borrowed(&self.socket)
    }

    /// Splits the stream into a read half and a write half usable from two
    /// tasks of this runtime at once. The connection closes when both halves
    /// (and any in-flight operation) are gone.
    pub fn into_split(self) -> (super::OwnedReadHalf, super::OwnedWriteHalf) {
        super::split::new(self.socket)
    }

    /// Turns this into a std stream, open and in blocking mode (as std
    /// creates them), to hand to another core (whose `from_std` adopts it)
    /// or to a library that wants a std socket.
    ///
    /// # Errors
    ///
    /// The runtime's driver failed fatally, or the mode switch failed.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
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

    /// The peer's address.
    ///
    /// # Errors
    ///
    /// getpeername(2) failed.
    pub fn peer_addr(&self) -> io::Result<UnixSocketAddr> {
        Ok(from_raw(&self.socket.peer_raw()?))
    }

    /// The credentials of the peer process (`SO_PEERCRED`): those it had
    /// when it connected, or created the pair.
    ///
    /// # Errors
    ///
    /// getsockopt(2) failed.
    pub fn peer_cred(&self) -> io::Result<super::UCred> {
        let init = libc::ucred {
            pid: 0,
            uid: 0,
            gid: 0,
        };
        let cred = self
            .socket
            .get_opt_from(libc::SOL_SOCKET, libc::SO_PEERCRED, init)?;
        Ok(super::UCred::from_raw(cred))
    }

    /// Receives into `buf`'s writable region without taking the bytes off
    /// the queue (recv(2) with `MSG_PEEK`): the next read or peek returns
    /// them again. Waits until at least one byte is there; `Ok(0)` means
    /// end of stream.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `buf` has no room (as for `read`), or recv(2)
    /// errors; the buffer comes back either way.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing is consumed.
    pub async fn peek<B: crate::buf::IoBufMut>(&self, buf: B) -> crate::BufResult<usize, B> {
        self.socket.peek(buf).await
    }
}

/// socketpair(2) in the current backend's mode.
#[track_caller]
pub(crate) fn socketpair(ty: libc::c_int) -> io::Result<(OwnedFd, OwnedFd)> {
    crate::sys::socket::socketpair(ty, Driver::current() == Driver::Epoll)
}

crate::net::socket::stream_read_impl!(UnixStream);
crate::net::socket::stream_pooled_impl!(UnixStream);

crate::net::socket::stream_write_impl!(UnixStream);
crate::net::socket::stream_duplex_impl!(UnixStream);

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.raw()
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("fd", &self.socket.raw())
            .finish()
    }
}

crate::net::socket::fd_impls!(UnixStream);

crate::net::readiness::ready_impl!(UnixStream);
crate::net::readiness::stream_try_impl!(UnixStream);

super::fds::fds_impl!(
    UnixStream,
    "let (a, b) = aio::net::UnixStream::pair().unwrap();"
);
