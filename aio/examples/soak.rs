//! Endurance: random mixes of everything a server does, on every core, with
//! runtimes restarted all along; at the end nothing may have leaked.
//!
//! ```text
//! cargo run --release --example soak -- --secs 60
//! cargo run --release --example soak -- --secs 3 --driver epoll   # CI's short run
//! ```
//!
//! One thread per core runs *epochs*: each builds a runtime, runs a random
//! mix of work for a random 0.2–1 s, and drops the runtime (a restart). The
//! mix, drawn per step by eight worker tasks per core:
//!
//! - TCP echo round trips of random sizes through the core's own echo
//!   server, every byte checked;
//! - reads from a silent peer dropped through `timeout`, or stopped by
//!   `cancel_after` (the buffer must come back);
//! - tasks parked in a read, aborted after a random number of yields;
//! - UDP batches (`send_to_many`/`recv_from_many`), every datagram checked;
//! - files written, read back, checked and removed;
//! - messages to the next core over `aio::cores::channel`, checked for
//!   loss, duplication and order per sender.
//!
//! At the end it checks, and prints: the open descriptor count is exactly
//! what it was before the first runtime; resident memory grew by less than
//! 5 MiB between the end of the first epoch and the end (after 1M+
//! operations in a 60 s run); every echoed byte and message was right; and
//! each runtime's in-flight operation and live task counters were back to
//! zero when it was dropped. A failed check exits with status 1.

use std::cell::{Cell, RefCell};
use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use aio::cores::{Receiver, Sender};
use aio::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRentExt};
use aio::net::{TcpListener, TcpStream, UdpSocket};
use aio::Driver;

const USAGE: &str = "usage: soak [--secs S] [--cores N] [--driver auto|uring|epoll]
  --secs S     how long to run (default 60)
  --cores N    threads, one runtime each (default: every CPU)
  --driver D   the backend (default auto)";

/// Worker tasks per core and epoch.
const WORKERS: usize = 8;
/// Most bytes in one echo message.
const MAX_ECHO: usize = 64 * 1024;
/// Allowed resident-memory growth.
const RSS_LIMIT: u64 = 5 << 20;

struct Args {
    secs: f64,
    cores: usize,
    driver: Driver,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        secs: 60.0,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        driver: Driver::Auto,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "--secs" => {
                let v = value("--secs")?;
                args.secs = v
                    .parse()
                    .map_err(|_| format!("--secs: not a number: {v:?}"))?;
            }
            "--cores" => {
                let v = value("--cores")?;
                args.cores = v
                    .parse()
                    .map_err(|_| format!("--cores: not a number: {v:?}"))?;
            }
            "--driver" => {
                args.driver = match value("--driver")?.as_str() {
                    "auto" => Driver::Auto,
                    "uring" => Driver::IoUring,
                    "epoll" => Driver::Epoll,
                    other => return Err(format!("--driver: auto, uring or epoll, not {other:?}")),
                }
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown flag {other:?}")),
        }
    }
    if args.cores == 0 || args.secs.is_nan() || args.secs <= 0.0 {
        return Err("--cores and --secs must be positive".into());
    }
    Ok(args)
}

/// xorshift64*: a small, seedable generator (no dependency needed here).
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let seed = self.next();
        (0..len)
            .map(|i| (seed.rotate_left(i as u32 % 64) as u8) ^ (i as u8))
            .collect()
    }
}

/// Counters shared by every core.
#[derive(Default)]
struct Totals {
    ops: AtomicU64,
    echo_bytes: AtomicU64,
    dropped_reads: AtomicU64,
    cancelled_reads: AtomicU64,
    aborts: AtomicU64,
    datagrams: AtomicU64,
    file_bytes: AtomicU64,
    messages: AtomicU64,
    epochs: AtomicU64,
    /// Kernel operations the runtimes submitted (their metrics).
    ops_submitted: AtomicU64,
    /// Checks that failed (each also printed).
    failures: AtomicU64,
}

impl Totals {
    fn fail(&self, what: String) {
        eprintln!("soak: FAILED: {what}");
        self.failures.fetch_add(1, Relaxed);
    }
}

/// One cross-core message: who sent it and its number in that sender's
/// sequence to this receiver.
type Msg = (usize, u64);

/// A core's ends of the ring of channels: to the next core, from the
/// previous one.
struct Ring {
    to_next: Sender<Msg>,
    from_prev: Receiver<Msg>,
    /// The next sequence number to send.
    sent: u64,
    /// The next sequence number expected.
    expected: u64,
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("soak: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let totals = Arc::new(Totals::default());
    let fds_start = fd_count();
    let deadline = Instant::now() + Duration::from_secs_f64(args.secs);

    // A ring of channels, core i -> core i + 1.
    let mut senders = Vec::new();
    let mut receivers = Vec::new();
    for _ in 0..args.cores {
        let (tx, rx) = aio::cores::channel::<Msg>(1024);
        senders.push(tx);
        receivers.push(Some(rx));
    }
    let mut rings = Vec::new();
    for core in 0..args.cores {
        let prev = (core + args.cores - 1) % args.cores;
        rings.push(Ring {
            to_next: senders[(core + 1) % args.cores].clone(),
            from_prev: receivers[prev].take().expect("each receiver once"),
            sent: 0,
            expected: 0,
        });
    }
    drop(senders);

    // Every core finishes its first epoch, then the baseline RSS is read.
    let warm = Arc::new(Barrier::new(args.cores + 1));
    let drivers = Arc::new(Mutex::new(Vec::new()));
    let threads: Vec<_> = rings
        .into_iter()
        .enumerate()
        .map(|(core, ring)| {
            let totals = totals.clone();
            let warm = warm.clone();
            let drivers = drivers.clone();
            let driver = args.driver;
            std::thread::Builder::new()
                .name(format!("soak-{core}"))
                .spawn(move || {
                    run_core(core, driver, deadline, ring, &totals, &warm, &drivers);
                })
                .expect("start a core thread")
        })
        .collect();
    warm.wait();
    let rss_start = rss();
    for t in threads {
        if t.join().is_err() {
            totals.fail("a core panicked".into());
        }
    }
    let rss_end = rss();
    let fds_end = fd_count();
    report(
        &args, &totals, &drivers, fds_start, fds_end, rss_start, rss_end,
    )
}

/// One core: epochs until the deadline, each on a fresh runtime.
fn run_core(
    core: usize,
    driver: Driver,
    deadline: Instant,
    mut ring: Ring,
    totals: &Totals,
    warm: &Barrier,
    drivers: &Mutex<Vec<Driver>>,
) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((core as u64 + 1) * 0x1000_0001));
    let mut first = true;
    loop {
        let epoch_end = if first {
            // The warm-up epoch: long enough for the allocator's and the
            // blocking pool's high-water marks to settle before the
            // baseline is read (a tenth of the run, 0.2 s to 3 s).
            let warm_up = (deadline - Instant::now()).div_f64(10.0);
            Instant::now() + warm_up.clamp(Duration::from_millis(200), Duration::from_secs(3))
        } else {
            (Instant::now() + Duration::from_millis(200 + rng.below(800))).min(deadline)
        };
        let rt = match aio::RuntimeBuilder::new().driver(driver).build() {
            Ok(rt) => rt,
            Err(e) => {
                totals.fail(format!("core {core}: runtime failed to start: {e}"));
                if first {
                    warm.wait();
                }
                return;
            }
        };
        if first {
            drivers.lock().unwrap().push(rt.driver());
        }
        let seed = rng.next();
        rt.block_on(epoch(core, seed, epoch_end, &mut ring, totals));
        let metrics = rt.metrics();
        totals
            .ops_submitted
            .fetch_add(metrics.ops_submitted, Relaxed);
        if metrics.ops_in_flight != 0 || metrics.tasks_alive != 0 {
            totals.fail(format!(
                "core {core}: {} ops in flight and {} tasks alive at the end of an epoch",
                metrics.ops_in_flight, metrics.tasks_alive
            ));
        }
        drop(rt);
        totals.epochs.fetch_add(1, Relaxed);
        if first {
            first = false;
            warm.wait();
        }
        if Instant::now() >= deadline {
            break;
        }
    }
    // Whatever the previous core sent after this one's last epoch.
    while let Ok(msg) = ring.from_prev.try_recv() {
        check_msg(core, &mut ring.expected, msg, totals);
    }
}

/// One epoch's work on the current runtime; returns once every task it
/// started is finished (the runtime is then dropped by the caller).
async fn epoch(core: usize, seed: u64, until: Instant, ring: &mut Ring, totals: &Totals) {
    let servers = Servers::start().await;
    let ring = RefCell::new(ring);
    // The workers run concurrently with each other (and with the servers);
    // the ring is used by one worker at a time, between awaits.
    let ring_ptr: &RefCell<&mut Ring> = &ring;
    let work = (0..WORKERS).map(|w| {
        let mut rng = Rng(seed ^ ((w as u64 + 1) << 32));
        let servers = &servers;
        async move {
            while Instant::now() < until {
                step(core, &mut rng, servers, ring_ptr, totals).await;
            }
        }
    });
    // Borrowing workers run inside this future (not spawned), joined here.
    join_all(work.collect()).await;
    for h in servers.stop() {
        let _ = h.await;
    }
    // Let cancelled operations' completions come back before the count.
    for _ in 0..100 {
        if aio::metrics::current().ops_in_flight == 0 {
            break;
        }
        aio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The core's echo server and a "silent" server that reads and never
/// answers (for reads that must time out), each with a task per connection.
struct Servers {
    echo: SocketAddr,
    silent: SocketAddr,
    /// The accept loops, then every connection's task.
    tasks: Rc<RefCell<Vec<aio::JoinHandle<()>>>>,
}

impl Servers {
    async fn start() -> Servers {
        let echo = TcpListener::bind("127.0.0.1:0").expect("bind the echo server");
        let silent = TcpListener::bind("127.0.0.1:0").expect("bind the silent server");
        let (echo_addr, silent_addr) = (echo.local_addr().unwrap(), silent.local_addr().unwrap());
        let tasks: Rc<RefCell<Vec<aio::JoinHandle<()>>>> = Rc::default();
        let conns = tasks.clone();
        let echo_task = aio::spawn(async move {
            while let Ok((stream, _)) = echo.accept().await {
                conns.borrow_mut().push(aio::spawn(serve(stream, true)));
            }
        });
        let conns = tasks.clone();
        let silent_task = aio::spawn(async move {
            while let Ok((stream, _)) = silent.accept().await {
                conns.borrow_mut().push(aio::spawn(serve(stream, false)));
            }
        });
        tasks.borrow_mut().extend([echo_task, silent_task]);
        Servers {
            echo: echo_addr,
            silent: silent_addr,
            tasks,
        }
    }

    /// Aborts the servers and their connections; returns the handles to
    /// await.
    fn stop(&self) -> Vec<aio::JoinHandle<()>> {
        let tasks: Vec<_> = self.tasks.borrow_mut().drain(..).collect();
        for t in &tasks {
            t.abort();
        }
        tasks
    }
}

/// One server connection: echoes what it reads, or (`echo` false) only
/// reads, until the client closes.
async fn serve(mut stream: TcpStream, echo: bool) {
    let mut buf = Vec::with_capacity(MAX_ECHO);
    loop {
        buf.clear();
        let (res, b) = stream.read(buf).await;
        buf = b;
        match res {
            Ok(0) | Err(_) => return,
            Ok(_) if !echo => continue,
            Ok(_) => {}
        }
        let (res, b) = stream.write_all(buf).await;
        buf = b;
        if res.is_err() {
            return;
        }
    }
}

/// One random step of the mix.
async fn step(
    core: usize,
    rng: &mut Rng,
    servers: &Servers,
    ring: &RefCell<&mut Ring>,
    totals: &Totals,
) {
    match rng.below(8) {
        0 | 1 => echo_round(rng, servers.echo, totals).await,
        2 => dropped_read(rng, servers.silent, totals).await,
        3 => aborted_task(rng, servers.silent, totals).await,
        4 => udp_batch(rng, totals).await,
        5 => file_round(core, rng, totals).await,
        6 => cross_core(core, rng, ring, totals).await,
        _ => cancelled_read(rng, servers.silent, totals).await,
    }
}

async fn echo_round(rng: &mut Rng, addr: SocketAddr, totals: &Totals) {
    let mut stream = match TcpStream::connect(addr).await {
        Ok(s) => s,
        Err(e) => return totals.fail(format!("connect to the echo server: {e}")),
    };
    for _ in 0..1 + rng.below(16) {
        let max = if rng.below(8) == 0 {
            MAX_ECHO as u64
        } else {
            512
        };
        let len = 1 + rng.below(max) as usize;
        let data = rng.bytes(len);
        let (res, data) = stream.write_all(data).await;
        if let Err(e) = res {
            return totals.fail(format!("echo write: {e}"));
        }
        let (res, got) = stream.read_exact(Vec::with_capacity(len)).await;
        if let Err(e) = res {
            return totals.fail(format!("echo read: {e}"));
        }
        if got != data {
            return totals.fail(format!("echo: {len} bytes came back changed"));
        }
        totals.echo_bytes.fetch_add(len as u64, Relaxed);
        totals.ops.fetch_add(2, Relaxed);
    }
}

async fn dropped_read(rng: &mut Rng, addr: SocketAddr, totals: &Totals) {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return totals.fail("connect to the silent server".into());
    };
    let wait = Duration::from_micros(rng.below(2000));
    match aio::time::timeout(wait, stream.read(Vec::with_capacity(64))).await {
        Err(_) => {
            totals.dropped_reads.fetch_add(1, Relaxed);
        }
        Ok((res, _)) => totals.fail(format!("a silent peer answered: {res:?}")),
    }
    totals.ops.fetch_add(2, Relaxed);
}

async fn cancelled_read(rng: &mut Rng, addr: SocketAddr, totals: &Totals) {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return totals.fail("connect to the silent server".into());
    };
    let wait = Duration::from_micros(rng.below(2000));
    let (res, buf) = stream.read_timeout(Vec::with_capacity(128), wait).await;
    match res {
        Err(e) if e.kind() == io::ErrorKind::TimedOut && buf.capacity() >= 128 => {
            totals.cancelled_reads.fetch_add(1, Relaxed);
        }
        other => totals.fail(format!("read_timeout on a silent peer: {other:?}")),
    }
    totals.ops.fetch_add(2, Relaxed);
}

async fn aborted_task(rng: &mut Rng, addr: SocketAddr, totals: &Totals) {
    let task = aio::spawn(async move {
        let mut stream = TcpStream::connect(addr).await?;
        let (res, _) = stream.read(Vec::with_capacity(256)).await;
        res.map(drop)
    });
    for _ in 0..rng.below(20) {
        aio::task::yield_now().await;
    }
    task.abort();
    match task.await {
        Err(e) if e.is_cancelled() => {
            totals.aborts.fetch_add(1, Relaxed);
        }
        Err(e) => totals.fail(format!("an aborted task panicked: {e}")),
        Ok(Err(e)) => totals.fail(format!("connect to the silent server: {e}")),
        Ok(Ok(())) => totals.fail("a silent peer answered".into()),
    }
    totals.ops.fetch_add(2, Relaxed);
}

async fn udp_batch(rng: &mut Rng, totals: &Totals) {
    let (Ok(a), Ok(b)) = (
        UdpSocket::bind("127.0.0.1:0"),
        UdpSocket::bind("127.0.0.1:0"),
    ) else {
        return totals.fail("bind UDP sockets".into());
    };
    let to = b.local_addr().unwrap();
    let n = 1 + rng.below(32) as usize;
    let sent: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let len = 1 + rng.below(1200) as usize;
            let mut d = rng.bytes(len);
            d[0] = i as u8;
            d
        })
        .collect();
    let mut next = 0;
    while next < n {
        let msgs: Vec<(Vec<u8>, SocketAddr)> =
            sent[next..].iter().map(|d| (d.clone(), to)).collect();
        match a.send_to_many(msgs).await.0 {
            Ok(k) => next += k,
            Err(e) => return totals.fail(format!("send_to_many: {e}")),
        }
    }
    let mut got = 0;
    while got < n {
        let bufs: Vec<Vec<u8>> = (0..n - got).map(|_| Vec::with_capacity(1500)).collect();
        let recv = aio::time::timeout(Duration::from_secs(5), b.recv_from_many(bufs)).await;
        let Ok((res, bufs)) = recv else {
            return totals.fail(format!("UDP: {} of {n} datagrams never came", n - got));
        };
        let results = match res {
            Ok(r) => r,
            Err(e) => return totals.fail(format!("recv_from_many: {e}")),
        };
        for ((len, _from), buf) in results.iter().zip(bufs) {
            let expected = &sent[got];
            if *len != expected.len() || buf[..*len] != expected[..] {
                return totals.fail("UDP: a datagram came back changed or out of order".into());
            }
            got += 1;
        }
    }
    totals.datagrams.fetch_add(n as u64, Relaxed);
    totals.ops.fetch_add(2 * n as u64, Relaxed);
}

async fn file_round(core: usize, rng: &mut Rng, totals: &Totals) {
    let path = std::env::temp_dir().join(format!(
        "aio-soak-{}-{core}-{}",
        std::process::id(),
        rng.next()
    ));
    let len = 1 + rng.below(256 * 1024) as usize;
    let data = rng.bytes(len);
    let res = async {
        aio::fs::write(&path, data.clone()).await?;
        let back = aio::fs::read(&path).await?;
        aio::fs::remove_file(&path).await?;
        Ok::<_, io::Error>(back)
    }
    .await;
    match res {
        Ok(back) if back == data => {
            totals.file_bytes.fetch_add(len as u64, Relaxed);
        }
        Ok(_) => totals.fail("a file read back changed".into()),
        Err(e) => totals.fail(format!("file round trip: {e}")),
    }
    totals.ops.fetch_add(4, Relaxed);
}

async fn cross_core(core: usize, rng: &mut Rng, ring: &RefCell<&mut Ring>, totals: &Totals) {
    exchange(core, rng, &mut ring.borrow_mut(), totals);
    totals.ops.fetch_add(1, Relaxed);
    aio::task::yield_now().await;
}

/// Sends a few numbered messages to the next core and checks those the
/// previous core sent.
fn exchange(core: usize, rng: &mut Rng, ring: &mut Ring, totals: &Totals) {
    for _ in 0..1 + rng.below(64) {
        match ring.to_next.try_send((core, ring.sent)) {
            Ok(()) => ring.sent += 1,
            Err(e) if e.is_full() => break,
            Err(_) => return totals.fail("a cross-core channel closed early".into()),
        }
    }
    while let Ok(msg) = ring.from_prev.try_recv() {
        check_msg(core, &mut ring.expected, msg, totals);
    }
}

fn check_msg(core: usize, expected: &mut u64, (from, seq): Msg, totals: &Totals) {
    if seq != *expected {
        totals.fail(format!(
            "core {core}: message {seq} from core {from}, expected {}",
            *expected
        ));
    }
    *expected = seq + 1;
    totals.messages.fetch_add(1, Relaxed);
}

/// Runs futures concurrently on this task; returns when all are done.
async fn join_all<F: std::future::Future<Output = ()>>(futs: Vec<F>) {
    let mut futs: Vec<_> = futs.into_iter().map(Box::pin).collect();
    let done: Vec<Cell<bool>> = futs.iter().map(|_| Cell::new(false)).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (f, d) in futs.iter_mut().zip(&done) {
            if !d.get() {
                if f.as_mut().poll(cx).is_ready() {
                    d.set(true);
                } else {
                    all = false;
                }
            }
        }
        if all {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}

fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// Resident memory, bytes (`VmRSS` in `/proc/self/status`).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

fn report(
    args: &Args,
    totals: &Totals,
    drivers: &Mutex<Vec<Driver>>,
    fds_start: usize,
    fds_end: usize,
    rss_start: u64,
    rss_end: u64,
) -> ExitCode {
    let t = |c: &AtomicU64| c.load(Relaxed);
    let growth = rss_end as i64 - rss_start as i64;
    println!(
        "soak: {:.0} s on {} cores ({:?}), {} runtime epochs (restarts)",
        args.secs,
        args.cores,
        drivers
            .lock()
            .unwrap()
            .first()
            .copied()
            .unwrap_or(args.driver),
        t(&totals.epochs)
    );
    println!(
        "  operations          {:>12}  ({:.0}/s)",
        t(&totals.ops),
        t(&totals.ops) as f64 / args.secs
    );
    println!(
        "  kernel ops          {:>12}  submitted (runtime metrics)",
        t(&totals.ops_submitted)
    );
    println!(
        "  echoed bytes        {:>12}  all checked",
        t(&totals.echo_bytes)
    );
    println!(
        "  reads dropped       {:>12}  (timeout)",
        t(&totals.dropped_reads)
    );
    println!(
        "  reads cancelled     {:>12}  (read_timeout, buffer back)",
        t(&totals.cancelled_reads)
    );
    println!("  tasks aborted       {:>12}", t(&totals.aborts));
    println!(
        "  UDP datagrams       {:>12}  all checked",
        t(&totals.datagrams)
    );
    println!(
        "  file bytes          {:>12}  all checked",
        t(&totals.file_bytes)
    );
    println!(
        "  cross-core messages {:>12}  in order, none lost",
        t(&totals.messages)
    );
    println!(
        "  in-flight gauges    ops_in_flight and tasks_alive 0 at the end of all {} epochs{}",
        t(&totals.epochs),
        if t(&totals.failures) == 0 {
            ""
        } else {
            " (see failures)"
        }
    );
    println!("  open fds            {fds_start} at start, {fds_end} at end");
    println!(
        "  resident memory     {:.1} MiB after the first epoch, {:.1} MiB at end ({:+.2} MiB)",
        rss_start as f64 / 1048576.0,
        rss_end as f64 / 1048576.0,
        growth as f64 / 1048576.0
    );
    let mut ok = t(&totals.failures) == 0;
    if fds_end != fds_start {
        eprintln!("soak: FAILED: {fds_start} fds open at start, {fds_end} at end");
        ok = false;
    }
    if growth > RSS_LIMIT as i64 {
        eprintln!(
            "soak: FAILED: resident memory grew by {:.2} MiB (limit {} MiB)",
            growth as f64 / 1048576.0,
            RSS_LIMIT >> 20
        );
        ok = false;
    }
    if ok {
        println!("soak: OK");
        ExitCode::SUCCESS
    } else {
        println!("soak: FAILED ({} failed checks)", t(&totals.failures));
        ExitCode::from(1)
    }
}
