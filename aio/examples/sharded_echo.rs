//! The main job: a per-core sharded echo server, driven by per-core clients.
//!
//! ```text
//! cargo run --release --example sharded_echo
//! cargo run --release --example sharded_echo -- --cores 2 --conns 64 --size 64 --secs 3
//! cargo run --release --example sharded_echo -- --server-only --addr 127.0.0.1:7878
//! cargo run --release --example sharded_echo -- --stats
//! AIO_DRIVER=epoll cargo run --release --example sharded_echo
//! ```
//!
//! Every core runs its own runtime on its own pinned thread and binds the
//! same address with `SO_REUSEPORT`, so the kernel spreads connections over
//! the cores' listeners. The same cores also run the client connections
//! (`--conns` in all, split over the cores), each sending `--size` bytes and
//! waiting for the echo, back to back, for `--secs` seconds. Then a
//! [`Shutdown`] token stops the accept loops and lets the connections finish,
//! and a table shows, per core, the connections accepted and requests served
//! by its server, then the overall requests/s and round-trip latency
//! percentiles seen by the clients.
//!
//! With `--server-only` it only serves (on `--addr`, default
//! `127.0.0.1:7878`) until Ctrl-C, then prints the per-core table.
//!
//! With `--stats` it also prints each core's [`aio::metrics`] at the end,
//! one row per core: tasks, polls, operations, driver turns and kernel
//! waits, wakes from other cores, slow polls.

use std::cell::{Cell, RefCell};
use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use aio::cores::{CoreId, Cores, Shutdown};
use aio::net::{NetConfig, TcpListener, TcpStream};
use aio::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRentExt};

const USAGE: &str = "usage: sharded_echo [--cores N] [--conns N] [--size BYTES] [--secs S]
                    [--server-only] [--addr HOST:PORT] [--stats]
  --cores N        cores to run on (default: every CPU in the affinity mask)
  --conns N        client connections in all, split over the cores (default 64)
  --size BYTES     bytes per request (default 64)
  --secs S         seconds to drive the load (default 3)
  --server-only    only serve, until Ctrl-C (SIGINT/SIGTERM)
  --addr HOST:PORT address to serve on (default 127.0.0.1:0, an ephemeral port;
                   127.0.0.1:7878 with --server-only)
  --stats          print each core's runtime metrics (aio::metrics) at the end";

#[derive(Debug, Clone)]
struct Args {
    cores: Option<usize>,
    conns: usize,
    size: usize,
    secs: f64,
    server_only: bool,
    addr: Option<SocketAddr>,
    stats: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        cores: None,
        conns: 64,
        size: 64,
        secs: 3.0,
        server_only: false,
        addr: None,
        stats: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        fn num<T: std::str::FromStr>(flag: &str, v: String) -> Result<T, String> {
            v.parse()
                .map_err(|_| format!("{flag}: not a valid number: {v:?}"))
        }
        match flag.as_str() {
            "--cores" => args.cores = Some(num("--cores", value("--cores")?)?),
            "--conns" => args.conns = num("--conns", value("--conns")?)?,
            "--size" => args.size = num("--size", value("--size")?)?,
            "--secs" => args.secs = num("--secs", value("--secs")?)?,
            "--server-only" => args.server_only = true,
            "--stats" => args.stats = true,
            "--addr" => {
                let v = value("--addr")?;
                args.addr = Some(
                    v.parse()
                        .map_err(|_| format!("--addr: not HOST:PORT: {v:?}"))?,
                );
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown flag {other:?}")),
        }
    }
    if args.cores == Some(0) || args.size == 0 || args.secs.is_nan() || args.secs <= 0.0 {
        return Err("--cores, --size and --secs must be positive".into());
    }
    Ok(args)
}

/// What one core reports at the end.
#[derive(Debug, Default)]
struct CoreReport {
    core: Option<CoreId>,
    driver: String,
    accepted: u64,
    /// Bytes the server side of this core echoed.
    echoed: u64,
    /// Round trips completed by this core's clients.
    requests: u64,
    /// Client round-trip latencies, in nanoseconds.
    latencies: Vec<u64>,
    client_errors: u64,
    /// The core's runtime metrics once its connections are done.
    metrics: aio::metrics::RuntimeMetrics,
}

/// A one-shot, many-waiter event that fires when `n` parties arrived. A
/// `Shutdown` token is exactly a cross-core event, so it is reused here.
struct Latch {
    left: AtomicUsize,
    done: Shutdown,
}

impl Latch {
    fn new(n: usize) -> Latch {
        Latch {
            left: AtomicUsize::new(n),
            done: Shutdown::new(),
        }
    }
    fn arrive(&self) {
        if self.left.fetch_sub(1, SeqCst) == 1 {
            self.done.trigger();
        }
    }
    async fn wait(&self) {
        self.done.wait().await;
    }
}

/// Everything the cores share.
struct Shared {
    args: Args,
    cores: usize,
    /// The address every core binds: core 0 binds first (resolving port 0).
    addr: OnceLock<SocketAddr>,
    addr_known: Shutdown,
    all_bound: Latch,
    clients_done: Latch,
    /// Stops the accept loops; `track`/`drained` let connections finish.
    stop: Shutdown,
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("sharded_echo: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sharded_echo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> io::Result<()> {
    let cores = match args.cores {
        Some(n) => Cores::first(n),
        None => Cores::all(),
    };
    let n = cores.cpus()?.len();
    let stop = Shutdown::new();
    if args.server_only {
        stop.trigger_on_signal()?;
    }
    let shared = Arc::new(Shared {
        cores: n,
        addr: OnceLock::new(),
        addr_known: Shutdown::new(),
        all_bound: Latch::new(n),
        clients_done: Latch::new(n),
        stop,
        args: args.clone(),
    });
    let started = Instant::now();
    let reports = cores
        .run(move |core| core_main(core, Arc::clone(&shared)))?
        .into_iter()
        .collect::<io::Result<Vec<_>>>()?;
    let elapsed = started.elapsed();
    print_table(&args, &reports, elapsed);
    if args.stats {
        print_stats(&reports);
    }
    // A smoke run must fail loudly if the load did not go through.
    let errors: u64 = reports.iter().map(|r| r.client_errors).sum();
    let requests: u64 = reports.iter().map(|r| r.requests).sum();
    if errors > 0 {
        return Err(io::Error::other(format!(
            "{errors} client connection(s) failed"
        )));
    }
    if !args.server_only && args.conns > 0 && requests == 0 {
        return Err(io::Error::other("no request completed"));
    }
    Ok(())
}

async fn core_main(core: CoreId, shared: Arc<Shared>) -> io::Result<CoreReport> {
    let args = &shared.args;
    let config = NetConfig::default().reuse_port(true);
    let listener = if core.index() == 0 {
        let want = args.addr.unwrap_or_else(|| {
            if args.server_only {
                "127.0.0.1:7878".parse().unwrap()
            } else {
                "127.0.0.1:0".parse().unwrap()
            }
        });
        let listener = TcpListener::bind_with(want, &config)?;
        let _ = shared.addr.set(listener.local_addr()?);
        shared.addr_known.trigger();
        listener
    } else {
        shared.addr_known.wait().await;
        TcpListener::bind_with(*shared.addr.get().expect("set by core 0"), &config)?
    };
    let addr = *shared.addr.get().expect("set by core 0");
    shared.all_bound.arrive();
    shared.all_bound.wait().await;
    if core.index() == 0 {
        let mode = if args.server_only {
            "serving until Ctrl-C"
        } else {
            "driving load"
        };
        eprintln!(
            "sharded_echo: {} cores listening on {addr} ({:?} driver), {mode}",
            shared.cores,
            aio::Driver::current()
        );
    }

    // The server: accept until stopped, one task per connection.
    let accepted = Rc::new(Cell::new(0u64));
    let echoed = Rc::new(Cell::new(0u64));
    let acceptor = aio::spawn(accept_loop(
        listener,
        shared.stop.clone(),
        Rc::clone(&accepted),
        Rc::clone(&echoed),
    ));

    // The clients: this core's share of the connections.
    let mut report = CoreReport {
        core: Some(core),
        driver: format!("{:?}", aio::Driver::current()),
        ..CoreReport::default()
    };
    if !args.server_only {
        let mine =
            args.conns / shared.cores + usize::from(core.index() < args.conns % shared.cores);
        let deadline = Instant::now() + Duration::from_secs_f64(args.secs);
        let latencies = Rc::new(RefCell::new(Vec::with_capacity(1 << 16)));
        let clients: Vec<_> = (0..mine)
            .map(|_| aio::spawn(client(addr, args.size, deadline, Rc::clone(&latencies))))
            .collect();
        for c in clients {
            match c.await {
                Ok(Ok(n)) => report.requests += n,
                Ok(Err(e)) => {
                    eprintln!("{core}: client error: {e}");
                    report.client_errors += 1;
                }
                Err(e) => return Err(io::Error::other(format!("{core}: client task: {e}"))),
            }
        }
        report.latencies = Rc::try_unwrap(latencies)
            .map(RefCell::into_inner)
            .unwrap_or_default();
        // Once every core's clients are done, stop every server.
        shared.clients_done.arrive();
        shared.clients_done.wait().await;
        shared.stop.trigger();
    }

    // Graceful stop: the accept loop ends, live connections finish.
    shared.stop.wait().await;
    acceptor
        .await
        .map_err(|e| io::Error::other(format!("{core}: accept loop: {e}")))??;
    if aio::time::timeout(Duration::from_secs(5), shared.stop.drained())
        .await
        .is_err()
    {
        eprintln!("{core}: connections still open after 5 s; closing them");
    }
    report.accepted = accepted.get();
    report.echoed = echoed.get();
    report.metrics = aio::metrics::current();
    Ok(report)
}

async fn accept_loop(
    listener: TcpListener,
    stop: Shutdown,
    accepted: Rc<Cell<u64>>,
    echoed: Rc<Cell<u64>>,
) -> io::Result<()> {
    while let Some(res) = stop.until(listener.accept()).await {
        let (stream, _) = res?;
        accepted.set(accepted.get() + 1);
        let guard = stop.track();
        let echoed = Rc::clone(&echoed);
        aio::spawn(async move {
            // A connection error ends that connection only.
            let _ = echo(stream, &echoed).await;
            drop(guard);
        });
    }
    Ok(())
}

/// Echoes until the peer closes.
async fn echo(mut stream: TcpStream, echoed: &Cell<u64>) -> io::Result<()> {
    let mut buf = Vec::with_capacity(16 * 1024);
    loop {
        let (res, b) = stream.read(buf).await;
        let n = res?;
        if n == 0 {
            return Ok(());
        }
        let (res, mut b) = stream.write_all(b).await;
        res?;
        echoed.set(echoed.get() + n as u64);
        b.clear();
        buf = b;
    }
}

/// One client connection: request, wait for the whole echo, repeat until
/// `deadline`. Returns the round trips completed.
async fn client(
    addr: SocketAddr,
    size: usize,
    deadline: Instant,
    latencies: Rc<RefCell<Vec<u64>>>,
) -> io::Result<u64> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut out: Box<[u8]> = (0..size).map(|i| i as u8).collect();
    let mut back: Box<[u8]> = vec![0; size].into_boxed_slice();
    let mut done = 0;
    while Instant::now() < deadline {
        let t0 = Instant::now();
        let (res, b) = stream.write_all(out).await;
        res?;
        out = b;
        let (res, b) = stream.read_exact(back).await;
        res?;
        back = b;
        latencies.borrow_mut().push(t0.elapsed().as_nanos() as u64);
        done += 1;
    }
    debug_assert_eq!(out, back);
    Ok(done)
}

fn percentile(sorted: &[u64], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Duration::from_nanos(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn print_table(args: &Args, reports: &[CoreReport], elapsed: Duration) {
    let size = args.size as u64;
    println!();
    println!(
        "{:>5} {:>5} {:>10} {:>14} {:>14}",
        "core", "cpu", "accepted", "served (req)", "client req"
    );
    for r in reports {
        let core = r.core.expect("set");
        println!(
            "{:>5} {:>5} {:>10} {:>14} {:>14}",
            core.index(),
            core.id(),
            r.accepted,
            r.echoed / size,
            r.requests
        );
    }
    let accepted: u64 = reports.iter().map(|r| r.accepted).sum();
    let served: u64 = reports.iter().map(|r| r.echoed).sum::<u64>() / size;
    let requests: u64 = reports.iter().map(|r| r.requests).sum();
    println!(
        "{:>5} {:>5} {:>10} {:>14} {:>14}",
        "all", "", accepted, served, requests
    );
    println!("(served: bytes the core's server echoed / --size; client req: round trips");
    println!(" completed by the core's clients)");
    println!();
    let driver = reports.first().map_or("?", |r| r.driver.as_str());
    if args.server_only {
        println!(
            "served {served} requests of {size} B in {:.1} s ({driver} driver)",
            elapsed.as_secs_f64()
        );
        return;
    }
    let mut lat: Vec<u64> = reports
        .iter()
        .flat_map(|r| r.latencies.iter().copied())
        .collect();
    lat.sort_unstable();
    let errors: u64 = reports.iter().map(|r| r.client_errors).sum();
    println!(
        "{} cores, {} connections, {} B payload, {:.1} s, {driver} driver{}",
        reports.len(),
        args.conns,
        size,
        args.secs,
        if errors > 0 {
            format!(", {errors} client errors")
        } else {
            String::new()
        }
    );
    println!("requests/s: {:.0}", requests as f64 / args.secs);
    println!(
        "latency: p50 {:?}  p99 {:?}  p99.9 {:?}  max {:?}",
        percentile(&lat, 50.0),
        percentile(&lat, 99.0),
        percentile(&lat, 99.9),
        Duration::from_nanos(lat.last().copied().unwrap_or(0))
    );
}

/// `--stats`: each core's runtime metrics, one row per core.
fn print_stats(reports: &[CoreReport]) {
    println!();
    println!("runtime metrics per core (aio::metrics, since the core started):");
    println!(
        "{:>4} {:>7} {:>5} {:>9} {:>7} {:>9} {:>9} {:>6} {:>6} {:>8} {:>8} {:>5} {:>7} {:>6} {:>4}",
        "core",
        "spawned",
        "alive",
        "polls",
        "yields",
        "ops sub",
        "ops done",
        "cancel",
        "flight",
        "turns",
        "syscall",
        "cqovf",
        "remote",
        "timers",
        "slow"
    );
    for r in reports {
        let m = &r.metrics;
        println!(
            "{:>4} {:>7} {:>5} {:>9} {:>7} {:>9} {:>9} {:>6} {:>6} {:>8} {:>8} {:>5} {:>7} {:>6} {:>4}",
            r.core.expect("set").index(),
            m.tasks_spawned,
            m.tasks_alive,
            m.polls,
            m.budget_yields,
            m.ops_submitted,
            m.ops_completed,
            m.ops_cancelled,
            m.ops_in_flight,
            m.driver_turns,
            m.driver_syscalls,
            m.cq_overflows,
            m.remote_wakes,
            m.timers_active,
            m.slow_polls
        );
    }
    let last = reports.last().map(|r| r.metrics).unwrap_or_default();
    println!(
        "(yields: cooperative-budget yields; flight: ops in flight now; syscall: \
         io_uring_enter/epoll_wait calls;"
    );
    println!(
        " cqovf: completion-queue overflows; remote: tasks woken from other threads; \
         blocking pool: {} threads, {} queued)",
        last.blocking_threads, last.blocking_queue_depth
    );
}
