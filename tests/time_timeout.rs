//! `aio::time::timeout` / `timeout_at` as a user sees them.

use std::future::{pending, poll_fn, ready, Future};
use std::io;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use aio::time::{sleep, timeout, timeout_at, Elapsed, Instant};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Polls `fut` once; returns whether it was ready.
async fn poll_once<F: Future>(fut: F) -> bool {
    let mut fut = pin!(fut);
    poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx).is_ready())).await
}

#[aio::test]
async fn pending_future_times_out_with_elapsed() {
    let start = Instant::now();
    let res: Result<(), Elapsed> = timeout(ms(10), pending::<()>()).await;
    assert_eq!(res.unwrap_err().to_string(), "deadline has elapsed");
    assert!(start.elapsed() >= ms(10), "timed out early");
}

#[aio::test]
async fn ready_future_is_ok_even_with_zero_duration() {
    assert_eq!(timeout(ms(10), ready(5)).await, Ok(5));
    assert_eq!(timeout(Duration::ZERO, ready(6)).await, Ok(6));
    assert_eq!(timeout(Duration::ZERO, async { 7 }).await, Ok(7));
}

#[aio::test]
async fn future_finishing_before_the_deadline_is_ok() {
    let start = Instant::now();
    let res = timeout(Duration::from_secs(10), async {
        sleep(ms(5)).await;
        "done"
    })
    .await;
    assert_eq!(res, Ok("done"));
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[aio::test]
async fn slower_future_loses_to_the_deadline() {
    let res = timeout(ms(5), sleep(ms(200))).await;
    assert!(res.is_err());
}

#[aio::test]
async fn timeout_at_uses_the_given_instant() {
    let deadline = Instant::now() + ms(10);
    let t = timeout_at(deadline, pending::<()>());
    assert_eq!(t.deadline(), deadline);
    assert!(t.await.is_err());
    assert!(Instant::now() >= deadline);
    // A deadline in the past still polls the future first.
    assert_eq!(timeout_at(deadline, ready(1)).await, Ok(1));
    assert!(timeout_at(deadline, pending::<()>()).await.is_err());
}

#[aio::test]
async fn huge_durations_do_not_overflow() {
    assert!(!poll_once(timeout(Duration::MAX, pending::<()>())).await);
    assert_eq!(timeout(Duration::MAX, ready(3)).await, Ok(3));
}

#[aio::test]
async fn accessors() {
    let mut t = timeout(ms(10), ready(9));
    assert!(t.get_ref().clone().into_inner() == 9);
    *t.get_mut() = ready(10);
    assert_eq!(t.into_inner().into_inner(), 10);
}

#[aio::test]
async fn elapsed_error_conversions() {
    let err: Elapsed = timeout(ms(1), pending::<()>()).await.unwrap_err();
    assert_eq!(err.to_string(), "deadline has elapsed");
    assert_eq!(err.clone(), err);
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(err.clone());
    assert_eq!(boxed.to_string(), "deadline has elapsed");
    let io_err: io::Error = err.into();
    assert_eq!(io_err.kind(), io::ErrorKind::TimedOut);

    async fn with_question_mark() -> io::Result<()> {
        timeout(ms(1), pending::<()>()).await?;
        Ok(())
    }
    assert_eq!(
        with_question_mark().await.unwrap_err().kind(),
        io::ErrorKind::TimedOut
    );
}

#[aio::test]
async fn dropping_a_timeout_drops_its_future() {
    struct Flag<'a>(&'a std::cell::Cell<bool>);
    impl Drop for Flag<'_> {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let dropped = std::cell::Cell::new(false);
    {
        let flag = Flag(&dropped);
        let fut = async move {
            let _flag = flag;
            pending::<()>().await;
        };
        assert!(!poll_once(timeout(Duration::from_secs(60), fut)).await);
    }
    assert!(dropped.get());
}

/// Creating a timeout outside a runtime panics at the call since issue 14
/// (see `time_outside_runtime.rs`); one made inside a runtime and carried
/// out of it still panics when polled there.
#[test]
#[should_panic(expected = "must be called from inside an aio runtime")]
fn polling_outside_a_runtime_panics() {
    let t = aio::Runtime::new()
        .unwrap()
        .block_on(async { (timeout(ms(1), pending::<()>()),) });
    // (In a tuple above, so the async block does not yield a future.)
    let mut t = pin!(t.0);
    let _ = t.as_mut().poll(&mut Context::from_waker(Waker::noop()));
}
