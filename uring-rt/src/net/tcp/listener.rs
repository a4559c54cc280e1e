use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};

use super::TcpStream;
use crate::driver::ops::Stash;
use crate::net::addr::{each_addr, from_raw, to_raw};
use crate::net::lookup::resolve_now;
use crate::net::socket::{owned_from_std, Socket};
use crate::net::Incoming;
use crate::net::{NetConfig, ToSocketAddrs};

/// A TCP socket listening for connections.
///
/// ```no_run
/// use aio::io::{AsyncReadRent, AsyncWriteRentExt};
/// use aio::net::TcpListener;
///
/// # aio::Runtime::new()?.block_on(async {
/// let listener = TcpListener::bind("127.0.0.1:8080")?;
/// loop {
///     let (mut stream, _peer) = listener.accept().await?;
///     aio::spawn(async move {
///         let mut buf = Vec::with_capacity(4096);
///         loop {
///             let (res, b) = stream.read(buf).await;
///             match res {
///                 Ok(0) | Err(_) => return,
///                 Ok(_) => {}
///             }
///             let (res, mut b) = stream.write_all(b).await;
///             if res.is_err() {
///                 return;
///             }
///             b.clear();
///             buf = b;
///         }
///     });
/// }
/// # #[allow(unreachable_code)]
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpListener {
    _core: crate::marker::NotSend,
    socket: Socket,
    /// Options applied to every accepted stream.
    config: NetConfig,
    family: libc::c_int,
    /// Connections the kernel accepted for accepts that were cancelled.
    stash: Stash,
}

impl TcpListener {
    /// Binds to `addr` with [`NetConfig::default()`] and starts listening.
    ///
    /// `bind` is synchronous: a numeric address is used as is, but a host
    /// name is resolved on the calling thread by the system resolver, which
    /// may block the core. Bind to a numeric address, or resolve the name
    /// first with [`lookup_host`](crate::net::lookup_host).
    ///
    /// # Errors
    ///
    /// The address is invalid, does not resolve, or is in use, or the
    /// process is out of descriptors.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        TcpListener::bind_with(addr, &NetConfig::default())
    }

    /// Binds to `addr` with the given options and starts listening. With
    /// `reuse_port(true)`, one listener per core can bind the same port.
    ///
    /// # Errors
    ///
    /// As for [`bind`](Self::bind), plus an option the kernel rejects.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn bind_with(addr: impl ToSocketAddrs, config: &NetConfig) -> io::Result<TcpListener> {
        let addrs = resolve_now(&addr)?;
        each_addr(&addrs, |addr| {
            let raw = to_raw(addr);
            let family = raw.family();
            let socket = Socket::new(family, libc::SOCK_STREAM)?;
            socket.apply_listener(config, family)?;
            socket.bind(&raw)?;
            socket.listen(config.backlog)?;
            if config.reuse_port_exclusive {
                crate::net::reuse_port::check_exclusive(from_raw(&socket.local_raw()?)?)?;
            }
            Ok(TcpListener {
                _core: std::marker::PhantomData,
                socket,
                config: config.clone(),
                family,
                stash: Stash::default(),
            })
        })
    }

    /// Wraps a socket already bound and listening (a
    /// [`TcpSocket`](crate::net::TcpSocket)'s `listen`). Accepted streams get
    /// [`NetConfig::default()`].
    pub(crate) fn from_socket(socket: Socket, family: libc::c_int) -> TcpListener {
        TcpListener {
            _core: std::marker::PhantomData,
            socket,
            config: NetConfig::default(),
            family,
            stash: Stash::default(),
        }
    }

    /// Adopts a listening std socket (switching it to the current backend's
    /// blocking mode). Accepted streams get [`NetConfig::default()`].
    ///
    /// # Errors
    ///
    /// The mode switch failed.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        let family = match listener.local_addr()? {
            SocketAddr::V4(_) => libc::AF_INET,
            SocketAddr::V6(_) => libc::AF_INET6,
        };
        let socket = Socket::from_owned(owned_from_std(listener))?;
        Ok(TcpListener {
            _core: std::marker::PhantomData,
            socket,
            config: NetConfig::default(),
            family,
            stash: Stash::default(),
        })
    }

    /// Accepts a connection.
    ///
    /// # Errors
    ///
    /// Errors of accept(2): notably `EMFILE`/`ENFILE` when the process or
    /// system is out of descriptors (the connection stays queued and can be
    /// accepted once descriptors are freed), or a stream option that failed
    /// to apply.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: no connection is lost. If the future is dropped after
    /// the kernel already accepted a connection for it (the cancellation
    /// lost the race, or the completion was reaped but not yet polled),
    /// that connection is kept by the listener and returned by the next
    /// `accept()`.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (socket, raw) = self.socket.accept(&self.stash).await?;
        socket.apply_stream(&self.config, self.family)?;
        Ok((TcpStream::from_socket(socket), from_raw(&raw)?))
    }

    /// A stream of incoming connections. When accepting fails for lack of
    /// descriptors (`EMFILE`/`ENFILE`) the error is yielded and the stream
    /// backs off (10 ms doubling up to 1 s) before trying again, so a server
    /// looping over it does not spin while the process is out of descriptors.
    pub fn incoming(&self) -> Incoming<'_, (TcpStream, SocketAddr)> {
        Incoming::new(move || self.accept())
    }

    /// Turns this into a std listener, open and in blocking mode (as std
    /// creates them), to hand to another core (whose `from_std` adopts it)
    /// or to a library that wants a std socket.
    ///
    /// The listener's multishot accept (armed by the first `accept()`, it
    /// keeps accepting between calls) is cancelled first; connections it
    /// had already accepted and no `accept()` had taken yet are closed, so
    /// hand a listener over before accepting on it.
    ///
    /// # Errors
    ///
    /// The runtime's driver failed fatally, or the mode switch failed.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        drop(self.stash.borrow_mut().multi.take());
        self.socket.into_std()
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// getsockname(2) failed.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        from_raw(&self.socket.local_raw()?)
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.raw()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("fd", &self.socket.raw())
            .field("addr", &self.local_addr().ok())
            .finish()
    }
}

crate::net::socket::fd_impls!(TcpListener);
