//! UDP sockets; their socket options are in `options`.

mod batch;
mod options;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use crate::buf::{IoBuf, IoBufMut};
use crate::driver::{ops, Op};
use crate::io::timed_out_if_cancelled;
use crate::net::addr::{each_addr, from_raw, to_raw};
use crate::net::lookup::{resolve, resolve_now};
use crate::net::socket::{owned_from_std, Socket};
use crate::net::{NetConfig, ToSocketAddrs};
use crate::BufResult;

/// A UDP socket. Methods take `&self`, so one socket can have a receive
/// and a send in flight at once from different tasks.
///
/// ```no_run
/// # aio::Runtime::new()?.block_on(async {
/// let socket = aio::net::UdpSocket::bind("127.0.0.1:0")?;
/// let (res, buf) = socket.recv_from(Vec::with_capacity(1500)).await;
/// let (len, from) = res?;
/// let (res, _) = socket.send_to(buf, from).await; // echo it back
/// res?;
/// # let _ = len;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UdpSocket {
    _core: crate::marker::NotSend,
    socket: Socket,
}

impl UdpSocket {
    /// Binds a socket to `addr` (port 0 picks a free port).
    ///
    /// `bind` is synchronous: a numeric address is used as is, but a host
    /// name is resolved on the calling thread by the system resolver, which
    /// may block the core. Bind to a numeric address, or resolve the name
    /// first with [`lookup_host`](crate::net::lookup_host).
    ///
    /// # Errors
    ///
    /// The address is invalid, does not resolve, or is in use.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        UdpSocket::bind_with(
            addr,
            &NetConfig {
                reuse_addr: false,
                ..NetConfig::default()
            },
        )
    }

    /// Binds with socket options (`reuse_addr`, `reuse_port`, buffer sizes,
    /// `tos`, `ttl`, `ipv6_only`, `busy_poll` apply).
    ///
    /// # Errors
    ///
    /// As for [`bind`](Self::bind), plus an option the kernel rejects.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn bind_with(addr: impl ToSocketAddrs, config: &NetConfig) -> io::Result<UdpSocket> {
        let addrs = resolve_now(&addr)?;
        each_addr(&addrs, |addr| {
            let raw = to_raw(addr);
            let socket = Socket::new(raw.family(), libc::SOCK_DGRAM)?;
            if config.reuse_addr {
                socket.set_opt(libc::SOL_SOCKET, libc::SO_REUSEADDR, 1 as libc::c_int)?;
            }
            if config.reuse_port {
                socket.set_opt(libc::SOL_SOCKET, libc::SO_REUSEPORT, 1 as libc::c_int)?;
            }
            socket.apply_common(config, raw.family())?;
            socket.bind(&raw)?;
            Ok(UdpSocket {
                _core: std::marker::PhantomData,
                socket,
            })
        })
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
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            _core: std::marker::PhantomData,
            socket: Socket::from_owned(owned_from_std(socket))?,
        })
    }

    /// Sets the default destination for [`send`](Self::send) and the only
    /// source [`recv`](Self::recv) accepts, trying each resolved address in
    /// turn.
    ///
    /// A host name is resolved with
    /// [`lookup_host`](crate::net::lookup_host), on the blocking pool; a
    /// numeric address never touches the pool.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a malformed address, the resolver's error for a
    /// name that does not resolve, or connect(2) failed for every address
    /// (e.g. an address of the wrong family).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe for UDP (connect completes at once; a lookup already
    /// running on the pool finishes there, unused).
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let addrs = resolve(&addr).await?;
        let mut last = None;
        for addr in &addrs {
            match self.socket.connect(to_raw(addr)).await {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address")))
    }

    /// Sends `buf`'s initialized bytes as one datagram to `addr`.
    ///
    /// `addr` is anything [`connect`](Self::connect) takes: a
    /// `SocketAddr` is used as is (no lookup, no allocation), a host name
    /// (`"example.com:53"`) is resolved with
    /// [`lookup_host`](crate::net::lookup_host) on the blocking pool on
    /// every call, and the datagram goes to the first address of this
    /// socket's family (resolve once yourself to send many).
    ///
    /// # Errors
    ///
    /// The name does not resolve, or sendmsg(2) failed (e.g. `EMSGSIZE`);
    /// the buffer comes back either way.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future may or may not send the datagram.
    pub async fn send_to<B: IoBuf>(&self, buf: B, addr: impl ToSocketAddrs) -> BufResult<usize, B> {
        let addr = match addr.single() {
            Some(addr) => addr,
            None => match self.resolve_one(&addr).await {
                Ok(addr) => addr,
                Err(e) => return (Err(e), buf),
            },
        };
        Op::submit(ops::SendTo::new(
            self.socket.fd().clone(),
            buf,
            to_raw(&addr),
        ))
        .await
    }

    /// The first of `addr`'s addresses in this socket's family (the first
    /// at all if the family is unknown or none matches: its send error
    /// then names the problem).
    async fn resolve_one(&self, addr: &impl ToSocketAddrs) -> io::Result<SocketAddr> {
        let addrs = resolve(addr).await?;
        let v4 = self.local_addr().map(|a| a.is_ipv4());
        let matching = addrs
            .iter()
            .find(|a| v4.as_ref().is_ok_and(|v4| a.is_ipv4() == *v4));
        Ok(*matching.unwrap_or(&addrs[0]))
    }

    /// Receives one datagram into `buf`'s writable region; returns its size
    /// and source. A datagram longer than the region is truncated.
    ///
    /// # Errors
    ///
    /// recvmsg(2) errors; the buffer comes back.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future may lose a datagram the kernel had already
    /// delivered into the buffer.
    pub async fn recv_from<B: IoBufMut>(&self, buf: B) -> BufResult<(usize, SocketAddr), B> {
        // A zero-length receive would consume (and lose) a datagram.
        if buf.bytes_total() == 0 {
            return (Err(crate::buf::no_room()), buf);
        }
        let (res, buf) = Op::submit(ops::RecvFrom::new(self.socket.fd().clone(), buf)).await;
        (res.and_then(|(n, raw)| Ok((n, from_raw(&raw)?))), buf)
    }

    /// [`recv_from`](Self::recv_from) with a deadline that gives the
    /// buffer back: if `duration` passes first, the receive is cancelled
    /// and awaited, and the buffer returns with an
    /// [`ErrorKind::TimedOut`](io::ErrorKind::TimedOut) error; a datagram
    /// the kernel delivered before the cancellation reached it is returned
    /// as `Ok` (never lost). The building block of a client with retries:
    ///
    /// ```
    /// use std::time::Duration;
    /// use aio::net::UdpSocket;
    ///
    /// # aio::Runtime::new().unwrap().block_on(async {
    /// let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let mut buf = Vec::with_capacity(1500);
    /// for attempt in 1..=3 {
    ///     let (res, _) = socket.send_to(&b"ping"[..], silent.local_addr().unwrap()).await;
    ///     res.unwrap();
    ///     let (res, back) = socket.recv_from_timeout(buf, Duration::from_millis(10)).await;
    ///     buf = back; // the same buffer, every attempt
    ///     match res {
    ///         Ok((n, from)) => { println!("{n} bytes from {from}"); break }
    ///         Err(e) if e.kind() == std::io::ErrorKind::TimedOut => println!("attempt {attempt} timed out"),
    ///         Err(e) => panic!("{e}"),
    ///     }
    /// }
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// `TimedOut` on expiry, or any error of `recv_from`.
    ///
    /// # Panics
    ///
    /// Outside an aio runtime.
    ///
    /// # Cancel safety
    ///
    /// As for `recv_from`.
    pub async fn recv_from_timeout<B: IoBufMut>(
        &self,
        buf: B,
        duration: Duration,
    ) -> BufResult<(usize, SocketAddr), B> {
        match crate::time::cancel_after(duration, self.recv_from(buf)).await {
            Ok(done) => done,
            Err((res, buf)) => (timed_out_if_cancelled(res, "recv_from", duration), buf),
        }
    }

    /// Sends one datagram to `addr` without copying it into the kernel
    /// (IORING_OP_SENDMSG_ZC), as
    /// [`TcpStream::send_zc`](crate::net::TcpStream::send_zc): the buffer
    /// comes back once the kernel no longer references it. A plain sendmsg
    /// on epoll and on kernels before 6.1.
    ///
    /// # Errors
    ///
    /// sendmsg(2) errors (e.g. `EMSGSIZE`); the buffer comes back.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future may or may not send the datagram; the buffer is
    /// kept until the kernel is done with it, then dropped.
    pub async fn send_to_zc<B: IoBuf>(&self, buf: B, addr: SocketAddr) -> BufResult<usize, B> {
        Op::submit(ops::SendToZc::new(
            self.socket.fd().clone(),
            buf,
            to_raw(&addr),
        ))
        .await
    }

    /// Receives one datagram into a buffer the kernel picks from `pool`
    /// (no buffer is held while waiting), with its source address. A
    /// datagram longer than the pool's buffers is truncated. If the pool
    /// has no buffer left, waits for one to come back.
    ///
    /// # Errors
    ///
    /// recvmsg(2) errors.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future may lose a datagram the kernel had already
    /// delivered (its buffer goes back to the pool).
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    pub async fn recv_from_pooled(
        &self,
        pool: &crate::pool::BufPool,
    ) -> io::Result<(crate::pool::PooledBuf, SocketAddr)> {
        let (buf, raw) = crate::pool::recv_from_pooled(self.socket.fd(), pool).await?;
        Ok((buf, from_raw(&raw)?))
    }

    /// Sends to the connected address.
    ///
    /// # Errors
    ///
    /// `EDESTADDRREQ` if not connected, `ECONNREFUSED` if an earlier datagram
    /// was refused; the buffer comes back.
    ///
    /// # Cancel safety
    ///
    /// As for [`send_to`](Self::send_to).
    pub async fn send<B: IoBuf>(&self, buf: B) -> BufResult<usize, B> {
        self.socket.send(buf).await
    }

    /// Receives from the connected address.
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
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        self.socket.into_std()
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// getsockname(2) failed.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        from_raw(&self.socket.local_raw()?)
    }

    /// The connected address.
    ///
    /// # Errors
    ///
    /// `ENOTCONN` if not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        from_raw(&self.socket.peer_raw()?)
    }

    /// Receives one datagram into `buf`'s writable region without taking
    /// it off the queue (recvmsg(2) with `MSG_PEEK`): the next receive or
    /// peek returns it again. Returns its size (truncated to the region)
    /// and source.
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `buf` has no room (as for
    /// [`recv_from`](Self::recv_from)), or recvmsg(2) errors; the buffer
    /// comes back either way.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing is consumed.
    pub async fn peek_from<B: IoBufMut>(&self, buf: B) -> BufResult<(usize, SocketAddr), B> {
        if buf.bytes_total() == 0 {
            return (Err(crate::buf::no_room()), buf);
        }
        let (res, buf) = Op::submit(ops::RecvFrom::peek(self.socket.fd().clone(), buf)).await;
        (res.and_then(|(n, raw)| Ok((n, from_raw(&raw)?))), buf)
    }

    /// The source of the next datagram, without taking it off the queue
    /// (and without a buffer: none of its bytes are copied). Waits for a
    /// datagram.
    ///
    /// # Errors
    ///
    /// recvmsg(2) errors.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing is consumed.
    pub async fn peek_sender(&self) -> io::Result<SocketAddr> {
        // With MSG_PEEK a zero-length receive consumes nothing, so the
        // no-room guard of `peek_from` is not needed here.
        let (res, _) = Op::submit(ops::RecvFrom::peek(
            self.socket.fd().clone(),
            Vec::<u8>::new(),
        ))
        .await;
        from_raw(&res?.1)
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.raw()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("fd", &self.socket.raw())
            .field("addr", &self.local_addr().ok())
            .finish()
    }
}

crate::net::socket::fd_impls!(UdpSocket);

crate::net::readiness::ready_impl!(UdpSocket);

impl UdpSocket {
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
    /// `WouldBlock` when the send buffer is full (wait with
    /// [`writable`](Self::writable)), `ENOTCONN` if not connected.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.socket.try_send(buf)
    }

    /// Receives one datagram and its sender without waiting (recvfrom(2),
    /// `MSG_DONTWAIT`); a longer datagram is truncated.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when no datagram is queued, or the socket's error.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let (n, raw) = self.socket.try_recv_from(buf)?;
        Ok((n, crate::net::addr::from_raw(&raw)?))
    }

    /// Sends `buf` as one datagram to `target` without waiting (sendto(2),
    /// `MSG_DONTWAIT | MSG_NOSIGNAL`).
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the send buffer is full, or the socket's error.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.socket
            .try_send_to(buf, &crate::net::addr::to_raw(&target))
    }
}
