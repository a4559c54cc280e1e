//! The echo servers under test, one per runtime, each written the way a user
//! of that runtime writes it: an accept loop that spawns one task per
//! connection (TCP_NODELAY on), and the task loops "read into a buffer, write
//! all of it back" until the peer closes. No tuning beyond each runtime's
//! defaults; the read buffer holds one request (`buf_size` bytes).
//! `aio-pooled` is the one variation: aio's provided-buffer receive path,
//! where the kernel picks a buffer of that size from a shared pool as each
//! request arrives.
//!
//! Each runs in its own child process, already pinned to the server CPU by
//! the caller, and reports its bound address through `announce` before it
//! starts accepting.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A server implementation the harness can launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Server {
    /// aio on its io_uring backend.
    AioUring,
    /// aio on its epoll backend.
    AioEpoll,
    /// aio on its io_uring backend, receiving with `recv_multi` (one
    /// multishot receive per connection) into buffers of one `BufPool`
    /// shared by every connection, and writing each `PooledBuf` back.
    AioPooled,
    /// tokio's current_thread runtime (one core, like every server here;
    /// with more cores a tokio user would run one such runtime per core
    /// behind SO_REUSEPORT).
    Tokio,
    /// monoio with its io_uring driver.
    Monoio,
    /// No runtime: a hand-written io_uring loop (see `raw_uring`), the
    /// floor the runtimes are measured against.
    RawUring,
}

impl Server {
    /// Every server, in the order they run and are reported.
    pub const ALL: [Server; 6] = [
        Server::AioUring,
        Server::AioEpoll,
        Server::AioPooled,
        Server::Tokio,
        Server::Monoio,
        Server::RawUring,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Server::AioUring => "aio-uring",
            Server::AioEpoll => "aio-epoll",
            Server::AioPooled => "aio-pooled",
            Server::Tokio => "tokio",
            Server::Monoio => "monoio",
            Server::RawUring => "raw-uring",
        }
    }

    /// The server called `name`, if any.
    pub fn from_name(name: &str) -> Option<Server> {
        Server::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Binds `addr`, calls `announce` with the bound address, and serves
    /// until the process is killed. Returns only on a setup or accept error.
    pub fn serve(
        self,
        addr: SocketAddr,
        buf_size: usize,
        announce: impl FnOnce(SocketAddr) -> io::Result<()>,
    ) -> io::Result<()> {
        match self {
            Server::AioUring => aio_echo::serve(aio::Driver::IoUring, addr, buf_size, announce),
            Server::AioEpoll => aio_echo::serve(aio::Driver::Epoll, addr, buf_size, announce),
            Server::AioPooled => aio_pooled_echo::serve(addr, buf_size, announce),
            Server::Tokio => tokio_echo::serve(addr, buf_size, announce),
            Server::Monoio => monoio_echo::serve(addr, buf_size, announce),
            Server::RawUring => crate::raw_uring::serve(addr, buf_size, announce),
        }
    }
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A server as the harness runs and reports it: the implementation
/// `server` (its `--server` name), as built into the executable `exe`,
/// reported as `label`. `exe` is this binary, or for `--baseline` the echo
/// bench built from another commit: the child protocol (`exe --server NAME
/// --addr ADDR --cpu N --size BYTES`) is the same for both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contender {
    pub label: String,
    pub exe: PathBuf,
    pub server: Server,
}

impl Contender {
    /// `server` as built into `exe` (this binary), labelled with its name.
    pub fn current(server: Server, exe: &Path) -> Contender {
        Contender {
            label: server.name().to_string(),
            exe: exe.to_path_buf(),
            server,
        }
    }

    /// `server` as built into the baseline executable `exe`, labelled
    /// `NAME@TAG` (`aio-uring@baseline`).
    pub fn baseline(server: Server, exe: &Path, tag: &str) -> Contender {
        Contender {
            label: format!("{}@{tag}", server.name()),
            exe: exe.to_path_buf(),
            server,
        }
    }

    /// Whether this is a baseline's server, labelled other than its name.
    pub fn is_baseline(&self) -> bool {
        self.label != self.server.name()
    }
}

impl fmt::Display for Contender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

mod aio_echo {
    use std::io;
    use std::net::SocketAddr;

    use aio::io::{AsyncReadRent, AsyncWriteRentExt};

    pub(super) fn serve(
        driver: aio::Driver,
        addr: SocketAddr,
        buf_size: usize,
        announce: impl FnOnce(SocketAddr) -> io::Result<()>,
    ) -> io::Result<()> {
        let rt = aio::RuntimeBuilder::new().driver(driver).build()?;
        if rt.driver() != driver {
            let msg = format!("asked for the {driver:?} driver, got {:?}", rt.driver());
            return Err(io::Error::other(msg));
        }
        rt.block_on(async move {
            // NetConfig::default() already sets TCP_NODELAY on accepted
            // streams; set it again so every server visibly does the same.
            let listener = aio::net::TcpListener::bind(addr)?;
            announce(listener.local_addr()?)?;
            loop {
                let (stream, _) = listener.accept().await?;
                stream.set_nodelay(true)?;
                aio::spawn(async move {
                    let mut stream = stream;
                    let mut buf = Vec::with_capacity(buf_size);
                    loop {
                        let (res, b) = stream.read(buf).await;
                        match res {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        let (res, mut b) = stream.write_all(b).await;
                        if res.is_err() {
                            return;
                        }
                        b.clear();
                        buf = b;
                    }
                });
            }
        })
    }
}

mod aio_pooled_echo {
    use std::future::poll_fn;
    use std::io;
    use std::net::SocketAddr;
    use std::pin::pin;

    use aio::buf::BufPool;
    use aio::io::AsyncWriteRentExt;
    use futures_core::Stream;

    /// Buffers in the server's one pool. Each connection has at most one
    /// request (`buf_size` bytes) in flight, so the largest run (256
    /// connections) needs 256 at once; 4096 is the size a server would be
    /// given without knowing its load, and leaves the pool never short.
    const POOL_BUFS: u16 = 4096;

    pub(super) fn serve(
        addr: SocketAddr,
        buf_size: usize,
        announce: impl FnOnce(SocketAddr) -> io::Result<()>,
    ) -> io::Result<()> {
        let rt = aio::RuntimeBuilder::new()
            .driver(aio::Driver::IoUring)
            .build()?;
        if rt.driver() != aio::Driver::IoUring {
            let msg = format!("asked for the io_uring driver, got {:?}", rt.driver());
            return Err(io::Error::other(msg));
        }
        rt.block_on(async move {
            // Buffers of one request each, as aio-uring reads into: a
            // connection never has more than that arriving at once, so a
            // larger buffer would hold nothing more, and the same size
            // keeps the comparison with aio-uring to the receive path alone.
            let pool = BufPool::new(POOL_BUFS, buf_size)?;
            let listener = aio::net::TcpListener::bind(addr)?;
            announce(listener.local_addr()?)?;
            loop {
                let (stream, _) = listener.accept().await?;
                stream.set_nodelay(true)?;
                let pool = pool.clone();
                aio::spawn(async move {
                    // `recv_multi` borrows the read side for as long as the
                    // stream lives, so the writes go through the other half.
                    let (mut reader, mut writer) = stream.into_split();
                    let mut received = pin!(reader.recv_multi(&pool));
                    // Ends at end of stream (None) or after an error.
                    while let Some(Ok(buf)) = poll_fn(|cx| received.as_mut().poll_next(cx)).await {
                        // The PooledBuf is the write buffer, no copy; it
                        // goes back to the pool as soon as write_all hands
                        // it back and it is dropped here.
                        if writer.write_all(buf).await.0.is_err() {
                            return;
                        }
                    }
                });
            }
        })
    }
}

mod tokio_echo {
    use std::io;
    use std::net::SocketAddr;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    pub(super) fn serve(
        addr: SocketAddr,
        buf_size: usize,
        announce: impl FnOnce(SocketAddr) -> io::Result<()>,
    ) -> io::Result<()> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()?;
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            announce(listener.local_addr()?)?;
            loop {
                let (mut stream, _) = listener.accept().await?;
                stream.set_nodelay(true)?;
                tokio::spawn(async move {
                    let mut buf = vec![0; buf_size];
                    loop {
                        let n = match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        if stream.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                });
            }
        })
    }
}

mod monoio_echo {
    use std::io;
    use std::net::SocketAddr;

    use monoio::io::{AsyncReadRent, AsyncWriteRentExt};

    pub(super) fn serve(
        addr: SocketAddr,
        buf_size: usize,
        announce: impl FnOnce(SocketAddr) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut rt = monoio::RuntimeBuilder::<monoio::IoUringDriver>::new().build()?;
        rt.block_on(async move {
            let listener = monoio::net::TcpListener::bind(addr)?;
            announce(listener.local_addr()?)?;
            loop {
                let (stream, _) = listener.accept().await?;
                stream.set_nodelay(true)?;
                monoio::spawn(async move {
                    let mut stream = stream;
                    let mut buf = Vec::with_capacity(buf_size);
                    loop {
                        let (res, b) = stream.read(buf).await;
                        match res {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        let (res, mut b) = stream.write_all(b).await;
                        if res.is_err() {
                            return;
                        }
                        b.clear();
                        buf = b;
                    }
                });
            }
        })
    }
}
