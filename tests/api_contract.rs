//! A compile-time check of the public names and signatures that
//! `DESIGN.md` states (its "Public API contract" and all of "Part 2"),
//! written the way `DESIGN.md` writes them: argument types, `&self` where it
//! says `&self`, `BufResult<..>` shapes, `Stream` impls, the `Send`, `Sync`,
//! `Copy` and `Clone` bounds it states, and the trait impls it names.
//!
//! Nothing here runs: the functions are never called and the binary has no
//! tests. Building it is the assertion; when the library drifts from the
//! contract, the build fails and the error names the drifted item. Items
//! behind a cargo feature are checked under `#[cfg(feature = "...")]` with
//! the root package's features (`cargo test --no-default-features` builds
//! the rest).
//!
//! Where the library deliberately and compatibly differs from the text, the
//! check is written the library's way and says so in a comment.

// Every function here exists only to be type-checked.
#![allow(dead_code, unused_variables, unused_mut, clippy::let_unit_value)]

use std::any::Any;
use std::fmt::Display;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd};
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use aio::buf::{IoBuf, IoBufMut, Slice, SliceMut};
use aio::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRent, AsyncWriteRentExt};
use aio::net::{
    NetConfig, TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream,
};
use aio::{BufResult, JoinError, JoinHandle, Runtime, RuntimeBuilder};
use futures_core::Stream;

// ---------------------------------------------------------------------------
// Helpers: each one compiles only when its bound holds.
// ---------------------------------------------------------------------------

fn assert_send<T: Send>() {}
fn assert_sync<T: Sync>() {}
fn assert_copy<T: Copy>() {}
fn assert_clone<T: Clone>() {}
fn assert_default<T: Default>() {}
fn assert_unpin<T: Unpin>() {}
fn assert_static<T: 'static>() {}
fn assert_error<T: std::error::Error + Display>() {}
fn assert_io_buf<T: IoBuf>() {}
fn assert_io_buf_mut<T: IoBufMut>() {}
fn assert_read_rent<T: AsyncReadRent>() {}
fn assert_write_rent<T: AsyncWriteRent>() {}
fn assert_rent<T: AsyncReadRent + AsyncWriteRent>() {}
fn assert_deref_bytes<T: Deref<Target = [u8]>>() {}
fn assert_fd<T: AsFd + AsRawFd + IntoRawFd>() {}
fn assert_future<F: Future<Output = O>, O>(_: &F) {}
fn assert_stream<S: Stream>(_: &S) {}
fn assert_stream_item<S: Stream<Item = I>, I>(_: &S) {}
fn assert_iter_of_addrs<I: Iterator<Item = SocketAddr>>(_: &I) {}

/// `assert_not_send!(T)` compiles only when `T` is `!Send`: with `T: Send`
/// both impls apply and the call is ambiguous.
macro_rules! assert_not_send {
    ($($ty:ty),+ $(,)?) => {{
        trait AmbiguousIfSend<A> {
            fn some_item() {}
        }
        impl<T: ?Sized> AmbiguousIfSend<()> for T {}
        impl<T: ?Sized + Send> AmbiguousIfSend<u8> for T {}
        $(let _ = <$ty as AmbiguousIfSend<_>>::some_item;)+
    }};
}

/// A future that is `!Send` (an `Rc` lives across an await) and `'static`.
async fn not_send_future() -> u32 {
    let rc = Rc::new(1u32);
    aio::task::yield_now().await;
    *rc
}

// ===========================================================================
// Part 1: Public API contract
// ===========================================================================

/// "Runtime and tasks".
mod runtime_and_tasks {
    use super::*;

    fn runtime() -> io::Result<()> {
        // `aio::Runtime::new() -> io::Result<Runtime>`
        let rt: io::Result<Runtime> = aio::Runtime::new();
        let rt: Runtime = rt?;
        let rt_ref: &Runtime = &rt;
        // `rt.block_on(fut) -> F::Output` (root future may be !Send)
        let out: u32 = rt_ref.block_on(not_send_future());
        // `rt.driver() -> aio::Driver`
        let driver: aio::Driver = rt_ref.driver();

        // `aio::RuntimeBuilder::new().entries(u32).driver(aio::Driver).build() -> io::Result<Runtime>`
        let built: io::Result<Runtime> = aio::RuntimeBuilder::new()
            .entries(256u32)
            .driver(aio::Driver::Epoll)
            .build();
        Ok(())
    }

    // `aio::Driver { Auto, IoUring, Epoll }`: exactly these variants.
    fn driver_variants(driver: aio::Driver) -> &'static str {
        match driver {
            aio::Driver::Auto => "auto",
            aio::Driver::IoUring => "uring",
            aio::Driver::Epoll => "epoll",
        }
    }

    fn driver_current() {
        // `aio::Driver::current()` inside a runtime returns the running backend.
        let running: aio::Driver = aio::Driver::current();
    }

    async fn spawn_and_join() {
        // `aio::spawn(fut) -> JoinHandle<T>` (`fut: Future + 'static`, no Send bound)
        let handle: aio::JoinHandle<u32> = aio::spawn(not_send_future());
        // `.abort()`, `.is_finished()`
        handle.abort();
        let finished: bool = handle.is_finished();
        // `JoinHandle<T>: Future<Output = Result<T, JoinError>>`
        assert_future::<_, Result<u32, aio::JoinError>>(&handle);
        let joined: Result<u32, aio::JoinError> = handle.await;
        if let Err(err) = joined {
            // `JoinError::is_panic()`, `is_cancelled()`, `into_panic()`
            let panicked: bool = err.is_panic();
            let cancelled: bool = err.is_cancelled();
            let payload: Box<dyn Any + Send> = err.into_panic();
        }
        // JoinError: Display + Error
        assert_error::<aio::JoinError>();
    }

    async fn task_module() {
        // `aio::task::{spawn, yield_now, spawn_blocking, JoinHandle, JoinError}`
        use aio::task::{spawn, spawn_blocking, yield_now, JoinError, JoinHandle};
        let handle: JoinHandle<u32> = spawn(not_send_future());
        let joined: Result<u32, JoinError> = handle.await;
        let () = yield_now().await;
        // `spawn_blocking(f)` runs a `Send` closure on a blocking thread pool.
        let shared = std::sync::Arc::new(1u32);
        let blocking = spawn_blocking(move || *shared);
        // The root re-exports are the same items.
        let _: fn(JoinHandle<u32>) -> aio::JoinHandle<u32> = |h| h;
        let _: fn(JoinError) -> aio::JoinError = |e| e;
    }
}

/// "Macros": `#[aio::main]` on `async fn main()` (may return `Result`),
/// options `threads = N`, `entries = N`, `driver = "auto" | "uring" |
/// "epoll"`, `crate = "path"`. (The expansion keeps the function's name, so
/// each is its own never-called function here.) `#[aio::test]` is not
/// checked here: its expansion is a `#[test]`, which would run.
mod macros {
    use std::io;

    #[aio::main]
    async fn main() {}

    #[aio::main]
    async fn main_returning_result() -> io::Result<()> {
        Ok(())
    }

    #[aio::main(threads = 2, entries = 256, driver = "auto", crate = "aio")]
    async fn main_with_every_option() -> io::Result<()> {
        Ok(())
    }

    #[aio::main(driver = "uring")]
    async fn main_uring() {}

    #[aio::main(driver = "epoll")]
    async fn main_epoll() {}
}

/// "Buffers and I/O traits".
mod buffers_and_io_traits {
    use super::*;

    // `aio::BufResult<T, B> = (io::Result<T>, B)`
    fn buf_result_is_a_pair(pair: (io::Result<usize>, Vec<u8>)) -> aio::BufResult<usize, Vec<u8>> {
        pair
    }

    // Users implement these for their own buffers, so the methods are
    // contract: `unsafe trait IoBuf: Unpin + 'static { fn read_ptr(&self)
    // -> *const u8; fn bytes_init(&self) -> usize; }` and `unsafe trait
    // IoBufMut: Unpin + 'static { fn write_ptr(&mut self) -> *mut u8; fn
    // bytes_total(&self) -> usize; unsafe fn set_init(&mut self, pos:
    // usize); }`.
    struct UserBuf {
        bytes: Box<[u8]>,
        init: usize,
    }

    // SAFETY: `read_ptr` points into the boxed slice's heap allocation,
    // which stays where it is when `UserBuf` moves and lives as long as
    // `UserBuf`; `init` never exceeds the allocation's length (only
    // `set_init` raises it, within `bytes_total`).
    unsafe impl IoBuf for UserBuf {
        fn read_ptr(&self) -> *const u8 {
            self.bytes.as_ptr()
        }

        fn bytes_init(&self) -> usize {
            self.init
        }
    }

    // SAFETY: as for `IoBuf` above: `write_ptr` points into the stable heap
    // allocation of `bytes`, `bytes_total` is its exact length, and
    // `set_init` only records what the caller promises is initialised.
    unsafe impl IoBufMut for UserBuf {
        fn write_ptr(&mut self) -> *mut u8 {
            self.bytes.as_mut_ptr()
        }

        fn bytes_total(&self) -> usize {
            self.bytes.len()
        }

        unsafe fn set_init(&mut self, pos: usize) {
            self.init = self.init.max(pos.min(self.bytes.len()));
        }
    }

    fn supertraits<B: IoBuf, M: IoBufMut>() {
        assert_unpin::<B>();
        assert_static::<B>();
        assert_unpin::<M>();
        assert_static::<M>();
    }

    fn impls() {
        // `IoBuf` for `Vec<u8>`, `Box<[u8]>`, `String`, `&'static [u8]`,
        // `&'static str` (and `bytes::Bytes`/`BytesMut` behind `bytes`,
        // which the root package always enables).
        assert_io_buf::<Vec<u8>>();
        assert_io_buf::<Box<[u8]>>();
        assert_io_buf::<String>();
        assert_io_buf::<&'static [u8]>();
        assert_io_buf::<&'static str>();
        assert_io_buf::<bytes::Bytes>();
        assert_io_buf::<bytes::BytesMut>();
        // `IoBufMut` for `Vec<u8>`, `Box<[u8]>`
        assert_io_buf_mut::<Vec<u8>>();
        assert_io_buf_mut::<Box<[u8]>>();
        assert_io_buf::<UserBuf>();
        assert_io_buf_mut::<UserBuf>();
    }

    fn slices() {
        // `buf.slice(range)` gives a `Slice<B>` that is itself an IoBuf
        // (`into_inner()` returns the whole buffer); `slice_mut` likewise.
        let slice: Slice<Vec<u8>> = vec![0u8; 8].slice(2..4);
        assert_io_buf::<Slice<Vec<u8>>>();
        let whole: Vec<u8> = slice.into_inner();
        let slice_mut: SliceMut<Vec<u8>> = Vec::with_capacity(8).slice_mut(0..4);
        assert_io_buf_mut::<SliceMut<Vec<u8>>>();
        let whole: Vec<u8> = slice_mut.into_inner();
    }

    // `aio::io::{AsyncReadRent, AsyncWriteRent, AsyncReadRentExt,
    // AsyncWriteRentExt}`, also re-exported at the root (the same traits).
    fn root_reexports<T: aio::io::AsyncReadRent + aio::io::AsyncWriteRent>() {
        fn via_root<
            U: aio::AsyncReadRent
                + aio::AsyncWriteRent
                + aio::AsyncReadRentExt
                + aio::AsyncWriteRentExt,
        >() {
        }
        via_root::<T>();
    }

    async fn rent_io<S: AsyncReadRent + AsyncWriteRent>(stream: &mut S) {
        // `read(buf)`, `readv(bufs)` -> `BufResult<usize, B>`
        let read: BufResult<usize, Vec<u8>> = stream.read(Vec::with_capacity(64)).await;
        let readv: BufResult<usize, Vec<Vec<u8>>> =
            stream.readv(vec![Vec::with_capacity(64)]).await;
        // `write(buf)`, `writev(bufs)`, `flush()`, `shutdown()`
        let write: BufResult<usize, Vec<u8>> = stream.write(vec![1u8]).await;
        let writev: BufResult<usize, Vec<Vec<u8>>> = stream.writev(vec![vec![1u8]]).await;
        let flushed: io::Result<()> = stream.flush().await;
        let shut: io::Result<()> = stream.shutdown().await;
        // `read_exact(buf)`, `write_all(buf)`: the buffer always comes back.
        let (res, buf): (io::Result<_>, Vec<u8>) = stream.read_exact(Vec::with_capacity(8)).await;
        let (res, buf): (io::Result<_>, Vec<u8>) = stream.write_all(buf).await;
    }
}

/// "Networking (`aio::net`)".
mod networking {
    use super::*;

    async fn tcp_listener(
        addr: SocketAddr,
        config: NetConfig,
        std_listener: std::net::TcpListener,
    ) -> io::Result<()> {
        // `TcpListener::bind(addr) -> io::Result<_>`, `bind_with(addr, &NetConfig)`
        let listener: io::Result<TcpListener> = TcpListener::bind(addr);
        let listener: TcpListener = TcpListener::bind_with(addr, &config)?;
        // `accept().await -> io::Result<(TcpStream, SocketAddr)>`
        let accepted: io::Result<(TcpStream, SocketAddr)> = listener.accept().await;
        // `local_addr()`
        let local: io::Result<SocketAddr> = listener.local_addr();
        // `incoming()` (a `futures_core::Stream`)
        assert_stream(&listener.incoming());
        // `from_std`
        let adopted: io::Result<TcpListener> = TcpListener::from_std(std_listener);
        Ok(())
    }

    async fn tcp_stream(
        addr: SocketAddr,
        config: NetConfig,
        std_stream: std::net::TcpStream,
    ) -> io::Result<()> {
        // `TcpStream::connect(addr).await`, `connect_with(addr, &NetConfig)`
        let stream: io::Result<TcpStream> = TcpStream::connect(addr).await;
        let stream: TcpStream = TcpStream::connect_with(addr, &config).await?;
        // `peer_addr`, `local_addr`, `set_nodelay`, `nodelay`
        let peer: io::Result<SocketAddr> = stream.peer_addr();
        let local: io::Result<SocketAddr> = stream.local_addr();
        let set: io::Result<()> = stream.set_nodelay(true);
        let nodelay: io::Result<bool> = stream.nodelay();
        // `into_split()` -> `(OwnedReadHalf, OwnedWriteHalf)`
        let (read, write): (aio::net::OwnedReadHalf, aio::net::OwnedWriteHalf) =
            stream.into_split();
        // `from_std`
        let adopted: io::Result<TcpStream> = TcpStream::from_std(std_stream);
        Ok(())
    }

    fn tcp_stream_is_rent_io() {
        // AsyncReadRent + AsyncWriteRent
        assert_rent::<TcpStream>();
    }

    // `UdpSocket`: methods take `&self`.
    async fn udp(addr: SocketAddr, config: NetConfig) -> io::Result<()> {
        // `UdpSocket::bind(addr)`, `bind_with`
        let socket: io::Result<UdpSocket> = UdpSocket::bind(addr);
        let socket: UdpSocket = UdpSocket::bind_with(addr, &config)?;
        let socket: &UdpSocket = &socket;
        // `connect(addr).await`
        let connected: io::Result<()> = socket.connect(addr).await;
        // `send_to(buf, addr)`
        let sent: BufResult<usize, Vec<u8>> = socket.send_to(vec![1u8], addr).await;
        // `recv_from(buf) -> BufResult<(usize, SocketAddr), B>`
        let received: BufResult<(usize, SocketAddr), Vec<u8>> =
            socket.recv_from(Vec::with_capacity(64)).await;
        // `send(buf)`, `recv(buf)`, `local_addr`
        let sent: BufResult<usize, Vec<u8>> = socket.send(vec![1u8]).await;
        let received: BufResult<usize, Vec<u8>> = socket.recv(Vec::with_capacity(64)).await;
        let local: io::Result<SocketAddr> = socket.local_addr();
        Ok(())
    }

    // `UnixListener`, `UnixStream`, `UnixDatagram` with the same shapes
    // (paths and abstract names).
    async fn unix(
        path: &Path,
        config: NetConfig,
        std_listener: std::os::unix::net::UnixListener,
        std_stream: std::os::unix::net::UnixStream,
        std_datagram: std::os::unix::net::UnixDatagram,
    ) -> io::Result<()> {
        let listener: io::Result<UnixListener> = UnixListener::bind(path);
        let listener: UnixListener = UnixListener::bind_with(path, &config)?;
        let accepted: io::Result<(UnixStream, aio::net::UnixSocketAddr)> = listener.accept().await;
        let local: io::Result<aio::net::UnixSocketAddr> = listener.local_addr();
        assert_stream(&listener.incoming());
        let adopted: io::Result<UnixListener> = UnixListener::from_std(std_listener);

        let stream: io::Result<UnixStream> = UnixStream::connect(path).await;
        let stream: UnixStream = UnixStream::connect_with(path, &config).await?;
        let peer: io::Result<aio::net::UnixSocketAddr> = stream.peer_addr();
        let local: io::Result<aio::net::UnixSocketAddr> = stream.local_addr();
        let (read, write): (
            aio::net::unix::OwnedReadHalf,
            aio::net::unix::OwnedWriteHalf,
        ) = stream.into_split();
        let adopted: io::Result<UnixStream> = UnixStream::from_std(std_stream);
        assert_rent::<UnixStream>();

        // Datagram methods take `&self`, as `UdpSocket`'s.
        let datagram: UnixDatagram = UnixDatagram::bind(path)?;
        let configured: io::Result<UnixDatagram> = UnixDatagram::bind_with(path, &config);
        let datagram: &UnixDatagram = &datagram;
        let connected: io::Result<()> = datagram.connect(path).await;
        let sent: BufResult<usize, Vec<u8>> = datagram.send_to(vec![1u8], path).await;
        let received: BufResult<(usize, aio::net::UnixSocketAddr), Vec<u8>> =
            datagram.recv_from(Vec::with_capacity(64)).await;
        let sent: BufResult<usize, Vec<u8>> = datagram.send(vec![1u8]).await;
        let received: BufResult<usize, Vec<u8>> = datagram.recv(Vec::with_capacity(64)).await;
        let local: io::Result<aio::net::UnixSocketAddr> = datagram.local_addr();
        let adopted: io::Result<UnixDatagram> = UnixDatagram::from_std(std_datagram);
        Ok(())
    }

    fn net_config() {
        // `NetConfig`: builder over socket options; `NetConfig::default()`.
        let config: NetConfig = NetConfig::default()
            .reuse_addr(true)
            .reuse_port(true)
            .backlog(1024)
            .nodelay(true)
            .quickack(true)
            .keepalive(Some(Duration::from_secs(60)))
            .recv_buffer_size(1 << 20)
            .send_buffer_size(1 << 20)
            .busy_poll(50)
            .tos(0x10)
            .ipv6_only(false)
            .ttl(64)
            .hop_limit(64);
    }
}

/// "Time (`aio::time`)".
mod time {
    use super::*;
    use aio::time::{Elapsed, Instant};

    async fn time() {
        // `sleep(Duration)`, `sleep_until(Instant)`
        let () = aio::time::sleep(Duration::from_millis(1)).await;
        let () = aio::time::sleep_until(Instant::now()).await;
        // Deliberate: `Instant` is aio's own type, and deadline-taking
        // functions accept `impl Into<Instant>` (std's converts).
        let () = aio::time::sleep_until(std::time::Instant::now()).await;
        // `timeout(Duration, fut) -> Result<T, Elapsed>`, `timeout_at`
        let done: Result<u32, Elapsed> =
            aio::time::timeout(Duration::from_secs(1), async { 1u32 }).await;
        let deadline: Instant = Instant::now() + Duration::from_secs(1);
        let done: Result<u32, Elapsed> = aio::time::timeout_at(deadline, async { 1u32 }).await;
        let done: Result<u32, Elapsed> =
            aio::time::timeout_at(std::time::Instant::now(), async { 1u32 }).await;
        // `interval(Duration)` with `tick().await` (also a Stream)
        let mut interval = aio::time::interval(Duration::from_millis(10));
        interval.tick().await;
        assert_stream(&interval);
        // `Elapsed` is an error (a timeout is reported with it).
        assert_error::<Elapsed>();
    }
}

/// "Files (`aio::fs`)".
mod files {
    use super::*;
    use aio::fs::{File, OpenOptions};

    async fn files(path: &Path, to: &Path) -> io::Result<()> {
        // `File::open(path).await`, `File::create(path).await`, `OpenOptions`
        let file: io::Result<File> = File::open(path).await;
        let file: io::Result<File> = File::create(path).await;
        let file: File = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .open(path)
            .await?;
        // `read_at(buf, pos)`, `write_at(buf, pos)`
        let read: BufResult<usize, Vec<u8>> = file.read_at(Vec::with_capacity(64), 0).await;
        let written: BufResult<usize, Vec<u8>> = file.write_at(vec![1u8], 0).await;
        // `read_exact_at`, `write_all_at`: the buffer comes back.
        let (res, buf): (io::Result<_>, Vec<u8>) =
            file.read_exact_at(Vec::with_capacity(8), 0).await;
        let (res, buf): (io::Result<_>, Vec<u8>) = file.write_all_at(buf, 0).await;
        // `sync_all`, `sync_data`, `metadata`, `close().await`
        let synced: io::Result<()> = file.sync_all().await;
        let synced: io::Result<()> = file.sync_data().await;
        let metadata = file.metadata().await?;
        let closed: io::Result<()> = file.close().await;

        // free functions `read`, `write`, `remove_file`, `rename`,
        // `create_dir`, `metadata`
        let bytes: io::Result<Vec<u8>> = aio::fs::read(path).await;
        let () = aio::fs::write(path, b"contract".to_vec()).await?;
        let () = aio::fs::remove_file(path).await?;
        let () = aio::fs::rename(path, to).await?;
        let () = aio::fs::create_dir(path).await?;
        let metadata = aio::fs::metadata(path).await?;
        Ok(())
    }
}

/// "Synchronisation".
mod synchronisation {
    use super::*;
    use aio::cores::{CoreId, Cores};

    fn core_local() {
        // `aio::sync::{Mutex, RwLock, Semaphore, Notify, oneshot, mpsc}`:
        // core-local (!Send).
        use aio::sync::{mpsc, oneshot, Mutex, Notify, RwLock, Semaphore};
        assert_not_send!(
            Mutex<u32>,
            RwLock<u32>,
            Semaphore,
            Notify,
            oneshot::Sender<u32>,
            oneshot::Receiver<u32>,
            mpsc::Sender<u32>,
            mpsc::Receiver<u32>,
        );
    }

    fn cores() {
        // `Cores::all()`, `Cores::first(n)`, `Cores::list(ids)`, `.pin(bool)`,
        // `.runtime(RuntimeBuilder)`
        let all: Cores = Cores::all();
        let first: Cores = Cores::first(2);
        let cores: Cores = Cores::list([0, 1]).pin(true).runtime(RuntimeBuilder::new());
        // `.run(|core: CoreId| async move { .. }) -> io::Result<Vec<T>>`
        let results: io::Result<Vec<usize>> = cores.run(|core: CoreId| async move {
            let _: CoreId = core;
            0usize
        });
        // `aio::cores::current() -> Option<CoreId>`
        let current: Option<CoreId> = aio::cores::current();
    }

    async fn cross_core_channel() {
        // `aio::cores::channel::<T: Send>(capacity) -> (Sender<T>, Receiver<T>)`
        let (tx, mut rx): (aio::cores::Sender<u64>, aio::cores::Receiver<u64>) =
            aio::cores::channel::<u64>(16);
        // `Sender: Clone + Send`, `Receiver: Send`
        assert_clone::<aio::cores::Sender<u64>>();
        assert_send::<aio::cores::Sender<u64>>();
        assert_send::<aio::cores::Receiver<u64>>();
        // `send(v).await`, `try_send(v)`
        let sent = tx.send(1).await;
        let tried = tx.try_send(2);
        // `recv().await -> Option<T>`
        let received: Option<u64> = rx.recv().await;
    }
}

// ===========================================================================
// Part 2: the next capabilities
// ===========================================================================

/// Part 2, "Robustness".
mod robustness {
    use super::*;

    fn try_block_on(rt: &Runtime) {
        // `Runtime::try_block_on(fut) -> io::Result<F::Output>`
        let out: io::Result<u32> = rt.try_block_on(not_send_future());
    }

    async fn names(name: &str, addr: SocketAddr) -> io::Result<()> {
        // `aio::net::lookup_host(addr: &str).await -> io::Result<impl
        // Iterator<Item = SocketAddr>>`
        let addrs = aio::net::lookup_host(name).await?;
        assert_iter_of_addrs(&addrs);
        // `TcpStream::connect` / `UdpSocket::connect` given a name
        let stream: io::Result<TcpStream> = TcpStream::connect(name).await;
        let socket = UdpSocket::bind(addr)?;
        let connected: io::Result<()> = socket.connect(name).await;
        Ok(())
    }

    async fn close(file: aio::fs::File) {
        // `File::close().await` reports the close's own error.
        let closed: io::Result<()> = file.close().await;
    }
}

/// Part 2, "io_uring fast path (`aio::buf`, `aio::net`, `aio::fs`)".
mod io_uring_fast_path {
    use super::*;
    use aio::buf::{BufPool, FixedBuf, FixedBufPool, PooledBuf};

    fn pools() -> io::Result<()> {
        // `BufPool::new(count: u16, size: usize) -> io::Result<BufPool>`;
        // `Clone` is a cheap handle.
        let pool: io::Result<BufPool> = BufPool::new(64u16, 4096usize);
        assert_clone::<BufPool>();
        // `FixedBufPool::new(count: u16, size: usize) -> io::Result<FixedBufPool>`,
        // `pool.get() -> Option<FixedBuf>`
        let fixed: FixedBufPool = FixedBufPool::new(16u16, 4096usize)?;
        let buf: Option<FixedBuf> = fixed.get();
        Ok(())
    }

    fn buffers(pooled: &PooledBuf) {
        // `PooledBuf`: `Deref<Target = [u8]>`, `IoBuf`, `len()`, `is_empty()`
        assert_deref_bytes::<PooledBuf>();
        assert_io_buf::<PooledBuf>();
        let len: usize = pooled.len();
        let empty: bool = pooled.is_empty();
        // `FixedBuf`: `IoBuf + IoBufMut + Deref<Target = [u8]>`
        assert_io_buf::<FixedBuf>();
        assert_io_buf_mut::<FixedBuf>();
        assert_deref_bytes::<FixedBuf>();
    }

    // On `TcpStream`, `UnixStream` and both read halves:
    // `recv_pooled(&mut self, pool: &BufPool) -> io::Result<Option<PooledBuf>>`
    // and `recv_multi(&mut self, pool: &BufPool) -> RecvMulti<'_>`, a
    // `futures_core::Stream<Item = io::Result<PooledBuf>>`.
    async fn receive_pooled(
        tcp: &mut TcpStream,
        unix: &mut UnixStream,
        tcp_half: &mut aio::net::OwnedReadHalf,
        unix_half: &mut aio::net::unix::OwnedReadHalf,
        pool: &BufPool,
    ) {
        let one: io::Result<Option<PooledBuf>> = tcp.recv_pooled(pool).await;
        let multi: aio::buf::RecvMulti<'_> = tcp.recv_multi(pool);
        assert_stream_item::<_, io::Result<PooledBuf>>(&multi);

        let one: io::Result<Option<PooledBuf>> = unix.recv_pooled(pool).await;
        let multi: aio::buf::RecvMulti<'_> = unix.recv_multi(pool);
        assert_stream_item::<_, io::Result<PooledBuf>>(&multi);

        let one: io::Result<Option<PooledBuf>> = tcp_half.recv_pooled(pool).await;
        let multi: aio::buf::RecvMulti<'_> = tcp_half.recv_multi(pool);
        assert_stream_item::<_, io::Result<PooledBuf>>(&multi);

        let one: io::Result<Option<PooledBuf>> = unix_half.recv_pooled(pool).await;
        let multi: aio::buf::RecvMulti<'_> = unix_half.recv_multi(pool);
        assert_stream_item::<_, io::Result<PooledBuf>>(&multi);
    }

    async fn udp_pooled(socket: &UdpSocket, pool: &BufPool) {
        // `recv_from_pooled(&self, pool) -> io::Result<(PooledBuf, SocketAddr)>`
        let received: io::Result<(PooledBuf, SocketAddr)> = socket.recv_from_pooled(pool).await;
    }

    async fn zero_copy(
        stream: &mut TcpStream,
        half: &mut aio::net::OwnedWriteHalf,
        socket: &UdpSocket,
        addr: SocketAddr,
    ) {
        // `send_zc<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B>` on
        // `TcpStream` and `OwnedWriteHalf`
        let sent: BufResult<usize, Vec<u8>> = stream.send_zc::<Vec<u8>>(vec![1u8]).await;
        let sent: BufResult<usize, Vec<u8>> = half.send_zc::<Vec<u8>>(vec![1u8]).await;
        // `send_to_zc(&self, buf, addr)` on `UdpSocket`
        let (res, buf): (io::Result<_>, Vec<u8>) = socket.send_to_zc(vec![1u8], addr).await;
    }

    async fn registered(
        file: &aio::fs::File,
        stream: &mut TcpStream,
        a: FixedBuf,
        b: FixedBuf,
        c: FixedBuf,
        d: FixedBuf,
    ) {
        // `File::read_fixed_at(buf, pos)`, `File::write_fixed_at(buf, pos)`
        let (res, a): (io::Result<_>, FixedBuf) = file.read_fixed_at(a, 0).await;
        let (res, b): (io::Result<_>, FixedBuf) = file.write_fixed_at(b, 0).await;
        // `TcpStream::read_fixed(buf)`, `TcpStream::write_fixed(buf)`
        let (res, c): (io::Result<_>, FixedBuf) = stream.read_fixed(c).await;
        let (res, d): (io::Result<_>, FixedBuf) = stream.write_fixed(d).await;
    }
}

/// Part 2, "Ecosystem bridge (`aio::compat`, `aio::tls`; cargo features)".
#[cfg(any(feature = "tokio-io", feature = "futures-io", feature = "hyper"))]
mod ecosystem_bridge_compat {
    use super::*;
    use aio::compat::Compat;

    fn compat(stream: TcpStream) {
        // `Compat::new(t)`, `get_ref`, `get_mut`, `into_inner`
        let mut compat: Compat<TcpStream> = Compat::new(stream);
        let inner: &TcpStream = compat.get_ref();
        let inner = compat.get_mut();
        let stream: TcpStream = compat.into_inner();
    }

    // Feature `tokio-io`: `Compat<T>` implements `tokio::io::AsyncRead +
    // AsyncWrite`. DESIGN.md says for any `T: AsyncReadRent + AsyncWriteRent`;
    // the library's way: for `T: io::AsyncRentDuplex` (TcpStream, UnixStream,
    // the TLS streams), because the poll-based traits keep a read and a write
    // in flight at once (hyper's HTTP/2 does), which `&mut self` rent I/O
    // cannot.
    #[cfg(feature = "tokio-io")]
    fn tokio_io() {
        fn tokio_traits<T: tokio::io::AsyncRead + tokio::io::AsyncWrite>() {}
        tokio_traits::<Compat<TcpStream>>();
        tokio_traits::<Compat<UnixStream>>();
    }

    // Feature `futures-io`: the same type also implements
    // `futures_io::AsyncRead + AsyncWrite`.
    #[cfg(feature = "futures-io")]
    fn futures_io() {
        fn futures_traits<T: futures_util::io::AsyncRead + futures_util::io::AsyncWrite>() {}
        futures_traits::<Compat<TcpStream>>();
        futures_traits::<Compat<UnixStream>>();
    }

    // Feature `hyper`: `Compat` implements `hyper::rt::Read + Write`;
    // `aio::compat::{HyperExecutor, HyperTimer}` implement
    // `hyper::rt::Executor<F>` for `F: Future + 'static` (no `Send`) and
    // `hyper::rt::Timer`, both `Clone + Default`, with `new()`.
    #[cfg(feature = "hyper")]
    fn hyper() {
        use aio::compat::{HyperExecutor, HyperTimer};

        fn hyper_io<T: hyper::rt::Read + hyper::rt::Write>() {}
        hyper_io::<Compat<TcpStream>>();
        hyper_io::<Compat<UnixStream>>();

        // For every `F: Future + 'static`: no `Send` (nor `Output`) bound.
        fn executor<F: Future + 'static>() {
            fn executes<E: hyper::rt::Executor<F>, F>() {}
            executes::<HyperExecutor, F>();
        }
        fn timer<T: hyper::rt::Timer>() {}
        timer::<HyperTimer>();

        assert_clone::<HyperExecutor>();
        assert_default::<HyperExecutor>();
        assert_clone::<HyperTimer>();
        assert_default::<HyperTimer>();
        let executor: HyperExecutor = HyperExecutor::new();
        let timer: HyperTimer = HyperTimer::new();
    }
}

/// Part 2, "Ecosystem bridge": feature `rustls`.
#[cfg(feature = "rustls")]
mod ecosystem_bridge_tls {
    use super::*;
    use aio::tls::rustls;
    use aio::tls::{TlsAcceptor, TlsConnector, TlsStream};
    use std::sync::Arc;

    async fn tls<S: AsyncReadRent + AsyncWriteRent>(
        server: Arc<rustls::ServerConfig>,
        client: Arc<rustls::ClientConfig>,
        server_name: rustls::pki_types::ServerName<'static>,
        incoming: S,
        outgoing: S,
    ) -> io::Result<()> {
        // `TlsAcceptor::from(Arc<rustls::ServerConfig>)`,
        // `acceptor.accept(stream).await -> io::Result<TlsStream<S>>`
        let acceptor: TlsAcceptor = TlsAcceptor::from(server);
        let accepted: io::Result<TlsStream<S>> = acceptor.accept(incoming).await;
        // `TlsConnector::from(Arc<rustls::ClientConfig>)`,
        // `connector.connect(server_name: rustls::pki_types::ServerName<'static>, stream).await`
        let connector: TlsConnector = TlsConnector::from(client);
        let connected = connector.connect(server_name, outgoing).await?;
        // `get_ref() -> (&S, &rustls::CommonState)`
        let (stream, state): (&S, &rustls::CommonState) = connected.get_ref();
        Ok(())
    }

    fn tls_stream_is_rent_io<S: AsyncReadRent + AsyncWriteRent>() {
        // `TlsStream<S>: AsyncReadRent + AsyncWriteRent`
        assert_rent::<TlsStream<S>>();
    }
}

/// Part 2, "System services (`aio::signal`, `aio::process`, more I/O)".
mod system_services {
    use super::*;
    use aio::fs::File;
    use aio::io::{PipeReader, PipeWriter};
    use aio::process::{
        Child, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus, Output, Stdio,
    };
    use aio::signal::unix::{signal, Signal, SignalKind};

    async fn signals() -> io::Result<()> {
        // `aio::signal::ctrl_c() -> impl Future<Output = io::Result<()>>`
        let ctrl_c = aio::signal::ctrl_c();
        assert_future::<_, io::Result<()>>(&ctrl_c);
        // `signal(SignalKind::hangup()) -> io::Result<Signal>`
        let listener: io::Result<Signal> = signal(SignalKind::hangup());
        let mut listener: Signal = listener?;
        // `Signal::recv(&mut self).await -> Option<()>`, also a `Stream`
        let delivered: Option<()> = listener.recv().await;
        assert_stream(&listener);
        // `SignalKind::{interrupt, terminate, hangup, user_defined1,
        // user_defined2, child, from_raw(i32)}`
        let kinds: [SignalKind; 7] = [
            SignalKind::interrupt(),
            SignalKind::terminate(),
            SignalKind::hangup(),
            SignalKind::user_defined1(),
            SignalKind::user_defined2(),
            SignalKind::child(),
            SignalKind::from_raw(libc::SIGWINCH),
        ];
        Ok(())
    }

    async fn process() -> io::Result<()> {
        // std's builder shape
        let mut command: Command = Command::new("true");
        command
            .arg("-v")
            .args(["a", "b"])
            .env("KEY", "value")
            .env_clear()
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        // `spawn() -> io::Result<Child>`, `status().await`, `output().await`
        let child: io::Result<Child> = command.spawn();
        let status: io::Result<ExitStatus> = command.status().await;
        let output: io::Result<Output> = command.output().await;

        let mut child: Child = child?;
        // Deliberate: `Child::id()` returns `Option<u32>` (None once reaped).
        let id: Option<u32> = child.id();
        // `Child::{wait().await, try_wait, kill().await, start_kill}`
        let waited: io::Result<ExitStatus> = child.wait().await;
        let tried: io::Result<Option<ExitStatus>> = child.try_wait();
        let killed: io::Result<()> = child.kill().await;
        let started: io::Result<()> = child.start_kill();
        // `child.stdin.take()` etc.
        let stdin: Option<ChildStdin> = child.stdin.take();
        let stdout: Option<ChildStdout> = child.stdout.take();
        let stderr: Option<ChildStderr> = child.stderr.take();
        Ok(())
    }

    fn pipes_are_rent_io() {
        // The pipes implement the rent traits.
        assert_write_rent::<ChildStdin>();
        assert_read_rent::<ChildStdout>();
        assert_read_rent::<ChildStderr>();
    }

    async fn more_io(stream: &mut TcpStream, file: &File) -> io::Result<()> {
        // `aio::io::pipe() -> io::Result<(PipeReader, PipeWriter)>`, both
        // ends implementing the rent traits
        let pipe: io::Result<(PipeReader, PipeWriter)> = aio::io::pipe();
        let (mut reader, mut writer) = pipe?;
        assert_read_rent::<PipeReader>();
        assert_write_rent::<PipeWriter>();
        // `aio::io::copy(&mut reader, &mut writer).await -> io::Result<u64>`
        let copied: io::Result<u64> = aio::io::copy(&mut reader, &mut writer).await;
        // `aio::io::splice<A: AsFd, B: AsFd>(from: &A, to: &B, len: usize)
        // .await -> io::Result<usize>`
        let spliced: io::Result<usize> =
            aio::io::splice::<PipeReader, TcpStream>(&reader, stream, 4096usize).await;
        // `TcpStream::sendfile(&mut self, file: &File, offset: u64, len:
        // usize).await -> io::Result<usize>`
        let sent: io::Result<usize> = stream.sendfile(file, 0u64, 4096usize).await;
        Ok(())
    }

    async fn batched_udp(socket: &UdpSocket, addr: SocketAddr) {
        // `UdpSocket::recv_from_many<B: IoBufMut>(&self, bufs: Vec<B>) ->
        // BufResult<Vec<(usize, SocketAddr)>, Vec<B>>`
        let received: BufResult<Vec<(usize, SocketAddr)>, Vec<Vec<u8>>> = socket
            .recv_from_many::<Vec<u8>>(vec![Vec::with_capacity(1500)])
            .await;
        // `send_to_many<B: IoBuf>(&self, msgs: Vec<(B, SocketAddr)>) ->
        // BufResult<usize, Vec<(B, SocketAddr)>>`
        let sent: BufResult<usize, Vec<(Vec<u8>, SocketAddr)>> = socket
            .send_to_many::<Vec<u8>>(vec![(vec![1u8], addr)])
            .await;
    }

    async fn fds(stream: &mut UnixStream, fd: BorrowedFd<'_>) {
        // `UnixStream::send_with_fds(buf, fds: &[BorrowedFd<'_>])`
        let fds: &[BorrowedFd<'_>] = &[fd];
        let (res, buf): (io::Result<_>, Vec<u8>) = stream.send_with_fds(vec![1u8], fds).await;
        // `recv_with_fds(buf, max_fds) -> BufResult<(usize, Vec<OwnedFd>), B>`
        let received: BufResult<(usize, Vec<OwnedFd>), Vec<u8>> =
            stream.recv_with_fds(Vec::with_capacity(64), 4).await;
    }

    async fn fs(path: &Path, to: &Path, file: &File) -> io::Result<()> {
        use aio::fs::{DirEntry, ReadDir};
        // `read_dir(path).await -> io::Result<ReadDir>` (`ReadDir:
        // Stream<Item = io::Result<DirEntry>>`)
        let dir: io::Result<ReadDir> = aio::fs::read_dir(path).await;
        assert_stream_item::<_, io::Result<DirEntry>>(&dir?);
        // `File::set_len`, `File::statx`-backed `metadata`
        file.set_len(0).await?;
        let metadata = file.metadata().await?;
        // `copy`, `hard_link`, `symlink`, `remove_dir_all`, `canonicalize`
        let copied = aio::fs::copy(path, to).await?;
        aio::fs::hard_link(path, to).await?;
        aio::fs::symlink(path, to).await?;
        aio::fs::remove_dir_all(path).await?;
        let canonical = aio::fs::canonicalize(path).await?;
        Ok(())
    }

    fn dir_entry(entry: &aio::fs::DirEntry) {
        // `DirEntry::{file_name, path, file_type}`
        let name = entry.file_name();
        let path = entry.path();
        let kind = entry.file_type();
    }
}

/// Part 2, "Observability (`aio::metrics`)".
mod observability {
    use super::*;
    use aio::metrics::{RuntimeMetrics, SlowPoll};

    fn metrics(rt: &Runtime) {
        // `Runtime::metrics(&self) -> aio::metrics::RuntimeMetrics` and
        // `aio::metrics::current() -> RuntimeMetrics`
        let snapshot: RuntimeMetrics = rt.metrics();
        let current: RuntimeMetrics = aio::metrics::current();
        // A plain snapshot (`Copy`), counters since start.
        assert_copy::<RuntimeMetrics>();
        let counters = [
            snapshot.tasks_spawned,
            snapshot.tasks_alive,
            snapshot.polls,
            snapshot.budget_yields,
            snapshot.ops_submitted,
            snapshot.ops_completed,
            snapshot.ops_cancelled,
            snapshot.ops_in_flight,
            snapshot.driver_turns,
            snapshot.driver_syscalls,
            snapshot.cq_overflows,
            snapshot.remote_wakes,
            snapshot.timers_active,
            snapshot.blocking_threads,
            snapshot.blocking_queue_depth,
            snapshot.slow_polls,
        ];
    }

    fn slow_polls() {
        // `RuntimeBuilder::slow_poll_threshold(Duration)` (`Duration::ZERO`
        // disables) and `RuntimeBuilder::on_slow_poll(|info:
        // &aio::metrics::SlowPoll| ..)`
        let builder: RuntimeBuilder = RuntimeBuilder::new()
            .slow_poll_threshold(Duration::from_millis(100))
            .slow_poll_threshold(Duration::ZERO)
            .on_slow_poll(|info: &SlowPoll| {
                let _: &SlowPoll = info;
            });
    }
}

/// Part 2, "Ergonomics (what a tokio user reaches for)".
mod ergonomics {
    use super::*;
    use aio::cores::{CoreId, Cores, MeshEnd};

    async fn timeouts<R: AsyncReadRent>(reader: &mut R, socket: &UdpSocket) {
        // `AsyncReadRentExt::read_timeout(buf, dur) -> BufResult<usize, B>`
        let read: BufResult<usize, Vec<u8>> =
            AsyncReadRentExt::read_timeout(reader, Vec::with_capacity(64), Duration::from_secs(1))
                .await;
        // `UdpSocket::recv_from_timeout(buf, dur) -> BufResult<(usize, SocketAddr), B>`
        let received: BufResult<(usize, SocketAddr), Vec<u8>> = socket
            .recv_from_timeout(Vec::with_capacity(64), Duration::from_secs(1))
            .await;
    }

    fn join_error() {
        // `JoinError: Send + Sync`; `From<JoinError> for io::Error`.
        assert_send::<JoinError>();
        assert_sync::<JoinError>();
        fn convert(err: JoinError) -> io::Error {
            io::Error::from(err)
        }
        async fn question_mark(handle: JoinHandle<u32>) -> io::Result<u32> {
            Ok(handle.await?)
        }
    }

    async fn buf_reader(stream: TcpStream) -> io::Result<()> {
        use aio::io::BufReader;
        // `aio::io::BufReader<R>` (`new`, `with_capacity`, `read_line(&mut
        // String)`, `read_until(u8, &mut Vec<u8>)`, `lines()` a
        // `Stream<Item = io::Result<String>>`, `into_inner`; itself
        // `AsyncReadRent`)
        let mut reader: BufReader<TcpStream> = BufReader::new(stream);
        let mut line = String::new();
        let n = reader.read_line(&mut line).await?;
        let mut bytes: Vec<u8> = Vec::new();
        let n = reader.read_until(b'\n', &mut bytes).await?;
        let stream: TcpStream = reader.into_inner();
        let reader: BufReader<TcpStream> = BufReader::with_capacity(8192, stream);
        // The library's way: a `Stream` for `R: 'static` (the read in flight
        // owns the reader between polls).
        assert_stream_item::<_, io::Result<String>>(&reader.lines());
        Ok(())
    }

    fn buf_reader_is_rent_io<R: AsyncReadRent>() {
        assert_read_rent::<aio::io::BufReader<R>>();
    }

    async fn buf_writer(stream: TcpStream) -> io::Result<()> {
        use aio::io::BufWriter;
        // `aio::io::BufWriter<W>` (`new`, `with_capacity`, `AsyncWriteRent`,
        // `flush` writes through, `into_inner`)
        let mut writer: BufWriter<TcpStream> = BufWriter::new(stream);
        writer.flush().await?;
        let stream = writer.into_inner().await?;
        let writer: BufWriter<TcpStream> = BufWriter::with_capacity(8192, stream);
        Ok(())
    }

    fn buf_writer_is_rent_io<W: AsyncWriteRent>() {
        assert_write_rent::<aio::io::BufWriter<W>>();
    }

    async fn join_set() {
        use aio::task::JoinSet;
        // `aio::task::JoinSet<T>`: `new`, `spawn`, `join_next().await ->
        // Option<Result<T, JoinError>>`, `len`, `is_empty`, `abort_all`
        let mut set: JoinSet<u32> = JoinSet::new();
        set.spawn(async { 1u32 });
        let next: Option<Result<u32, JoinError>> = set.join_next().await;
        let len: usize = set.len();
        let empty: bool = set.is_empty();
        set.abort_all();
    }

    async fn future_combinators() {
        use aio::future::{join, select, Either};
        // `join(a, b).await -> (A, B)`
        let both: (u32, &str) = join(async { 1u32 }, async { "b" }).await;
        // `select(a, b).await -> Either<A, B>`
        let first: Either<u32, &str> = select(async { 1u32 }, async { "b" }).await;
        match first {
            Either::Left(a) => {
                let a: u32 = a;
            }
            Either::Right(b) => {
                let b: &str = b;
            }
        }
    }

    async fn core_local_channels() {
        use aio::sync::{broadcast, watch, Barrier};
        // `broadcast::channel(cap)`, `Sender::send -> Result<usize, _>`,
        // `subscribe`, `Receiver::recv().await -> Result<T, RecvError>` with
        // `RecvError::{Lagged(u64), Closed}`
        let (tx, mut rx): (broadcast::Sender<u32>, broadcast::Receiver<u32>) =
            broadcast::channel(16);
        let sent: Result<usize, _> = tx.send(1);
        let mut rx2: broadcast::Receiver<u32> = tx.subscribe();
        let got: Result<u32, broadcast::RecvError> = rx.recv().await;
        if let Err(err) = got {
            match err {
                broadcast::RecvError::Lagged(skipped) => {
                    let skipped: u64 = skipped;
                }
                broadcast::RecvError::Closed => {}
            }
        }
        // `watch::channel(v)`, `send`, `borrow`, `changed().await`
        let (tx, mut rx): (watch::Sender<u32>, watch::Receiver<u32>) = watch::channel(0u32);
        let sent = tx.send(1);
        let seen: u32 = *rx.borrow();
        let changed = rx.changed().await;
        // `Barrier::new(n)`, `wait().await` with `is_leader()`
        let barrier: Barrier = Barrier::new(2);
        let leader: bool = barrier.wait().await.is_leader();
    }

    async fn cross_core_broadcast() {
        use aio::cores::broadcast::{Receiver, RecvError, Sender};
        // `aio::cores::broadcast::<T: Clone + Send>(cap)` with the same
        // shape, `Sender: Clone + Send`, `Receiver: Send`
        let (tx, mut rx): (Sender<u32>, Receiver<u32>) = aio::cores::broadcast::<u32>(16);
        assert_clone::<Sender<u32>>();
        assert_send::<Sender<u32>>();
        assert_send::<Receiver<u32>>();
        let sent: Result<usize, _> = tx.send(1);
        let rx2: Receiver<u32> = tx.subscribe();
        let got: Result<u32, RecvError> = rx.recv().await;
    }

    fn per_core_values(cores: &Cores) {
        // `Cores::run_with(values: Vec<V>, |core, v| async move { .. })`
        // (`V: Send`, one per core, core order)
        let values: Vec<String> = vec![String::from("a"), String::from("b")];
        let results: io::Result<Vec<usize>> =
            cores.run_with(values, |core: CoreId, v: String| async move {
                let _: CoreId = core;
                v.len()
            });
    }

    fn mesh() {
        // `aio::cores::mesh::<T: Send>(cores, capacity) -> Vec<MeshEnd<T>>`
        // where `MeshEnd { inbox: Receiver<T>, peers: Vec<Sender<T>> }`
        // (exactly these fields: the pattern names them all).
        let ends: Vec<MeshEnd<u32>> = aio::cores::mesh::<u32>(4, 64);
        for end in ends {
            let MeshEnd { inbox, peers } = end;
            let inbox: aio::cores::Receiver<u32> = inbox;
            let peers: Vec<aio::cores::Sender<u32>> = peers;
        }
    }

    // Moving a connection between cores: every socket type implements
    // `AsFd`, `AsRawFd`, `IntoRawFd` and has `into_std()`; `from_std` on the
    // other core.
    fn fd_traits() {
        assert_fd::<TcpListener>();
        assert_fd::<TcpStream>();
        assert_fd::<UdpSocket>();
        assert_fd::<UnixListener>();
        assert_fd::<UnixStream>();
        assert_fd::<UnixDatagram>();
    }

    fn hand_off(
        tcp_listener: TcpListener,
        tcp: TcpStream,
        udp: UdpSocket,
        unix_listener: UnixListener,
        unix: UnixStream,
        datagram: UnixDatagram,
    ) -> io::Result<()> {
        let tcp_listener: TcpListener = TcpListener::from_std(tcp_listener.into_std()?)?;
        let tcp: TcpStream = TcpStream::from_std(tcp.into_std()?)?;
        let udp: UdpSocket = UdpSocket::from_std(udp.into_std()?)?;
        let unix_listener: UnixListener = UnixListener::from_std(unix_listener.into_std()?)?;
        let unix: UnixStream = UnixStream::from_std(unix.into_std()?)?;
        let datagram: UnixDatagram = UnixDatagram::from_std(datagram.into_std()?)?;
        Ok(())
    }

    async fn tcp_extras(
        mut stream: TcpStream,
        addr: SocketAddr,
        socket: &UdpSocket,
    ) -> io::Result<()> {
        // `TcpStream::split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>)`
        let (read, write): (aio::net::ReadHalf<'_>, aio::net::WriteHalf<'_>) = stream.split();
        // `OwnedReadHalf::reunite(self, OwnedWriteHalf) -> Result<TcpStream, ReuniteError>`
        let (read, write) = stream.into_split();
        let reunited: Result<TcpStream, aio::net::ReuniteError> = read.reunite(write);
        // `TcpStream::connect_timeout(addr, dur)` (same `addr` as `connect`)
        let stream: io::Result<TcpStream> =
            TcpStream::connect_timeout(addr, Duration::from_secs(1)).await;
        let stream: io::Result<TcpStream> =
            TcpStream::connect_timeout("localhost:80", Duration::from_secs(1)).await;
        // `UdpSocket::send_to` accepts a name as well as a `SocketAddr`.
        let sent: BufResult<usize, Vec<u8>> = socket.send_to(vec![1u8], "localhost:53").await;
        Ok(())
    }

    // `aio::prelude::*` brings the rent traits, their `Ext` traits and
    // `aio::stream::StreamExt` (`next().await`, for `incoming()`,
    // `interval()`, `lines()`, `recv_multi`).
    mod prelude {
        use aio::prelude::*;
        use std::io;
        use std::time::Duration;

        fn rent_traits<T: AsyncReadRent + AsyncWriteRent + AsyncReadRentExt + AsyncWriteRentExt>() {
        }

        async fn next(
            listener: &aio::net::TcpListener,
            stream: aio::net::TcpStream,
            other: &mut aio::net::TcpStream,
            pool: &aio::buf::BufPool,
        ) {
            rent_traits::<aio::net::TcpStream>();
            let accepted: Option<io::Result<(aio::net::TcpStream, std::net::SocketAddr)>> =
                listener.incoming().next().await;
            let tick = aio::time::interval(Duration::from_millis(1)).next().await;
            let line: Option<io::Result<String>> =
                aio::io::BufReader::new(stream).lines().next().await;
            let chunk: Option<io::Result<aio::buf::PooledBuf>> =
                other.recv_multi(pool).next().await;
        }

        fn same_stream_ext<S: aio::stream::StreamExt>() {
            fn via_prelude<T: StreamExt>() {}
            via_prelude::<S>();
        }
    }

    // `#[aio::main(threads = "all")]`
    #[aio::main(threads = "all")]
    async fn main() {}
}
