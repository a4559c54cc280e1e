//! Timer benchmarks: create + cancel, and a `sleep(0)` round trip.

use std::future::Future;
use std::pin::{pin, Pin};
use std::task::Poll;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};

use crate::runtimes::{aio_runtimes, configure, monoio_runtime, tokio_runtime};

/// A duration no benchmark waits out: timers of this length are only ever
/// registered and cancelled.
const FAR: Duration = Duration::from_secs(3600);

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

/// Timer create + cancel: create a far sleep, poll it once so it registers
/// with the runtime's timer, drop it (the typical life of a timeout that
/// guarded an operation which finished first).
pub fn timer_cancel(c: &mut Criterion) {
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

/// `sleep(0)` round trip: a timer that is due at once, awaited to completion.
pub fn sleep_zero(c: &mut Criterion) {
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
