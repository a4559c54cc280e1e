//! `aio::time::sleep` / `sleep_until` as a user sees them: timers complete
//! in deadline order, never before their deadline, on every driver.

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use aio::time::{sleep, sleep_until, Instant};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Polls `fut` once; returns whether it was ready.
async fn poll_once<F: Future>(fut: F) -> bool {
    let mut fut = pin!(fut);
    poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx).is_ready())).await
}

#[aio::test]
async fn sleep_waits_at_least_its_duration() {
    for d in [1, 2, 5, 10, 20] {
        let start = Instant::now();
        sleep(ms(d)).await;
        assert!(start.elapsed() >= ms(d), "sleep({d} ms) woke early");
    }
}

#[aio::test]
async fn many_sleeps_fire_in_deadline_order_never_early() {
    let base = Instant::now();
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut handles = Vec::new();
    // Pseudo-random durations, 5..=84 ms, many sharing a millisecond.
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for id in 0..300 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let deadline = base + ms(5) + Duration::from_micros(x % 80_000);
        let log = Rc::clone(&log);
        handles.push(aio::spawn(async move {
            sleep_until(deadline).await;
            let now = Instant::now();
            assert!(now >= deadline, "timer {id} fired early");
            log.borrow_mut().push((deadline, id));
        }));
    }
    for h in handles {
        h.await.expect("sleeping task panicked");
    }
    let log = log.borrow();
    assert_eq!(log.len(), 300);
    for pair in log.windows(2) {
        assert!(
            pair[0].0 <= pair[1].0,
            "timer {} (deadline {:?}) completed after timer {} (deadline {:?})",
            pair[0].1,
            pair[0].0 - base,
            pair[1].1,
            pair[1].0 - base
        );
    }
}

#[aio::test]
async fn zero_and_past_deadlines_complete_on_first_poll() {
    assert!(poll_once(sleep(Duration::ZERO)).await);
    assert!(poll_once(sleep_until(Instant::now())).await);
    let past = Instant::now();
    sleep(ms(2)).await;
    assert!(poll_once(sleep_until(past)).await);
    // Also with a waker that does nothing: nothing has to be woken.
    let mut s = pin!(sleep(Duration::ZERO));
    assert!(s
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
        .is_ready());
}

#[aio::test]
async fn huge_durations_do_not_overflow() {
    let s = sleep(Duration::MAX);
    assert!(s.deadline() > Instant::now() + Duration::from_secs(86_400 * 365));
    assert!(!poll_once(s).await);
}

#[aio::test]
async fn deadline_and_is_elapsed() {
    let s = sleep(ms(5));
    let deadline = s.deadline();
    assert!(!s.is_elapsed());
    s.await;
    assert!(Instant::now() >= deadline);
    let s = sleep_until(deadline);
    assert!(s.is_elapsed());
}

#[aio::test]
async fn reset_moves_the_deadline_both_ways() {
    // Earlier: an armed hour-long sleep reset to 5 ms completes then.
    let mut s = pin!(sleep(Duration::from_secs(3600)));
    assert!(!poll_once(s.as_mut()).await);
    let new_deadline = Instant::now() + ms(5);
    s.as_mut().reset(new_deadline);
    assert_eq!(s.deadline(), new_deadline);
    s.as_mut().await;
    assert!(Instant::now() >= new_deadline);

    // Later: a completed sleep reset into the future is pending again.
    let later = Instant::now() + ms(10);
    s.as_mut().reset(later);
    assert!(!s.is_elapsed());
    s.as_mut().await;
    assert!(Instant::now() >= later);
}

#[aio::test]
async fn dropped_sleeps_do_not_disturb_the_others() {
    // Arm and drop many sleeps (some sharing a deadline with the one that
    // stays), then check the survivor still fires, on time and not early.
    let deadline = Instant::now() + ms(15);
    for i in 0..1_000u64 {
        let d = if i % 2 == 0 {
            deadline
        } else {
            deadline + ms(i)
        };
        assert!(!poll_once(sleep_until(d)).await);
    }
    sleep_until(deadline).await;
    assert!(Instant::now() >= deadline);
}

#[aio::test]
async fn sleeps_in_spawned_tasks_and_abort() {
    let slow = aio::spawn(async {
        sleep(Duration::from_secs(3600)).await;
    });
    let fast = aio::spawn(async {
        sleep(ms(5)).await;
        7
    });
    assert_eq!(fast.await.unwrap(), 7);
    slow.abort();
    assert!(slow.await.unwrap_err().is_cancelled());
}

/// Creating a sleep outside a runtime panics at the call since issue 14
/// (see `time_outside_runtime.rs`); one made inside a runtime and carried
/// out of it still panics when polled there.
#[test]
#[should_panic(expected = "must be called from inside an aio runtime")]
fn polling_outside_a_runtime_panics() {
    let s = aio::Runtime::new()
        .unwrap()
        .block_on(async { (sleep(ms(1)),) });
    // (In a tuple above, so the async block does not yield a future.)
    let mut s = pin!(s.0);
    let _ = s.as_mut().poll(&mut Context::from_waker(Waker::noop()));
}

/// CPU time this thread has used.
fn thread_cpu_time() -> Duration {
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable `rusage` for the call to fill.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    assert_eq!(rc, 0, "getrusage: {}", std::io::Error::last_os_error());
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[aio::test]
async fn waiting_for_a_timer_does_not_spin() {
    // The runtime sleeps in the kernel until the deadline: a 200 ms sleep
    // costs next to no CPU on this (the runtime's) thread.
    let before = thread_cpu_time();
    sleep(ms(200)).await;
    let used = thread_cpu_time() - before;
    assert!(used < ms(50), "a 200 ms sleep used {used:?} of CPU");
}

#[test]
fn timer_types_are_send_sync_unpin() {
    fn check<T: Send + Sync + Unpin>() {}
    check::<aio::time::Sleep>();
    check::<aio::time::Interval>();
    check::<aio::time::Elapsed>();
    check::<aio::time::Timeout<std::future::Ready<()>>>();
}
