//! Shutdown signals (`aio::cores::shutdown_signal`,
//! `Shutdown::trigger_on_signal`) live alongside the application's own
//! handlers: a SIGINT/SIGTERM handler installed before keeps running
//! (chained), a second signal ends the process only when
//! `aio::cores::exit_on_second_signal(true)` asked for it.
//!
//! Signal dispositions are process-wide and the runtime's handler cannot be
//! taken back, so each scenario runs in a child: the test re-executes this
//! binary for just itself, with `AIO_SIGNAL_CHILD` set, and the child does
//! the work. The parent checks the child's exit status and output, with a
//! deadline so that a child that hangs fails the test instead of blocking it.

use std::future::{poll_fn, Future};
use std::io::Read;
use std::pin::pin;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::task::Poll;
use std::time::{Duration, Instant};

use aio::cores::Shutdown;

/// Tells a re-executed test binary which scenario it is the child for.
const CHILD_ENV: &str = "AIO_SIGNAL_CHILD";

/// How long a child may take before it is killed and the test fails.
const CHILD_DEADLINE: Duration = Duration::from_secs(30);

/// How long a child waits for the shutdown a signal should trigger.
const SIGNAL_DEADLINE: Duration = Duration::from_secs(5);

fn is_child(test: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|v| v == test)
}

/// Runs the test `test` in a child process (it inherits `AIO_DRIVER`, so the
/// epoll run covers epoll) and returns its exit status and its output, both
/// streams together. Kills it and panics if it outlives [`CHILD_DEADLINE`].
fn run_child(test: &str) -> (ExitStatus, String) {
    let exe = std::env::current_exe().expect("current_exe");
    let mut child = Command::new(exe)
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the child test process");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = r.read_to_string(&mut text);
            text
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if start.elapsed() > CHILD_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "child `{test}` still running after {CHILD_DEADLINE:?}; killed:\n{}{}",
                out.join().unwrap(),
                err.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let text = format!("{}{}", out.join().unwrap(), err.join().unwrap());
    eprintln!("--- child `{test}` ({status}):\n{text}");
    (status, text)
}

/// Runs `test` in a child and asserts that it passed.
fn child_passes(test: &str) {
    let (status, text) = run_child(test);
    assert_passed(test, status, &text);
}

/// Asserts that the child for `test` ran it and it passed.
fn assert_passed(test: &str, status: ExitStatus, text: &str) {
    assert!(
        status.success(),
        "child `{test}` failed ({status}):\n{text}"
    );
    assert!(
        text.contains("1 passed"),
        "the child did not run `{test}`:\n{text}"
    );
}

/// Calls made by the application's own handlers.
static APP_HANDLER_CALLS: AtomicUsize = AtomicUsize::new(0);

/// A plain (one-argument) application handler: counts, and says so on
/// stderr with `write(2)` (async-signal-safe), so the parent can see it ran
/// even when the process then ends with `_exit`.
extern "C" fn app_handler(_sig: libc::c_int) {
    APP_HANDLER_CALLS.fetch_add(1, SeqCst);
    let msg = b"app handler ran\n";
    // SAFETY: `msg` is a live buffer of `msg.len()` bytes; fd 2 is stderr.
    unsafe { libc::write(2, msg.as_ptr().cast(), msg.len()) };
}

/// An `SA_SIGINFO` (three-argument) application handler: counts.
extern "C" fn app_siginfo_handler(
    _sig: libc::c_int,
    _info: *mut libc::siginfo_t,
    _ctx: *mut libc::c_void,
) {
    APP_HANDLER_CALLS.fetch_add(1, SeqCst);
}

/// Installs `handler` for `sig` with `sigaction`, as an application would,
/// and checks that it is in place.
fn install_app_handler(sig: libc::c_int, handler: libc::sighandler_t, flags: libc::c_int) {
    // SAFETY: an all-zero `sigaction` is a valid value (no flags, empty
    // mask), filled in below.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = handler;
    action.sa_flags = flags | libc::SA_RESTART;
    // SAFETY: `action.sa_mask` is a valid `sigset_t` to initialise.
    unsafe { libc::sigemptyset(&mut action.sa_mask) };
    // SAFETY: `action` is fully initialised; both handlers above are
    // async-signal-safe (an atomic add and `write`).
    let rc = unsafe { libc::sigaction(sig, &action, std::ptr::null_mut()) };
    assert_eq!(rc, 0, "sigaction: {}", std::io::Error::last_os_error());
}

/// Sends `sig` to the calling thread; it is handled before this returns
/// (the thread does not block it).
fn raise(sig: libc::c_int) {
    // SAFETY: `raise` has no memory-safety preconditions; the handlers in
    // place are async-signal-safe.
    let rc = unsafe { libc::raise(sig) };
    assert_eq!(rc, 0, "raise: {}", std::io::Error::last_os_error());
}

/// Polls `fut` once and asserts it is pending: for `shutdown_signal`, the
/// first poll installs the handler.
async fn poll_once_pending<F: Future + Unpin>(fut: &mut F) {
    poll_fn(|cx| {
        assert!(
            std::pin::Pin::new(&mut *fut).poll(cx).is_pending(),
            "shutdown_signal completed before any signal"
        );
        Poll::Ready(())
    })
    .await;
}

fn runtime() -> aio::Runtime {
    aio::Runtime::new().expect("runtime")
}

/// (a) A SIGTERM handler the application installed keeps running once
/// `shutdown_signal` is in use, and the shutdown is still seen.
#[test]
fn an_application_sigterm_handler_still_runs_and_shutdown_is_seen() {
    const NAME: &str = "an_application_sigterm_handler_still_runs_and_shutdown_is_seen";
    if !is_child(NAME) {
        return child_passes(NAME);
    }
    install_app_handler(
        libc::SIGTERM,
        app_handler as *const () as libc::sighandler_t,
        0,
    );
    runtime().block_on(async {
        let mut signal = pin!(aio::cores::shutdown_signal());
        poll_once_pending(&mut signal).await;
        raise(libc::SIGTERM);
        assert_eq!(
            APP_HANDLER_CALLS.load(SeqCst),
            1,
            "the application's SIGTERM handler was replaced, not chained"
        );
        aio::time::timeout(SIGNAL_DEADLINE, signal)
            .await
            .expect("shutdown_signal did not complete after SIGTERM")
            .expect("shutdown_signal");
    });
}

/// The same for `trigger_on_signal`, SIGINT and an `SA_SIGINFO` handler.
#[test]
fn an_application_siginfo_sigint_handler_still_runs_with_trigger_on_signal() {
    const NAME: &str = "an_application_siginfo_sigint_handler_still_runs_with_trigger_on_signal";
    if !is_child(NAME) {
        return child_passes(NAME);
    }
    install_app_handler(
        libc::SIGINT,
        app_siginfo_handler as *const () as libc::sighandler_t,
        libc::SA_SIGINFO,
    );
    let shutdown = Shutdown::new();
    shutdown.trigger_on_signal().expect("trigger_on_signal");
    raise(libc::SIGINT);
    assert_eq!(
        APP_HANDLER_CALLS.load(SeqCst),
        1,
        "the application's SIGINT handler was replaced, not chained"
    );
    runtime().block_on(async {
        aio::time::timeout(SIGNAL_DEADLINE, shutdown.wait())
            .await
            .expect("the token was not triggered by SIGINT");
    });
}

/// (b) By default a second SIGTERM does not end the process (the old code
/// ended it with status 143): the shutdown completes, a later
/// `shutdown_signal` completes at once, and the child exits normally.
#[test]
fn by_default_a_second_sigterm_does_not_end_the_process() {
    const NAME: &str = "by_default_a_second_sigterm_does_not_end_the_process";
    if !is_child(NAME) {
        let (status, text) = run_child(NAME);
        assert_ne!(
            status.code(),
            Some(128 + libc::SIGTERM),
            "the second SIGTERM ended the process:\n{text}"
        );
        assert!(text.contains("survived both signals"), "{text}");
        return assert_passed(NAME, status, &text);
    }
    runtime().block_on(async {
        let mut signal = pin!(aio::cores::shutdown_signal());
        poll_once_pending(&mut signal).await;
        raise(libc::SIGTERM);
        aio::time::timeout(SIGNAL_DEADLINE, signal)
            .await
            .expect("shutdown_signal did not complete after SIGTERM")
            .expect("shutdown_signal");
        raise(libc::SIGTERM);
        // Still here: a later call sees the signal at once.
        aio::time::timeout(Duration::from_millis(100), aio::cores::shutdown_signal())
            .await
            .expect("a later shutdown_signal did not complete at once")
            .expect("shutdown_signal");
    });
    eprintln!("survived both signals");
}

/// Runs the opt-in scenario: `first` then `second`, with
/// `exit_on_second_signal(true)` and an application handler on both. The
/// process must end at the second with `_exit(128 + second)`, after the
/// chained handler ran.
fn opted_in_child(first: libc::c_int, second: libc::c_int) {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        install_app_handler(sig, app_handler as *const () as libc::sighandler_t, 0);
    }
    aio::cores::exit_on_second_signal(true);
    runtime().block_on(async {
        let mut signal = pin!(aio::cores::shutdown_signal());
        poll_once_pending(&mut signal).await;
        raise(first);
        aio::time::timeout(SIGNAL_DEADLINE, signal)
            .await
            .expect("shutdown_signal did not complete after the first signal")
            .expect("shutdown_signal");
        eprintln!("first signal seen");
        raise(second);
    });
    eprintln!("still running after the second signal");
}

/// Checks the parent's side of [`opted_in_child`].
fn assert_opted_in_exit(test: &str, second: libc::c_int) {
    let (status, text) = run_child(test);
    assert_eq!(
        status.code(),
        Some(128 + second),
        "the second signal did not end the process with 128 + {second}:\n{text}"
    );
    let first_seen = text.find("first signal seen").expect(&text);
    let chained = text.rfind("app handler ran").expect(&text);
    assert!(
        first_seen < chained,
        "the application's handler did not run at the second signal:\n{text}"
    );
    assert!(!text.contains("still running"), "{text}");
}

/// (c) With `exit_on_second_signal(true)`, a second SIGTERM ends the process
/// at once with status 143, after the chained application handler ran.
#[test]
fn opted_in_a_second_sigterm_exits_with_143() {
    const NAME: &str = "opted_in_a_second_sigterm_exits_with_143";
    if !is_child(NAME) {
        return assert_opted_in_exit(NAME, libc::SIGTERM);
    }
    opted_in_child(libc::SIGTERM, libc::SIGTERM);
}

/// SIGINT and SIGTERM share the count: SIGTERM then SIGINT exits with 130.
#[test]
fn opted_in_sigterm_then_sigint_exits_with_130() {
    const NAME: &str = "opted_in_sigterm_then_sigint_exits_with_130";
    if !is_child(NAME) {
        return assert_opted_in_exit(NAME, libc::SIGINT);
    }
    opted_in_child(libc::SIGTERM, libc::SIGINT);
}
