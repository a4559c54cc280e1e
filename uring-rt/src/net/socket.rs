//! `Socket`: the descriptor under every aio socket type, with the
//! synchronous setup calls (socket, setsockopt, bind, listen) and the
//! asynchronous ops (connect, accept, recv, send) they share.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::task::Poll;

use super::addr::RawAddr;
use super::NetConfig;
use crate::buf::{IoBuf, IoBufMut};
use crate::driver::fd::SharedFd;
use crate::driver::ops;
use crate::driver::{MultiOp, Op, CURRENT_POS};
use crate::pool::{BufPool, PooledBuf, RecvMulti};
use crate::sys::socket as sys;
use crate::{BufResult, Driver};

#[derive(Clone, Debug)]
pub(crate) struct Socket {
    fd: SharedFd,
}

impl Socket {
    /// A new socket, in the blocking mode the current backend wants:
    /// io_uring waits inside the kernel (a nonblocking socket would make it
    /// return EAGAIN), epoll needs nonblocking sockets.
    #[track_caller]
    pub(crate) fn new(domain: libc::c_int, ty: libc::c_int) -> io::Result<Socket> {
        let fd = sys::socket(domain, ty, Driver::current() == Driver::Epoll)?;
        Ok(Socket {
            fd: SharedFd::new(fd),
        })
    }

    /// Adopts a descriptor, switching it to the current backend's mode.
    #[track_caller]
    pub(crate) fn from_owned(fd: OwnedFd) -> io::Result<Socket> {
        sys::set_nonblocking(fd.as_raw_fd(), Driver::current() == Driver::Epoll)?;
        Ok(Socket {
            fd: SharedFd::new(fd),
        })
    }

    /// Wraps a socket accepted by this runtime's backend (already in the
    /// right mode).
    pub(crate) fn from_accepted(fd: OwnedFd) -> Socket {
        Socket {
            fd: SharedFd::new(fd),
        }
    }

    pub(crate) fn fd(&self) -> &SharedFd {
        &self.fd
    }

    pub(crate) fn raw(&self) -> RawFd {
        self.fd.raw()
    }

    /// Whether both are the same socket (halves of one stream).
    pub(crate) fn same(&self, other: &Socket) -> bool {
        self.fd.same(&other.fd)
    }

    pub(crate) fn set_opt<T: Copy>(
        &self,
        level: libc::c_int,
        name: libc::c_int,
        value: T,
    ) -> io::Result<()> {
        sys::set_opt(self.raw(), level, name, value)
    }

    pub(crate) fn get_opt<T: Copy + Default>(
        &self,
        level: libc::c_int,
        name: libc::c_int,
    ) -> io::Result<T> {
        sys::get_opt(self.raw(), level, name)
    }

    /// getsockopt(2) starting from `init`, for structs without `Default`.
    pub(crate) fn get_opt_from<T: Copy>(
        &self,
        level: libc::c_int,
        name: libc::c_int,
        init: T,
    ) -> io::Result<T> {
        sys::get_opt_from(self.raw(), level, name, init)
    }

    /// Sets `SO_LINGER`: `None` turns it off; `Some(0)` makes close reset
    /// the connection.
    pub(crate) fn set_linger(&self, dur: Option<std::time::Duration>) -> io::Result<()> {
        let value = libc::linger {
            l_onoff: libc::c_int::from(dur.is_some()),
            l_linger: dur.map_or(0, |d| d.as_secs().min(i32::MAX as u64) as libc::c_int),
        };
        self.set_opt(libc::SOL_SOCKET, libc::SO_LINGER, value)
    }

    /// `SO_LINGER`, as [`set_linger`](Self::set_linger) takes it.
    pub(crate) fn linger(&self) -> io::Result<Option<std::time::Duration>> {
        let init = libc::linger {
            l_onoff: 0,
            l_linger: 0,
        };
        let value = self.get_opt_from(libc::SOL_SOCKET, libc::SO_LINGER, init)?;
        Ok((value.l_onoff != 0)
            .then(|| std::time::Duration::from_secs(value.l_linger.max(0) as u64)))
    }

    /// Sets `IP_TTL` (std's `set_ttl` sets it on either family too).
    pub(crate) fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.set_opt(libc::IPPROTO_IP, libc::IP_TTL, ttl as libc::c_int)
    }

    /// `IP_TTL`.
    pub(crate) fn ttl(&self) -> io::Result<u32> {
        self.get_opt::<libc::c_int>(libc::IPPROTO_IP, libc::IP_TTL)
            .map(|v| v as u32)
    }

    /// Sets `IP_TOS` (IPv4; the DSCP and ECN bits of outgoing packets).
    pub(crate) fn set_tos(&self, tos: u32) -> io::Result<()> {
        self.set_opt(libc::IPPROTO_IP, libc::IP_TOS, tos as libc::c_int)
    }

    /// `IP_TOS`.
    pub(crate) fn tos(&self) -> io::Result<u32> {
        self.get_opt::<libc::c_int>(libc::IPPROTO_IP, libc::IP_TOS)
            .map(|v| v as u32)
    }

    /// `SO_BINDTODEVICE`: only packets of interface `name` (e.g. `b"eth0"`)
    /// reach the socket; `None` (or an empty name) removes the binding.
    pub(crate) fn bind_device(&self, name: Option<&[u8]>) -> io::Result<()> {
        sys::set_opt_bytes(
            self.raw(),
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            name.unwrap_or(&[]),
        )
    }

    /// The interface of `SO_BINDTODEVICE`, if bound to one.
    pub(crate) fn device(&self) -> io::Result<Option<Vec<u8>>> {
        let mut name = [0u8; libc::IFNAMSIZ];
        let len = sys::get_opt_bytes(
            self.raw(),
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            &mut name,
        )?;
        let name = &name[..len.min(name.len())];
        let name = name.split(|&b| b == 0).next().unwrap_or_default();
        Ok((!name.is_empty()).then(|| name.to_vec()))
    }

    /// Takes the pending socket error (`SO_ERROR`), clearing it.
    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        let errno = self.get_opt::<libc::c_int>(libc::SOL_SOCKET, libc::SO_ERROR)?;
        Ok((errno != 0).then(|| io::Error::from_raw_os_error(errno)))
    }

    /// Sets a boolean (int) option.
    pub(crate) fn set_flag(
        &self,
        level: libc::c_int,
        name: libc::c_int,
        on: bool,
    ) -> io::Result<()> {
        self.set_opt(level, name, libc::c_int::from(on))
    }

    /// A boolean (int) option.
    pub(crate) fn flag(&self, level: libc::c_int, name: libc::c_int) -> io::Result<bool> {
        self.get_opt::<libc::c_int>(level, name).map(|v| v != 0)
    }

    pub(crate) fn bind(&self, addr: &RawAddr) -> io::Result<()> {
        sys::bind(self.raw(), addr)
    }

    pub(crate) fn listen(&self, backlog: u32) -> io::Result<()> {
        sys::listen(self.raw(), backlog)
    }

    pub(crate) fn local_raw(&self) -> io::Result<RawAddr> {
        sys::local_addr(self.raw())
    }

    /// Shuts the write direction down at once (a write half's drop).
    pub(crate) fn shutdown_write_now(&self) -> io::Result<()> {
        sys::shutdown_write(self.raw())
    }

    pub(crate) fn peer_raw(&self) -> io::Result<RawAddr> {
        sys::peer_addr(self.raw())
    }

    /// Applies the options of `cfg` that concern a listening socket.
    pub(crate) fn apply_listener(&self, cfg: &NetConfig, family: libc::c_int) -> io::Result<()> {
        self.set_opt(
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            libc::c_int::from(cfg.reuse_addr),
        )?;
        if cfg.reuse_port {
            self.set_opt(libc::SOL_SOCKET, libc::SO_REUSEPORT, 1 as libc::c_int)?;
        }
        self.apply_common(cfg, family)
    }

    /// Applies the options of `cfg` that concern a connected TCP stream.
    pub(crate) fn apply_stream(&self, cfg: &NetConfig, family: libc::c_int) -> io::Result<()> {
        if cfg.nodelay {
            self.set_opt(libc::IPPROTO_TCP, libc::TCP_NODELAY, 1 as libc::c_int)?;
        }
        if cfg.quickack {
            self.set_opt(libc::IPPROTO_TCP, libc::TCP_QUICKACK, 1 as libc::c_int)?;
        }
        if let Some(idle) = cfg.keepalive {
            self.set_opt(libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1 as libc::c_int)?;
            let secs = idle.as_secs().clamp(1, i32::MAX as u64) as libc::c_int;
            self.set_opt(libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, secs)?;
        }
        self.apply_common(cfg, family)
    }

    /// Options shared by every socket kind.
    pub(crate) fn apply_common(&self, cfg: &NetConfig, family: libc::c_int) -> io::Result<()> {
        if let Some(n) = cfg.recv_buffer_size {
            self.set_opt(
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                n.min(i32::MAX as usize) as libc::c_int,
            )?;
        }
        if let Some(n) = cfg.send_buffer_size {
            self.set_opt(
                libc::SOL_SOCKET,
                libc::SO_SNDBUF,
                n.min(i32::MAX as usize) as libc::c_int,
            )?;
        }
        if let Some(us) = cfg.busy_poll {
            self.set_opt(
                libc::SOL_SOCKET,
                libc::SO_BUSY_POLL,
                us.min(i32::MAX as u32) as libc::c_int,
            )?;
        }
        if family == libc::AF_UNIX {
            // The IP-level options below mean nothing for Unix sockets.
            return Ok(());
        }
        let v6 = family == libc::AF_INET6;
        if let Some(tos) = cfg.tos {
            let (level, name) = if v6 {
                (libc::IPPROTO_IPV6, libc::IPV6_TCLASS)
            } else {
                (libc::IPPROTO_IP, libc::IP_TOS)
            };
            self.set_opt(level, name, tos as libc::c_int)?;
        }
        if let Some(ttl) = cfg.ttl {
            let (level, name) = if v6 {
                (libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS)
            } else {
                (libc::IPPROTO_IP, libc::IP_TTL)
            };
            self.set_opt(level, name, ttl as libc::c_int)?;
        }
        if let (true, Some(only)) = (v6, cfg.ipv6_only) {
            self.set_opt(
                libc::IPPROTO_IPV6,
                libc::IPV6_V6ONLY,
                libc::c_int::from(only),
            )?;
        }
        Ok(())
    }

    pub(crate) async fn connect(&self, addr: RawAddr) -> io::Result<()> {
        Op::submit(ops::Connect::new(self.fd.clone(), addr)).await
    }

    /// Accepts a connection: the next from the listener's multishot accept
    /// (armed on first use and kept in `stash`; re-armed when the kernel
    /// ends it, e.g. after an error such as `EMFILE`).
    ///
    /// A multishot accept reports no peer address, so it is asked with
    /// getpeername(2); a connection already gone by then (reset by its
    /// peer) is closed and skipped, as the kernel's own accept would have.
    pub(crate) async fn accept(&self, stash: &ops::Stash) -> io::Result<(Socket, RawAddr)> {
        loop {
            let fd = std::future::poll_fn(|cx| self.poll_accept_multi(stash, cx)).await?;
            let socket = Socket::from_accepted(fd);
            match socket.peer_raw() {
                Ok(addr) => return Ok((socket, addr)),
                Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn poll_accept_multi(
        &self,
        stash: &ops::Stash,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<io::Result<OwnedFd>> {
        let mut inner = stash.borrow_mut();
        loop {
            let op = inner
                .multi
                .get_or_insert_with(|| MultiOp::submit(ops::AcceptMulti::new(self.fd.clone())));
            match op.poll_next(cx) {
                Poll::Ready(Some((res, _flags))) => {
                    if op.is_done() {
                        inner.multi = None;
                    }
                    // Another task may be waiting on this listener too:
                    // the op keeps only one waker, so hand it the turn.
                    let other = inner.waker.take().filter(|w| !w.will_wake(cx.waker()));
                    drop(inner);
                    if let Some(w) = other {
                        w.wake();
                    }
                    return Poll::Ready(ops::AcceptMulti::accepted(res));
                }
                // The kernel ended it: arm a new one.
                Poll::Ready(None) => inner.multi = None,
                Poll::Pending => {
                    if !inner
                        .waker
                        .as_ref()
                        .is_some_and(|w| w.will_wake(cx.waker()))
                    {
                        inner.waker = Some(cx.waker().clone());
                    }
                    return Poll::Pending;
                }
            }
        }
    }

    pub(crate) async fn recv<B: IoBufMut>(&self, buf: B) -> BufResult<usize, B> {
        // Ok(0) would read as end of stream.
        if buf.bytes_total() == 0 {
            return (Err(crate::buf::no_room()), buf);
        }
        Op::submit(ops::Recv::new(self.fd.clone(), buf)).await
    }

    pub(crate) async fn recv_vectored<B: IoBufMut>(
        &self,
        bufs: Vec<B>,
    ) -> BufResult<usize, Vec<B>> {
        if bufs.iter().all(|b| b.bytes_total() == 0) {
            return (Err(crate::buf::no_room()), bufs);
        }
        Op::submit(ops::RecvMsgv::new(self.fd.clone(), bufs)).await
    }

    pub(crate) async fn send<B: IoBuf>(&self, buf: B) -> BufResult<usize, B> {
        Op::submit(ops::Send::new(self.fd.clone(), buf)).await
    }

    pub(crate) async fn send_zc<B: IoBuf>(&self, buf: B) -> BufResult<usize, B> {
        Op::submit(ops::SendZc::new(self.fd.clone(), buf)).await
    }

    pub(crate) async fn recv_pooled(&self, pool: &BufPool) -> io::Result<Option<PooledBuf>> {
        crate::pool::recv_pooled(&self.fd, pool).await
    }

    pub(crate) fn recv_multi<'a>(&self, pool: &BufPool) -> RecvMulti<'a> {
        RecvMulti::new(&self.fd, pool)
    }

    pub(crate) async fn send_vectored<B: IoBuf>(&self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        Op::submit(ops::SendMsgv::new(self.fd.clone(), bufs)).await
    }

    pub(crate) async fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        Op::submit(ops::Shutdown::new(self.fd.clone(), how)).await
    }

    /// Waits until any event of `interest` is pending (one readiness op).
    pub(crate) async fn ready(
        &self,
        interest: crate::io::Interest,
    ) -> io::Result<crate::io::Ready> {
        let mask = Op::submit(ops::PollAdd::new(self.fd.clone(), interest.mask())).await?;
        Ok(crate::io::Ready::from_mask(mask))
    }

    /// recv(2) now, or `WouldBlock`.
    pub(crate) fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        sys::recv_now(self.raw(), buf)
    }

    /// send(2) now, or `WouldBlock`.
    pub(crate) fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        sys::send_now(self.raw(), buf)
    }

    /// recvfrom(2) now, or `WouldBlock`.
    pub(crate) fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, RawAddr)> {
        sys::recv_from_now(self.raw(), buf)
    }

    /// sendto(2) now, or `WouldBlock`.
    pub(crate) fn try_send_to(&self, buf: &[u8], addr: &RawAddr) -> io::Result<usize> {
        sys::send_to_now(self.raw(), buf, addr)
    }

    /// recv(2) with `MSG_PEEK`: the bytes stay queued for the next read.
    pub(crate) async fn peek<B: IoBufMut>(&self, buf: B) -> BufResult<usize, B> {
        // As for `recv`: Ok(0) would read as end of stream.
        if buf.bytes_total() == 0 {
            return (Err(crate::buf::no_room()), buf);
        }
        Op::submit(ops::Recv::peek(self.fd.clone(), buf)).await
    }

    /// Reads at the current position with read(2) (for non-socket streams).
    #[allow(dead_code)]
    pub(crate) async fn read<B: IoBufMut>(&self, buf: B) -> BufResult<usize, B> {
        Op::submit(ops::Read::new(self.fd.clone(), buf, CURRENT_POS)).await
    }
}

impl AsRawFd for Socket {
    fn as_raw_fd(&self) -> RawFd {
        self.raw()
    }
}

impl AsFd for Socket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Socket {
    /// The descriptor, open and in blocking mode (what std types expect),
    /// as a std socket type: for another core's `from_std`, or a library.
    ///
    /// # Errors
    ///
    /// A fatal driver error (see `SharedFd::into_owned`), or the mode
    /// switch failed.
    pub(crate) fn into_std<T: From<OwnedFd>>(self) -> io::Result<T> {
        let fd = self.fd.into_owned()?;
        sys::set_nonblocking(fd.as_raw_fd(), false)?;
        Ok(T::from(fd))
    }
}

/// `AsFd` and `IntoRawFd` for a socket type with a `socket` field and an
/// `into_std(self) -> io::Result<Std>` method.
macro_rules! fd_impls {
    ($ty:ty) => {
        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(&self.socket)
            }
        }

        impl $ty {
            /// Takes the socket's pending error (`SO_ERROR`), clearing it:
            /// an asynchronous error (an ICMP unreachable on UDP, a failed
            /// connect) that no call has reported yet.
            ///
            /// # Errors
            ///
            /// getsockopt(2) failed.
            pub fn take_error(&self) -> std::io::Result<Option<std::io::Error>> {
                self.socket.take_error()
            }
        }

        /// The descriptor, open and in blocking mode, as
        /// [`into_std`](Self::into_std) leaves it.
        ///
        /// # Panics
        ///
        /// If `into_std` fails (a fatal driver error).
        impl std::os::fd::IntoRawFd for $ty {
            fn into_raw_fd(self) -> std::os::fd::RawFd {
                match self.into_std() {
                    Ok(std) => std::os::fd::IntoRawFd::into_raw_fd(std),
                    Err(e) => panic!("{}::into_raw_fd: {e}", stringify!($ty)),
                }
            }
        }
    };
}

/// Converts an owned std socket into its descriptor.
pub(crate) fn owned_from_std<T: Into<OwnedFd>>(s: T) -> OwnedFd {
    s.into()
}

/// Implements `AsyncReadRent` for a stream type whose `socket` field is a
/// connected stream `Socket`: reads are recv(2)/recvmsg(2).
macro_rules! stream_read_impl {
    ($ty:ty) => {
        impl $crate::io::AsyncReadRent for $ty {
            async fn read<B: $crate::buf::IoBufMut>(
                &mut self,
                buf: B,
            ) -> $crate::BufResult<usize, B> {
                self.socket.recv(buf).await
            }

            async fn readv<B: $crate::buf::IoBufMut>(
                &mut self,
                bufs: Vec<B>,
            ) -> $crate::BufResult<usize, Vec<B>> {
                self.socket.recv_vectored(bufs).await
            }
        }
    };
}

/// Implements `AsyncWriteRent` for a stream type whose `socket` field is a
/// connected stream `Socket`: writes are send(2)/sendmsg(2) with
/// MSG_NOSIGNAL, `shutdown` closes the write side, nothing is buffered.
macro_rules! stream_write_impl {
    ($ty:ty) => {
        impl $crate::io::AsyncWriteRent for $ty {
            async fn write<B: $crate::buf::IoBuf>(
                &mut self,
                buf: B,
            ) -> $crate::BufResult<usize, B> {
                self.socket.send(buf).await
            }

            async fn writev<B: $crate::buf::IoBuf>(
                &mut self,
                bufs: Vec<B>,
            ) -> $crate::BufResult<usize, Vec<B>> {
                self.socket.send_vectored(bufs).await
            }

            async fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }

            async fn shutdown(&mut self) -> std::io::Result<()> {
                self.socket.shutdown(std::net::Shutdown::Write).await
            }
        }
    };
}

/// Implements `AsyncRentDuplex` for a stream type whose `socket` field is a
/// connected stream `Socket`: recv(2) and send(2) are independent kernel
/// operations, so a read and a write may be in flight at once.
macro_rules! stream_duplex_impl {
    ($ty:ty) => {
        impl $crate::io::AsyncRentDuplex for $ty {
            async fn read_shared<B: $crate::buf::IoBufMut>(
                &self,
                buf: B,
            ) -> $crate::BufResult<usize, B> {
                self.socket.recv(buf).await
            }

            async fn write_shared<B: $crate::buf::IoBuf>(
                &self,
                buf: B,
            ) -> $crate::BufResult<usize, B> {
                self.socket.send(buf).await
            }

            async fn shutdown_shared(&self) -> std::io::Result<()> {
                self.socket.shutdown(std::net::Shutdown::Write).await
            }
        }
    };
}

/// Adds the pooled receives to a stream type whose `socket` field is a
/// connected stream `Socket` (a stream or its read half).
macro_rules! stream_pooled_impl {
    ($ty:ty) => {
        impl $ty {
            /// Receives once into a buffer that the kernel picks from
            /// `pool` as the data arrives (no buffer is held while waiting);
            /// `Ok(None)` at end of stream. If the pool has no buffer left,
            /// waits for one to come back.
            ///
            /// # Errors
            ///
            /// recv(2) errors (`ECONNRESET`...).
            ///
            /// # Cancel safety
            ///
            /// Dropping the future may lose data the kernel had already
            /// received into a pool buffer (the buffer itself goes back to
            /// the pool).
            ///
            /// # Panics
            ///
            /// Panics outside an aio runtime.
            pub async fn recv_pooled(
                &mut self,
                pool: &$crate::pool::BufPool,
            ) -> std::io::Result<Option<$crate::pool::PooledBuf>> {
                self.socket.recv_pooled(pool).await
            }

            /// Every arrival on the connection, in order, as buffers of
            /// `pool`: a [`Stream`](futures_core::Stream) backed by one
            /// multishot receive, ending at end of stream. See
            /// [`RecvMulti`]($crate::pool::RecvMulti) for how it re-arms,
            /// waits for buffers and cleans up when dropped.
            pub fn recv_multi<'a>(
                &'a mut self,
                pool: &$crate::pool::BufPool,
            ) -> $crate::pool::RecvMulti<'a> {
                self.socket.recv_multi(pool)
            }
        }
    };
}

pub(crate) use {
    fd_impls, stream_duplex_impl, stream_pooled_impl, stream_read_impl, stream_write_impl,
};
