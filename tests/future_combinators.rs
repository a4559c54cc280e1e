//! `aio::future::{join, select, Either}` on both drivers.

mod support;

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use aio::future::{join, select, Either};
use aio::io::AsyncReadRent;
use aio::net::UnixStream;
use aio::time::sleep;
use support::{new_log, occurrences, wait_until, Event, TrackedBuf};

#[aio::test]
async fn join_runs_both_concurrently_and_returns_both_outputs() {
    let start = Instant::now();
    let (a, b) = join(
        async {
            sleep(Duration::from_millis(50)).await;
            "a"
        },
        async {
            sleep(Duration::from_millis(50)).await;
            2
        },
    )
    .await;
    assert_eq!((a, b), ("a", 2));
    // Concurrent, not one after the other.
    assert!(
        start.elapsed() < Duration::from_millis(95),
        "{:?}",
        start.elapsed()
    );
    // Already-ready futures complete in one poll.
    assert_eq!(join(async { 1 }, async { 2 }).await, (1, 2));
}

struct Dropped(Rc<Cell<bool>>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[aio::test]
async fn select_returns_the_first_and_drops_the_other() {
    let dropped = Rc::new(Cell::new(false));
    let guard = Dropped(dropped.clone());
    let slow = async move {
        let _guard = guard;
        sleep(Duration::from_secs(60)).await;
        "slow"
    };
    let res = select(sleep(Duration::from_millis(5)), slow).await;
    assert_eq!(res, Either::Left(()));
    assert!(dropped.get(), "the loser is dropped when select returns");
    let res = select(std::future::pending::<()>(), async { 7 }).await;
    assert_eq!(res, Either::Right(7));
    // Both ready: the first wins.
    assert_eq!(select(async { 1 }, async { 2 }).await, Either::Left(1));
}

#[aio::test]
async fn a_read_that_loses_a_select_is_cancelled_and_its_buffer_freed_once() {
    let (mut a, _b) = UnixStream::pair().unwrap();
    let log = new_log();
    let buf = TrackedBuf::empty(&log, 1, 64);
    let res = select(sleep(Duration::from_millis(5)), a.read(buf)).await;
    assert!(matches!(res, Either::Left(())));
    wait_until(
        Duration::from_secs(5),
        "the cancelled read's buffer freed",
        || occurrences(&log, Event::BufDropped(1)) == 1,
    )
    .await;
    assert_eq!(occurrences(&log, Event::Scribbled(1)), 0);
}
