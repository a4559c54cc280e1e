//! The servers under test: aio on its io_uring driver, one task per
//! connection, each parked in a receive between messages. Each runs in the
//! child process, binds 127.0.0.1:0 and prints `ready ADDR` on stdout
//! before it accepts.

use std::io;
use std::io::Write;
use std::net::SocketAddr;

/// A server implementation the harness can launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// A `Vec` read buffer per connection.
    Plain,
    /// `recv_multi` from a shared `BufPool`.
    Pooled,
}

/// A server's body: binds, announces, serves until killed; returns only on
/// a setup or accept error.
pub type ServeFn = fn() -> io::Result<()>;

impl Server {
    /// Every server, in the order they run and are reported.
    pub const ALL: [Server; 2] = [Server::Plain, Server::Pooled];

    /// The name used on the command line and in the report.
    pub fn name(self) -> &'static str {
        match self {
            Server::Plain => "plain",
            Server::Pooled => "pooled",
        }
    }

    /// The server called `name`, if any.
    pub fn from_name(name: &str) -> Option<Server> {
        Server::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The server's body.
    pub fn serve_fn(self) -> ServeFn {
        match self {
            Server::Plain => plain::serve,
            Server::Pooled => pooled::serve,
        }
    }
}

/// Tells the parent the server is ready and where: `ready ADDR`.
fn announce(addr: SocketAddr) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "ready {addr}")?;
    out.flush()
}

/// A runtime on the io_uring driver, or an error saying which one started.
fn uring_runtime() -> io::Result<aio::Runtime> {
    let rt = aio::RuntimeBuilder::new()
        .driver(aio::Driver::IoUring)
        .build()?;
    if rt.driver() != aio::Driver::IoUring {
        let msg = format!("asked for the io_uring driver, got {:?}", rt.driver());
        return Err(io::Error::other(msg));
    }
    Ok(rt)
}

/// The listener every server binds.
fn listen() -> io::Result<aio::net::TcpListener> {
    aio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
}

mod plain {
    use std::io;

    use aio::io::{AsyncReadRent, AsyncWriteRentExt};

    /// Capacity of each connection's read buffer.
    const BUF_SIZE: usize = 16 * 1024;

    pub(super) fn serve() -> io::Result<()> {
        super::uring_runtime()?.block_on(async {
            let listener = super::listen()?;
            super::announce(listener.local_addr()?)?;
            loop {
                let (mut stream, _) = listener.accept().await?;
                aio::spawn(async move {
                    loop {
                        let (res, buf) = stream.read(Vec::with_capacity(BUF_SIZE)).await;
                        match res {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        if stream.write_all(buf).await.0.is_err() {
                            return;
                        }
                    }
                });
            }
        })
    }
}

mod pooled {
    use std::future::poll_fn;
    use std::io;
    use std::pin::pin;

    use aio::buf::BufPool;
    use aio::io::AsyncWriteRentExt;
    use futures_core::Stream;

    /// Buffers in the shared pool: well above a batch (every connection of
    /// one may hold its message at once), a power of two as `BufPool`
    /// requires, and the size a real server would start from.
    const POOL_BUFS: u16 = 1024;
    /// Size of each pooled buffer.
    const BUF_SIZE: usize = 4096;
    const _: () = assert!(POOL_BUFS as usize >= crate::BATCH);

    pub(super) fn serve() -> io::Result<()> {
        super::uring_runtime()?.block_on(async {
            // Made before `ready`, so the pool is in "before" and only
            // what each connection adds is counted per connection.
            let pool = BufPool::new(POOL_BUFS, BUF_SIZE)?;
            let listener = super::listen()?;
            super::announce(listener.local_addr()?)?;
            loop {
                let (stream, _) = listener.accept().await?;
                let pool = pool.clone();
                aio::spawn(async move {
                    // `recv_multi` borrows the read side for as long as the
                    // stream lives, so the writes go through the other half.
                    let (mut reader, mut writer) = stream.into_split();
                    let mut received = pin!(reader.recv_multi(&pool));
                    while let Some(Ok(buf)) = poll_fn(|cx| received.as_mut().poll_next(cx)).await {
                        if writer.write_all(buf).await.0.is_err() {
                            return;
                        }
                    }
                });
            }
        })
    }
}
