//! Spawning and joining: misuse outside a runtime, detaching, aborting at
//! every stage, wakers woken from other threads, yield fairness, and the
//! blocking pool.

mod support;

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::panic::catch_unwind;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use aio::io::{AsyncReadRentExt, AsyncWriteRentExt};
use aio::net::UnixStream;
use aio::task::{spawn_blocking, yield_now};
use aio::time::sleep;
use support::{drivers, runtime, wait_until, within, DropGuard};

const LIMIT: Duration = Duration::from_secs(20);

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[test]
fn spawn_outside_a_runtime_panics_saying_what_to_do() {
    let payload = catch_unwind(|| drop(aio::spawn(async {})))
        .expect_err("spawn outside a runtime must panic");
    let msg = panic_message(payload);
    assert!(
        msg.contains("#[aio::main]"),
        "message should point at #[aio::main]: {msg}"
    );
    assert!(
        msg.contains("block_on"),
        "message should point at block_on: {msg}"
    );

    let payload =
        catch_unwind(|| drop(spawn_blocking(|| 1))).expect_err("spawn_blocking outside a runtime");
    assert!(panic_message(payload).contains("block_on"));
}

#[aio::test]
async fn spawned_task_returns_its_value() {
    let h = aio::spawn(async { 6 * 7 });
    assert_eq!(h.await.unwrap(), 42);
    // Nested spawns, awaited from another task.
    let outer = aio::spawn(async {
        let inner = aio::spawn(async { String::from("inner") });
        inner.await.unwrap() + "+outer"
    });
    assert_eq!(outer.await.unwrap(), "inner+outer");
}

#[aio::test]
async fn ten_thousand_tasks_all_complete() {
    let sum = Rc::new(Cell::new(0u64));
    let mut handles = Vec::with_capacity(10_000);
    for i in 0..10_000u64 {
        let sum = sum.clone();
        handles.push(aio::spawn(async move {
            yield_now().await;
            sum.set(sum.get() + i);
            i
        }));
    }
    let mut total = 0;
    for h in handles {
        total += h.await.unwrap();
    }
    assert_eq!(total, 49_995_000);
    assert_eq!(sum.get(), 49_995_000);
}

#[aio::test]
async fn dropping_the_join_handle_detaches_the_task() {
    let done = Rc::new(Cell::new(false));
    let d = done.clone();
    drop(aio::spawn(async move {
        sleep(Duration::from_millis(5)).await;
        d.set(true);
    }));
    wait_until(LIMIT, "the detached task finishes", || done.get()).await;
}

#[aio::test]
async fn abort_before_the_first_poll_never_runs_the_body() {
    let ran = Rc::new(Cell::new(false));
    let dropped = Arc::new(AtomicUsize::new(0));
    let (r, guard) = (ran.clone(), DropGuard(dropped.clone()));
    let h = aio::spawn(async move {
        let _guard = guard;
        r.set(true);
    });
    h.abort();
    let err = h.await.unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    assert!(!err.is_panic());
    assert_eq!(err.to_string(), "task was cancelled");
    assert!(!ran.get(), "an aborted task's body never ran");
    assert_eq!(dropped.load(Ordering::SeqCst), 1, "its future was dropped");
}

#[aio::test]
async fn abort_of_a_parked_task_drops_its_future() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let guard = DropGuard(dropped.clone());
    let h = aio::spawn(async move {
        let _guard = guard;
        sleep(Duration::from_secs(3600)).await;
    });
    sleep(Duration::from_millis(2)).await;
    assert!(!h.is_finished());
    h.abort();
    h.abort(); // twice is fine
    let err = within(LIMIT, "aborted task", h).await.unwrap_err();
    assert!(err.is_cancelled());
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
}

#[aio::test]
async fn abort_after_completion_has_no_effect() {
    let h = aio::spawn(async { "done" });
    assert!(!h.is_finished(), "not run yet");
    wait_until(LIMIT, "task finished", || h.is_finished()).await;
    h.abort();
    assert!(h.is_finished());
    assert_eq!(h.await.unwrap(), "done", "the output survives a late abort");
}

#[aio::test]
async fn abort_from_another_task_and_self_abort() {
    let h = Rc::new(RefCell::new(None::<aio::JoinHandle<()>>));
    let victim = aio::spawn(async {
        std::future::pending::<()>().await;
    });
    let h2 = h.clone();
    *h.borrow_mut() = Some(victim);
    let killer = aio::spawn(async move {
        h2.borrow().as_ref().unwrap().abort();
    });
    killer.await.unwrap();
    let victim = h.borrow_mut().take().unwrap();
    assert!(within(LIMIT, "victim", victim)
        .await
        .unwrap_err()
        .is_cancelled());

    // A task that aborts itself stops at its next await.
    let slot = Rc::new(RefCell::new(None::<aio::JoinHandle<u32>>));
    let s = slot.clone();
    let reached = Rc::new(Cell::new(false));
    let r = reached.clone();
    let me = aio::spawn(async move {
        yield_now().await;
        s.borrow().as_ref().unwrap().abort();
        yield_now().await;
        r.set(true);
        1
    });
    *slot.borrow_mut() = Some(me);
    wait_until(LIMIT, "self-aborted task finished", || {
        slot.borrow().as_ref().unwrap().is_finished()
    })
    .await;
    let me = slot.borrow_mut().take().unwrap();
    assert!(me.await.unwrap_err().is_cancelled());
    assert!(
        !reached.get(),
        "the task stopped at the await after its abort"
    );
}

/// A future that, each time it is polled without its flag set, sends its
/// waker to a std thread that sets the flag and wakes it.
struct RemoteWake {
    flag: Arc<AtomicBool>,
    to_thread: mpsc::Sender<(Waker, Arc<AtomicBool>)>,
    sent: bool,
}

impl Future for RemoteWake {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.flag.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        if !self.sent {
            self.sent = true;
            self.to_thread
                .send((cx.waker().clone(), self.flag.clone()))
                .unwrap();
        }
        Poll::Pending
    }
}

/// A std thread that wakes whatever it is sent (by value or by reference,
/// alternately) until the channel closes.
fn waker_thread() -> (
    mpsc::Sender<(Waker, Arc<AtomicBool>)>,
    std::thread::JoinHandle<usize>,
) {
    let (tx, rx) = mpsc::channel::<(Waker, Arc<AtomicBool>)>();
    let thread = std::thread::spawn(move || {
        let mut n = 0;
        for (w, flag) in rx {
            flag.store(true, Ordering::Release);
            if n % 2 == 0 {
                w.wake();
            } else {
                w.wake_by_ref();
                drop(w);
            }
            n += 1;
        }
        n
    });
    (tx, thread)
}

#[aio::test]
async fn wakers_woken_from_another_thread_lose_no_wakeups() {
    const N: usize = 10_000;
    let (tx, thread) = waker_thread();
    // From a spawned task (the task waker) ...
    let t = tx.clone();
    let task = aio::spawn(async move {
        for _ in 0..N / 2 {
            RemoteWake {
                flag: Arc::new(AtomicBool::new(false)),
                to_thread: t.clone(),
                sent: false,
            }
            .await;
        }
    });
    within(LIMIT, "10,000 cross-thread wakes of a task", task)
        .await
        .unwrap();
    // ... and from the root future (block_on's waker).
    let root = async {
        for _ in 0..N / 2 {
            RemoteWake {
                flag: Arc::new(AtomicBool::new(false)),
                to_thread: tx.clone(),
                sent: false,
            }
            .await;
        }
    };
    within(LIMIT, "cross-thread wakes of the root future", root).await;
    drop(tx);
    assert_eq!(thread.join().unwrap(), N);
}

#[aio::test]
async fn many_tasks_woken_from_another_thread_at_once() {
    // 200 tasks parked at once, all woken by a thread in a burst, while the
    // runtime may be asleep in the kernel.
    let (tx, rx) = mpsc::channel::<Waker>();
    let done = Rc::new(Cell::new(0usize));
    let go = Arc::new(AtomicBool::new(false));
    for _ in 0..200 {
        let (tx, done, go) = (tx.clone(), done.clone(), go.clone());
        aio::spawn(async move {
            let mut sent = false;
            poll_fn(|cx| {
                if go.load(Ordering::Acquire) {
                    return Poll::Ready(());
                }
                if !sent {
                    sent = true;
                    tx.send(cx.waker().clone()).unwrap();
                }
                Poll::Pending
            })
            .await;
            done.set(done.get() + 1);
        });
    }
    drop(tx);
    let g = go.clone();
    let thread = std::thread::spawn(move || {
        let wakers: Vec<Waker> = rx.iter().take(200).collect();
        std::thread::sleep(Duration::from_millis(20)); // let the runtime park
        g.store(true, Ordering::Release);
        for w in wakers {
            w.wake();
        }
    });
    // Park in a long sleep: only the cross-thread wakes can finish early.
    let start = Instant::now();
    wait_until(LIMIT, "all 200 tasks woken", || done.get() == 200).await;
    assert!(start.elapsed() < Duration::from_secs(5));
    thread.join().unwrap();
}

#[test]
fn a_waker_outliving_its_runtime_can_be_woken_and_dropped_on_another_thread() {
    for driver in drivers() {
        let (tx, rx) = mpsc::channel::<Waker>();
        let rt = runtime(driver);
        rt.block_on(async {
            aio::spawn(async move {
                poll_fn(|cx| {
                    tx.send(cx.waker().clone()).unwrap();
                    Poll::<()>::Pending
                })
                .await;
            });
            yield_now().await;
            yield_now().await;
        });
        let waker = rx.recv().unwrap();
        drop(rt);
        std::thread::spawn(move || {
            waker.wake_by_ref();
            waker.wake();
        })
        .join()
        .expect("waking a dead runtime's task from another thread must not crash");
    }
}

#[aio::test]
async fn yield_now_is_fair_between_tasks() {
    const ROUNDS: usize = 1000;
    let log = Rc::new(RefCell::new(Vec::with_capacity(3 * ROUNDS)));
    let mut handles = Vec::new();
    for id in 0..3u8 {
        let log = log.clone();
        handles.push(aio::spawn(async move {
            for _ in 0..ROUNDS {
                log.borrow_mut().push(id);
                yield_now().await;
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let log = log.borrow();
    assert_eq!(log.len(), 3 * ROUNDS);
    // Each task gets one step per round: in any window of 3 consecutive
    // steps (after the start), no task runs twice.
    let longest_run = log.chunk_by(|a, b| a == b).map(<[u8]>::len).max().unwrap();
    assert_eq!(longest_run, 1, "a yielding task ran twice in a row");
    for w in log[3..].windows(3) {
        let mut ids = w.to_vec();
        ids.sort_unstable();
        assert_eq!(ids, [0, 1, 2], "unfair schedule: {w:?}");
    }
}

#[aio::test]
async fn a_task_spinning_on_yield_now_does_not_starve_io_or_timers() {
    let stop = Rc::new(Cell::new(false));
    let s = stop.clone();
    let spinner = aio::spawn(async move {
        let mut n = 0u64;
        while !s.get() {
            n += 1;
            yield_now().await;
        }
        n
    });
    // Timers fire while the spinner is always runnable.
    let start = Instant::now();
    within(
        LIMIT,
        "sleep next to a spinning task",
        sleep(Duration::from_millis(20)),
    )
    .await;
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "timer starved: {:?}",
        start.elapsed()
    );
    // I/O completes too.
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let (res, _) = a.write_all(b"io".to_vec()).await;
    res.unwrap();
    let (res, got) = within(
        LIMIT,
        "read next to a spinning task",
        b.read_exact(Vec::with_capacity(2)),
    )
    .await;
    res.unwrap();
    assert_eq!(got, b"io");
    stop.set(true);
    assert!(spinner.await.unwrap() > 0);
}

#[aio::test]
async fn spawn_blocking_returns_its_result_from_another_thread() {
    let here = std::thread::current().id();
    let (v, there) = spawn_blocking(|| {
        std::thread::sleep(Duration::from_millis(5));
        (21 * 2, std::thread::current().id())
    })
    .await
    .unwrap();
    assert_eq!(v, 42);
    assert_ne!(there, here, "blocking work runs off the runtime thread");
}

#[aio::test]
async fn spawn_blocking_panic_is_reported_as_a_join_error() {
    let err = spawn_blocking(|| -> u8 { panic!("blocking boom") })
        .await
        .unwrap_err();
    assert!(err.is_panic());
    assert_eq!(panic_message(err.into_panic()), "blocking boom");
    // The pool and the runtime still work.
    assert_eq!(spawn_blocking(|| 1).await.unwrap(), 1);
}

#[aio::test]
async fn many_blocking_calls_run_concurrently_while_the_runtime_serves() {
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::new();
    for i in 0..32usize {
        let (running, peak) = (running.clone(), peak.clone());
        handles.push(spawn_blocking(move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(30));
            running.fetch_sub(1, Ordering::SeqCst);
            i
        }));
    }
    // The runtime thread is free meanwhile.
    let start = Instant::now();
    sleep(Duration::from_millis(5)).await;
    assert!(start.elapsed() < Duration::from_millis(500));
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(within(LIMIT, "blocking call", h).await.unwrap(), i);
    }
    assert!(
        peak.load(Ordering::SeqCst) > 1,
        "blocking calls ran one at a time"
    );
}

#[aio::test]
async fn block_on_inside_a_runtime_panics_saying_why() {
    let payload = catch_unwind(std::panic::AssertUnwindSafe(|| {
        let inner = aio::Runtime::new().unwrap();
        inner.block_on(async {});
    }))
    .expect_err("block_on inside a runtime must panic");
    let msg = panic_message(payload);
    assert!(
        msg.contains("aio::spawn"),
        "the message says what to do instead: {msg}"
    );
    // The outer runtime is unaffected.
    assert_eq!(aio::spawn(async { 3 }).await.unwrap(), 3);
}

#[aio::test]
async fn spawn_from_a_blocking_thread_panics_and_is_reported() {
    let err = spawn_blocking(|| drop(aio::spawn(async {})))
        .await
        .unwrap_err();
    assert!(err.is_panic());
    let msg = panic_message(err.into_panic());
    assert!(msg.contains("block_on"), "{msg}");
}

#[aio::test]
async fn driver_current_names_the_running_backend() {
    let d = aio::Driver::current();
    assert!(
        matches!(d, aio::Driver::IoUring | aio::Driver::Epoll),
        "{d:?}"
    );
    if let Ok(forced) = std::env::var("AIO_DRIVER") {
        let want = if forced.contains("epoll") {
            aio::Driver::Epoll
        } else {
            aio::Driver::IoUring
        };
        assert_eq!(d, want);
    }
}

#[aio::test]
async fn an_idle_runtime_sleeps_in_the_kernel() {
    // Work parked on I/O and timers: the runtime thread must not spin.
    let (mut a, _b) = UnixStream::pair().unwrap();
    let reader = aio::spawn(async move {
        let _ = aio::io::AsyncReadRent::read(&mut a, Vec::with_capacity(8)).await;
    });
    let sleeper = aio::spawn(sleep(Duration::from_secs(3600)));
    sleep(Duration::from_millis(5)).await;
    let (cpu0, t0) = (support::thread_cpu_time(), Instant::now());
    sleep(Duration::from_millis(300)).await;
    let (cpu, wall) = (support::thread_cpu_time() - cpu0, t0.elapsed());
    assert!(
        cpu < wall / 5,
        "the idle runtime thread used {cpu:?} of CPU in {wall:?}"
    );
    reader.abort();
    sleeper.abort();
}

#[test]
fn runtime_driver_matches_driver_current() {
    for driver in drivers() {
        let rt = runtime(driver);
        assert_eq!(rt.driver(), driver);
        assert_eq!(rt.block_on(async { aio::Driver::current() }), driver);
    }
}
