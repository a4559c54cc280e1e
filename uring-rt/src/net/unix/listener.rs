use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;

use super::addr::{from_raw, to_raw};
use super::{UnixSocketAddr, UnixStream};
use crate::driver::ops::Stash;
use crate::net::socket::{owned_from_std, Socket};
use crate::net::{Incoming, NetConfig};

/// A Unix-domain socket listening for connections.
pub struct UnixListener {
    _core: crate::marker::NotSend,
    socket: Socket,
    /// Connections the kernel accepted for accepts that were cancelled.
    stash: Stash,
}

impl UnixListener {
    /// Binds to `path` (or an abstract name starting with NUL) and listens.
    ///
    /// # Errors
    ///
    /// The path exists (`EADDRINUSE`), is too long, or is not writable.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        UnixListener::bind_with(path, &NetConfig::default())
    }

    /// Binds with socket options: `backlog` and the buffer sizes apply (the
    /// TCP and IP options have no meaning for Unix sockets and are ignored).
    ///
    /// # Errors
    ///
    /// As for [`bind`](Self::bind), plus an option the kernel rejects.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn bind_with(path: impl AsRef<Path>, config: &NetConfig) -> io::Result<UnixListener> {
        let raw = to_raw(path.as_ref())?;
        let socket = Socket::new(libc::AF_UNIX, libc::SOCK_STREAM)?;
        socket.apply_common(config, libc::AF_UNIX)?;
        socket.bind(&raw)?;
        socket.listen(config.backlog)?;
        Ok(UnixListener {
            _core: std::marker::PhantomData,
            socket,
            stash: Stash::default(),
        })
    }

    /// Adopts a std listener (switching it to the current backend's mode).
    ///
    /// # Errors
    ///
    /// The mode switch failed.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            _core: std::marker::PhantomData,
            socket: Socket::from_owned(owned_from_std(listener))?,
            stash: Stash::default(),
        })
    }

    /// Accepts a connection.
    ///
    /// # Errors
    ///
    /// Errors of accept(2), e.g. `EMFILE`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`TcpListener::accept`](crate::net::TcpListener::accept):
    /// a connection accepted for a dropped future goes to the next call.
    pub async fn accept(&self) -> io::Result<(UnixStream, UnixSocketAddr)> {
        let (socket, raw) = self.socket.accept(&self.stash).await?;
        Ok((UnixStream::from_socket(socket), from_raw(&raw)))
    }

    /// A stream of incoming connections, backing off while the process is
    /// out of descriptors (see [`Incoming`]).
    pub fn incoming(&self) -> Incoming<'_, (UnixStream, UnixSocketAddr)> {
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
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        drop(self.stash.borrow_mut().multi.take());
        self.socket.into_std()
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// getsockname(2) failed.
    pub fn local_addr(&self) -> io::Result<UnixSocketAddr> {
        Ok(from_raw(&self.socket.local_raw()?))
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.raw()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("fd", &self.socket.raw())
            .field("addr", &self.local_addr().ok())
            .finish()
    }
}

crate::net::socket::fd_impls!(UnixListener);
