//! Echo comparison: aio (io_uring and epoll backends, and io_uring with
//! pooled multishot receives) against tokio (current_thread) and monoio
//! (io_uring), driven by one load generator, with `raw-uring` as the floor:
//! a hand-written single-threaded io_uring loop (single-shot ACCEPT, RECV
//! into one buffer per connection, SEND of what arrived) with no runtime
//! and no allocation per message, the physical-limit proxy. The gap between
//! aio-uring and raw-uring in CPU time per request is what the runtime
//! itself costs (see `raw_uring`).
//!
//! Servers (`--servers`, default all, in this order):
//! - `aio-uring`, `aio-epoll`: aio on each backend; each connection is a
//!   task that reads into its own buffer and writes it back.
//! - `aio-pooled`: aio on io_uring with provided buffers: each connection
//!   task splits its stream and loops over `recv_multi` (one multishot
//!   receive, re-armed only when the kernel ends it) from one
//!   `aio::buf::BufPool` per server, 4096 buffers of the request size (what
//!   aio-uring reads into; one request is all a connection ever has in
//!   flight), writing each `PooledBuf` back with `write_all`. Against
//!   aio-uring it shows what multishot receives from a shared pool cost or
//!   save per request.
//! - `tokio`, `monoio`: the peers, written as their users write them.
//! - `raw-uring`: the floor above.
//!
//! ```text
//! cargo bench --bench echo                     # full matrix, ~15 minutes
//! cargo bench --bench echo -- --sizes 1024 --conns 64 --secs 3 --rounds 5 --servers aio-uring,monoio
//! cargo bench --bench echo -- --smoke          # CI: every server ~1 s, verify, no timing asserted
//! cargo bench --bench echo -- --baseline /tmp/echo-old   # also aio-uring@baseline, aio-epoll@baseline
//! ```
//!
//! Run without any argument (as `cargo test --benches` does) it runs the
//! smoke mode too.
//!
//! Method
//! - Each server runs in a child process (this binary re-executed with
//!   `--server NAME`), pinned to one CPU with sched_setaffinity; the load
//!   generator (this process) is pinned to another. One core per side keeps
//!   them from competing, and a single-core server is exactly the unit a
//!   thread-per-core runtime scales by.
//! - A fresh server process serves each measurement, so no run inherits
//!   another's heap, connections or ring state.
//! - The load generator (see `loadgen`) keeps N connections each with one
//!   request in flight, verifies every echoed byte and records latency.
//! - After a warm-up the measured window opens: requests, latency and the
//!   server's CPU time (sum of `/proc/<pid>/task/*/schedstat` on-CPU time,
//!   user + kernel, in ns) are counted until it closes. CPU time per request
//!   is the headline figure: when the load generator, not the server, is the
//!   bottleneck, requests/s mostly measures the client, but the CPU the
//!   server spent on each request is still the server's own cost.
//! - Servers run interleaved (A B C D, B C D A, ...) for several rounds so
//!   that slow drifts of the machine (thermal, neighbours, page cache) hit
//!   every server alike; each figure reported is the median over rounds.
//!
//! Baseline
//! - A server is a (label, executable, name) triple: the child is started
//!   as `EXECUTABLE --server NAME ...` and reported as LABEL (see
//!   `servers::Contender`). Normally the executable is this binary and the
//!   label the name.
//! - `--baseline PATH` names the echo bench binary built from another
//!   commit (`cargo bench --bench echo --no-run` there prints its path).
//!   For each of aio-uring and aio-epoll among `--servers` it adds a server
//!   labelled `NAME@baseline`, started as `PATH --server NAME ...` and
//!   placed right after its counterpart. Baselines run in the same
//!   interleaved rounds and appear in the tables like any server, so a
//!   change between commits is measured paired, in one run, instead of
//!   across two runs on a machine that drifts in between. Repeated, the
//!   labels are `@baseline`, `@baseline2`, ... in the order given.

mod histogram;
mod loadgen;
mod raw_uring;
mod report;
mod servers;
mod svg;
mod sys;

use std::io::{self, BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use report::{Combo, Conditions, Report, RoundResult};
use servers::{Contender, Server};

const USAGE: &str = "\
usage: echo [--smoke] [--sizes 64,1024,4096] [--conns 16,64,256] [--secs 3]
            [--warmup 0.5] [--rounds 5] [--retries 2] [--servers aio-uring,aio-epoll,aio-pooled,tokio,monoio,raw-uring]
            [--server-cpu 0] [--client-cpu 1] [--nice -20] [--out DIR]
            [--baseline PATH]...   (PATH: the echo bench binary of another commit;
                                    adds aio-uring@baseline, aio-epoll@baseline)
       echo --server NAME --addr 127.0.0.1:0 --cpu 0 --size 1024   (internal: one server)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = if args.iter().any(|a| a == "--server") {
        run_server_child(&args)
    } else {
        Options::parse(&args).and_then(|opts| run_benchmark(&opts))
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("echo: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Command-line options of the benchmark (parent) mode.
#[derive(Debug, Clone)]
struct Options {
    sizes: Vec<usize>,
    conns: Vec<usize>,
    measure: Duration,
    warmup: Duration,
    rounds: usize,
    /// How many times a disturbed round is measured again.
    retries: usize,
    /// Every server of the run, baselines included, in running order.
    servers: Vec<Contender>,
    server_cpu: usize,
    client_cpu: usize,
    /// Nice value for the load generator and the servers (inherited), to
    /// shield the measurement from other work on a shared machine.
    nice: Option<i32>,
    out_dir: PathBuf,
    smoke: bool,
}

impl Options {
    fn parse(args: &[String]) -> io::Result<Options> {
        let exe = std::env::current_exe()?;
        let mut servers = Server::ALL.to_vec();
        let mut baselines = Vec::new();
        let mut opts = Options {
            sizes: vec![64, 1024, 4096],
            conns: vec![16, 64, 256],
            measure: Duration::from_secs(3),
            warmup: Duration::from_millis(500),
            rounds: 5,
            retries: 2,
            servers: Vec::new(),
            server_cpu: 0,
            client_cpu: 1,
            nice: None,
            out_dir: default_out_dir(),
            smoke: false,
        };
        // `cargo test --benches` (or `--all-targets`) runs this binary with
        // no arguments at all, where `cargo bench` always passes `--bench`:
        // like criterion's test mode, run the quick smoke check then rather
        // than the ten-minute matrix.
        opts.smoke = args.is_empty();
        let mut explicit_out = false;
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = || {
                it.next()
                    .cloned()
                    .ok_or_else(|| invalid(format!("{arg} needs a value\n{USAGE}")))
            };
            match arg.as_str() {
                // `cargo bench` passes --bench to harness = false binaries.
                "--bench" => {}
                "--smoke" => opts.smoke = true,
                "--sizes" => opts.sizes = parse_list(arg, &value()?)?,
                "--conns" => opts.conns = parse_list(arg, &value()?)?,
                "--secs" => opts.measure = parse_secs(arg, &value()?)?,
                "--warmup" => opts.warmup = parse_secs(arg, &value()?)?,
                "--rounds" => opts.rounds = parse_num(arg, &value()?)?,
                "--retries" => opts.retries = parse_num(arg, &value()?)?,
                "--server-cpu" => opts.server_cpu = parse_num(arg, &value()?)?,
                "--client-cpu" => opts.client_cpu = parse_num(arg, &value()?)?,
                "--nice" => {
                    let v = value()?;
                    opts.nice = Some(
                        v.parse()
                            .map_err(|e| invalid(format!("{arg} {v:?}: {e}")))?,
                    );
                }
                "--out" => {
                    opts.out_dir = PathBuf::from(value()?);
                    explicit_out = true;
                }
                "--servers" => {
                    servers = value()?
                        .split(',')
                        .map(|name| {
                            Server::from_name(name.trim())
                                .ok_or_else(|| invalid(format!("unknown server {name:?}\n{USAGE}")))
                        })
                        .collect::<io::Result<_>>()?;
                }
                "--baseline" => {
                    let path = value()?;
                    // Absolute, so the report names exactly what ran.
                    baselines.push(std::fs::canonicalize(&path).map_err(|e| {
                        io::Error::new(e.kind(), format!("--baseline {path:?}: {e}"))
                    })?);
                }
                "-h" | "--help" => return Err(invalid(USAGE.to_string())),
                other => return Err(invalid(format!("unknown argument {other:?}\n{USAGE}"))),
            }
        }
        for server in servers {
            opts.servers.push(Contender::current(server, &exe));
            if matches!(server, Server::AioUring | Server::AioEpoll) {
                for (i, path) in baselines.iter().enumerate() {
                    let tag = match i {
                        0 => "baseline".to_string(),
                        i => format!("baseline{}", i + 1),
                    };
                    opts.servers.push(Contender::baseline(server, path, &tag));
                }
            }
        }
        if !baselines.is_empty() && !opts.servers.iter().any(Contender::is_baseline) {
            return Err(invalid(
                "--baseline compares aio-uring and aio-epoll; --servers has neither".to_string(),
            ));
        }
        if opts.smoke {
            // One short combination, every selected server, one round: enough
            // to prove each server builds, serves and echoes correctly.
            opts.sizes = vec![1024];
            opts.conns = vec![16];
            opts.measure = Duration::from_secs(1);
            opts.warmup = Duration::from_millis(200);
            opts.rounds = 1;
            opts.retries = 0;
            if !explicit_out {
                opts.out_dir.push("smoke");
            }
        }
        if opts.sizes.is_empty() || opts.conns.is_empty() || opts.servers.is_empty() {
            return Err(invalid(format!("nothing to run\n{USAGE}")));
        }
        if opts.rounds == 0 || opts.sizes.contains(&0) || opts.conns.contains(&0) {
            return Err(invalid(
                "--rounds, --sizes and --conns must be positive".to_string(),
            ));
        }
        Ok(opts)
    }
}

/// `<target dir>/echo-bench`: the bench binary lives in
/// `<target dir>/<profile>/deps/`, which also honours CARGO_TARGET_DIR.
fn default_out_dir() -> PathBuf {
    let target = std::env::current_exe().ok().and_then(|exe| {
        let deps = exe.parent()?;
        (deps.file_name()? == "deps").then(|| deps.parent()?.parent().map(PathBuf::from))?
    });
    target
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("echo-bench")
}

fn run_benchmark(opts: &Options) -> io::Result<ExitCode> {
    sys::pin_to_cpu(opts.client_cpu)?;
    if let Some(nice) = opts.nice {
        sys::set_nice(nice)?;
    }
    if opts.smoke {
        histogram::self_check().map_err(|e| io::Error::other(format!("histogram: {e}")))?;
    }
    let machine = sys::MachineInfo::collect();
    let mut report = Report::new(
        machine,
        Conditions {
            warmup: opts.warmup,
            measure: opts.measure,
            rounds: opts.rounds,
            retries: opts.retries,
            servers: opts.servers.clone(),
            server_cpu: opts.server_cpu,
            client_cpu: opts.client_cpu,
            nice: opts.nice,
        },
    );
    eprintln!(
        "echo: servers {} on CPU {}, load generator on CPU {}; {} round(s) of {:?} after {:?} warm-up",
        opts.servers.iter().map(|s| s.label.as_str()).collect::<Vec<_>>().join(","),
        opts.server_cpu,
        opts.client_cpu,
        opts.rounds,
        opts.measure,
        opts.warmup,
    );

    for &size in &opts.sizes {
        for &conns in &opts.conns {
            let combo = Combo { size, conns };
            for round in 1..=opts.rounds {
                // Rotate the order each round (A B C D, B C D A, ...) so no
                // server always runs first after a change of combination.
                let order = opts
                    .servers
                    .iter()
                    .cycle()
                    .skip(round - 1)
                    .take(opts.servers.len());
                for server in order {
                    report.push(combo, measure_with_retries(opts, server, combo, round));
                }
            }
        }
    }
    write_outputs(&report, &opts.out_dir)?;

    let failures = report.failures();
    if failures.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        for failure in &failures {
            eprintln!("echo: FAILED: {failure}");
        }
        Ok(ExitCode::FAILURE)
    }
}

/// Measures one round; a round disturbed by other work on the machine is
/// measured again, up to `--retries` times, and the last attempt counts.
fn measure_with_retries(
    opts: &Options,
    server: &Contender,
    combo: Combo,
    round: usize,
) -> RoundResult {
    let mut attempt = 0;
    loop {
        let result = measure_one(opts, server, combo, round);
        let retry = result.disturbed() && attempt < opts.retries;
        eprintln!(
            "  {combo} round {round}/{}: {}{}",
            opts.rounds,
            result.summary_line(),
            if retry { " -> again" } else { "" }
        );
        if !retry {
            return result;
        }
        attempt += 1;
    }
}

/// Prints the markdown report and writes it, the JSON and the chart to `dir`.
fn write_outputs(report: &Report, dir: &Path) -> io::Result<()> {
    let markdown = report.markdown();
    println!("{markdown}");
    std::fs::create_dir_all(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
    for (name, contents) in [
        ("report.md", markdown),
        ("results.json", report.json()),
        ("echo.svg", svg::chart(report)),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, contents)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        eprintln!("echo: wrote {}", path.display());
    }
    Ok(())
}

/// Launches `server`, drives it for one warm-up plus window, and stops it.
/// A server that fails to start or to serve yields a result with zero
/// requests and the error, so one broken server does not stop the others.
fn measure_one(opts: &Options, server: &Contender, combo: Combo, round: usize) -> RoundResult {
    let outcome = ServerProcess::launch(server, opts.server_cpu, combo.size).and_then(|process| {
        let spec = loadgen::LoadSpec {
            addr: process.addr,
            conns: combo.conns,
            size: combo.size,
            warmup: opts.warmup,
            measure: opts.measure,
        };
        let pid = process.child.id();
        let measurement = loadgen::run(&spec, || sys::process_cpu_ns(pid));
        process.stop(server)?;
        measurement
    });
    match outcome {
        Ok(m) => RoundResult::from_measurement(server, round, &m),
        Err(e) => RoundResult::failed(server, round, e.to_string()),
    }
}

/// A running server child; killed when dropped.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    /// How long a server may take to bind and announce its address.
    const START_TIMEOUT: Duration = Duration::from_secs(10);

    fn launch(server: &Contender, cpu: usize, size: usize) -> io::Result<ServerProcess> {
        let mut child = Command::new(&server.exe)
            .args(["--server", server.server.name(), "--addr", "127.0.0.1:0"])
            .args(["--cpu", &cpu.to_string(), "--size", &size.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("spawning {server} server: {e}")))?;
        let stdout = child.stdout.take().expect("stdout was requested as a pipe");
        // Read the announced address on a helper thread so that a server that
        // hangs before announcing costs a timeout, not the whole run.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
            // The receiver may have timed out and gone; nothing to do then.
            let _ = tx.send(read);
        });
        let mut process = ServerProcess {
            child,
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        };
        let line = match rx.recv_timeout(Self::START_TIMEOUT) {
            Ok(read) => read?,
            Err(_) => {
                return Err(io::Error::other(format!(
                    "{server} did not announce its address"
                )))
            }
        };
        if line.is_empty() {
            // End of stdout before any address: the server exited (its
            // stderr, inherited, says why).
            let status = process.child.wait()?;
            return Err(io::Error::other(format!(
                "{server} server exited at start-up ({status})"
            )));
        }
        process.addr = line.trim().parse().map_err(|_| {
            io::Error::other(format!(
                "{server} server announced {line:?}, not an address"
            ))
        })?;
        Ok(process)
    }

    /// Stops the server; an error if it had already exited (it crashed
    /// while under load).
    fn stop(mut self, server: &Contender) -> io::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            return Err(io::Error::other(format!(
                "{server} server exited during the run: {status}"
            )));
        }
        Ok(())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // Kill errors only mean it is already gone; wait reaps it either way.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Child mode: `--server NAME --addr ADDR --cpu N --size BYTES`. Pins itself,
/// starts the server and prints the bound address on stdout.
fn run_server_child(args: &[String]) -> io::Result<ExitCode> {
    let get = |flag: &str| -> io::Result<&str> {
        let at = args
            .iter()
            .position(|a| a == flag)
            .ok_or_else(|| invalid(format!("missing {flag}")))?;
        args.get(at + 1)
            .map(String::as_str)
            .ok_or_else(|| invalid(format!("{flag} needs a value")))
    };
    let name = get("--server")?;
    let server =
        Server::from_name(name).ok_or_else(|| invalid(format!("unknown server {name:?}")))?;
    let addr: SocketAddr = get("--addr")?
        .parse()
        .map_err(|e| invalid(format!("--addr: {e}")))?;
    let cpu = parse_num("--cpu", get("--cpu")?)?;
    let size = parse_num("--size", get("--size")?)?;

    sys::die_with_parent()?;
    // Pin before the runtime starts so every thread it creates inherits it.
    sys::pin_to_cpu(cpu)?;
    server.serve(addr, size, |bound| {
        let mut out = io::stdout().lock();
        writeln!(out, "{bound}")?;
        out.flush()
    })?;
    Ok(ExitCode::SUCCESS)
}

fn parse_num(flag: &str, value: &str) -> io::Result<usize> {
    value
        .trim()
        .parse()
        .map_err(|e| invalid(format!("{flag} {value:?}: {e}")))
}

fn parse_list(flag: &str, value: &str) -> io::Result<Vec<usize>> {
    value.split(',').map(|v| parse_num(flag, v)).collect()
}

fn parse_secs(flag: &str, value: &str) -> io::Result<Duration> {
    let secs: f64 = value
        .trim()
        .parse()
        .map_err(|e| invalid(format!("{flag} {value:?}: {e}")))?;
    Duration::try_from_secs_f64(secs).map_err(|e| invalid(format!("{flag} {value:?}: {e}")))
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}
