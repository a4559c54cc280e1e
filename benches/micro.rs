//! Criterion micro-benchmarks of aio's building blocks against the same
//! operation on tokio (current_thread) and monoio (io_uring driver).
//!
//! ```text
//! cargo bench --bench micro                 # everything, a few minutes
//! cargo bench --bench micro -- spawn_join   # one group (criterion filter)
//! ```
//!
//! Every runtime benchmark times the loop *inside* one `block_on` with
//! `iter_custom`, so entering and leaving the runtime is not part of the
//! figure, only the operation: `iters` repetitions, total elapsed time.
//! Groups: `spawn_join`, `yield_pingpong`, `timer_cancel`, `sleep_zero`,
//! `tcp_rtt_1b` (one runtime runs both ends of a loopback connection),
//! `channel_stream` and `channel_pingpong` (aio's cross-core channel between
//! two pinned threads, against `std::sync::mpsc` on the same threads).
//!
//! An aio backend that cannot start here (io_uring disabled, epoll backend
//! not built) is skipped with a message rather than failing the suite.

use std::future::Future;
use std::hint::black_box;
use std::pin::{pin, Pin};
use std::sync::{mpsc, Barrier};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, SamplingMode};

/// A duration no benchmark waits out: timers of this length are only ever
/// registered and cancelled.
const FAR: Duration = Duration::from_secs(3600);

// ---------------------------------------------------------------------------
// Runtimes

/// The aio runtimes to measure: io_uring, and epoll where the operation
/// depends on the backend (timers and sockets).
fn aio_runtimes(with_epoll: bool) -> Vec<(&'static str, aio::Runtime)> {
    let mut drivers = vec![("aio-uring", aio::Driver::IoUring)];
    if with_epoll {
        drivers.push(("aio-epoll", aio::Driver::Epoll));
    }
    drivers
        .into_iter()
        .filter_map(
            |(name, driver)| match aio::RuntimeBuilder::new().driver(driver).build() {
                Ok(rt) => Some((name, rt)),
                Err(e) => {
                    eprintln!("micro: skipping {name}: {e}");
                    None
                }
            },
        )
        .collect()
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("building a tokio current_thread runtime")
}

fn monoio_runtime() -> monoio::Runtime<monoio::time::TimeDriver<monoio::IoUringDriver>> {
    monoio::RuntimeBuilder::<monoio::IoUringDriver>::new()
        .enable_timer()
        .build()
        .expect("building a monoio io_uring runtime")
}

/// Criterion settings shared by every group: short enough that the whole
/// suite runs in a few minutes.
fn configure<M: criterion::measurement::Measurement>(group: &mut BenchmarkGroup<'_, M>) {
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
}

// ---------------------------------------------------------------------------
// Helpers

/// Polls `fut` exactly once and asserts it is still pending (so that a timer
/// has been registered with its runtime before being dropped).
async fn poll_once<F: Future>(fut: Pin<&mut F>) {
    let mut fut = Some(fut);
    std::future::poll_fn(|cx| {
        let fut = fut.take().expect("polled once only");
        let polled = fut.poll(cx);
        assert!(polled.is_pending(), "a far-future timer completed at once");
        Poll::Ready(())
    })
    .await
}

/// Yields to the scheduler once, for monoio, which has no `yield_now`: the
/// usual hand-written version (wake self, return Pending once).
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

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

// ---------------------------------------------------------------------------
// spawn + join of a trivial task

fn spawn_join(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn_join");
    configure(&mut group);
    for (name, rt) in aio_runtimes(false) {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async move {
                    let start = Instant::now();
                    for i in 0..iters {
                        let out = aio::spawn(async move { black_box(i) }).await;
                        black_box(out.expect("trivial task failed"));
                    }
                    start.elapsed()
                })
            })
        });
    }
    let rt = tokio_runtime();
    group.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async move {
                let start = Instant::now();
                for i in 0..iters {
                    let out = tokio::spawn(async move { black_box(i) }).await;
                    black_box(out.expect("trivial task failed"));
                }
                start.elapsed()
            })
        })
    });
    let mut rt = monoio_runtime();
    group.bench_function("monoio", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async move {
                let start = Instant::now();
                for i in 0..iters {
                    black_box(monoio::spawn(async move { black_box(i) }).await);
                }
                start.elapsed()
            })
        })
    });
    group.finish();
}

// ---------------------------------------------------------------------------
// yield ping-pong: two tasks that each yield `iters` times alternate on the
// run queue; one iteration is one yield of each (a round trip).

fn yield_pingpong(c: &mut Criterion) {
    let mut group = c.benchmark_group("yield_pingpong");
    configure(&mut group);
    for (name, rt) in aio_runtimes(false) {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async move {
                    let player = move || async move {
                        for _ in 0..iters {
                            aio::task::yield_now().await;
                        }
                    };
                    let start = Instant::now();
                    let (first, second) = (aio::spawn(player()), aio::spawn(player()));
                    first.await.expect("player failed");
                    second.await.expect("player failed");
                    start.elapsed()
                })
            })
        });
    }
    let rt = tokio_runtime();
    group.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async move {
                let player = move || async move {
                    for _ in 0..iters {
                        tokio::task::yield_now().await;
                    }
                };
                let start = Instant::now();
                let (first, second) = (tokio::spawn(player()), tokio::spawn(player()));
                first.await.expect("player failed");
                second.await.expect("player failed");
                start.elapsed()
            })
        })
    });
    let mut rt = monoio_runtime();
    group.bench_function("monoio", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async move {
                let player = move || async move {
                    for _ in 0..iters {
                        YieldNow(false).await;
                    }
                };
                let start = Instant::now();
                let (first, second) = (monoio::spawn(player()), monoio::spawn(player()));
                first.await;
                second.await;
                start.elapsed()
            })
        })
    });
    group.finish();
}

// ---------------------------------------------------------------------------
// timer create + cancel: create a far sleep, poll it once so it registers
// with the runtime's timer, drop it (the typical life of a timeout that
// guarded an operation which finished first).

fn timer_cancel(c: &mut Criterion) {
    let mut group = c.benchmark_group("timer_cancel");
    configure(&mut group);
    for (name, rt) in aio_runtimes(true) {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        poll_once(pin!(aio::time::sleep(FAR))).await;
                    }
                    start.elapsed()
                })
            })
        });
    }
    let rt = tokio_runtime();
    group.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    poll_once(pin!(tokio::time::sleep(FAR))).await;
                }
                start.elapsed()
            })
        })
    });
    let mut rt = monoio_runtime();
    group.bench_function("monoio", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    poll_once(pin!(monoio::time::sleep(FAR))).await;
                }
                start.elapsed()
            })
        })
    });
    group.finish();
}

// ---------------------------------------------------------------------------
// sleep(0) round trip: a timer that is due at once, awaited to completion.

fn sleep_zero(c: &mut Criterion) {
    let mut group = c.benchmark_group("sleep_zero");
    configure(&mut group);
    // tokio's and monoio's wheels tick in milliseconds, so their sleep(0)
    // waits for the next tick (~1 ms): fewer, flat samples keep the group
    // within its time budget.
    group.sample_size(20).sampling_mode(SamplingMode::Flat);
    for (name, rt) in aio_runtimes(true) {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async move {
                    let start = Instant::now();
                    for _ in 0..iters {
                        aio::time::sleep(Duration::ZERO).await;
                    }
                    start.elapsed()
                })
            })
        });
    }
    let rt = tokio_runtime();
    group.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    tokio::time::sleep(Duration::ZERO).await;
                }
                start.elapsed()
            })
        })
    });
    let mut rt = monoio_runtime();
    group.bench_function("monoio", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async move {
                let start = Instant::now();
                for _ in 0..iters {
                    monoio::time::sleep(Duration::ZERO).await;
                }
                start.elapsed()
            })
        })
    });
    group.finish();
}

// ---------------------------------------------------------------------------
// 1-byte TCP round trip on loopback: an echo task and a client task in one
// runtime; one iteration is write 1 byte, read it back. Connection set-up is
// outside the timed loop.

fn tcp_rtt(c: &mut Criterion) {
    let mut group = c.benchmark_group("tcp_rtt_1b");
    configure(&mut group);
    for (name, rt) in aio_runtimes(true) {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| rt.block_on(aio_tcp_rtt(iters)))
        });
    }
    let rt = tokio_runtime();
    group.bench_function("tokio", |b| {
        b.iter_custom(|iters| rt.block_on(tokio_tcp_rtt(iters)))
    });
    let mut rt = monoio_runtime();
    group.bench_function("monoio", |b| {
        b.iter_custom(|iters| rt.block_on(monoio_tcp_rtt(iters)))
    });
    group.finish();
}

async fn aio_tcp_rtt(iters: u64) -> Duration {
    use aio::io::{AsyncReadRent, AsyncWriteRentExt};

    let listener = aio::net::TcpListener::bind("127.0.0.1:0").expect("aio bind");
    let addr = listener.local_addr().expect("aio local_addr");
    let server = aio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("aio accept");
        stream.set_nodelay(true).expect("aio set_nodelay");
        let mut buf = Vec::with_capacity(1);
        loop {
            let (res, b) = stream.read(buf).await;
            if !matches!(res, Ok(n) if n > 0) {
                break;
            }
            let (res, mut b) = stream.write_all(b).await;
            res.expect("aio server write");
            b.clear();
            buf = b;
        }
    });
    let mut client = aio::net::TcpStream::connect(addr)
        .await
        .expect("aio connect");
    client.set_nodelay(true).expect("aio set_nodelay");
    let (mut out, mut back) = (vec![7u8], Vec::with_capacity(1));
    let start = Instant::now();
    for _ in 0..iters {
        let (res, o) = client.write_all(out).await;
        res.expect("aio client write");
        out = o;
        let (res, mut b) = client.read(back).await;
        assert_eq!(res.expect("aio client read"), 1, "echoed one byte");
        b.clear();
        back = b;
    }
    let elapsed = start.elapsed();
    drop(client);
    server.await.expect("aio echo task");
    elapsed
}

async fn tokio_tcp_rtt(iters: u64) -> Duration {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("tokio bind");
    let addr = listener.local_addr().expect("tokio local_addr");
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("tokio accept");
        stream.set_nodelay(true).expect("tokio set_nodelay");
        let mut buf = [0u8; 1];
        while let Ok(1) = stream.read(&mut buf).await {
            stream.write_all(&buf).await.expect("tokio server write");
        }
    });
    let mut client = tokio::net::TcpStream::connect(addr)
        .await
        .expect("tokio connect");
    client.set_nodelay(true).expect("tokio set_nodelay");
    let mut back = [0u8; 1];
    let start = Instant::now();
    for _ in 0..iters {
        client.write_all(&[7]).await.expect("tokio client write");
        client
            .read_exact(&mut back)
            .await
            .expect("tokio client read");
    }
    let elapsed = start.elapsed();
    drop(client);
    server.await.expect("tokio echo task");
    elapsed
}

async fn monoio_tcp_rtt(iters: u64) -> Duration {
    use monoio::io::{AsyncReadRent, AsyncWriteRentExt};

    let listener = monoio::net::TcpListener::bind("127.0.0.1:0").expect("monoio bind");
    let addr = listener.local_addr().expect("monoio local_addr");
    let server = monoio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("monoio accept");
        stream.set_nodelay(true).expect("monoio set_nodelay");
        let mut buf = Vec::with_capacity(1);
        loop {
            let (res, b) = stream.read(buf).await;
            if !matches!(res, Ok(n) if n > 0) {
                break;
            }
            let (res, mut b) = stream.write_all(b).await;
            res.expect("monoio server write");
            b.clear();
            buf = b;
        }
    });
    let mut client = monoio::net::TcpStream::connect(addr)
        .await
        .expect("monoio connect");
    client.set_nodelay(true).expect("monoio set_nodelay");
    let (mut out, mut back) = (vec![7u8], Vec::with_capacity(1));
    let start = Instant::now();
    for _ in 0..iters {
        let (res, o) = client.write_all(out).await;
        res.expect("monoio client write");
        out = o;
        let (res, mut b) = client.read(back).await;
        assert_eq!(res.expect("monoio client read"), 1, "echoed one byte");
        b.clear();
        back = b;
    }
    let elapsed = start.elapsed();
    drop(client);
    server.await;
    elapsed
}

// ---------------------------------------------------------------------------
// Cross-core channel (aio only; baseline std::sync::mpsc). Both ends run on
// their own threads, pinned to CPUs 0 and 1, started together by a barrier;
// the receiving side times the run.

/// Capacity of the streaming channels: enough that the sender rarely waits.
const STREAM_CAPACITY: usize = 1024;

fn channel_stream(c: &mut Criterion) {
    let mut group = c.benchmark_group("channel_stream");
    configure(&mut group);
    group.bench_function("aio-cores-channel-thread-to-core", |b| {
        b.iter_custom(|iters| {
            let (tx, mut rx) = aio::cores::channel::<u64>(STREAM_CAPACITY);
            let go = std::sync::Arc::new(Barrier::new(2));
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
            let go = std::sync::Arc::new(Barrier::new(2));
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
            let go = std::sync::Arc::new(Barrier::new(2));
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
fn channel_pingpong(c: &mut Criterion) {
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

criterion_group!(
    benches,
    spawn_join,
    yield_pingpong,
    timer_cancel,
    sleep_zero,
    tcp_rtt,
    channel_stream,
    channel_pingpong
);
criterion_main!(benches);
