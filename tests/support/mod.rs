//! Helpers shared by the integration tests (`mod support;`): buffers that
//! record when they are dropped, descriptor counting, a lock for tests that
//! need the process to themselves, per-driver runtimes, child processes.
//!
//! Each test binary uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

#[cfg(feature = "hyper")]
pub mod h2;
pub mod seccomp;

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::io;
use std::os::fd::RawFd;
use std::pin::{pin, Pin};
use std::process::Command;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;
use std::time::{Duration, Instant};

use aio::buf::{IoBuf, IoBufMut};

// ---------------------------------------------------------------------------
// Buffers that record their drop
// ---------------------------------------------------------------------------

/// What happened, in order, during a cancellation test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A `TrackedBuf` was dropped (its memory freed right after).
    BufDropped(u32),
    /// A `TrackedBuf` was dropped with bytes written past what the runtime
    /// reported (`set_init`): something wrote into it behind the op's back.
    Scribbled(u32),
    /// A marker the test pushed itself (e.g. "the timeout returned").
    Mark(&'static str),
}

/// A shared, single-threaded event log.
pub type Log = Rc<RefCell<Vec<Event>>>;

pub fn new_log() -> Log {
    Rc::new(RefCell::new(Vec::new()))
}

pub fn mark(log: &Log, what: &'static str) {
    log.borrow_mut().push(Event::Mark(what));
}

/// How many times `event` is in the log.
pub fn occurrences(log: &Log, event: Event) -> usize {
    log.borrow().iter().filter(|e| **e == event).count()
}

/// Position of `event` in the log, if it is there.
pub fn position(log: &Log, event: Event) -> Option<usize> {
    log.borrow().iter().position(|e| *e == event)
}

/// A fixed-size heap buffer that pushes `Event::BufDropped(id)` into its log
/// when dropped. As `IoBufMut` its writable region is `[filled, capacity)`
/// like a `Vec`; as `IoBuf` it exposes `[0, filled)`.
pub struct TrackedBuf {
    mem: Box<[u8]>,
    filled: usize,
    id: u32,
    log: Log,
}

impl TrackedBuf {
    /// A zero-filled buffer of `capacity` bytes with nothing initialized
    /// (`filled == 0`): ready to be read into.
    pub fn empty(log: &Log, id: u32, capacity: usize) -> TrackedBuf {
        TrackedBuf {
            mem: vec![0; capacity].into_boxed_slice(),
            filled: 0,
            id,
            log: log.clone(),
        }
    }

    /// A buffer holding `data` (all initialized): ready to be written out.
    pub fn full(log: &Log, id: u32, data: Vec<u8>) -> TrackedBuf {
        let filled = data.len();
        TrackedBuf {
            mem: data.into_boxed_slice(),
            filled,
            id,
            log: log.clone(),
        }
    }

    pub fn filled(&self) -> &[u8] {
        &self.mem[..self.filled]
    }
}

impl Drop for TrackedBuf {
    fn drop(&mut self) {
        if self.mem[self.filled..].iter().any(|b| *b != 0) {
            self.log.borrow_mut().push(Event::Scribbled(self.id));
        }
        // Scribble over the memory before it is freed, so that a kernel
        // write landing after this point can't go unnoticed by a reader of
        // the same memory, and a kernel read sees garbage.
        self.mem.fill(0xDD);
        self.log.borrow_mut().push(Event::BufDropped(self.id));
    }
}

// SAFETY: `mem` is a boxed slice, so its address is stable when the
// `TrackedBuf` moves; `[0, filled)` is initialized (it was zero-filled).
unsafe impl IoBuf for TrackedBuf {
    fn read_ptr(&self) -> *const u8 {
        self.mem.as_ptr()
    }

    fn bytes_init(&self) -> usize {
        self.filled
    }
}

// SAFETY: the writable region `[filled, len)` lies inside the boxed slice,
// whose address is stable; `set_init` only grows `filled` within it.
unsafe impl IoBufMut for TrackedBuf {
    fn write_ptr(&mut self) -> *mut u8 {
        // SAFETY: filled <= len, so the pointer is in bounds (or one past).
        unsafe { self.mem.as_mut_ptr().add(self.filled) }
    }

    fn bytes_total(&self) -> usize {
        self.mem.len() - self.filled
    }

    unsafe fn set_init(&mut self, pos: usize) {
        assert!(
            pos <= self.mem.len() - self.filled,
            "set_init past the region"
        );
        self.filled += pos;
    }
}

/// A small read buffer whose drops are counted in a shared (thread-safe)
/// counter; for tests that check every buffer is freed exactly once.
pub struct CountedBuf {
    mem: Box<[u8]>,
    filled: usize,
    drops: Arc<AtomicUsize>,
}

impl CountedBuf {
    pub fn new(drops: &Arc<AtomicUsize>, capacity: usize) -> CountedBuf {
        CountedBuf {
            mem: vec![0; capacity].into_boxed_slice(),
            filled: 0,
            drops: drops.clone(),
        }
    }
}

impl Drop for CountedBuf {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

// SAFETY: as for TrackedBuf.
unsafe impl IoBuf for CountedBuf {
    fn read_ptr(&self) -> *const u8 {
        self.mem.as_ptr()
    }

    fn bytes_init(&self) -> usize {
        self.filled
    }
}

// SAFETY: as for TrackedBuf.
unsafe impl IoBufMut for CountedBuf {
    fn write_ptr(&mut self) -> *mut u8 {
        // SAFETY: filled <= len.
        unsafe { self.mem.as_mut_ptr().add(self.filled) }
    }

    fn bytes_total(&self) -> usize {
        self.mem.len() - self.filled
    }

    unsafe fn set_init(&mut self, pos: usize) {
        assert!(
            pos <= self.mem.len() - self.filled,
            "set_init past the region"
        );
        self.filled += pos;
    }
}

/// Counts its drops; put one in a task to see whether its future was dropped.
pub struct DropGuard(pub Arc<AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

// ---------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------

/// `len` pseudo-random bytes (xorshift), different for each `seed`, so that
/// a reordered, duplicated or dropped chunk shows up in a comparison.
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let bytes = x.to_le_bytes();
        let n = bytes.len().min(len - out.len());
        out.extend_from_slice(&bytes[..n]);
    }
    out
}

/// Index of the first differing byte, for assertion messages that don't
/// print megabytes.
pub fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .or(if a.len() == b.len() {
            None
        } else {
            Some(a.len().min(b.len()))
        })
}

// ---------------------------------------------------------------------------
// Descriptors and limits
// ---------------------------------------------------------------------------

/// Number of open descriptors of this process (entries of /proc/self/fd,
/// minus the one `read_dir` itself holds while listing).
pub fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("list /proc/self/fd")
        .count()
        - 1
}

/// Number of open sockets, pipes and files of this process: descriptors
/// other than `anon_inode:` ones (eventfd, io_uring, epoll), which are what
/// a runtime opens when it starts. A test that counts while holding
/// [`process_lock`] inside `#[aio::test]` uses this: another test's
/// runtime, created before its body waits on the lock, adds only those.
pub fn io_fd_count() -> usize {
    fd_listing()
        .iter()
        .filter(|(_, target)| !target.starts_with("anon_inode:") && !target.starts_with("/proc/"))
        .count()
}

/// The open descriptors of this process with what they point to, for
/// failure messages.
pub fn fd_listing() -> Vec<(RawFd, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc/self/fd")
        .expect("list /proc/self/fd")
        .flatten()
    {
        let fd: RawFd = entry.file_name().to_string_lossy().parse().unwrap_or(-1);
        let target = std::fs::read_link(entry.path())
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        out.push((fd, target));
    }
    out.sort();
    out
}

/// Fails with the open descriptors listed if the count isn't `before`.
pub fn assert_fds(before: usize, what: &str, listing_before: &[(RawFd, String)]) {
    let now = fd_count();
    if now != before {
        let after = fd_listing();
        let new: Vec<_> = after
            .iter()
            .filter(|e| !listing_before.contains(e))
            .collect();
        let gone: Vec<_> = listing_before
            .iter()
            .filter(|e| !after.contains(e))
            .collect();
        panic!(
            "{what}: {before} descriptors before, {now} after\n  new: {new:?}\n  gone: {gone:?}"
        );
    }
}

/// Waits (letting the runtime turn) for the descriptor count to come back
/// to `before`, then [`assert_fds`]: cancelled and reset operations release
/// their descriptors when their completions arrive, a turn or two later.
pub async fn settle(before: usize, what: &str, listing_before: &[(RawFd, String)]) {
    let start = Instant::now();
    while fd_count() != before && start.elapsed() < Duration::from_secs(3) {
        aio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_fds(before, what, listing_before);
}

/// Serialises the tests of a binary that count descriptors (or otherwise
/// need the process to themselves). Survives a poisoned lock, so that one
/// failing test doesn't fail the others.
pub fn process_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The current limit of `resource` (getrlimit(2)).
pub fn rlimit(resource: libc::__rlimit_resource_t) -> libc::rlimit {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into a valid rlimit.
    let rc = unsafe { libc::getrlimit(resource, &mut lim) };
    assert_eq!(rc, 0, "getrlimit: {}", std::io::Error::last_os_error());
    lim
}

/// setrlimit(2) of `resource`; panics with the errno on failure.
pub fn set_rlimit(resource: libc::__rlimit_resource_t, lim: libc::rlimit) {
    // SAFETY: setrlimit reads a valid rlimit.
    assert_eq!(
        unsafe { libc::setrlimit(resource, &lim) },
        0,
        "setrlimit: {}",
        std::io::Error::last_os_error()
    );
}

/// Sets the soft limit of `resource` to `soft` (at most the hard one,
/// which stays); returns the previous soft limit.
pub fn set_soft_rlimit(resource: libc::__rlimit_resource_t, soft: libc::rlim_t) -> libc::rlim_t {
    let mut lim = rlimit(resource);
    let previous = lim.rlim_cur;
    lim.rlim_cur = soft.min(lim.rlim_max);
    set_rlimit(resource, lim);
    previous
}

/// Raises the soft RLIMIT_NOFILE to at least `want` (up to the hard limit)
/// and returns the soft limit in effect.
pub fn raise_nofile(want: u64) -> u64 {
    let mut lim = rlimit(libc::RLIMIT_NOFILE);
    if lim.rlim_cur < want {
        lim.rlim_cur = want.min(lim.rlim_max);
        set_rlimit(libc::RLIMIT_NOFILE, lim);
    }
    lim.rlim_cur
}

/// setsockopt(2) of a plain-data `value` on `fd`; panics on failure,
/// naming `what`.
pub fn set_sockopt<T: Copy>(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: T,
    what: &str,
) {
    // SAFETY: passes a pointer to a live T and its exact size.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const T).cast(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "{what}: {}", io::Error::last_os_error());
}

/// An integer socket option, read with getsockopt(2).
pub fn sockopt_int(fd: RawFd, level: libc::c_int, name: libc::c_int) -> libc::c_int {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `value`.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            level,
            name,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    assert_eq!(
        rc,
        0,
        "getsockopt({level}, {name}) on fd {fd}: {}",
        io::Error::last_os_error()
    );
    value
}

/// CPU time (user + system, all threads) this process has used.
pub fn cpu_time() -> Duration {
    // SAFETY: rusage is plain data; getrusage fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer to a rusage.
    assert_eq!(
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) },
        0,
        "getrusage"
    );
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// CPU time (user + system) the calling thread has used.
pub fn thread_cpu_time() -> Duration {
    // SAFETY: rusage is plain data; getrusage fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer to a rusage.
    assert_eq!(
        unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) },
        0,
        "getrusage"
    );
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

// ---------------------------------------------------------------------------
// Runtimes
// ---------------------------------------------------------------------------

/// The drivers a test that builds its own runtimes should cover, chosen
/// the way `#[aio::test]` chooses them: `AIO_DRIVER=uring|epoll` narrows to
/// one; otherwise io_uring (where it can start) and epoll.
pub fn drivers() -> Vec<aio::Driver> {
    match std::env::var("AIO_DRIVER").ok().as_deref().map(str::trim) {
        Some("uring") | Some("io_uring") | Some("iouring") => return vec![aio::Driver::IoUring],
        Some("epoll") => return vec![aio::Driver::Epoll],
        _ => {}
    }
    let mut out = Vec::new();
    match aio::RuntimeBuilder::new()
        .driver(aio::Driver::IoUring)
        .build()
    {
        Ok(rt) => {
            drop(rt);
            out.push(aio::Driver::IoUring);
        }
        Err(e) => eprintln!("io_uring cannot start here, testing epoll only: {e}"),
    }
    out.push(aio::Driver::Epoll);
    out
}

/// A runtime on `driver`.
#[track_caller]
pub fn runtime(driver: aio::Driver) -> aio::Runtime {
    aio::RuntimeBuilder::new()
        .driver(driver)
        .build()
        .unwrap_or_else(|e| panic!("failed to start a {driver:?} runtime: {e}"))
}

/// Whether the running runtime is io_uring (some guarantees are stronger
/// there: a dropped op's buffer outlives the kernel's asynchronous use).
pub fn on_uring() -> bool {
    aio::Driver::current() == aio::Driver::IoUring
}

/// Polls `fut` once; `Some(output)` if it completed.
pub async fn poll_once<F: Future + Unpin>(fut: &mut F) -> Option<F::Output> {
    poll_fn(|cx| {
        Poll::Ready(match Pin::new(&mut *fut).poll(cx) {
            Poll::Ready(v) => Some(v),
            Poll::Pending => None,
        })
    })
    .await
}

/// Yields to the runtime `n` times (lets spawned tasks run and the driver
/// turn).
pub async fn yield_times(n: usize) {
    for _ in 0..n {
        aio::task::yield_now().await;
    }
}

/// Waits (polling every millisecond, letting the runtime turn) until `cond`
/// holds; panics with `what` after `limit`.
pub async fn wait_until(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting until {what}"
        );
        aio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The next item of a `futures_core::Stream`.
pub async fn next<S: futures_core::Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

/// Runs `fut` with a deadline; panics naming `what` if it doesn't finish.
pub async fn within<F: Future>(limit: Duration, what: &str, fut: F) -> F::Output {
    match aio::time::timeout(limit, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what}: did not finish within {limit:?}"),
    }
}

/// Drives `fut` on the current runtime until it completes, a pinned helper
/// for futures that aren't `Unpin`.
pub async fn run_pinned<F: Future>(fut: F) -> F::Output {
    let fut = pin!(fut);
    fut.await
}

// ---------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------

/// The `Threads:` line of /proc/self/status.
pub fn thread_count() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("a Threads: line")
}

/// Whether `pid` is no longer a child of ours waiting to be reaped:
/// waitid(2) without reaping (`WNOWAIT`) says `ECHILD` once it has been
/// reaped.
pub fn reaped(pid: u32) -> bool {
    // SAFETY: an all-zero siginfo_t is a valid value for waitid to fill.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is a live siginfo_t; WNOWAIT leaves the child as it is.
    let rc = unsafe {
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    if rc == 0 {
        return false; // Still running, or a zombie.
    }
    let err = std::io::Error::last_os_error();
    assert_eq!(err.raw_os_error(), Some(libc::ECHILD), "waitid: {err}");
    true
}

/// The env var that tells a re-executed test binary to run a child body.
pub const CHILD_ENV: &str = "AIO_TEST_CHILD";

/// Whether this process is the child running `name`.
pub fn is_child(name: &str) -> bool {
    std::env::var(CHILD_ENV).map(|v| v == name).unwrap_or(false)
}

/// Re-executes this test binary to run only the test `name`, with
/// `CHILD_ENV=name`, and returns its exit status and combined output.
pub fn run_child(name: &str) -> (std::process::ExitStatus, String) {
    let exe = std::env::current_exe().expect("current_exe");
    let out = Command::new(exe)
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, name)
        .output()
        .expect("spawn the child test process");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status, text)
}

/// A unique path in the temp dir for a Unix socket (removed first if left
/// over).
pub fn temp_socket_path(tag: &str) -> std::path::PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("aio-{tag}-{}-{n}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// A unique abstract socket name (leading NUL).
pub fn abstract_name(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    format!("\0aio-{tag}-{}-{n}", std::process::id())
}

/// Drops CAP_IPC_LOCK from this thread: rings it then sets up charge
/// registered memory to RLIMIT_MEMLOCK (a root test run would otherwise be
/// exempt, and the limit untested).
pub fn drop_cap_ipc_lock() {
    #[repr(C)]
    struct CapHeader {
        version: u32,
        pid: libc::c_int,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct CapData {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const CAPABILITY_VERSION_3: u32 = 0x2008_0522;
    const CAP_IPC_LOCK: u32 = 14;
    let mut header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: capget(2) fills a version-3 header's two data structs.
    let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
    assert_eq!(rc, 0, "capget: {}", io::Error::last_os_error());
    data[0].effective &= !(1 << CAP_IPC_LOCK);
    data[0].permitted &= !(1 << CAP_IPC_LOCK);
    // SAFETY: capset(2) reads the header and two data structs.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
    assert_eq!(rc, 0, "capset: {}", io::Error::last_os_error());
}

/// A connected TCP pair on 127.0.0.1: `(client, accepted)`.
pub async fn tcp_pair() -> (aio::net::TcpStream, aio::net::TcpStream) {
    let listener = aio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let connect = aio::spawn(async move { aio::net::TcpStream::connect(addr).await.unwrap() });
    let (server, _) = listener.accept().await.unwrap();
    (connect.await.unwrap(), server)
}
