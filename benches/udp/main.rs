//! `cargo bench --bench udp [-- --secs 2 --rounds 3 --batch 32 | --smoke]`:
//! what batched UDP (`recv_from_many`/`send_to_many`, recvmmsg/sendmmsg)
//! buys a UDP echo server over one datagram per call (`recv_from` +
//! `send_to`), for 64-byte and 1200-byte datagrams, on both drivers.
//!
//! Method
//! - The server is an aio runtime on one thread pinned to CPU 0; it echoes
//!   every datagram to its sender, either one per call (`single`) or in
//!   batches of up to `--batch` (`batch`: one `recv_from_many`, then one
//!   `send_to_many` of what arrived, resending after a partial send).
//! - The load generator is an aio io_uring runtime on a thread pinned to
//!   CPU 1 (the same for every server): it keeps a window of 256 datagrams
//!   in flight with batched calls, verifies every echo (size and bytes),
//!   and after 20 ms without any echo assumes the window lost (loopback
//!   drops when a socket buffer overflows) and sends a new one. Both
//!   sockets have 4 MiB buffers.
//! - After a 300 ms warm-up the measured window opens: the server counts
//!   the datagrams it echoes and its own thread's on-CPU time
//!   (`/proc/thread-self/schedstat`, user + kernel, as the echo bench
//!   measures CPU), until the window closes. Reported: packets/s (echoed
//!   datagrams per second), server CPU ns per packet (one datagram
//!   received and sent back; on loopback the sender's CPU also pays the
//!   delivery into the receiving socket, so this includes the kernel's
//!   network stack both ways) and datagrams per receive call.
//! - Every configuration runs once per round, in a rotated order, for
//!   `--rounds` rounds; reported are medians over rounds, and the batch /
//!   single CPU-per-packet ratio paired by round (median [min..max]).
//!
//! `--smoke` (CI): every configuration for 0.3 s, one round, echoes
//! verified, no timing asserted. Run without arguments (as `cargo test
//! --benches` does) it runs the smoke mode too.

#[path = "../echo/sys.rs"]
#[allow(dead_code)]
mod sys;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aio::net::{NetConfig, UdpSocket};
use aio::Driver;

/// The datagram sizes compared.
const SIZES: [usize; 2] = [64, 1200];
/// Datagrams the load generator keeps in flight.
const WINDOW: usize = 256;
const SOCK_BUF: usize = 4 << 20;

/// The server's phase, set by the main thread.
const WARMUP: u8 = 0;
const MEASURE: u8 = 1;
const STOP: u8 = 2;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Single,
    Batch,
}

#[derive(Clone, Copy)]
struct Config {
    driver: Driver,
    mode: Mode,
    size: usize,
}

impl Config {
    fn label(&self) -> String {
        let driver = match self.driver {
            Driver::Epoll => "epoll",
            _ => "uring",
        };
        let mode = match self.mode {
            Mode::Single => "single",
            Mode::Batch => "batch",
        };
        format!("{driver:>5} {:>4} B {mode:>6}", self.size)
    }
}

/// What one run measured.
struct Sample {
    pps: f64,
    cpu_ns_per_pkt: f64,
    /// Datagrams per receive call (1 for `single`).
    per_call: f64,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let smoke = args.iter().any(|a| a == "--smoke") || args.len() <= 1 || bench_flag_only(&args);
    let value = |name: &str, default: f64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map_or(default, |v| v.parse().expect("a number"))
    };
    let secs = if smoke { 0.3 } else { value("--secs", 2.0) };
    let rounds = if smoke {
        1
    } else {
        value("--rounds", 3.0) as usize
    };
    let batch = value("--batch", 32.0) as usize;
    let m = sys::MachineInfo::collect();
    println!(
        "udp: {} ({} cores), Linux {}, {}; {secs} s per run, {rounds} round(s), batch {batch}{}",
        m.cpu_model,
        m.cores,
        m.kernel,
        m.date,
        if smoke { " (smoke)" } else { "" }
    );
    let mut drivers = vec![Driver::IoUring, Driver::Epoll];
    if aio::RuntimeBuilder::new()
        .driver(Driver::IoUring)
        .build()
        .is_err()
    {
        println!("io_uring cannot start here: epoll only");
        drivers.remove(0);
    }
    let mut configs = Vec::new();
    for &driver in &drivers {
        for size in SIZES {
            for mode in [Mode::Single, Mode::Batch] {
                configs.push(Config { driver, mode, size });
            }
        }
    }
    let mut samples: Vec<Vec<Sample>> = configs.iter().map(|_| Vec::new()).collect();
    for round in 0..rounds {
        for k in 0..configs.len() {
            let i = (k + round) % configs.len();
            let s = run(configs[i], batch, secs);
            println!(
                "round {}: {}  {:>9.0} pkt/s  {:>7.0} ns CPU/pkt  {:>5.1} pkt/recv",
                round + 1,
                configs[i].label(),
                s.pps,
                s.cpu_ns_per_pkt,
                s.per_call
            );
            samples[i].push(s);
        }
    }
    println!("\nmedians over {rounds} round(s) (server: 1 thread on CPU 0)");
    println!(
        "config                    pkt/s   ns CPU/pkt  pkt/recv  batch/single CPU/pkt, paired"
    );
    for (i, c) in configs.iter().enumerate() {
        let pps = median(samples[i].iter().map(|s| s.pps).collect());
        let cpu = median(samples[i].iter().map(|s| s.cpu_ns_per_pkt).collect());
        let per_call = median(samples[i].iter().map(|s| s.per_call).collect());
        let ratio = if c.mode == Mode::Batch {
            let single = &samples[i - 1];
            let mut r: Vec<f64> = samples[i]
                .iter()
                .zip(single)
                .map(|(b, s)| b.cpu_ns_per_pkt / s.cpu_ns_per_pkt)
                .collect();
            r.sort_by(f64::total_cmp);
            format!("{:.2} [{:.2}..{:.2}]", r[r.len() / 2], r[0], r[r.len() - 1])
        } else {
            String::new()
        };
        println!(
            "{}  {pps:>9.0}  {cpu:>9.0}  {per_call:>8.1}  {ratio}",
            c.label()
        );
    }
}

/// `cargo bench` passes `--bench`; alone it means "no arguments".
fn bench_flag_only(args: &[String]) -> bool {
    args[1..].iter().all(|a| a == "--bench")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn config() -> NetConfig {
    NetConfig::default()
        .recv_buffer_size(SOCK_BUF)
        .send_buffer_size(SOCK_BUF)
}

/// One measurement: a server in `c`'s configuration under load for `secs`.
fn run(c: Config, batch: usize, secs: f64) -> Sample {
    let phase = Arc::new(AtomicU8::new(WARMUP));
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let server = {
        let phase = phase.clone();
        std::thread::spawn(move || {
            let _ = sys::pin_to_cpu(0);
            let rt = aio::RuntimeBuilder::new()
                .driver(c.driver)
                .build()
                .expect("server runtime");
            rt.block_on(serve(c, batch, phase, addr_tx))
        })
    };
    let server_addr: SocketAddr = addr_rx.recv().expect("server address");
    let client_phase = phase.clone();
    let size = c.size;
    let client = std::thread::spawn(move || {
        let _ = sys::pin_to_cpu(1);
        let rt = aio::RuntimeBuilder::new()
            .driver(Driver::IoUring)
            .build()
            .or_else(|_| aio::RuntimeBuilder::new().driver(Driver::Epoll).build())
            .expect("client runtime");
        rt.block_on(load(server_addr, size, client_phase))
    });
    std::thread::sleep(Duration::from_millis(300));
    phase.store(MEASURE, Ordering::SeqCst);
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(secs));
    phase.store(STOP, Ordering::SeqCst);
    let wall = t0.elapsed().as_secs_f64();
    let echoed = client.join().expect("load generator");
    assert!(echoed > 0, "{}: no echo came back", c.label());
    // The load has stopped: wake the server so it sees the phase.
    let poke = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let (packets, cpu_ns, calls) = loop {
        poke.send_to(b"x", server_addr).unwrap();
        if server.is_finished() {
            break server.join().expect("server");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(packets > 0, "{}: the server echoed nothing", c.label());
    Sample {
        pps: packets as f64 / wall,
        cpu_ns_per_pkt: cpu_ns as f64 / packets as f64,
        per_call: packets as f64 / calls.max(1) as f64,
    }
}

/// Counts what the server does between the phase switching to MEASURE
/// and to STOP: (datagrams echoed, on-CPU ns, receive calls).
struct Meter {
    phase: Arc<AtomicU8>,
    seen: u8,
    packets: u64,
    calls: u64,
    cpu0: u64,
    cpu_ns: u64,
}

impl Meter {
    /// Notes `n` datagrams echoed; false once the run is over.
    fn tick(&mut self, n: usize) -> bool {
        if self.seen == MEASURE {
            self.packets += n as u64;
            self.calls += 1;
        }
        let now = self.phase.load(Ordering::Relaxed);
        if now != self.seen {
            let cpu = sys::thread_cpu_ns().expect("thread CPU time");
            if now == MEASURE {
                self.cpu0 = cpu;
            } else if now == STOP {
                if self.seen == MEASURE {
                    self.cpu_ns = cpu - self.cpu0;
                }
                return false;
            }
            self.seen = now;
        }
        true
    }
}

async fn serve(
    c: Config,
    batch: usize,
    phase: Arc<AtomicU8>,
    addr_tx: std::sync::mpsc::Sender<SocketAddr>,
) -> (u64, u64, u64) {
    let socket = UdpSocket::bind_with("127.0.0.1:0", &config()).expect("server bind");
    addr_tx.send(socket.local_addr().unwrap()).unwrap();
    let mut meter = Meter {
        phase,
        seen: WARMUP,
        packets: 0,
        calls: 0,
        cpu0: 0,
        cpu_ns: 0,
    };
    match c.mode {
        Mode::Single => {
            let mut buf = Vec::with_capacity(2048);
            loop {
                buf.clear();
                let (res, b) = socket.recv_from(buf).await;
                let (_, from) = res.expect("recv_from");
                let (res, b) = socket.send_to(b, from).await;
                res.expect("send_to");
                buf = b;
                if !meter.tick(1) {
                    break;
                }
            }
        }
        Mode::Batch => {
            let mut bufs: Vec<Vec<u8>> = (0..batch).map(|_| Vec::with_capacity(2048)).collect();
            loop {
                bufs.iter_mut().for_each(Vec::clear);
                let (res, mut got_bufs) = socket.recv_from_many(bufs).await;
                let got = res.expect("recv_from_many");
                let rest = got_bufs.split_off(got.len());
                let mut pending: Vec<(Vec<u8>, SocketAddr)> =
                    got_bufs.into_iter().zip(got.iter().map(|g| g.1)).collect();
                let mut done = Vec::with_capacity(batch);
                while !pending.is_empty() {
                    let (res, mut msgs) = socket.send_to_many(pending).await;
                    // A datagram the kernel refuses is dropped, as a
                    // server would.
                    let sent = res.map_or(1, |n| n);
                    pending = msgs.split_off(sent.min(msgs.len()));
                    done.extend(msgs);
                }
                bufs = done.into_iter().map(|(b, _)| b).chain(rest).collect();
                if !meter.tick(got.len()) {
                    break;
                }
            }
        }
    }
    (meter.packets, meter.cpu_ns, meter.calls)
}

/// The load generator: keeps `WINDOW` datagrams of `size` bytes in flight
/// to `server` until the phase is STOP; verifies every echo. Returns the
/// number of echoes.
async fn load(server: SocketAddr, size: usize, phase: Arc<AtomicU8>) -> u64 {
    let socket = UdpSocket::bind_with("127.0.0.1:0", &config()).expect("client bind");
    let payload: &'static [u8] = Box::leak(
        (0..size)
            .map(|i| (i * 7 + 3) as u8)
            .collect::<Vec<u8>>()
            .into_boxed_slice(),
    );
    let mut echoed = 0u64;
    let mut in_flight = 0usize;
    let mut bufs: Vec<Vec<u8>> = (0..64).map(|_| Vec::with_capacity(2048)).collect();
    while phase.load(Ordering::Relaxed) != STOP {
        let mut msgs: Vec<(&'static [u8], SocketAddr)> =
            vec![(payload, server); WINDOW - in_flight];
        while !msgs.is_empty() {
            let (res, mut back) = socket.send_to_many(msgs).await;
            let sent = res.expect("load send_to_many");
            in_flight += sent;
            msgs = back.split_off(sent);
        }
        bufs.iter_mut().for_each(Vec::clear);
        match aio::time::timeout(Duration::from_millis(20), socket.recv_from_many(bufs)).await {
            Ok((res, back)) => {
                let got = res.expect("load recv_from_many");
                for (i, (n, from)) in got.iter().enumerate() {
                    assert_eq!(*from, server, "an echo from the server");
                    assert_eq!(*n, size, "the echo has the datagram's size");
                    assert_eq!(&back[i][..], payload, "the echo has the datagram's bytes");
                }
                in_flight = in_flight.saturating_sub(got.len());
                echoed += got.len() as u64;
                bufs = back;
            }
            Err(_) => {
                // Nothing for 20 ms: the window was dropped somewhere.
                in_flight = 0;
                bufs = (0..64).map(|_| Vec::with_capacity(2048)).collect();
            }
        }
    }
    echoed
}
