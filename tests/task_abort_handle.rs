//! `AbortHandle`: aborting a task from any thread (issue 14).
//!
//! Modelled on tokio's `tests/task_abort.rs` (`test_abort_without_panic_3157`,
//! `test_abort_wakes_task_3964`, `test_abort_task_that_panics_on_drop_*`) and
//! `rt_common::abort_handle`-style checks, run against both drivers: the
//! abort from another thread must reach a runtime parked in the kernel
//! (io_uring_enter or epoll_wait), drop the task there, and resolve its
//! `JoinHandle` as cancelled.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use aio::io::AsyncReadRent;
use aio::net::UnixStream;
use aio::task::AbortHandle;
use support::{drivers, runtime, within};

const LIMIT: Duration = Duration::from_secs(10);

/// Sets its flag when dropped.
struct DropFlag {
    dropped: Arc<AtomicBool>,
}

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

#[test]
fn abort_handle_is_send_and_sync() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<AbortHandle>();
}

/// The task waits on a read that never completes and the root future waits
/// on the task: nothing is runnable, so the runtime sleeps in the kernel
/// (the `within` timer is 10 s away). Only the abort, from a plain thread,
/// can wake it.
#[aio::test]
async fn abort_from_another_thread_wakes_a_parked_runtime_and_drops_the_task() {
    let (mut a, b) = UnixStream::pair().unwrap();
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag {
        dropped: dropped.clone(),
    };
    let handle = aio::spawn(async move {
        let _flag = flag;
        let (res, _buf) = a.read(Vec::with_capacity(16)).await;
        unreachable!("nothing is ever sent: {res:?}");
    });
    let abort = handle.abort_handle();
    assert_eq!(abort.id(), handle.id());
    assert!(!abort.is_finished());
    let start = Instant::now();
    let thread = std::thread::spawn(move || {
        // Long enough for the runtime to be asleep in the kernel.
        std::thread::sleep(Duration::from_millis(100));
        abort.abort();
        abort
    });
    let err = within(LIMIT, "the remotely aborted task", handle)
        .await
        .unwrap_err();
    let took = start.elapsed();
    assert!(err.is_cancelled(), "{err:?}");
    assert!(
        dropped.load(Ordering::SeqCst),
        "the task's future was not dropped"
    );
    assert!(
        took < Duration::from_secs(3),
        "the abort took {took:?} to reach a parked {:?} runtime",
        aio::Driver::current()
    );
    let abort = thread.join().unwrap();
    assert!(abort.is_finished());
    // Aborting again, and dropping the handle, change nothing.
    abort.abort();
    drop(abort);
    drop(b);
}

/// Tokio's `test_abort_wakes_task_3964` shape: the abort also wakes the
/// task's awaiter when it is woken by nothing else, on another thread
/// running its own runtime (whose unpark goes out as a MSG_RING on
/// io_uring).
#[test]
fn abort_from_another_runtime_thread() {
    for driver in drivers() {
        let rt = runtime(driver);
        let (tx, rx) = mpsc::channel::<AbortHandle>();
        let other = std::thread::spawn(move || {
            let rt = runtime(driver);
            let abort = rx.recv().unwrap();
            rt.block_on(async move {
                aio::time::sleep(Duration::from_millis(50)).await;
                abort.abort();
                // Hand the abort to the kernel before this runtime idles.
                aio::time::sleep(Duration::from_millis(10)).await;
                abort
            })
        });
        rt.block_on(async {
            let handle = aio::spawn(std::future::pending::<()>());
            tx.send(handle.abort_handle()).unwrap();
            let err = within(LIMIT, "aborted from a runtime thread", handle)
                .await
                .unwrap_err();
            assert!(err.is_cancelled(), "{driver:?}: {err:?}");
        });
        let abort = other.join().unwrap();
        assert!(abort.is_finished());
    }
}

#[aio::test]
async fn aborting_a_finished_task_is_a_no_op() {
    let handle = aio::spawn(async { 42 });
    let abort = handle.abort_handle();
    let remote = handle.abort_handle();
    support::wait_until(LIMIT, "the task to finish", || abort.is_finished()).await;
    assert!(handle.is_finished());
    // From another thread and from here: the output survives.
    std::thread::spawn(move || remote.abort()).join().unwrap();
    abort.abort();
    aio::task::yield_now().await;
    assert_eq!(handle.await.unwrap(), 42);
    // After the output is taken, and after the JoinHandle is gone.
    abort.abort();
    assert!(abort.is_finished());
}

#[aio::test]
async fn abort_handle_on_the_owner_thread_behaves_like_join_handle_abort() {
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = DropFlag {
        dropped: dropped.clone(),
    };
    let handle = aio::spawn(async move {
        let _flag = flag;
        aio::time::sleep(Duration::from_secs(3600)).await;
    });
    aio::task::yield_now().await;
    let abort = handle.abort_handle();
    abort.abort();
    assert!(
        !abort.is_finished(),
        "the task is dropped by the runtime, not by abort()"
    );
    let err = handle.await.unwrap_err();
    assert!(err.is_cancelled());
    assert!(dropped.load(Ordering::SeqCst));
    assert!(abort.is_finished());
}

/// A task aborted before its first poll never runs.
#[aio::test]
async fn abort_before_the_first_poll_never_runs_the_task() {
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let handle = aio::spawn(async move { r.store(true, Ordering::SeqCst) });
    let abort = handle.abort_handle();
    std::thread::spawn(move || abort.abort()).join().unwrap();
    assert!(handle.await.unwrap_err().is_cancelled());
    assert!(!ran.load(Ordering::SeqCst));
}

/// Many tasks aborted at once from another thread, each exactly once.
#[aio::test]
async fn many_remote_aborts() {
    let drops = Arc::new(AtomicUsize::new(0));
    struct Count(Arc<AtomicUsize>);
    impl Drop for Count {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let mut handles = Vec::new();
    let mut aborts = Vec::new();
    for _ in 0..200 {
        let c = Count(drops.clone());
        let h = aio::spawn(async move {
            let _c = c;
            std::future::pending::<()>().await
        });
        aborts.push(h.abort_handle());
        handles.push(h);
    }
    aio::task::yield_now().await;
    let thread = std::thread::spawn(move || {
        for a in &aborts {
            a.abort();
            a.abort();
        }
        aborts
    });
    for h in handles {
        assert!(within(LIMIT, "remote abort", h)
            .await
            .unwrap_err()
            .is_cancelled());
    }
    assert_eq!(drops.load(Ordering::SeqCst), 200);
    assert!(thread.join().unwrap().iter().all(AbortHandle::is_finished));
}

/// An abort handle kept past its runtime: the runtime dropped the task, so
/// it reads finished, and aborting (from any thread) does nothing.
#[test]
fn abort_handle_outlives_its_runtime() {
    for driver in drivers() {
        let rt = runtime(driver);
        let abort = rt.block_on(async {
            let handle = aio::spawn(std::future::pending::<()>());
            handle.abort_handle()
        });
        assert!(!abort.is_finished());
        drop(rt);
        assert!(abort.is_finished(), "{driver:?}");
        std::thread::spawn(move || {
            abort.abort();
            drop(abort);
        })
        .join()
        .unwrap();
    }
}
