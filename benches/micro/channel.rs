//! aio's cross-core channel (`aio::cores::channel`) against
//! `std::sync::mpsc`. Both ends run on their own threads, pinned to CPUs 0
//! and 1 and started together by a barrier; the receiving side times the run.

use std::hint::black_box;
use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::Instant;

use criterion::Criterion;

use crate::runtimes::configure;

/// Spawns a thread pinned to `cpu` (best effort: a machine with fewer CPUs
/// runs it unpinned, and says so).
fn spawn_on_cpu<T: Send + 'static>(
    cpu: usize,
    f: impl FnOnce() -> T + Send + 'static,
) -> thread::JoinHandle<T> {
    thread::spawn(move || {
        if let Err(e) = pin_to_cpu(cpu) {
            eprintln!("micro: running unpinned: {e}");
        }
        f()
    })
}

fn pin_to_cpu(cpu: usize) -> std::io::Result<()> {
    // SAFETY: all-zeroes is a valid (empty) `cpu_set_t`.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: CPU_SET writes only the bit for `cpu` inside `set` and bounds
    // checks `cpu` itself.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: pid 0 is the calling thread; pointer and size describe `set`.
    if unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) } != 0 {
        let err = std::io::Error::last_os_error();
        return Err(std::io::Error::new(
            err.kind(),
            format!("sched_setaffinity(cpu {cpu}): {err}"),
        ));
    }
    Ok(())
}

/// Capacity of the streaming channels: enough that the sender rarely waits.
const STREAM_CAPACITY: usize = 1024;

/// One iteration: one message through a channel that rarely fills or
/// empties (throughput; the receiver is seldom parked). Sent from a plain
/// thread (`send_blocking`) and from another core's runtime (`send().await`).
pub fn channel_stream(c: &mut Criterion) {
    let mut group = c.benchmark_group("channel_stream");
    configure(&mut group);
    group.bench_function("aio-cores-channel-thread-to-core", |b| {
        b.iter_custom(|iters| {
            let (tx, mut rx) = aio::cores::channel::<u64>(STREAM_CAPACITY);
            let go = Arc::new(Barrier::new(2));
            let go_tx = go.clone();
            // A plain thread sends (send_blocking), a runtime receives.
            let sender = spawn_on_cpu(1, move || {
                go_tx.wait();
                for i in 0..iters {
                    tx.send_blocking(i).expect("receiver alive");
                }
            });
            let receiver = spawn_on_cpu(0, move || {
                let rt = aio::Runtime::new().expect("aio runtime");
                rt.block_on(async move {
                    go.wait();
                    let start = Instant::now();
                    for _ in 0..iters {
                        black_box(rx.recv().await.expect("sender alive"));
                    }
                    start.elapsed()
                })
            });
            sender.join().expect("sender thread");
            receiver.join().expect("receiver thread")
        })
    });
    group.bench_function("aio-cores-channel-core-to-core", |b| {
        b.iter_custom(|iters| {
            let (tx, mut rx) = aio::cores::channel::<u64>(STREAM_CAPACITY);
            let go = Arc::new(Barrier::new(2));
            let go_tx = go.clone();
            // Both ends on runtimes: the thread-per-core use (send().await).
            let sender = spawn_on_cpu(1, move || {
                let rt = aio::Runtime::new().expect("aio runtime");
                rt.block_on(async move {
                    go_tx.wait();
                    for i in 0..iters {
                        tx.send(i).await.expect("receiver alive");
                    }
                })
            });
            let receiver = spawn_on_cpu(0, move || {
                let rt = aio::Runtime::new().expect("aio runtime");
                rt.block_on(async move {
                    go.wait();
                    let start = Instant::now();
                    for _ in 0..iters {
                        black_box(rx.recv().await.expect("sender alive"));
                    }
                    start.elapsed()
                })
            });
            sender.join().expect("sender thread");
            receiver.join().expect("receiver thread")
        })
    });
    group.bench_function("std-mpsc", |b| {
        b.iter_custom(|iters| {
            let (tx, rx) = mpsc::sync_channel::<u64>(STREAM_CAPACITY);
            let go = Arc::new(Barrier::new(2));
            let go_tx = go.clone();
            let sender = spawn_on_cpu(1, move || {
                go_tx.wait();
                for i in 0..iters {
                    tx.send(i).expect("receiver alive");
                }
            });
            let receiver = spawn_on_cpu(0, move || {
                go.wait();
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(rx.recv().expect("sender alive"));
                }
                start.elapsed()
            });
            sender.join().expect("sender thread");
            receiver.join().expect("receiver thread")
        })
    });
    group.finish();
}

/// One iteration: a message to the other core and its reply, so every
/// message finds its receiver parked and pays a full cross-core wake.
pub fn channel_pingpong(c: &mut Criterion) {
    let mut group = c.benchmark_group("channel_pingpong");
    configure(&mut group);
    group.bench_function("aio-cores-channel", |b| {
        b.iter_custom(|iters| {
            let (ping_tx, mut ping_rx) = aio::cores::channel::<u64>(1);
            let (pong_tx, mut pong_rx) = aio::cores::channel::<u64>(1);
            let ponger = spawn_on_cpu(1, move || {
                let rt = aio::Runtime::new().expect("aio runtime");
                rt.block_on(async move {
                    while let Some(v) = ping_rx.recv().await {
                        pong_tx.send(v).await.expect("pinger alive");
                    }
                })
            });
            let pinger = spawn_on_cpu(0, move || {
                let rt = aio::Runtime::new().expect("aio runtime");
                rt.block_on(async move {
                    let start = Instant::now();
                    for i in 0..iters {
                        ping_tx.send(i).await.expect("ponger alive");
                        black_box(pong_rx.recv().await.expect("ponger alive"));
                    }
                    start.elapsed()
                })
            });
            let elapsed = pinger.join().expect("pinger thread");
            ponger.join().expect("ponger thread");
            elapsed
        })
    });
    group.bench_function("std-mpsc", |b| {
        b.iter_custom(|iters| {
            let (ping_tx, ping_rx) = mpsc::sync_channel::<u64>(1);
            let (pong_tx, pong_rx) = mpsc::sync_channel::<u64>(1);
            let ponger = spawn_on_cpu(1, move || {
                while let Ok(v) = ping_rx.recv() {
                    pong_tx.send(v).expect("pinger alive");
                }
            });
            let pinger = spawn_on_cpu(0, move || {
                let start = Instant::now();
                for i in 0..iters {
                    ping_tx.send(i).expect("ponger alive");
                    black_box(pong_rx.recv().expect("ponger alive"));
                }
                start.elapsed()
            });
            let elapsed = pinger.join().expect("pinger thread");
            ponger.join().expect("ponger thread");
            elapsed
        })
    });
    group.finish();
}
