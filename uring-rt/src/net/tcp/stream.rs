use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use super::split::{OwnedReadHalf, OwnedWriteHalf};
use crate::driver::{ops, Op, CURRENT_POS};
use crate::net::addr::{from_raw, to_raw};
use crate::net::lookup::resolve;
use crate::net::socket::{owned_from_std, Socket};
use crate::net::{NetConfig, ToSocketAddrs};
use crate::pool::FixedBuf;
use crate::BufResult;

/// A TCP connection.
///
/// Reads and writes go through [`AsyncReadRent`](crate::io::AsyncReadRent) and
/// [`AsyncWriteRent`](crate::io::AsyncWriteRent)
/// (owned buffers); `shutdown()` closes the write side. Writes never raise
/// SIGPIPE: a dead peer is an `EPIPE` (or `ECONNRESET`) error, with the
/// buffer handed back.
///
/// ```no_run
/// use aio::io::{AsyncReadRentExt, AsyncWriteRentExt};
///
/// # aio::Runtime::new()?.block_on(async {
/// let mut stream = aio::net::TcpStream::connect("127.0.0.1:8080").await?;
/// let (res, _) = stream.write_all(b"ping".to_vec()).await;
/// res?;
/// let (res, pong) = stream.read_exact(Vec::with_capacity(4)).await;
/// res?;
/// assert_eq!(pong, b"pong");
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpStream {
    _core: crate::marker::NotSend,
    socket: Socket,
}

impl TcpStream {
    pub(crate) fn from_socket(socket: Socket) -> TcpStream {
        TcpStream {
            _core: PhantomData,
            socket,
        }
    }

    /// Connects to `addr` with [`NetConfig::default()`] (nodelay on),
    /// trying each resolved address in turn.
    ///
    /// A host name (`"example.com:80"`, `("example.com", 80)`) is resolved
    /// with [`lookup_host`](crate::net::lookup_host), on the blocking pool,
    /// so the core keeps running its other tasks meanwhile; a numeric
    /// address is used as is and never touches the pool.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a malformed address, the resolver's error for a
    /// name that does not resolve, `ECONNREFUSED` and friends from
    /// connect(2), or the last address's error if every one failed.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future cancels the attempt and closes the socket (a
    /// lookup already running on the pool finishes there, unused).
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        TcpStream::connect_with(addr, &NetConfig::default()).await
    }

    /// Connects to `addr` with the given socket options.
    ///
    /// With several resolved addresses, the attempts overlap as RFC 8305
    /// ("happy eyeballs") says: the first starts at once, each next one
    /// 250 ms later or as soon as an earlier one fails, the
    /// address families alternate (the first address's family first), and
    /// the first connection made wins; the others are cancelled and closed.
    /// A host whose IPv6 route is black-holed thus costs 250 ms, not a
    /// whole connect timeout.
    ///
    /// # Errors
    ///
    /// As for [`connect`](Self::connect), plus an option the kernel rejects.
    ///
    /// # Cancel safety
    ///
    /// As for [`connect`](Self::connect).
    pub async fn connect_with(
        addr: impl ToSocketAddrs,
        config: &NetConfig,
    ) -> io::Result<TcpStream> {
        let addrs = resolve(&addr).await?;
        if let [one] = addrs[..] {
            return TcpStream::connect_one(&one, config).await;
        }
        happy_eyeballs(&addrs, config).await
    }

    /// [`connect`](Self::connect) with a deadline that covers the name's
    /// resolution and every address tried.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use aio::net::TcpStream;
    ///
    /// # aio::Runtime::new().unwrap().block_on(async {
    /// match TcpStream::connect_timeout("example.com:80", Duration::from_secs(3)).await {
    ///     Ok(stream) => println!("connected to {:?}", stream.peer_addr()),
    ///     Err(e) if e.kind() == std::io::ErrorKind::TimedOut => println!("no answer in 3 s"),
    ///     Err(e) => println!("failed: {e}"),
    /// }
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TimedOut`](io::ErrorKind::TimedOut) when the deadline
    /// passes first (the attempts in flight are cancelled and their
    /// sockets closed), otherwise as for [`connect`](Self::connect).
    ///
    /// # Cancel safety
    ///
    /// As for [`connect`](Self::connect).
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    pub async fn connect_timeout(
        addr: impl ToSocketAddrs,
        duration: Duration,
    ) -> io::Result<TcpStream> {
        match crate::time::timeout(duration, TcpStream::connect(addr)).await {
            Ok(res) => res,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("connect timed out after {duration:?}"),
            )),
        }
    }

    async fn connect_one(addr: &SocketAddr, config: &NetConfig) -> io::Result<TcpStream> {
        let raw = to_raw(addr);
        let socket = Socket::new(raw.family(), libc::SOCK_STREAM)?;
        socket.apply_stream(config, raw.family())?;
        socket.connect(raw).await?;
        Ok(TcpStream {
            _core: PhantomData,
            socket,
        })
    }

    /// Adopts a connected std stream (switching it to the current backend's
    /// blocking mode).
    ///
    /// # Errors
    ///
    /// The mode switch failed.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            _core: PhantomData,
            socket: Socket::from_owned(owned_from_std(stream))?,
        })
    }

    /// The remote address.
    ///
    /// # Errors
    ///
    /// getpeername(2) failed (e.g. `ENOTCONN`).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        from_raw(&self.socket.peer_raw()?)
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// getsockname(2) failed.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        from_raw(&self.socket.local_raw()?)
    }

    /// Sets `TCP_NODELAY`.
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed.
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.socket
            .set_opt(libc::IPPROTO_TCP, libc::TCP_NODELAY, libc::c_int::from(on))
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    ///
    /// getsockopt(2) failed.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.socket
            .get_opt::<libc::c_int>(libc::IPPROTO_TCP, libc::TCP_NODELAY)
            .map(|v| v != 0)
    }

    /// Sets `SO_LINGER`: with `Some(d)`, dropping the stream waits up to
    /// `d` for unsent data to go out (`Some(Duration::ZERO)` resets the
    /// connection instead of closing it gracefully); `None` (the default)
    /// closes in the background.
    ///
    /// A lingering close blocks the thread that closes the socket: on
    /// epoll that is the core; io_uring closes it in the kernel's worker.
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed.
    pub fn set_linger(&self, dur: Option<std::time::Duration>) -> io::Result<()> {
        self.socket.set_linger(dur)
    }

    /// `SO_LINGER`, as [`set_linger`](Self::set_linger) takes it (whole
    /// seconds).
    ///
    /// # Errors
    ///
    /// getsockopt(2) failed.
    pub fn linger(&self) -> io::Result<Option<std::time::Duration>> {
        self.socket.linger()
    }

    /// Sets `IP_TTL`, the time-to-live of outgoing packets.
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed (e.g. `EINVAL` for a TTL over 255).
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
    pub async fn peek<B: crate::buf::IoBufMut>(&self, buf: B) -> BufResult<usize, B> {
        self.socket.peek(buf).await
    }

    /// Sends `len` bytes of `file`, from byte `offset`: sendfile(2) on
    /// epoll. io_uring has no sendfile opcode: there a range of up to 64
    /// KiB is read into a buffer and sent (two ops the kernel completes
    /// inline; a 4 KiB file costs about a quarter less CPU so than by
    /// splices, which io_uring runs on its worker threads), and a larger
    /// one goes through file-to-pipe and pipe-to-socket splices, without
    /// copying the bytes through user space. Sends all `len` bytes, or up
    /// to the end of the file; returns how many were sent. The file's own
    /// position is not used or moved.
    ///
    /// # Errors
    ///
    /// The socket's errors (`EPIPE`, `ECONNRESET`), the file's read
    /// errors, or `EMFILE` for the pipe (io_uring, over 64 KiB). An error
    /// after some bytes were sent is still returned as the error (the
    /// stream is then not usable for a protocol that counts bytes).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future may leave part of the range sent; the kernel's
    /// operations keep their descriptors open until they finish.
    ///
    /// # Panics
    ///
    /// Polling it outside an aio runtime panics.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # aio::Runtime::new()?.block_on(async {
    /// let listener = aio::net::TcpListener::bind("127.0.0.1:8080")?;
    /// let (mut stream, _) = listener.accept().await?;
    /// let file = aio::fs::File::open("index.html").await?;
    /// let len = file.metadata().await?.len() as usize;
    /// let sent = stream.sendfile(&file, 0, len).await?;
    /// assert_eq!(sent, len);
    /// # Ok::<(), std::io::Error>(())
    /// # })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn sendfile(
        &mut self,
        file: &crate::fs::File,
        offset: u64,
        len: usize,
    ) -> io::Result<usize> {
        crate::net::sendfile::sendfile(self.socket.fd(), file.shared_fd(), offset, len).await
    }

    /// Sends `buf`'s initialized bytes without copying them into the
    /// kernel (IORING_OP_SEND_ZC): the network stack transmits straight from
    /// the buffer, which comes back only once the kernel's notification says
    /// it no longer references it. Pays for large buffers (tens of KiB and
    /// up); for small ones a plain `write` is cheaper. A plain send on epoll
    /// and on kernels before 6.0. Like `write`, it may send only part.
    ///
    /// # Errors
    ///
    /// send(2) errors (`EPIPE`, `ECONNRESET`...); the buffer comes back.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future may or may not send the data; the buffer is
    /// kept by the runtime until the kernel is done with it, then dropped.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    pub async fn send_zc<B: crate::buf::IoBuf>(&mut self, buf: B) -> crate::BufResult<usize, B> {
        self.socket.send_zc(buf).await
    }

    /// Receives into a registered buffer, appending to its bytes as a
    /// [`read`](crate::io::AsyncReadRent::read) into a `Vec` does; `Ok(0)`
    /// at end of stream.
    ///
    /// With a pool registered on this runtime's ring
    /// ([`FixedBufPool::is_registered`]) this is IORING_OP_READ_FIXED: the
    /// kernel uses the pages it pinned at registration instead of pinning
    /// the buffer for this read. Elsewhere (epoll, another runtime's pool)
    /// it is a plain read(2) into the same memory.
    ///
    /// ```no_run
    /// use aio::buf::FixedBufPool;
    /// use aio::net::TcpStream;
    ///
    /// # aio::Runtime::new()?.block_on(async {
    /// let pool = FixedBufPool::new(64, 16 * 1024)?;
    /// let mut stream = TcpStream::connect("127.0.0.1:8080").await?;
    /// let buf = pool.get().expect("a free buffer");
    /// let (res, buf) = stream.read_fixed(buf).await;
    /// println!("got {} bytes: {:?}", res?, &buf[..]);
    /// # Ok::<(), std::io::Error>(())
    /// # })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidInput` if the buffer is full (`len() == capacity()`), which
    /// would read nothing and look like end of stream; read(2) errors
    /// (`ECONNRESET`...). The buffer comes back either way.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future cancels the receive: no data is lost unless it
    /// had already arrived in the buffer, which goes back to its pool only
    /// once the kernel is done with it.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    ///
    /// [`FixedBufPool::is_registered`]: crate::pool::FixedBufPool::is_registered
    pub async fn read_fixed(&mut self, buf: FixedBuf) -> BufResult<usize, FixedBuf> {
        if let Err(e) = buf.check_room() {
            return (Err(e), buf);
        }
        let fd = self.socket.fd().clone();
        Op::submit(ops::ReadFixed::new(fd, buf, CURRENT_POS)).await
    }

    /// Sends a registered buffer's bytes; may be partial (keep the rest
    /// with `copy_within` and [`truncate`](FixedBuf::truncate)).
    ///
    /// IORING_OP_WRITE_FIXED with a pool registered on this runtime's ring,
    /// a plain write(2) elsewhere (see [`read_fixed`](Self::read_fixed)).
    /// Unlike [`write`](crate::io::AsyncWriteRent::write), which sends with
    /// `MSG_NOSIGNAL`, this is a write(2) on the socket: to a peer that has
    /// gone, the kernel also raises SIGPIPE, which Rust programs ignore by
    /// default (a program that restores its default action is killed).
    ///
    /// ```no_run
    /// use aio::buf::FixedBufPool;
    /// use aio::net::TcpStream;
    ///
    /// # aio::Runtime::new()?.block_on(async {
    /// let pool = FixedBufPool::new(64, 16 * 1024)?;
    /// let mut stream = TcpStream::connect("127.0.0.1:8080").await?;
    /// let mut buf = pool.get().expect("a free buffer");
    /// buf.extend_from_slice(b"ping");
    /// let (res, _buf) = stream.write_fixed(buf).await;
    /// assert_eq!(res?, 4);
    /// # Ok::<(), std::io::Error>(())
    /// # })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// write(2) errors (`EPIPE`, `ECONNRESET`...); the buffer comes back.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future cancels the send; some bytes may have been sent.
    /// The buffer goes back to its pool once the kernel is done with it.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    pub async fn write_fixed(&mut self, buf: FixedBuf) -> BufResult<usize, FixedBuf> {
        let fd = self.socket.fd().clone();
        Op::submit(ops::WriteFixed::new(fd, buf, CURRENT_POS)).await
    }

    /// Turns this into a std stream, open and in blocking mode (as std
    /// creates them), to hand to another core (whose `from_std` adopts it)
    /// or to a library that wants a std socket.
    ///
    /// Ops of this stream whose futures were dropped and which the kernel
    /// is still finishing keep running, but no longer close the
    /// descriptor. Accept on one core, serve on another (two threads with
    /// a runtime each here; `aio::cores::mesh` connects real cores):
    ///
    /// ```
    /// use aio::io::{AsyncReadRentExt, AsyncWriteRentExt};
    /// use aio::net::{TcpListener, TcpStream};
    ///
    /// let (tx, rx) = std::sync::mpsc::channel::<std::net::TcpStream>();
    /// // The serving core adopts the connection it is handed.
    /// let server = std::thread::spawn(move || {
    ///     aio::Runtime::new().unwrap().block_on(async move {
    ///         let mut conn = TcpStream::from_std(rx.recv().unwrap()).unwrap();
    ///         let (res, buf) = conn.read_exact(Vec::with_capacity(4)).await;
    ///         res.unwrap();
    ///         conn.write_all(buf).await.0.unwrap();
    ///     })
    /// });
    /// // The accepting core hands it over as a std stream.
    /// aio::Runtime::new().unwrap().block_on(async move {
    ///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let (conn, _) = listener.accept().await.unwrap();
    ///     tx.send(conn.into_std().unwrap()).unwrap();
    ///     client.write_all(b"ping").await.0.unwrap();
    ///     let (res, buf) = client.read_exact(Vec::with_capacity(4)).await;
    ///     res.unwrap();
    ///     assert_eq!(buf, b"ping");
    /// });
    /// server.join().unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The runtime's driver failed fatally, or the mode switch failed.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        self.socket.into_std()
    }

    /// Borrows the stream as a read half and a write half, to read and
    /// write at once from one task (e.g. `aio::future::join` of a reader
    /// and a writer) without giving the stream up; see
    /// [`into_split`](Self::into_split) for halves that go to two tasks.
    pub fn split(&mut self) -> (super::ReadHalf<'_>, super::WriteHalf<'_>) {
        super::split::borrowed(&self.socket)
    }

    /// Splits the stream into a read half and a write half that can be used
    /// from two tasks of this runtime at once. The connection closes when
    /// both halves (and any in-flight operation) are gone.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        super::split::new(self.socket)
    }
}

crate::net::socket::stream_read_impl!(TcpStream);
crate::net::socket::stream_pooled_impl!(TcpStream);

crate::net::socket::stream_write_impl!(TcpStream);
crate::net::socket::stream_duplex_impl!(TcpStream);

/// How long a connect to one address may run alone before the next
/// address is tried alongside it (RFC 8305's recommended value).
const CONNECT_STAGGER: Duration = Duration::from_millis(250);

/// Connects to the first of `addrs` that answers, with attempts staggered
/// by [`CONNECT_STAGGER`] and families interleaved (RFC 8305).
async fn happy_eyeballs(addrs: &[SocketAddr], config: &NetConfig) -> io::Result<TcpStream> {
    type Attempt<'a> = Pin<Box<dyn Future<Output = io::Result<TcpStream>> + 'a>>;
    let mut waiting = interleave_families(addrs).into_iter();
    let mut running: Vec<Attempt<'_>> = Vec::new();
    let mut stagger = crate::time::sleep(Duration::ZERO);
    let mut start_next = true;
    let mut last = None;
    poll_fn(|cx| loop {
        let due = std::mem::take(&mut start_next) || Pin::new(&mut stagger).poll(cx).is_ready();
        if due {
            if let Some(addr) = waiting.next() {
                running.push(Box::pin(TcpStream::connect_one(addr, config)));
                // Round again: arms the new stagger, polls the new attempt.
                stagger = crate::time::sleep(CONNECT_STAGGER);
                continue;
            }
        }
        let mut i = 0;
        while i < running.len() {
            match running[i].as_mut().poll(cx) {
                // The others are dropped: cancelled, their sockets closed.
                Poll::Ready(Ok(stream)) => return Poll::Ready(Ok(stream)),
                Poll::Ready(Err(e)) => {
                    last = Some(e);
                    drop(running.swap_remove(i));
                    // A failure starts the next address at once.
                    start_next = true;
                }
                Poll::Pending => i += 1,
            }
        }
        if start_next && waiting.len() > 0 {
            continue;
        }
        if running.is_empty() {
            return Poll::Ready(Err(last.take().unwrap_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to")
            })));
        }
        return Poll::Pending;
    })
    .await
}

/// `addrs` reordered to alternate families, starting with the first's.
fn interleave_families(addrs: &[SocketAddr]) -> Vec<&SocketAddr> {
    let first_v6 = addrs.first().is_some_and(SocketAddr::is_ipv6);
    let (same, other): (Vec<&SocketAddr>, Vec<&SocketAddr>) =
        addrs.iter().partition(|a| a.is_ipv6() == first_v6);
    let mut out = Vec::with_capacity(addrs.len());
    let (mut same, mut other) = (same.into_iter(), other.into_iter());
    loop {
        match (same.next(), other.next()) {
            (None, None) => return out,
            (a, b) => out.extend(a.into_iter().chain(b)),
        }
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.raw()
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("fd", &self.socket.raw())
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}

crate::net::socket::fd_impls!(TcpStream);

crate::net::readiness::ready_impl!(TcpStream);
crate::net::readiness::stream_try_impl!(TcpStream);
