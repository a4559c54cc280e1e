//! `#[aio::main]` and `#[aio::test]` on a real runtime: the body runs where
//! the options say, once per driver for tests, and outputs, errors and
//! panics come back to the caller. The compile errors are pinned in
//! `macros_ui.rs`.

use std::cell::{Cell, RefCell};
use std::io;
use std::sync::Mutex;
use std::time::Duration;

use aio::Driver;

/// The drivers `#[aio::test]` without `driver = ...` should run on: epoll
/// always, `io_uring` where it starts; `AIO_DRIVER` narrows to one.
fn expected_drivers() -> Vec<Driver> {
    match std::env::var("AIO_DRIVER").as_deref() {
        Ok("uring") => return vec![Driver::IoUring],
        Ok("epoll") => return vec![Driver::Epoll],
        _ => {}
    }
    let mut drivers = Vec::new();
    if aio::RuntimeBuilder::new()
        .driver(Driver::IoUring)
        .build()
        .is_ok()
    {
        drivers.push(Driver::IoUring);
    }
    drivers.push(Driver::Epoll);
    drivers
}

// ---- #[aio::test] ----

#[aio::test]
async fn test_body_runs_inside_a_runtime() -> io::Result<()> {
    let driver = Driver::current();
    assert!(
        matches!(driver, Driver::IoUring | Driver::Epoll),
        "{driver:?}"
    );
    aio::time::sleep(Duration::from_millis(1)).await;
    let n = aio::spawn(async { 40 + 2 })
        .await
        .expect("the spawned task completes");
    assert_eq!(n, 42);
    Ok(())
}

#[aio::test(driver = "epoll")]
async fn test_driver_epoll_runs_on_epoll() {
    assert_eq!(Driver::current(), Driver::Epoll);
}

#[aio::test(driver = "uring", entries = 8)]
async fn test_driver_uring_runs_on_io_uring() {
    // Skipped (with a note on stderr) where io_uring cannot start.
    assert_eq!(Driver::current(), Driver::IoUring);
}

#[aio::test(driver = "auto")]
async fn test_driver_auto_runs_once_on_a_real_backend() {
    assert!(matches!(Driver::current(), Driver::IoUring | Driver::Epoll));
}

// The next two tests call an `#[aio::test]` function directly to look at
// what it did. The callee is also `#[ignore]`d so the harness does not run it
// on its own; if it does anyway (`--include-ignored`), it runs on another
// thread and records nothing, because `run_test` runs the body on the
// calling thread and the records are thread-local.
thread_local! {
    static CHECKING: Cell<bool> = const { Cell::new(false) };
    static SEEN: RefCell<Vec<Driver>> = const { RefCell::new(Vec::new()) };
    static FAILING_RUNS: Cell<usize> = const { Cell::new(0) };
}

#[aio::test]
#[ignore = "called by test_body_runs_once_per_available_driver"]
async fn record_driver() {
    let driver = Driver::current();
    if CHECKING.get() {
        SEEN.with_borrow_mut(|seen| seen.push(driver));
    }
}

#[test]
fn test_body_runs_once_per_available_driver() {
    CHECKING.set(true);
    record_driver();
    let seen = SEEN.take();
    let expected = expected_drivers();
    assert_eq!(seen.len(), expected.len(), "ran on {seen:?}");
    for driver in expected {
        let runs = seen.iter().filter(|&&d| d == driver).count();
        assert_eq!(runs, 1, "{driver:?} in {seen:?}");
    }
}

#[aio::test]
#[ignore = "called by test_returning_err_fails_and_stops_at_first_driver"]
async fn fails_when_checked() -> Result<(), String> {
    if !CHECKING.get() {
        return Ok(());
    }
    FAILING_RUNS.set(FAILING_RUNS.get() + 1);
    Err(String::from("expected failure"))
}

#[test]
fn test_returning_err_fails_and_stops_at_first_driver() {
    CHECKING.set(true);
    assert_eq!(fails_when_checked(), Err(String::from("expected failure")));
    assert_eq!(FAILING_RUNS.get(), 1);
}

#[aio::test]
#[should_panic(expected = "boom from the body")]
async fn test_should_panic_is_kept() {
    aio::time::sleep(Duration::from_millis(1)).await;
    panic!("boom from the body");
}

#[aio::test]
#[ignore = "must not run: checks that #[ignore] reaches the generated #[test]"]
async fn test_ignore_is_kept() {
    let asked = std::env::args().any(|a| a == "--ignored" || a == "--include-ignored");
    assert!(asked, "an #[ignore]d #[aio::test] ran");
}

#[aio::test]
async fn test_question_mark_with_boxed_error() -> Result<(), Box<dyn std::error::Error>> {
    let n: u32 = "7".parse()?;
    assert_eq!(n, 7);
    Ok(())
}

#[aio::test]
async fn test_body_need_not_be_send() {
    let local = std::rc::Rc::new(5);
    aio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(*local, 5);
}

mod renamed {
    pub use ::aio as rt;
}

#[aio::test(crate = "renamed::rt", driver = "epoll")]
async fn test_crate_option_names_a_reexport() {
    assert_eq!(renamed::rt::Driver::current(), Driver::Epoll);
}

// ---- #[aio::main], called as a plain function ----

/// A doc comment, `pub` and an extra attribute survive the expansion.
#[aio::main(driver = "epoll", entries = 16)]
#[must_use]
pub async fn main_on_epoll() -> Driver {
    aio::time::sleep(Duration::from_millis(1)).await;
    Driver::current()
}

#[test]
fn main_runs_the_body_with_the_driver_option() {
    assert!(!inside_a_runtime());
    assert_eq!(main_on_epoll(), Driver::Epoll);
    // The runtime is gone once the function returns.
    assert!(!inside_a_runtime());
}

/// `Driver::current()` panics outside a runtime.
fn inside_a_runtime() -> bool {
    std::panic::catch_unwind(Driver::current).is_ok()
}

#[aio::main]
async fn main_spawns() -> u32 {
    let a = aio::spawn(async { 20 });
    let b = aio::spawn(async { 22 });
    a.await.expect("task a completes") + b.await.expect("task b completes")
}

#[test]
fn main_returns_the_body_output() {
    assert_eq!(main_spawns(), 42);
}

#[aio::main]
async fn main_fails() -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::NotFound, "from the body"))
}

#[test]
fn main_returns_the_body_error() {
    let err = main_fails().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert_eq!(err.to_string(), "from the body");
}

#[aio::main]
async fn main_panics() {
    aio::time::sleep(Duration::from_millis(1)).await;
    panic!("main body panicked");
}

#[test]
#[should_panic(expected = "main body panicked")]
fn main_propagates_a_panic() {
    main_panics();
}

static CORES_SEEN: Mutex<Vec<Option<usize>>> = Mutex::new(Vec::new());

/// Each of the two cores runs its own copy of the body (which need not be
/// `Send`); the second core fails, so the function returns that failure.
#[aio::main(threads = 2)]
async fn main_on_two_cores() -> Result<(), usize> {
    let local = std::rc::Rc::new(());
    aio::time::sleep(Duration::from_millis(1)).await;
    drop(local);
    let core = aio::cores::current().map(|core| core.index());
    CORES_SEEN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(core);
    match core {
        Some(1) => Err(1),
        _ => Ok(()),
    }
}

#[test]
fn main_threads_runs_the_body_once_per_pinned_core() {
    assert_eq!(main_on_two_cores(), Err(1));
    let mut seen = CORES_SEEN.lock().unwrap_or_else(|e| e.into_inner()).clone();
    seen.sort();
    assert_eq!(seen, [Some(0), Some(1)]);
}
