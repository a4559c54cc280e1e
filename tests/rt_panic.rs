//! Panic isolation: a panicking task is reported through its JoinHandle and
//! the runtime keeps running tasks and serving I/O; a panic in the root
//! future propagates out of `block_on`; panics with operations in flight
//! neither leak nor crash.

mod support;

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aio::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRentExt};
use aio::net::UnixStream;
use aio::time::sleep;
use support::{drivers, poll_once, runtime, within, CountedBuf};

const LIMIT: Duration = Duration::from_secs(10);

fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<not a string>".into())
}

#[aio::test]
async fn panicking_task_reports_through_its_join_handle() {
    let handle = aio::spawn(async {
        aio::task::yield_now().await;
        panic!("boom in task {}", 7);
    });
    let err = within(LIMIT, "panicking task", handle).await.unwrap_err();
    assert!(err.is_panic());
    assert!(!err.is_cancelled());
    assert!(
        err.to_string().contains("boom in task 7"),
        "Display names the message: {err}"
    );
    assert!(
        format!("{err:?}").contains("boom in task 7"),
        "Debug names the message: {err:?}"
    );
    let payload = err.into_panic();
    assert_eq!(message(&*payload), "boom in task 7");
}

#[aio::test]
async fn non_string_panic_payload_comes_back_intact() {
    let handle = aio::spawn(async { std::panic::panic_any(0xdead_u32) });
    let err = handle.await.unwrap_err();
    assert!(err.is_panic());
    assert_eq!(err.into_panic().downcast_ref::<u32>(), Some(&0xdead));
}

#[aio::test]
async fn other_tasks_and_io_keep_going_after_a_panic() {
    // A ticker that runs before, during and after the panics.
    let ticks = Rc::new(Cell::new(0u32));
    let t = ticks.clone();
    let ticker = aio::spawn(async move {
        loop {
            t.set(t.get() + 1);
            sleep(Duration::from_millis(1)).await;
        }
    });
    // An echo peer started before the panics, used after them.
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let echo = aio::spawn(async move {
        let mut buf = Vec::with_capacity(64);
        loop {
            let (res, got) = b.read(buf).await;
            if res.unwrap() == 0 {
                return;
            }
            let (res, mut got) = b.write_all(got).await;
            res.unwrap();
            got.clear();
            buf = got;
        }
    });

    let mut panickers = Vec::new();
    for i in 0..50 {
        panickers.push(aio::spawn(async move {
            if i % 2 == 0 {
                sleep(Duration::from_millis(i)).await;
            }
            panic!("panicker {i}");
        }));
    }
    for (i, h) in panickers.into_iter().enumerate() {
        let err = within(LIMIT, "panicker", h).await.unwrap_err();
        assert_eq!(message(&*err.into_panic()), format!("panicker {i}"));
    }

    let before = ticks.get();
    sleep(Duration::from_millis(20)).await;
    assert!(
        ticks.get() > before,
        "the ticker kept running after the panics"
    );
    let (res, _) = a.write_all(b"still serving".to_vec()).await;
    res.unwrap();
    let (res, got) = within(
        LIMIT,
        "echo after panics",
        a.read_exact(Vec::with_capacity(13)),
    )
    .await;
    res.unwrap();
    assert_eq!(got, b"still serving");
    ticker.abort();
    drop(a);
    within(LIMIT, "echo task ends", echo).await.unwrap();
}

#[aio::test]
async fn task_panicking_with_a_read_in_flight_frees_the_buffer_and_the_runtime_serves_on() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (a, mut b) = UnixStream::pair().unwrap();
    let d = drops.clone();
    let handle = aio::spawn(async move {
        let mut a = a;
        let mut read = Box::pin(a.read(CountedBuf::new(&d, 128)));
        assert!(
            poll_once(&mut read).await.is_none(),
            "the read is in flight"
        );
        panic!("panic with a read in flight");
    });
    let err = within(LIMIT, "task", handle).await.unwrap_err();
    assert_eq!(message(&*err.into_panic()), "panic with a read in flight");
    support::wait_until(
        Duration::from_secs(2),
        "the in-flight read's buffer is freed",
        || drops.load(Ordering::SeqCst) == 1,
    )
    .await;
    // The peer's write goes nowhere harmful, and the runtime serves on.
    let _ = b.write_all(b"late".to_vec()).await;
    let (x, mut y) = UnixStream::pair().unwrap();
    let mut x = x;
    let (res, _) = x.write_all(b"ok".to_vec()).await;
    res.unwrap();
    let (res, got) = within(LIMIT, "read", y.read_exact(Vec::with_capacity(2))).await;
    res.unwrap();
    assert_eq!(got, b"ok");
    assert_eq!(drops.load(Ordering::SeqCst), 1, "freed exactly once");
}

#[test]
fn panic_in_the_root_future_propagates_out_of_block_on() {
    for driver in drivers() {
        let rt = runtime(driver);
        let res = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async {
                sleep(Duration::from_millis(1)).await;
                panic!("root boom on {driver:?}");
            })
        }));
        let payload = res.expect_err("block_on must propagate the root future's panic");
        assert_eq!(message(&*payload), format!("root boom on {driver:?}"));
        // The runtime is still usable afterwards.
        let v = rt.block_on(async { aio::spawn(async { 5 }).await.unwrap() });
        assert_eq!(v, 5, "{driver:?}: runtime usable after a root panic");
    }
}

#[test]
fn root_panic_with_ops_in_flight_frees_every_buffer_once_after_the_runtime_drops() {
    const N: usize = 100;
    for driver in drivers() {
        let drops = Arc::new(AtomicUsize::new(0));
        let rt = runtime(driver);
        let d = drops.clone();
        let res = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async move {
                // Reads owned by the root future itself and by tasks.
                let mut pairs = Vec::new();
                for _ in 0..N {
                    pairs.push(UnixStream::pair().unwrap());
                }
                let mut reads = Vec::new();
                for (i, (a, b)) in pairs.into_iter().enumerate() {
                    if i % 2 == 0 {
                        let d = d.clone();
                        aio::spawn(async move {
                            let (mut a, _b) = (a, b);
                            let _ = a.read(CountedBuf::new(&d, 64)).await;
                        });
                    } else {
                        reads.push((a, b));
                    }
                }
                let mut futs = Vec::new();
                for (a, _) in reads.iter_mut() {
                    let mut f = Box::pin(a.read(CountedBuf::new(&d, 64)));
                    assert!(poll_once(&mut f).await.is_none());
                    futs.push(f);
                }
                sleep(Duration::from_millis(5)).await;
                panic!("root panics with {} reads in flight", N);
            })
        }));
        assert!(res.is_err(), "the panic propagated");
        let start = Instant::now();
        drop(rt);
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{driver:?}: drop took {:?}",
            start.elapsed()
        );
        assert_eq!(
            drops.load(Ordering::SeqCst),
            N,
            "{driver:?}: every buffer freed exactly once"
        );
    }
}

#[aio::test]
async fn join_handle_of_a_panicked_task_is_finished() {
    let h = aio::spawn(async { panic!("quick") });
    support::wait_until(LIMIT, "panicked task is finished", || h.is_finished()).await;
    assert!(h.await.unwrap_err().is_panic());
}

#[aio::test]
async fn a_detached_task_panicking_does_not_disturb_the_runtime() {
    let alive = Rc::new(Cell::new(false));
    for i in 0..10 {
        drop(aio::spawn(async move {
            aio::task::yield_now().await;
            panic!("detached panic {i}");
        }));
    }
    let a = alive.clone();
    let h = aio::spawn(async move {
        sleep(Duration::from_millis(5)).await;
        a.set(true);
    });
    within(LIMIT, "task after detached panics", h)
        .await
        .unwrap();
    assert!(alive.get());
}

/// Panics when dropped.
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("panic in a destructor");
        }
    }
}

#[aio::test]
async fn a_panic_while_an_aborted_task_is_dropped_is_contained() {
    let h = aio::spawn(async {
        let _bomb = PanicOnDrop;
        std::future::pending::<()>().await;
    });
    aio::task::yield_now().await;
    h.abort();
    let err = within(LIMIT, "aborted task with a panicking destructor", h)
        .await
        .unwrap_err();
    assert!(err.is_cancelled() || err.is_panic(), "{err}");
    // The runtime carries on.
    assert_eq!(aio::spawn(async { 1 }).await.unwrap(), 1);
    sleep(Duration::from_millis(1)).await;
}

/// `JoinError` is `Send + Sync`: it goes through `?` into the boxed error
/// types applications use, and into `io::Error` keeping itself as source.
#[aio::test]
async fn join_error_is_send_and_sync_and_converts_into_io_error() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<aio::JoinError>();

    async fn boxed() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        aio::spawn(async { panic!("boom") }).await?;
        Ok(())
    }
    let err = boxed().await.unwrap_err();
    assert_eq!(err.to_string(), "task panicked with message \"boom\"");

    let join_err = aio::spawn(async { panic!("again") }).await.unwrap_err();
    let io_err: std::io::Error = join_err.into();
    assert_eq!(io_err.kind(), std::io::ErrorKind::Other);
    let inner = io_err
        .into_inner()
        .unwrap()
        .downcast::<aio::JoinError>()
        .unwrap();
    assert!(inner.is_panic());
    let payload = inner.into_panic();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"again"));

    let handle = aio::spawn(std::future::pending::<()>());
    handle.abort();
    let cancelled: std::io::Error = handle.await.unwrap_err().into();
    assert!(cancelled.to_string().contains("cancelled"), "{cancelled}");
}
