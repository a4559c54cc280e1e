//! Task benchmarks: spawn + join of a trivial task, and yield ping-pong.

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use criterion::Criterion;

use crate::runtimes::{aio_runtimes, configure, monoio_runtime, tokio_runtime};

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

/// Spawn + join of a trivial task, awaited before the next is spawned.
pub fn spawn_join(c: &mut Criterion) {
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

/// Yield ping-pong: two tasks that each yield `iters` times alternate on the
/// run queue; one iteration is one yield of each (a round trip).
pub fn yield_pingpong(c: &mut Criterion) {
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
