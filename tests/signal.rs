//! `aio::signal` (issue 11): every listener on every runtime sees each
//! delivery, none is lost between two `recv` calls, deliveries that nobody
//! waited for coalesce, the application's own handler keeps running, and
//! `ctrl_c` works. Both drivers.
//!
//! Each test uses its own signal, so the tests of this binary (which run at
//! once) do not see each other's deliveries. Scenarios that must install a
//! handler before aio does, or that would end the process if aio failed to
//! catch the signal (SIGINT), run in a re-executed child (`support::
//! run_child`), which covers the drivers `AIO_DRIVER` selects.

mod support;

use std::future::Future;
use std::io::ErrorKind;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;
use std::time::Duration;

use aio::signal::unix::{signal, SignalKind};

const LIMIT: Duration = Duration::from_secs(10);

/// Sends `sig` to the calling thread; the handler has run when it returns.
fn raise(sig: libc::c_int) {
    // SAFETY: raise(3) has no memory-safety preconditions; every handler in
    // place for the signals raised here is async-signal-safe.
    let rc = unsafe { libc::raise(sig) };
    assert_eq!(rc, 0, "raise: {}", std::io::Error::last_os_error());
}

/// Polls `fut` once and asserts it is pending (registering its waker).
async fn pending_once<F: Future + Unpin>(fut: &mut F, what: &str) {
    assert!(
        support::poll_once(fut).await.is_none(),
        "{what} completed with no delivery"
    );
}

/// Two runtimes on two threads and the test's own runtime each listen for
/// SIGUSR1; each of three deliveries reaches all three listeners.
#[aio::test]
async fn listeners_on_two_runtimes_on_two_threads_each_see_each_delivery() {
    const ROUNDS: usize = 3;
    let driver = aio::Driver::current();
    let (ready_tx, ready_rx) = mpsc::channel::<()>();
    let (ack_tx, ack_rx) = mpsc::channel::<(usize, usize)>();
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let ready = ready_tx.clone();
            let ack = ack_tx.clone();
            std::thread::spawn(move || {
                support::runtime(driver).block_on(async move {
                    let mut usr1 = signal(SignalKind::user_defined1()).expect("signal(SIGUSR1)");
                    ready.send(()).unwrap();
                    for round in 0..ROUNDS {
                        support::within(LIMIT, "a listener on another runtime", usr1.recv())
                            .await
                            .expect("recv never returns None");
                        ack.send((t, round)).unwrap();
                    }
                })
            })
        })
        .collect();
    let mut mine = signal(SignalKind::user_defined1()).expect("signal(SIGUSR1)");
    for _ in 0..2 {
        ready_rx
            .recv_timeout(LIMIT)
            .expect("a listener thread started");
    }
    for round in 0..ROUNDS {
        raise(libc::SIGUSR1);
        support::within(LIMIT, "the test runtime's listener", mine.recv()).await;
        let mut seen = [false; 2];
        for _ in 0..2 {
            let (t, r) = ack_rx
                .recv_timeout(LIMIT)
                .unwrap_or_else(|e| panic!("round {round}: a listener missed the delivery: {e}"));
            assert_eq!(r, round, "listener {t} is out of step");
            seen[t] = true;
        }
        assert_eq!(seen, [true, true], "round {round}");
    }
    for t in threads {
        t.join().expect("listener thread");
    }
}

/// A delivery after `recv` returned is seen by the next `recv`: 50
/// deliveries, each followed by a `recv`, are 50 receptions. Deliveries
/// nobody waited for coalesce into one.
#[aio::test]
async fn no_delivery_is_lost_between_recv_calls_and_waiting_ones_coalesce() {
    let mut usr2 = signal(SignalKind::user_defined2()).expect("signal(SIGUSR2)");
    let mut received = 0;
    for _ in 0..50 {
        raise(libc::SIGUSR2);
        support::within(LIMIT, "recv after a delivery", usr2.recv())
            .await
            .expect("recv never returns None");
        received += 1;
    }
    assert_eq!(received, 50);
    pending_once(&mut pin!(usr2.recv()), "recv").await;

    // Five deliveries while nobody waits are one reception.
    for _ in 0..5 {
        raise(libc::SIGUSR2);
    }
    support::within(LIMIT, "recv after five deliveries", usr2.recv()).await;
    pending_once(
        &mut pin!(usr2.recv()),
        "a second recv after coalesced deliveries",
    )
    .await;

    // The same through `Stream`; a listener made after a delivery does not
    // see it.
    raise(libc::SIGUSR2);
    let mut late = signal(SignalKind::user_defined2()).expect("signal(SIGUSR2)");
    assert_eq!(
        support::within(LIMIT, "Stream::next", support::next(&mut usr2)).await,
        Some(())
    );
    pending_once(&mut pin!(late.recv()), "a listener made after the delivery").await;
    raise(libc::SIGUSR2);
    support::within(LIMIT, "the late listener", late.recv()).await;
}

/// A waiting `recv` is woken by a delivery raised from another thread
/// (the path through the `aio-signal` thread and the waker, not a look
/// at the counter at poll time): the listener waits in a spawned task,
/// which is polled again only when its waker is called.
#[aio::test]
async fn a_waiting_recv_is_woken_by_a_delivery_from_another_thread() {
    let mut winch = signal(SignalKind::window_change()).expect("signal(SIGWINCH)");
    let polled = std::rc::Rc::new(std::cell::Cell::new(0));
    let seen = polled.clone();
    let task = aio::spawn(async move {
        std::future::poll_fn(|cx| {
            seen.set(seen.get() + 1);
            winch.poll_recv(cx)
        })
        .await
    });
    support::wait_until(LIMIT, "the listener task waits", || polled.get() > 0).await;
    support::yield_times(5).await;
    assert_eq!(
        polled.get(),
        1,
        "the listener was polled again with no delivery"
    );
    let raiser = std::thread::spawn(|| raise(libc::SIGWINCH));
    raiser.join().unwrap();
    let got = support::within(LIMIT, "the woken listener", task).await;
    assert_eq!(got.expect("listener task"), Some(()));
}

/// Signals that cannot be caught, or whose handler would loop, are refused
/// with `InvalidInput`, as are numbers out of range.
#[aio::test]
async fn forbidden_and_out_of_range_signals_are_refused() {
    for sig in [
        libc::SIGKILL,
        libc::SIGSTOP,
        libc::SIGILL,
        libc::SIGFPE,
        libc::SIGSEGV,
        libc::SIGBUS,
    ] {
        let err = signal(SignalKind::from_raw(sig)).expect_err("a forbidden signal was accepted");
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "signal {sig}: {err}");
        assert!(err.to_string().contains("cannot be listened for"), "{err}");
    }
    for sig in [0, -1, 65, 1000] {
        let err =
            signal(SignalKind::from_raw(sig)).expect_err("an out-of-range signal was accepted");
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "signal {sig}: {err}");
    }
}

/// Calls made by the application's own SIGHUP handler.
static APP_HANDLER_CALLS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn app_handler(_sig: libc::c_int) {
    APP_HANDLER_CALLS.fetch_add(1, SeqCst);
}

/// A SIGHUP handler the application installed before aio keeps running on
/// every delivery, and the aio listener sees each too.
#[test]
fn a_handler_installed_before_aio_still_runs() {
    const NAME: &str = "a_handler_installed_before_aio_still_runs";
    if !support::is_child(NAME) {
        let (status, text) = support::run_child(NAME);
        assert!(status.success(), "child failed ({status}):\n{text}");
        assert!(
            text.contains("1 passed"),
            "the child did not run the test:\n{text}"
        );
        return;
    }
    // SAFETY: an all-zero `sigaction` is valid (no flags, empty mask); the
    // handler is async-signal-safe (an atomic add).
    let rc = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = app_handler as *const () as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGHUP, &action, std::ptr::null_mut())
    };
    assert_eq!(rc, 0, "sigaction");
    for driver in support::drivers() {
        support::runtime(driver).block_on(async {
            let mut hup = signal(SignalKind::hangup()).expect("signal(SIGHUP)");
            for _ in 0..3 {
                let before = APP_HANDLER_CALLS.load(SeqCst);
                raise(libc::SIGHUP);
                assert_eq!(
                    APP_HANDLER_CALLS.load(SeqCst),
                    before + 1,
                    "the application's handler was replaced, not chained ({driver:?})"
                );
                support::within(LIMIT, "the aio listener", hup.recv()).await;
            }
        });
    }
}

/// `ctrl_c` completes at a SIGINT (which no longer ends the process).
#[test]
fn ctrl_c_completes_on_sigint_in_a_child_process() {
    const NAME: &str = "ctrl_c_completes_on_sigint_in_a_child_process";
    if !support::is_child(NAME) {
        let (status, text) = support::run_child(NAME);
        assert!(status.success(), "child failed ({status}):\n{text}");
        assert!(text.contains("survived SIGINT"), "{text}");
        assert!(
            text.contains("1 passed"),
            "the child did not run the test:\n{text}"
        );
        return;
    }
    for driver in support::drivers() {
        support::runtime(driver).block_on(async {
            let mut ctrl_c = pin!(aio::signal::ctrl_c());
            pending_once(&mut ctrl_c, "ctrl_c").await;
            raise(libc::SIGINT);
            support::within(LIMIT, "ctrl_c", ctrl_c)
                .await
                .expect("ctrl_c");
        });
    }
    eprintln!("survived SIGINT");
}
