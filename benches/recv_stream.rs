//! `cargo bench --bench recv_stream [-- --mib 256 --rounds 7 | --smoke]`:
//! what receive bundles buy a bulk stream.
//!
//! A std sender thread (CPU 1) writes a TCP stream as fast as it can; an aio
//! io_uring runtime (CPU 0) receives it three ways, in interleaved rounds:
//!
//! - `read`: `read` into a reused 64 KiB `Vec` (a single-shot receive each);
//! - `multi`: `recv_multi` from a pool of 1024 × 4 KiB buffers, one
//!   completion per buffer (`AIO_RECV_BUNDLE=0`);
//! - `bundle`: the same with receive bundles (Linux 6.10+): one completion
//!   for all the data waiting, across as many buffers as it needs.
//!
//! Reported per round: receiver CPU (thread time) per MiB and MiB/s; then
//! the median over rounds of each mode's CPU/MiB over `multi`'s, paired by
//! round.

#[path = "echo/sys.rs"]
#[allow(dead_code)]
mod sys;

use std::io::Write;
use std::net::TcpListener;
use std::time::Instant;

use aio::buf::BufPool;
use aio::io::AsyncReadRent;

const MODES: [&str; 3] = ["read", "multi", "bundle"];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let smoke = args.iter().any(|a| a == "--smoke");
    let value = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map_or(default, |v| v.parse().expect("a number"))
    };
    let mib = if smoke { 8 } else { value("--mib", 256) };
    let rounds = if smoke { 1 } else { value("--rounds", 7) };
    let m = sys::MachineInfo::collect();
    println!(
        "recv_stream: {} ({} cores), Linux {}, {}; {mib} MiB per run, {rounds} round(s)",
        m.cpu_model, m.cores, m.kernel, m.date
    );
    let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); MODES.len()];
    for round in 1..=rounds {
        for (i, mode) in MODES.iter().enumerate() {
            let (cpu_per_mib, mibs) = run(mode, mib);
            println!("round {round}: {mode:>6}  {cpu_per_mib:8.1} µs CPU/MiB  {mibs:8.0} MiB/s");
            cpu[i].push(cpu_per_mib);
        }
    }
    for (i, mode) in MODES.iter().enumerate() {
        let mut r: Vec<f64> = cpu[i].iter().zip(&cpu[1]).map(|(a, b)| a / b).collect();
        r.sort_by(f64::total_cmp);
        println!(
            "{mode:>6} CPU/MiB vs multi: median {:.3} [{:.3}..{:.3}]",
            r[r.len() / 2],
            r[0],
            r[r.len() - 1]
        );
    }
}

/// Streams `mib` MiB to a receiver in `mode`; returns its CPU µs per MiB
/// and the MiB/s.
fn run(mode: &str, mib: usize) -> (f64, f64) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let total = mib << 20;
    let sender = std::thread::spawn(move || {
        let _ = sys::pin_to_cpu(1);
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let chunk = vec![0x5a_u8; 256 * 1024];
        let mut sent = 0;
        while sent < total {
            let n = chunk.len().min(total - sent);
            s.write_all(&chunk[..n]).unwrap();
            sent += n;
        }
    });
    let (conn, _) = listener.accept().unwrap();
    let mode = mode.to_string();
    let receiver = std::thread::spawn(move || {
        let _ = sys::pin_to_cpu(0);
        if mode == "multi" {
            std::env::set_var("AIO_RECV_BUNDLE", "0");
        } else {
            std::env::remove_var("AIO_RECV_BUNDLE");
        }
        let rt = aio::RuntimeBuilder::new()
            .driver(aio::Driver::IoUring)
            .build()
            .expect("an io_uring runtime");
        rt.block_on(async move {
            let mut stream = aio::net::TcpStream::from_std(conn).unwrap();
            let cpu0 = sys::thread_cpu_ns().unwrap();
            let t0 = Instant::now();
            let mut got = 0;
            if mode == "read" {
                let mut buf = Vec::with_capacity(64 * 1024);
                loop {
                    buf.clear();
                    let (res, b) = stream.read(buf).await;
                    buf = b;
                    match res.unwrap() {
                        0 => break,
                        n => got += n,
                    }
                }
            } else {
                let pool = BufPool::new(1024, 4096).unwrap();
                let mut multi = stream.recv_multi(&pool);
                while let Some(buf) = std::future::poll_fn(|cx| multi.poll_next_unpin(cx)).await {
                    got += buf.unwrap().len();
                }
            }
            assert_eq!(got, total);
            let cpu = (sys::thread_cpu_ns().unwrap() - cpu0) as f64 / 1e3;
            let secs = t0.elapsed().as_secs_f64();
            (cpu / (total >> 20) as f64, (total >> 20) as f64 / secs)
        })
    });
    sender.join().unwrap();
    receiver.join().unwrap()
}

trait PollNextUnpin: futures_core::Stream + Unpin {
    fn poll_next_unpin(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::pin::Pin::new(self).poll_next(cx)
    }
}

impl<S: futures_core::Stream + Unpin> PollNextUnpin for S {}
