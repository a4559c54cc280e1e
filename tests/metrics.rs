//! `aio::metrics`: the counters move as a known workload says they must
//! (tasks, polls, I/O operations and their cancellation, remote wakes,
//! timers, the blocking pool), the gauges return to zero once everything
//! is done, and slow polls are reported with the task's spawn location.
//! Both drivers.

mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use aio::io::{AsyncReadRentExt, AsyncWriteRentExt};
use aio::metrics::{RuntimeMetrics, SlowPoll};
use aio::net::{TcpListener, TcpStream};
use aio::AsyncReadRent;
use support::{drivers, is_child, run_child, wait_until, yield_times};

const LIMIT: Duration = Duration::from_secs(20);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Waits (letting the runtime turn) until no operation is in flight.
async fn ops_settle() -> RuntimeMetrics {
    wait_until(LIMIT, "no op is in flight", || {
        aio::metrics::current().ops_in_flight == 0
    })
    .await;
    aio::metrics::current()
}

#[aio::test]
async fn spawned_tasks_are_counted_polled_and_gone_when_done() {
    const N: u64 = 100;
    let before = aio::metrics::current();
    let tasks: Vec<_> = (0..N).map(|i| aio::spawn(async move { i * 2 })).collect();
    assert_eq!(aio::metrics::current().tasks_alive, before.tasks_alive + N);
    for (i, t) in tasks.into_iter().enumerate() {
        assert_eq!(t.await.unwrap(), i as u64 * 2);
    }
    let after = aio::metrics::current();
    assert_eq!(after.tasks_spawned - before.tasks_spawned, N);
    assert!(after.polls - before.polls >= N, "{before:?}\n{after:?}");
    assert_eq!(after.tasks_alive, 0, "{after:?}");
}

#[aio::test]
async fn echo_round_trips_count_two_ops_each_and_none_stay_in_flight() {
    const K: u64 = 50;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = aio::spawn(async move {
        let (mut conn, _) = listener.accept().await.unwrap();
        let mut buf = Vec::with_capacity(16);
        loop {
            let (res, b) = conn.read(buf).await;
            if res.unwrap() == 0 {
                return;
            }
            let (res, mut b) = conn.write_all(b).await;
            res.unwrap();
            b.clear();
            buf = b;
        }
    });
    let mut client = TcpStream::connect(addr).await.unwrap();
    let before = aio::metrics::current();
    let mut back = Vec::with_capacity(16);
    for i in 0..K {
        let (res, _) = client.write_all(vec![i as u8; 16]).await;
        res.unwrap();
        let (res, mut b) = client.read_exact(back).await;
        res.unwrap();
        assert_eq!(b, vec![i as u8; 16]);
        b.clear();
        back = b;
    }
    let during = aio::metrics::current();
    drop(client);
    server.await.unwrap();
    let after = ops_settle().await;
    // Each round trip: the client's write and read, the server's read and
    // write (the server's last read may still be waiting in `during`).
    assert!(
        during.ops_submitted - before.ops_submitted >= 2 * K,
        "{before:?}\n{during:?}"
    );
    assert!(
        after.ops_completed - before.ops_completed >= 2 * K,
        "{before:?}\n{after:?}"
    );
    assert_eq!(after.ops_in_flight, 0, "{after:?}");
    assert_eq!(after.ops_submitted, after.ops_completed, "{after:?}");
    assert!(after.driver_turns > before.driver_turns, "{after:?}");
    assert!(after.driver_syscalls > before.driver_syscalls, "{after:?}");
    assert_eq!(after.tasks_alive, 0, "{after:?}");
    assert_eq!(after.cq_overflows, 0, "{after:?}");
}

#[aio::test]
async fn a_read_dropped_by_a_timeout_counts_as_cancelled() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (_server, _) = listener.accept().await.unwrap();
    // The listener may keep a multishot accept in flight: end it first.
    drop(listener);
    let before = ops_settle().await;
    // The peer never writes: the read is in flight when the timeout drops it.
    let res = aio::time::timeout(ms(20), client.read(Vec::with_capacity(64))).await;
    assert!(res.is_err(), "the read completed on a silent peer");
    let after = ops_settle().await;
    assert_eq!(after.ops_cancelled - before.ops_cancelled, 1, "{after:?}");
    assert_eq!(after.ops_in_flight, 0, "{after:?}");
    assert!(after.ops_completed > before.ops_completed, "{after:?}");
}

/// Returns `Pending` once, handing its waker to a thread that wakes it.
struct WokenFromAnotherThread(bool);

impl Future for WokenFromAnotherThread {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        let waker = cx.waker().clone();
        std::thread::spawn(move || {
            std::thread::sleep(ms(5));
            waker.wake();
        });
        Poll::Pending
    }
}

#[aio::test]
async fn wakes_from_another_thread_are_counted_by_the_owner() {
    const N: u64 = 5;
    let before = aio::metrics::current();
    for _ in 0..N {
        aio::spawn(WokenFromAnotherThread(false)).await.unwrap();
    }
    let after = aio::metrics::current();
    assert_eq!(after.remote_wakes - before.remote_wakes, N, "{after:?}");
}

#[aio::test]
async fn armed_sleeps_are_active_timers_until_they_go() {
    let before = aio::metrics::current();
    let sleepers: Vec<_> = (0..3)
        .map(|_| aio::spawn(aio::time::sleep(Duration::from_secs(3600))))
        .collect();
    yield_times(3).await;
    let armed = aio::metrics::current();
    assert_eq!(armed.timers_active, before.timers_active + 3, "{armed:?}");
    assert_eq!(armed.tasks_alive, 3, "{armed:?}");
    for s in &sleepers {
        s.abort();
    }
    for s in sleepers {
        assert!(s.await.unwrap_err().is_cancelled());
    }
    let after = aio::metrics::current();
    assert_eq!(after.timers_active, before.timers_active, "{after:?}");
    assert_eq!(after.tasks_alive, 0, "{after:?}");
}

#[aio::test]
async fn the_blocking_pool_shows_its_threads_and_queue() {
    let jobs: Vec<_> = (0..4)
        .map(|_| aio::task::spawn_blocking(|| std::thread::sleep(ms(30))))
        .collect();
    let during = aio::metrics::current();
    assert!(during.blocking_threads >= 1, "{during:?}");
    // Four jobs at most wait, minus those a thread took already.
    assert!(during.blocking_queue_depth <= 4, "{during:?}");
    for j in jobs {
        j.await.unwrap();
    }
    let after = aio::metrics::current();
    // Threads stay a while after their job (keep-alive).
    assert!(after.blocking_threads >= 1, "{after:?}");
    assert_eq!(after.blocking_queue_depth, 0, "{after:?}");
    assert_eq!(after.tasks_alive, 0, "{after:?}");
}

#[aio::test]
async fn a_task_that_spends_its_budget_yields_and_is_counted() {
    let before = aio::metrics::current();
    aio::spawn(async {
        for _ in 0..300 {
            aio::task::consume_budget().await;
        }
    })
    .await
    .unwrap();
    let after = aio::metrics::current();
    // 128 units a poll: 300 ready operations take at least two yields.
    assert!(
        after.budget_yields - before.budget_yields >= 2,
        "{before:?}\n{after:?}"
    );
}

#[test]
fn runtime_metrics_are_readable_outside_block_on() {
    for driver in drivers() {
        let rt = support::runtime(driver);
        assert_eq!(rt.metrics().tasks_spawned, 0);
        rt.block_on(async {
            aio::spawn(async {}).await.unwrap();
            aio::spawn(aio::time::sleep(ms(1))).await.unwrap();
        });
        let m = rt.metrics();
        assert_eq!(m.tasks_spawned, 2, "{driver:?}: {m:?}");
        assert_eq!(m.tasks_alive, 0, "{driver:?}: {m:?}");
        assert_eq!(m.timers_active, 0, "{driver:?}: {m:?}");
        assert!(m.polls >= 2, "{driver:?}: {m:?}");
    }
}

/// `cq_overflows` moves when a burst of completions outgrows the kernel's
/// completion queue, and nothing is lost when it does. A 2-entry ring has a
/// 4-entry CQ; 64 reads of pipes that already hold their byte complete
/// inline as they are submitted, two at a time (the SQ's size) with no reap
/// in between, so some 60 completions wait in the kernel's overflow list
/// (IORING_SQ_CQ_OVERFLOW) until the driver drains the queue. Every read
/// gets its own byte, and the runtime goes on serving after. io_uring only:
/// on epoll `entries` only sizes the event batch and nothing overflows.
#[test]
fn a_completion_burst_larger_than_the_cq_is_counted_as_overflow_and_lost_nothing() {
    const N: usize = 64;
    let rt = match aio::RuntimeBuilder::new()
        .driver(aio::Driver::IoUring)
        .entries(2)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("io_uring unavailable here, skipped: {e}");
            return;
        }
    };
    rt.block_on(async {
        let mut readers = Vec::with_capacity(N);
        let mut writers = Vec::with_capacity(N);
        for i in 0..N {
            let (r, mut w) = aio::io::pipe().unwrap();
            let (res, _) = w.write_all(vec![i as u8]).await;
            res.unwrap();
            readers.push(r);
            writers.push(w);
        }
        let before = aio::metrics::current();
        // Spawned first, polled together in one tick: the 64 reads are
        // pushed (and the SQ flushed every two) before the driver turns.
        let tasks: Vec<_> = readers
            .into_iter()
            .map(|mut r| {
                aio::spawn(async move {
                    let (res, buf) = r.read(Vec::with_capacity(8)).await;
                    (res.unwrap(), buf)
                })
            })
            .collect();
        for (i, t) in tasks.into_iter().enumerate() {
            let (n, buf) = t.await.unwrap();
            assert_eq!((n, buf.as_slice()), (1, &[i as u8][..]), "read {i}");
        }
        let after = ops_settle().await;
        assert!(
            after.cq_overflows > before.cq_overflows,
            "64 inline completions through a 4-entry CQ did not count as overflow:\n{before:?}\n{after:?}"
        );
        // Still serving: a round trip through a fresh pipe.
        let (mut r, mut w) = aio::io::pipe().unwrap();
        let (res, _) = w.write_all(b"after".to_vec()).await;
        res.unwrap();
        let (res, buf) = r.read_exact(Vec::with_capacity(5)).await;
        res.unwrap();
        assert_eq!(buf, b"after");
        drop(writers);
    });
}

#[test]
#[should_panic(expected = "`aio::metrics::current` must be called from inside an aio runtime")]
fn current_panics_outside_a_runtime() {
    aio::metrics::current();
}

/// A runtime whose slow polls (over `threshold`) land in the returned list.
fn recording_runtime(
    driver: aio::Driver,
    threshold: Duration,
) -> (aio::Runtime, Arc<Mutex<Vec<SlowPoll>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let rt = aio::RuntimeBuilder::new()
        .driver(driver)
        .slow_poll_threshold(threshold)
        .on_slow_poll(move |info| sink.lock().unwrap().push(*info))
        .build()
        .unwrap();
    (rt, seen)
}

#[test]
fn a_slow_poll_is_reported_with_the_spawn_location_and_duration() {
    for driver in drivers() {
        let (rt, seen) = recording_runtime(driver, ms(10));
        let (id, line) = rt.block_on(async {
            #[rustfmt::skip]
            let (task, line) = (aio::spawn(async { std::thread::sleep(ms(50)) }), line!());
            let id = task.id();
            task.await.unwrap();
            // A fast task is not reported.
            aio::spawn(async {}).await.unwrap();
            (id, line)
        });
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{driver:?}: {seen:?}");
        let info = seen[0];
        assert_eq!(info.id, id, "{driver:?}");
        assert!(info.location.file().ends_with("metrics.rs"), "{info:?}");
        assert_eq!(info.location.line(), line, "{info:?}");
        assert!(info.duration >= ms(45), "{info:?}");
        assert!(info.duration < ms(5_000), "{info:?}");
        assert_eq!(info.threshold, ms(10));
        assert_eq!(rt.metrics().slow_polls, 1, "{driver:?}");
    }
}

#[test]
fn a_join_set_task_is_reported_where_the_join_set_spawned_it() {
    let (rt, seen) = recording_runtime(drivers()[0], ms(10));
    let line = rt.block_on(async {
        let mut set = aio::task::JoinSet::new();
        #[rustfmt::skip]
        let line = { set.spawn(async { std::thread::sleep(ms(30)) }); line!() };
        set.join_next().await.unwrap().unwrap();
        line
    });
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].location.line(), line, "{seen:?}");
}

#[test]
fn time_outside_tasks_is_no_task_s_slow_poll() {
    for driver in drivers() {
        let (rt, seen) = recording_runtime(driver, ms(10));
        for _ in 0..2 {
            rt.block_on(async {
                for _ in 0..3 {
                    // Busy tasks (no driver turn between ticks), then the
                    // root future blocks: neither is a task's slow poll.
                    aio::spawn(async { aio::task::yield_now().await })
                        .await
                        .unwrap();
                    std::thread::sleep(ms(20));
                }
            });
            // Between two `block_on`s, time passes outside the runtime.
            std::thread::sleep(ms(20));
        }
        assert!(seen.lock().unwrap().is_empty(), "{driver:?}: {seen:?}");
        assert_eq!(rt.metrics().slow_polls, 0, "{driver:?}");
    }
}

#[test]
fn a_zero_threshold_turns_the_detector_off() {
    for driver in drivers() {
        let (rt, seen) = recording_runtime(driver, Duration::ZERO);
        rt.block_on(async {
            aio::spawn(async { std::thread::sleep(ms(30)) })
                .await
                .unwrap();
        });
        assert!(seen.lock().unwrap().is_empty(), "{driver:?}");
        assert_eq!(rt.metrics().slow_polls, 0, "{driver:?}");
    }
}

/// The child of the next test: ten slow polls in one burst, then one more
/// after the rate limit's second has passed, with the default hook.
#[test]
fn default_hook_child() {
    if !is_child("default_hook_child") {
        return;
    }
    let rt = aio::RuntimeBuilder::new()
        .slow_poll_threshold(ms(5))
        .build()
        .unwrap();
    rt.block_on(async {
        let burst: Vec<_> = (0..10)
            .map(|_| aio::spawn(async { std::thread::sleep(ms(10)) }))
            .collect();
        for t in burst {
            t.await.unwrap();
        }
        aio::time::sleep(ms(1100)).await;
        aio::spawn(async { std::thread::sleep(ms(10)) })
            .await
            .unwrap();
    });
    assert_eq!(rt.metrics().slow_polls, 11);
    eprintln!("child done");
}

#[test]
fn the_default_hook_prints_at_most_one_line_a_second() {
    let start = Instant::now();
    let (status, out) = run_child("default_hook_child");
    assert!(status.success(), "{out}");
    assert!(out.contains("child done"), "{out}");
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("aio: slow poll"))
        .collect();
    // Within the first second only the burst's first poll is printed
    // (the burst takes ~100 ms); the next line, a second later, tells how
    // many were left out.
    assert!(start.elapsed() > ms(1000));
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].contains("metrics.rs"), "{}", lines[0]);
    assert!(!lines[0].contains("more slow"), "{}", lines[0]);
    assert!(
        lines[1].contains("9 more slow polls since the previous report"),
        "{}",
        lines[1]
    );
}
