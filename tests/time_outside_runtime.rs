//! `sleep`, `sleep_until`, `interval`, `interval_at`, `timeout`,
//! `timeout_at`, `cancel_after`, `cancel_at`, `pause`, `resume` and
//! `advance` called outside a runtime panic at the call (issue 14), as
//! tokio's do (`tests/rt_handle_block_on.rs`, `no_runtime_panics_*`, and
//! `time_sleep::no_runtime_panics_binding_net_tcp_listener`-style checks):
//! with a message naming the function and what to do, located at the
//! caller's line (`#[track_caller]`).

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;
use std::time::Duration;

use aio::time::{
    advance, cancel_after, cancel_at, interval, interval_at, pause, resume, sleep, sleep_until,
    timeout, timeout_at, Instant,
};

thread_local! {
    /// The location of this thread's last panic, recorded by the hook.
    static LOCATION: RefCell<Option<(String, u32)>> = const { RefCell::new(None) };
}

/// Runs `f`, which must panic; returns its message and the `file:line` the
/// panic was reported at.
fn panic_of(f: impl FnOnce()) -> (String, String, u32) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let Some(loc) = info.location() {
                let _ = LOCATION
                    .try_with(|l| *l.borrow_mut() = Some((loc.file().to_owned(), loc.line())));
            }
            prev(info);
        }));
    });
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("the call must panic");
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    let (file, line) = LOCATION
        .with(|l| l.borrow_mut().take())
        .expect("no location");
    (msg, file, line)
}

fn check(name: &str, (msg, file, line): (String, String, u32), expected_line: u32) {
    assert!(
        msg.contains(&format!("`aio::time::{name}`"))
            && msg.contains("must be called from inside an aio runtime")
            && msg.contains("block_on"),
        "{name}: unhelpful message: {msg}"
    );
    assert!(
        file.ends_with("time_outside_runtime.rs") && line == expected_line,
        "{name}: the panic points at {file}:{line}, not at the caller's line {expected_line}"
    );
}

#[test]
fn sleep_panics_at_the_call() {
    let line = line!() + 1;
    let p = panic_of(|| drop(sleep(Duration::from_millis(1))));
    check("sleep", p, line);
}

#[test]
fn sleep_until_panics_at_the_call() {
    let line = line!() + 1;
    let p = panic_of(|| drop(sleep_until(Instant::now())));
    check("sleep_until", p, line);
}

#[test]
fn interval_panics_at_the_call() {
    let line = line!() + 1;
    let p = panic_of(|| drop(interval(Duration::from_millis(1))));
    check("interval", p, line);
}

#[test]
fn interval_at_panics_at_the_call() {
    let line = line!() + 1;
    let p = panic_of(|| drop(interval_at(Instant::now(), Duration::from_millis(1))));
    check("interval_at", p, line);
}

#[test]
fn timeout_panics_at_the_call() {
    let line = line!() + 1;
    let p = panic_of(|| drop(timeout(Duration::from_millis(1), async {})));
    check("timeout", p, line);
}

#[test]
fn timeout_at_panics_at_the_call() {
    let line = line!() + 1;
    let p = panic_of(|| drop(timeout_at(Instant::now(), async {})));
    check("timeout_at", p, line);
}

#[test]
fn cancel_after_panics_at_the_call() {
    let line = line!() + 1;
    let p = panic_of(|| drop(cancel_after(Duration::from_millis(1), async {})));
    check("cancel_after", p, line);
}

#[test]
fn cancel_at_panics_at_the_call() {
    let line = line!() + 1;
    let p = panic_of(|| drop(cancel_at(std::time::Instant::now(), async {})));
    check("cancel_at", p, line);
}

#[test]
fn the_virtual_clock_panics_at_the_call() {
    let line = line!() + 1;
    let p = panic_of(|| pause());
    check("pause", p, line);
    let line = line!() + 1;
    let p = panic_of(|| resume());
    check("resume", p, line);
    let line = line!() + 1;
    let p = panic_of(|| drop(advance(Duration::from_secs(1))));
    check("advance", p, line);
}

/// On a plain thread next to a running runtime: "inside a runtime" means on
/// the runtime's thread, not anywhere in the process.
#[aio::test]
async fn another_thread_is_outside_the_runtime() {
    let res = std::thread::spawn(|| catch_unwind(|| drop(sleep(Duration::from_millis(1)))))
        .join()
        .unwrap();
    assert!(res.is_err());
    // Here, inside, every one of them is fine.
    drop(sleep(Duration::from_millis(1)));
    drop(sleep_until(Instant::now()));
    drop(interval(Duration::from_millis(1)));
    drop(interval_at(Instant::now(), Duration::from_millis(1)));
    drop(timeout(Duration::from_millis(1), async {}));
    drop(timeout_at(Instant::now(), async {}));
    drop(cancel_after(Duration::from_millis(1), async {}));
    drop(cancel_at(Instant::now(), async {}));
}
