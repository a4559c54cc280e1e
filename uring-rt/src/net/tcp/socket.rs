//! `TcpSocket`: a TCP socket not yet listening or connected, for setting
//! options before `bind`, `listen` or `connect` (tokio's `TcpSocket`).

use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::{TcpListener, TcpStream};
use crate::net::addr::{from_raw, to_raw};
use crate::net::socket::{owned_from_std, Socket};

/// A TCP socket that has not yet been turned into a [`TcpStream`] or a
/// [`TcpListener`]: create it with [`new_v4`](Self::new_v4) or
/// [`new_v6`](Self::new_v6), set options, optionally [`bind`](Self::bind),
/// then [`listen`](Self::listen) or [`connect`](Self::connect).
///
/// The names and semantics are tokio's. Where aio differs: the socket is
/// `!Send` (it belongs to the core that created it, as every aio socket
/// does), and on io_uring it is a blocking-mode descriptor (the kernel
/// waits inside the ring); [`into_raw_fd`](IntoRawFd::into_raw_fd) hands it
/// back in blocking mode either way. For options that every socket of a
/// kind should get, [`NetConfig`](crate::net::NetConfig) with
/// `bind_with`/`connect_with` does the same in one call.
///
/// ```no_run
/// use aio::net::TcpSocket;
///
/// # aio::Runtime::new()?.block_on(async {
/// // A listener with SO_REUSEPORT, so that each core can bind the port.
/// let socket = TcpSocket::new_v4()?;
/// socket.set_reuseaddr(true)?;
/// socket.set_reuseport(true)?;
/// socket.bind("127.0.0.1:8080".parse().unwrap())?;
/// let listener = socket.listen(1024)?;
///
/// // A client with TCP_NODELAY set before the handshake.
/// let socket = TcpSocket::new_v4()?;
/// socket.set_nodelay(true)?;
/// let stream = socket.connect(listener.local_addr()?).await?;
/// # drop(stream);
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpSocket {
    _core: crate::marker::NotSend,
    socket: Socket,
    family: libc::c_int,
}

impl TcpSocket {
    /// A new IPv4 TCP socket (`AF_INET`, `SOCK_STREAM`, close-on-exec).
    ///
    /// # Errors
    ///
    /// socket(2) failed (e.g. `EMFILE`).
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn new_v4() -> io::Result<TcpSocket> {
        TcpSocket::new(libc::AF_INET)
    }

    /// A new IPv6 TCP socket (`AF_INET6`, `SOCK_STREAM`, close-on-exec).
    ///
    /// # Errors
    ///
    /// socket(2) failed (e.g. `EMFILE`, or no IPv6 support).
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn new_v6() -> io::Result<TcpSocket> {
        TcpSocket::new(libc::AF_INET6)
    }

    #[track_caller]
    fn new(family: libc::c_int) -> io::Result<TcpSocket> {
        Ok(TcpSocket {
            _core: PhantomData,
            socket: Socket::new(family, libc::SOCK_STREAM)?,
            family,
        })
    }

    /// Adopts the descriptor of a std stream that is not yet connected
    /// (tokio's `from_std_stream`), switching it to the current backend's
    /// blocking mode.
    ///
    /// # Errors
    ///
    /// The mode switch failed, or the descriptor is not an IP socket.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn from_std_stream(stream: std::net::TcpStream) -> io::Result<TcpSocket> {
        TcpSocket::from_owned(owned_from_std(stream))
    }

    #[track_caller]
    pub(crate) fn from_owned(fd: OwnedFd) -> io::Result<TcpSocket> {
        let socket = Socket::from_owned(fd)?;
        let family = socket
            .get_opt::<libc::c_int>(libc::SOL_SOCKET, libc::SO_DOMAIN)
            .unwrap_or(libc::AF_UNSPEC);
        if family != libc::AF_INET && family != libc::AF_INET6 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "TcpSocket: not an IPv4 or IPv6 socket",
            ));
        }
        Ok(TcpSocket {
            _core: PhantomData,
            socket,
            family,
        })
    }

    /// Sets `SO_REUSEADDR`: bind a port that still has connections in
    /// `TIME_WAIT`.
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed.
    pub fn set_reuseaddr(&self, reuseaddr: bool) -> io::Result<()> {
        self.socket
            .set_flag(libc::SOL_SOCKET, libc::SO_REUSEADDR, reuseaddr)
    }

    /// Whether `SO_REUSEADDR` is set.
    ///
    /// # Errors
    ///
    /// getsockopt(2) failed.
    pub fn reuseaddr(&self) -> io::Result<bool> {
        self.socket.flag(libc::SOL_SOCKET, libc::SO_REUSEADDR)
    }

    /// Sets `SO_REUSEPORT`: sockets of the same user that all set it may
    /// bind the same address, and the kernel spreads connections among
    /// their listeners (one listener per core).
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed.
    pub fn set_reuseport(&self, reuseport: bool) -> io::Result<()> {
        self.socket
            .set_flag(libc::SOL_SOCKET, libc::SO_REUSEPORT, reuseport)
    }

    /// Whether `SO_REUSEPORT` is set.
    ///
    /// # Errors
    ///
    /// getsockopt(2) failed.
    pub fn reuseport(&self) -> io::Result<bool> {
        self.socket.flag(libc::SOL_SOCKET, libc::SO_REUSEPORT)
    }

    /// Sets `TCP_NODELAY` (inherited by the stream [`connect`](Self::connect)
    /// returns).
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.socket
            .set_flag(libc::IPPROTO_TCP, libc::TCP_NODELAY, nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    ///
    /// getsockopt(2) failed.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.socket.flag(libc::IPPROTO_TCP, libc::TCP_NODELAY)
    }

    /// Sets `SO_SNDBUF`. Linux doubles the value (for its bookkeeping) and
    /// clamps it to `net.core.wmem_max`, so
    /// [`send_buffer_size`](Self::send_buffer_size) reports what it kept.
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed.
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        self.socket.set_opt(
            libc::SOL_SOCKET,
            libc::SO_SNDBUF,
            size.min(i32::MAX as u32) as libc::c_int,
        )
    }

    /// `SO_SNDBUF`, as the kernel reports it.
    ///
    /// # Errors
    ///
    /// getsockopt(2) failed.
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        self.socket
            .get_opt::<libc::c_int>(libc::SOL_SOCKET, libc::SO_SNDBUF)
            .map(|v| v.max(0) as u32)
    }

    /// Sets `SO_RCVBUF` (doubled and clamped to `net.core.rmem_max` by
    /// Linux, as for [`set_send_buffer_size`](Self::set_send_buffer_size)).
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed.
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        self.socket.set_opt(
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            size.min(i32::MAX as u32) as libc::c_int,
        )
    }

    /// `SO_RCVBUF`, as the kernel reports it.
    ///
    /// # Errors
    ///
    /// getsockopt(2) failed.
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        self.socket
            .get_opt::<libc::c_int>(libc::SOL_SOCKET, libc::SO_RCVBUF)
            .map(|v| v.max(0) as u32)
    }

    /// Sets `SO_LINGER`: `None` turns it off; `Some(Duration::ZERO)` makes
    /// close reset the connection. Whole seconds only (the kernel's unit).
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed.
    pub fn set_linger(&self, dur: Option<Duration>) -> io::Result<()> {
        self.socket.set_linger(dur)
    }

    /// `SO_LINGER`, as [`set_linger`](Self::set_linger) takes it.
    ///
    /// # Errors
    ///
    /// getsockopt(2) failed.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        self.socket.linger()
    }

    /// Sets `SO_KEEPALIVE` (the kernel's idle time, `tcp_keepalive_time`,
    /// applies; [`NetConfig::keepalive`](crate::net::NetConfig::keepalive)
    /// also sets the idle time).
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed.
    pub fn set_keepalive(&self, keepalive: bool) -> io::Result<()> {
        self.socket
            .set_flag(libc::SOL_SOCKET, libc::SO_KEEPALIVE, keepalive)
    }

    /// Whether `SO_KEEPALIVE` is set.
    ///
    /// # Errors
    ///
    /// getsockopt(2) failed.
    pub fn keepalive(&self) -> io::Result<bool> {
        self.socket.flag(libc::SOL_SOCKET, libc::SO_KEEPALIVE)
    }

    /// Sets `IP_TTL`, the time-to-live of outgoing packets.
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed (e.g. `EINVAL` for 0 or above 255).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.socket.set_ttl(ttl)
    }

    /// `IP_TTL`.
    ///
    /// # Errors
    ///
    /// getsockopt(2) failed.
    pub fn ttl(&self) -> io::Result<u32> {
        self.socket.ttl()
    }

    /// Sets `IP_TOS` (IPv4 sockets): the type-of-service byte (DSCP and
    /// ECN bits) of outgoing packets, as tokio's `set_tos`.
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed (`ENOPROTOOPT` on an IPv6 socket).
    pub fn set_tos(&self, tos: u32) -> io::Result<()> {
        self.socket.set_tos(tos)
    }

    /// `IP_TOS`.
    ///
    /// # Errors
    ///
    /// getsockopt(2) failed.
    pub fn tos(&self) -> io::Result<u32> {
        self.socket.tos()
    }

    /// Binds the socket to a network interface (`SO_BINDTODEVICE`), such as
    /// `b"eth0"`: it then only sends and receives through it. `None` removes
    /// the binding. As tokio's `bind_device`.
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed: `EPERM` without `CAP_NET_RAW` (binding to a
    /// device needs it, removing a binding does not), `ENODEV` for an
    /// unknown interface.
    pub fn bind_device(&self, interface: Option<&[u8]>) -> io::Result<()> {
        self.socket.bind_device(interface)
    }

    /// The interface set with [`bind_device`](Self::bind_device), if any.
    ///
    /// # Errors
    ///
    /// getsockopt(2) failed.
    pub fn device(&self) -> io::Result<Option<Vec<u8>>> {
        self.socket.device()
    }

    /// Takes the socket's pending error (`SO_ERROR`), clearing it.
    ///
    /// # Errors
    ///
    /// getsockopt(2) failed.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.socket.take_error()
    }

    /// Binds to `addr` (port 0 picks a free port; see
    /// [`local_addr`](Self::local_addr)).
    ///
    /// # Errors
    ///
    /// bind(2) failed: the address is in use (`EADDRINUSE`), not local, or
    /// of the other family than the socket.
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        self.socket.bind(&to_raw(&addr))
    }

    /// The local address: the bound one, or the wildcard with port 0 before
    /// `bind`.
    ///
    /// # Errors
    ///
    /// getsockname(2) failed.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        from_raw(&self.socket.local_raw()?)
    }

    /// Starts listening, with at most `backlog` connections queued (the
    /// kernel clamps it to `net.core.somaxconn`). Unbound, the socket
    /// listens on the wildcard address and a free port. Accepted streams
    /// get [`NetConfig::default()`](crate::net::NetConfig::default).
    ///
    /// # Errors
    ///
    /// listen(2) failed (e.g. `EADDRINUSE`).
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        self.socket.listen(backlog)?;
        Ok(TcpListener::from_socket(self.socket, self.family))
    }

    /// Connects to `addr`, keeping the options set and the address bound
    /// (if any).
    ///
    /// # Errors
    ///
    /// connect(2) failed: refused (`ECONNREFUSED`), unreachable, timed out,
    /// or `addr` is of the other family than the socket.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future cancels the connect and closes the socket.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        self.socket.connect(to_raw(&addr)).await?;
        Ok(TcpStream::from_socket(self.socket))
    }
}

impl AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.raw()
    }
}

impl AsFd for TcpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

/// The descriptor, open and in blocking mode.
///
/// # Panics
///
/// If the driver still holds it and cannot give it back (a fatal driver
/// error).
impl IntoRawFd for TcpSocket {
    fn into_raw_fd(self) -> RawFd {
        match self.socket.into_std::<OwnedFd>() {
            Ok(fd) => fd.into_raw_fd(),
            Err(e) => panic!("TcpSocket::into_raw_fd: {e}"),
        }
    }
}

impl fmt::Debug for TcpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpSocket")
            .field("fd", &self.socket.raw())
            .field("addr", &self.local_addr().ok())
            .finish()
    }
}
