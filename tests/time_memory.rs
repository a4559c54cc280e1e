//! Memory stays flat under timer churn: creating and dropping many armed
//! timeouts reuses the runtime's timer entries instead of growing.
//!
//! Kept in its own test binary with a single test, because RSS is
//! process-wide and tests in one binary run in parallel.

use std::future::{pending, poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use aio::time::{sleep, timeout, Instant};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Polls `fut` once; returns whether it was ready.
async fn poll_once<F: Future>(fut: F) -> bool {
    let mut fut = pin!(fut);
    poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx).is_ready())).await
}

/// Resident set size of this process, in bytes.
fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("read /proc/self/statm");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .expect("statm has a resident field")
        .parse()
        .expect("resident pages is a number");
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * usize::try_from(page).expect("page size is positive")
}

#[aio::test]
async fn created_and_dropped_timers_leave_memory_flat() {
    // Kept as one test: RSS is process-wide, and tests in one binary run in
    // parallel.
    // Each timer is polled once (so it is armed in the wheel) and dropped.
    async fn churn(n: u64) {
        for i in 0..n {
            let armed = poll_once(timeout(ms(1_000 + i % 5_000), pending::<()>())).await;
            assert!(!armed);
            assert!(!poll_once(sleep(ms(1 + i % 100_000))).await);
        }
    }
    churn(100_000).await; // warm up the allocator and the wheel
    let before = rss_bytes();
    for _ in 0..5 {
        churn(100_000).await;
    }
    let growth = rss_bytes().saturating_sub(before);
    assert!(
        growth < 1 << 20,
        "RSS grew by {growth} bytes over 1,000,000 created-and-dropped timers"
    );

    // 100,000 timers live at once, then all dropped, several times: later
    // rounds reuse the first round's entries.
    async fn round() {
        let mut live: Vec<_> = (0..100_000u64)
            .map(|i| Box::pin(sleep(ms(10_000 + i))))
            .collect();
        for s in &mut live {
            assert!(!poll_once(s.as_mut()).await);
        }
    }
    round().await;
    let before = rss_bytes();
    for _ in 0..3 {
        round().await;
    }
    let growth = rss_bytes().saturating_sub(before);
    assert!(
        growth < 2 << 20,
        "RSS grew by {growth} bytes over rounds of 100,000 live timers"
    );

    // And the wheel still works.
    let start = Instant::now();
    assert!(timeout(ms(5), pending::<()>()).await.is_err());
    assert!(start.elapsed() >= ms(5));
}
