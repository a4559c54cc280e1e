//! Idle-connection memory: how much server memory (RSS) one connection
//! costs while it sits parked in a read with nothing to do.
//!
//! ```text
//! cargo bench --bench idle                          # 50,000 connections, every server
//! cargo bench --bench idle -- --conns 20000 --server plain
//! cargo bench --bench idle -- --smoke               # CI: 1,000 connections, quick
//! ```
//!
//! Run without any argument (as `cargo test --benches` does) it runs the
//! smoke mode too.
//!
//! Servers, both aio on its io_uring driver, one task per connection:
//! - `plain`: the task loops `read(Vec::with_capacity(16384))`, then
//!   `write_all` of that buffer, as examples/echo.rs does; a parked
//!   connection holds its task, its read op and that buffer.
//! - `pooled`: the task splits its stream and receives with `recv_multi`
//!   from one `aio::buf::BufPool` (1024 buffers of 4 KiB, made before the
//!   server says it is ready, so the pool is in "before") shared by all
//!   connections, and writes each `PooledBuf` back; a parked connection
//!   holds its task and its multishot receive, but no buffer.
//!
//! Method
//! - The server runs in a child process (this binary re-executed with
//!   `--child --server NAME`), which raises RLIMIT_NOFILE, binds
//!   127.0.0.1:0 and prints `ready ADDR`. Its RSS (VmRSS of
//!   `/proc/PID/status`) is read then: that is "before".
//! - This process opens the connections with blocking sockets, each bound
//!   to a source address in 127.0.0.2, 127.0.0.3, ... (10,000 per address,
//!   so no address runs short of ephemeral ports; IP_BIND_ADDRESS_NO_PORT, so
//!   `connect` picks the port) before it connects, and closes them with a
//!   reset at the end, so that no port is left in TIME_WAIT. They
//!   go in batches smaller than the listen backlog: connect the batch,
//!   send one 16-byte message on each, read each echo back and check it.
//!   So every connection was accepted and served once, and is now parked
//!   in its next read.
//! - Both processes raise RLIMIT_NOFILE's soft limit to the hard limit
//!   (the hard one too, where they may); a hard limit too low for
//!   `--conns` is an error that says how many connections fit.
//! - After all are parked and ~1 s of quiet, RSS is read again: "after".
//!   (after - before) / connections is the figure reported: the bytes of
//!   user-space memory one idle connection keeps resident. Kernel socket
//!   memory is not in RSS and not counted.
//! - RSS counts touched pages only. A 16 KiB read buffer that the kernel
//!   wrote 16 bytes into costs about one page here, not four; a server
//!   whose buffers once filled up would keep all of them resident.

#[path = "echo/sys.rs"]
#[allow(dead_code)] // shared with the echo bench, which uses the rest of it
mod sys;

#[path = "idle/servers.rs"]
mod servers;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::os::fd::AsRawFd;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use servers::Server;
use socket2::{Domain, SockAddr, Socket, Type};

const USAGE: &str = "\
usage: idle [--smoke] [--conns 50000] [--server plain|pooled|all]
       idle --child --server NAME --conns N   (internal: one server)";

/// Connections opened by default, and in `--smoke`.
const DEFAULT_CONNS: usize = 50_000;
const SMOKE_CONNS: usize = 1_000;
/// Connections per client source address. The default ephemeral range
/// (32768-60999) has 28,232 ports, but `connect` tries the 14,116 of one
/// parity first and scans all of them again for every connection once they
/// are taken: 20,000 from one address took 5.6 s against 0.4 s for 10,000.
/// Staying within one parity keeps every port pick short.
const PER_SOURCE: usize = 10_000;
/// Connections opened before their messages are exchanged; below the
/// listen backlog (aio's default is 1024), so no SYN is ever dropped.
const BATCH: usize = 256;
/// Descriptors a process needs besides the connections: stdio, the
/// listener, the ring, the runtime's eventfd, the pipes to the child.
const FD_MARGIN: u64 = 64;
/// How long the connections sit idle before "after" is read.
const IDLE: Duration = Duration::from_secs(1);
/// How long a server may take to start, and a client to hear its echo.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Size of the message each connection sends once.
const MESSAGE: usize = 16;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = if args.iter().any(|a| a == "--child") {
        run_child(&args)
    } else {
        Options::parse(&args).and_then(|opts| run_benchmark(&opts))
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("idle: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Command-line options of the benchmark (parent) mode.
#[derive(Debug)]
struct Options {
    conns: usize,
    servers: Vec<Server>,
}

impl Options {
    fn parse(args: &[String]) -> io::Result<Options> {
        let mut opts = Options {
            conns: DEFAULT_CONNS,
            servers: Server::ALL.to_vec(),
        };
        // `cargo test --benches` runs this binary with no arguments at all,
        // where `cargo bench` always passes `--bench`: run the smoke check.
        let mut smoke = args.is_empty();
        let mut conns = None;
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
                "--smoke" => smoke = true,
                "--conns" => conns = Some(parse_num(arg, &value()?)?),
                "--server" => match value()?.as_str() {
                    "all" => opts.servers = Server::ALL.to_vec(),
                    name => {
                        let server = Server::from_name(name)
                            .ok_or_else(|| invalid(format!("unknown server {name:?}\n{USAGE}")))?;
                        opts.servers = vec![server];
                    }
                },
                "-h" | "--help" => return Err(invalid(USAGE.to_string())),
                other => return Err(invalid(format!("unknown argument {other:?}\n{USAGE}"))),
            }
        }
        if smoke {
            opts.conns = SMOKE_CONNS;
        }
        if let Some(conns) = conns {
            opts.conns = conns;
        }
        if opts.conns == 0 {
            return Err(invalid("--conns must be positive".to_string()));
        }
        let sources = opts.conns.div_ceil(PER_SOURCE);
        if sources > 253 {
            return Err(invalid(format!(
                "--conns {}: at most {} fit in 127.0.0.2..127.0.0.254",
                opts.conns,
                253 * PER_SOURCE
            )));
        }
        Ok(opts)
    }
}

/// One server's figures.
struct Row {
    server: Server,
    conns: usize,
    rss_before: u64,
    rss_after: u64,
}

fn run_benchmark(opts: &Options) -> io::Result<ExitCode> {
    let mut notes = Vec::new();
    raise_nofile(opts.conns)?;
    let machine = sys::MachineInfo::collect();
    let mut rows = Vec::new();
    let mut failed = false;
    for &server in &opts.servers {
        match measure(server, opts.conns) {
            Ok(row) => rows.push(row),
            Err(e) => {
                eprintln!("idle: {}: FAILED: {e}", server.name());
                notes.push(format!("{} failed: {e}", server.name()));
                failed = true;
            }
        }
    }
    println!("{}", markdown(&machine, &rows, &notes));
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Starts `server`, parks `conns` connections on it and reads its RSS
/// before and after.
fn measure(server: Server, conns: usize) -> io::Result<Row> {
    let mut process = ServerProcess::launch(server, conns)?;
    let pid = process.child.id();
    let rss_before = rss_bytes(pid)?;
    let started = Instant::now();
    let clients = park_connections(process.addr, conns)?;
    eprintln!(
        "idle: {}: {conns} connections parked in {:.2} s",
        server.name(),
        started.elapsed().as_secs_f64()
    );
    std::thread::sleep(IDLE);
    let rss_after = rss_bytes(pid)?;
    process.check_alive(server)?;
    // Kill the server before the clients close, so it does not spend the
    // teardown echoing end-of-stream.
    drop(process);
    drop(clients);
    Ok(Row {
        server,
        conns,
        rss_before,
        rss_after,
    })
}

/// Opens `conns` connections to `addr`, each from its source address, and
/// has each exchange one message, so every one is accepted and parked.
fn park_connections(addr: SocketAddr, conns: usize) -> io::Result<Vec<TcpStream>> {
    let mut streams = Vec::with_capacity(conns);
    let mut reply = [0u8; MESSAGE];
    while streams.len() < conns {
        let first = streams.len();
        let last = (first + BATCH).min(conns);
        for index in first..last {
            let source = source_addr(index);
            let stream = connect_from(source, addr).map_err(|e| {
                let hint = if e.kind() == io::ErrorKind::AddrNotAvailable {
                    "; out of ports on that address (sockets of an earlier run still in \
                     TIME_WAIT? `ss -tan state time-wait | wc -l`; they clear in 60 s)"
                } else {
                    ""
                };
                io::Error::new(
                    e.kind(),
                    format!("connection #{index} from {source} to {addr}: {e}{hint}"),
                )
            })?;
            streams.push(stream);
        }
        for (index, stream) in streams.iter_mut().enumerate().skip(first) {
            stream.write_all(&message(index))?;
        }
        for (index, stream) in streams.iter_mut().enumerate().skip(first) {
            stream.read_exact(&mut reply).map_err(|e| {
                io::Error::new(e.kind(), format!("echo on connection #{index}: {e}"))
            })?;
            if reply != message(index) {
                return Err(io::Error::other(format!(
                    "connection #{index}: echoed {reply:?}, sent {:?}",
                    message(index)
                )));
            }
        }
    }
    Ok(streams)
}

/// The source address of connection `index`: 127.0.0.2 for the first
/// `PER_SOURCE`, then 127.0.0.3, ...
fn source_addr(index: usize) -> Ipv4Addr {
    let host = u8::try_from(2 + index / PER_SOURCE).expect("Options::parse bounds --conns");
    Ipv4Addr::new(127, 0, 0, host)
}

/// A blocking connection from `source` (kernel-chosen port) to `addr`.
fn connect_from(source: Ipv4Addr, addr: SocketAddr) -> io::Result<TcpStream> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    bind_address_no_port(&socket)?;
    socket.bind(&SockAddr::from(SocketAddrV4::new(source, 0)))?;
    socket.connect_timeout(&SockAddr::from(addr), TIMEOUT)?;
    socket.set_read_timeout(Some(TIMEOUT))?;
    // Close with a reset: the server's sockets outlive it while its ring
    // is torn down, so a graceful close would leave this side in
    // TIME_WAIT, holding the port for a minute and starving the next run.
    socket.set_linger(Some(Duration::ZERO))?;
    Ok(socket.into())
}

/// Sets IP_BIND_ADDRESS_NO_PORT: `bind` then only fixes the address and
/// `connect` picks the port. A port picked by `bind(addr:0)` must be free
/// whatever the destination, a search that grows with every port in use
/// (20,000 binds took ~28 s of kernel time); `connect` only needs the
/// 4-tuple free.
fn bind_address_no_port(socket: &Socket) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: the option value is a live c_int and its size is passed
    // with it; the descriptor is the socket's own.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The message connection `index` sends: its index, then a fixed tag.
fn message(index: usize) -> [u8; MESSAGE] {
    let mut msg = [0u8; MESSAGE];
    msg[..8].copy_from_slice(&(index as u64).to_le_bytes());
    msg[8..].copy_from_slice(b"idle-msg");
    msg
}

/// The report, as markdown on stdout.
fn markdown(machine: &sys::MachineInfo, rows: &[Row], notes: &[String]) -> String {
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    let mut out = String::from("# Idle connections\n\n");
    out.push_str(&format!(
        "- machine: {} ({} cores)\n- kernel: {}\n- date: {}\n",
        machine.cpu_model, machine.cores, machine.kernel, machine.date
    ));
    out.push_str(&format!(
        "- method: server RSS (VmRSS) after it is ready and again after every connection \
         exchanged one {MESSAGE}-byte message and sat idle {:.0} s; bytes per connection is \
         the difference over the connections (user-space memory only; RSS counts touched \
         pages)\n\n",
        IDLE.as_secs_f64()
    ));
    out.push_str("| server | connections | RSS before | RSS after | bytes per idle connection |\n");
    out.push_str("|---|--:|--:|--:|--:|\n");
    for row in rows {
        let per_conn = row.rss_after.saturating_sub(row.rss_before) as f64 / row.conns as f64;
        out.push_str(&format!(
            "| {} | {} | {:.1} MiB | {:.1} MiB | {per_conn:.0} |\n",
            row.server.name(),
            row.conns,
            mib(row.rss_before),
            mib(row.rss_after),
        ));
    }
    for note in notes {
        out.push_str(&format!("\n> {note}\n"));
    }
    out
}

/// A running server child; killed when dropped.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    /// Starts `server` sized for `conns` connections and waits for its
    /// `ready ADDR` line.
    fn launch(server: Server, conns: usize) -> io::Result<ServerProcess> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .args(["--child", "--server", server.name()])
            .args(["--conns", &conns.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                io::Error::new(e.kind(), format!("spawning the {server:?} server: {e}"))
            })?;
        let stdout = child.stdout.take().expect("stdout was requested as a pipe");
        // Read the line on a helper thread so that a server that hangs
        // before announcing costs a timeout, not the whole run.
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
        let name = server.name();
        let line = rx
            .recv_timeout(TIMEOUT)
            .map_err(|_| io::Error::other(format!("{name} server did not say it was ready")))??;
        if line.is_empty() {
            // End of stdout first: the server exited (its stderr says why).
            let status = process.child.wait()?;
            return Err(io::Error::other(format!(
                "{name} server exited at start-up ({status})"
            )));
        }
        process.addr = line
            .trim()
            .strip_prefix("ready ")
            .and_then(|addr| addr.parse().ok())
            .ok_or_else(|| io::Error::other(format!("{name} server said {line:?}")))?;
        Ok(process)
    }

    /// An error if the server has exited (it crashed under the load).
    fn check_alive(&mut self, server: Server) -> io::Result<()> {
        match self.child.try_wait()? {
            Some(status) => Err(io::Error::other(format!(
                "{} server exited during the run: {status}",
                server.name()
            ))),
            None => Ok(()),
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // Kill errors only mean it is already gone; wait reaps it either way.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The resident set size of process `pid`, in bytes.
fn rss_bytes(pid: u32) -> io::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path)
        .map_err(|e| io::Error::new(e.kind(), format!("{path}: {e}")))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kib| kib.trim().parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| io::Error::other(format!("{path}: no VmRSS line")))
}

/// Raises RLIMIT_NOFILE's soft limit to the hard limit, and the hard limit
/// too where `conns` need more and the process may (CAP_SYS_RESOURCE);
/// otherwise an error that says how many connections fit.
fn raise_nofile(conns: usize) -> io::Result<()> {
    let needed = conns as u64 + FD_MARGIN;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let hard = limit.rlim_max;
    let wanted = libc::rlimit {
        rlim_cur: hard.max(needed),
        rlim_max: hard.max(needed),
    };
    // SAFETY: setrlimit reads one rlimit from the struct we pass.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) } == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    if needed <= hard {
        return Err(io::Error::new(
            err.kind(),
            format!("setrlimit(NOFILE): {err}"),
        ));
    }
    let fits = hard.saturating_sub(FD_MARGIN);
    Err(io::Error::other(format!(
        "{conns} connections need {needed} file descriptors in the server and in the client, \
         but RLIMIT_NOFILE's hard limit is {hard} and raising it failed ({err}); run with \
         --conns {fits}, or raise the hard limit (`ulimit -Hn {needed}` as root, or nofile in \
         /etc/security/limits.conf)"
    )))
}

/// Child mode: `--child --server NAME --conns N`. Raises its descriptor
/// limit, starts the server and prints `ready ADDR` on stdout.
fn run_child(args: &[String]) -> io::Result<ExitCode> {
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
    let conns = parse_num("--conns", get("--conns")?)?;
    sys::die_with_parent()?;
    raise_nofile(conns)?;
    server.serve_fn()()?;
    Ok(ExitCode::SUCCESS)
}

fn parse_num(flag: &str, value: &str) -> io::Result<usize> {
    value
        .trim()
        .parse()
        .map_err(|e| invalid(format!("{flag} {value:?}: {e}")))
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}
