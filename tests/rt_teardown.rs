//! The runtime's order of teardown (issue 14): tasks dropped before a
//! panic of the root future leaves `block_on`, a task that panics in
//! `poll` dropped during its unwind (its destructors see
//! `thread::panicking()`, as tokio's harness arranges), and
//! `Runtime::shutdown_timeout` bounding the wait for an operation the
//! kernel does not finish. Modelled on compio's `block_on` panic handling
//! and tokio's `rt_common::shutdown_timeout` / `task_abort` drop tests.

mod support;

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::{Duration, Instant};

use support::{drivers, runtime};

type Log = Rc<RefCell<Vec<(&'static str, bool)>>>;

/// Records its name and whether the thread was panicking when dropped.
struct Witness(&'static str, Log);

impl Drop for Witness {
    fn drop(&mut self) {
        self.1.borrow_mut().push((self.0, std::thread::panicking()));
    }
}

fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

#[test]
fn a_panicking_root_future_drops_the_tasks_before_the_panic_leaves_block_on() {
    for driver in drivers() {
        let rt = runtime(driver);
        let log: Log = Rc::default();
        let res = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async {
                let w = Witness("sleeping task", log.clone());
                aio::spawn(async move {
                    let _w = w;
                    aio::time::sleep(Duration::from_secs(3600)).await;
                });
                aio::task::yield_now().await;
                let w = Witness("never polled task", log.clone());
                let _kept = aio::spawn(async move {
                    let _w = w;
                });
                let _root = Witness("root future", log.clone());
                panic!("root boom");
            })
        }));
        let payload = res.expect_err("the root's panic propagates");
        assert_eq!(message(&*payload), "root boom");
        // The runtime is still alive here: the tasks went during the unwind.
        let mut got = log.borrow().clone();
        got.sort();
        assert_eq!(
            got,
            [
                ("never polled task", true),
                ("root future", true),
                ("sleeping task", true)
            ],
            "{driver:?}: every task dropped, while panicking, before block_on returned"
        );
        // The root's locals go first, then the tasks.
        assert_eq!(log.borrow()[0], ("root future", true));
        // And the runtime is still usable.
        assert_eq!(
            rt.block_on(async { aio::spawn(async { 7 }).await.unwrap() }),
            7
        );
    }
}

/// A task's destructor that panics while the root future unwinds is
/// contained: the root's panic comes out, not an abort.
#[test]
fn a_task_destructor_panicking_during_the_root_unwind_is_contained() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("drop boom");
        }
    }
    for driver in drivers() {
        let rt = runtime(driver);
        let res = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async {
                let p = PanicOnDrop;
                aio::spawn(async move {
                    let _p = p;
                    std::future::pending::<()>().await
                });
                aio::task::yield_now().await;
                panic!("root boom");
            })
        }));
        assert_eq!(message(&*res.unwrap_err()), "root boom", "{driver:?}");
    }
}

/// The future's state is not dropped by the panic itself (a `poll_fn`
/// keeps its closure's captures; an `async` block would drop its own locals
/// while unwinding anyway): the runtime drops it, during the unwind.
#[aio::test]
async fn a_task_panicking_in_poll_is_dropped_during_the_unwind() {
    let log: Log = Rc::default();
    let w = Witness("captured by poll_fn", log.clone());
    let handle = aio::spawn(std::future::poll_fn(move |_| -> std::task::Poll<()> {
        let _ = &w;
        panic!("task boom");
    }));
    let err = handle.await.unwrap_err();
    assert!(err.is_panic());
    assert_eq!(message(&*err.into_panic()), "task boom");
    assert_eq!(*log.borrow(), [("captured by poll_fn", true)]);
}

/// The same, with a destructor that panics too: the poll's panic is the one
/// reported (the second is contained rather than aborting the process), and
/// the runtime carries on.
#[aio::test]
async fn a_task_whose_destructor_panics_while_unwinding_reports_the_first_panic() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("drop boom");
        }
    }
    let p = PanicOnDrop;
    let handle = aio::spawn(std::future::poll_fn(move |_| -> std::task::Poll<()> {
        let _ = &p;
        panic!("task boom");
    }));
    let err = handle.await.unwrap_err();
    assert_eq!(message(&*err.into_panic()), "task boom");
    assert_eq!(aio::spawn(async { 1 }).await.unwrap(), 1);
}

/// A task that completes normally drops its future outside any panic.
#[aio::test]
async fn a_task_that_completes_drops_its_future_normally() {
    let log: Log = Rc::default();
    let w = Witness("task local", log.clone());
    aio::spawn(async move {
        let _w = w;
    })
    .await
    .unwrap();
    assert_eq!(*log.borrow(), [("task local", false)]);
}

/// Dropping the runtime: the tasks go before the driver, outside any panic.
#[test]
fn dropping_the_runtime_drops_tasks_without_panicking() {
    for driver in drivers() {
        let rt = runtime(driver);
        let log: Log = Rc::default();
        rt.block_on(async {
            let w = Witness("task", log.clone());
            aio::spawn(async move {
                let _w = w;
                std::future::pending::<()>().await
            });
            aio::task::yield_now().await;
        });
        assert!(log.borrow().is_empty());
        drop(rt);
        assert_eq!(*log.borrow(), [("task", false)], "{driver:?}");
    }
}

/// A FIFO with no writer: `open(2)` for reading blocks until one comes.
/// The epoll driver runs opens on its blocking pool, where nothing can
/// interrupt that, so the kernel never completes the op; io_uring's
/// cancellation interrupts its worker, so there the shutdown is quick
/// anyway. Either way `shutdown_timeout` returns within its bound (the
/// 1 s default would not). tokio: `rt_common::shutdown_timeout`.
#[test]
fn shutdown_timeout_returns_within_the_bound_with_a_stuck_op() {
    for driver in drivers() {
        let dir =
            std::env::temp_dir().join(format!("aio-teardown-{}-{driver:?}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: `c` is a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);

        let rt = runtime(driver);
        let path = fifo.clone();
        rt.block_on(async move {
            aio::spawn(async move {
                let res = aio::fs::File::open(&path).await;
                unreachable!("nobody writes to the FIFO: {:?}", res.map(|_| ()));
            });
            // Let the open start (on the pool, or in the ring's worker).
            aio::time::sleep(Duration::from_millis(50)).await;
        });
        let start = Instant::now();
        rt.shutdown_timeout(Duration::from_millis(100));
        let took = start.elapsed();
        assert!(
            took < Duration::from_millis(800),
            "{driver:?}: shutdown_timeout(100 ms) took {took:?}"
        );
        // Release the stuck open (O_RDWR on a FIFO never blocks).
        let _writer = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&fifo)
            .unwrap();
        std::thread::sleep(Duration::from_millis(20));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
