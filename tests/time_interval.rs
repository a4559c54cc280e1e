//! `aio::time::interval` as a user sees it: ticks on the period, the
//! missed-tick behaviours, and the `Stream` impl.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::time::Duration;

use aio::time::{interval, interval_at, Instant, MissedTickBehavior};
use futures_core::Stream;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Blocks the runtime's thread (a task that hogs the core).
fn busy(d: Duration) {
    std::thread::sleep(d);
}

#[aio::test]
async fn ticks_on_the_period_and_never_early() {
    let start = Instant::now();
    let mut every = interval(ms(10));
    assert_eq!(every.period(), ms(10));
    let first = every.tick().await;
    assert!(first >= start && first <= Instant::now());
    for n in 1..=5u32 {
        let scheduled = every.tick().await;
        assert_eq!(scheduled - first, ms(10) * n);
        assert!(Instant::now() >= scheduled, "tick {n} early");
    }
    assert!(start.elapsed() >= ms(50));
}

#[aio::test]
async fn interval_at_starts_at_the_given_instant() {
    let start = Instant::now() + ms(20);
    let mut every = interval_at(start, ms(5));
    assert_eq!(every.tick().await, start);
    assert!(Instant::now() >= start);
    assert_eq!(every.tick().await, start + ms(5));
}

#[aio::test]
async fn default_is_burst() {
    let every = interval(ms(1));
    assert_eq!(every.missed_tick_behavior(), MissedTickBehavior::Burst);
    assert_eq!(MissedTickBehavior::default(), MissedTickBehavior::Burst);
}

#[aio::test]
async fn burst_catches_up_on_the_original_schedule() {
    let mut every = interval(ms(10));
    let t0 = every.tick().await;
    busy(ms(35));
    // 10, 20, 30 are overdue and complete at once; then 40, 50 on schedule.
    let caught_up = Instant::now();
    for n in 1..=3u32 {
        assert_eq!(every.tick().await - t0, ms(10) * n);
    }
    assert!(
        caught_up.elapsed() < ms(10),
        "overdue ticks were not immediate"
    );
    for n in 4..=5u32 {
        let scheduled = every.tick().await;
        assert_eq!(scheduled - t0, ms(10) * n);
        assert!(Instant::now() >= scheduled);
    }
}

#[aio::test]
async fn delay_restarts_from_the_late_tick() {
    let mut every = interval(ms(10));
    every.set_missed_tick_behavior(MissedTickBehavior::Delay);
    assert_eq!(every.missed_tick_behavior(), MissedTickBehavior::Delay);
    let t0 = every.tick().await;
    busy(ms(35));
    let late = every.tick().await;
    let taken = Instant::now();
    assert_eq!(late - t0, ms(10));
    let next = every.tick().await;
    // One period after the late tick was taken (not on the 10 ms grid).
    assert!(next - t0 >= ms(45), "next tick at {:?}", next - t0);
    assert!(next <= taken + ms(10));
    assert!(Instant::now() >= next);
    let after = every.tick().await;
    assert_eq!(after - next, ms(10));
}

#[aio::test]
async fn skip_drops_missed_ticks() {
    let mut every = interval(ms(10));
    every.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let t0 = every.tick().await;
    busy(ms(35));
    let late = every.tick().await;
    let taken = Instant::now();
    assert_eq!(late - t0, ms(10));
    // The next tick is the first point of the 10 ms grid after `taken`.
    let next = every.tick().await;
    let offset = next - t0;
    assert_eq!(
        offset.as_nanos() % ms(10).as_nanos(),
        0,
        "off grid: {offset:?}"
    );
    assert!(next <= taken + ms(10), "next tick at {offset:?}");
    assert!(offset >= ms(40));
    assert_eq!(every.tick().await - next, ms(10));
}

#[aio::test]
async fn small_lateness_is_not_a_missed_tick() {
    // A tick taken a little late (under the 5 ms slack) keeps the grid for
    // every behaviour.
    for behavior in [
        MissedTickBehavior::Burst,
        MissedTickBehavior::Delay,
        MissedTickBehavior::Skip,
    ] {
        let mut every = interval(ms(20));
        every.set_missed_tick_behavior(behavior);
        let t0 = every.tick().await;
        busy(ms(21));
        assert_eq!(every.tick().await - t0, ms(20));
        let lateness = Instant::now() - (t0 + ms(20));
        let next = every.tick().await - t0;
        // Only meaningful if the machine did not stall us past the slack.
        if lateness < ms(4) {
            assert_eq!(next, ms(40), "{behavior:?}");
        }
    }
}

#[aio::test]
async fn reset_restarts_the_schedule() {
    let mut every = interval(ms(10));
    every.tick().await;
    let reset_at = Instant::now();
    every.reset();
    let next = every.tick().await;
    assert!(next >= reset_at + ms(10));
    let now = Instant::now();
    every.reset_immediately();
    let immediate = every.tick().await;
    assert!(immediate <= Instant::now() && immediate >= now);
    let target = Instant::now() + ms(3);
    every.reset_at(target);
    assert_eq!(every.tick().await, target);
}

#[aio::test]
async fn is_a_stream_of_instants() {
    let mut every = interval(ms(5));
    assert_eq!(Stream::size_hint(&every), (usize::MAX, None));
    let mut ticks = Vec::new();
    for _ in 0..3 {
        let tick = poll_fn(|cx| Pin::new(&mut every).poll_next(cx)).await;
        ticks.push(tick.expect("an interval never ends"));
    }
    assert_eq!(ticks[1] - ticks[0], ms(5));
    assert_eq!(ticks[2] - ticks[1], ms(5));
}

#[aio::test]
async fn dropped_tick_future_loses_no_tick() {
    let mut every = interval(ms(10));
    let t0 = every.tick().await;
    // Start waiting for the next tick, then give up: cancel safe.
    {
        let mut fut = std::pin::pin!(every.tick());
        let _ = poll_fn(|cx| std::task::Poll::Ready(fut.as_mut().poll(cx).is_ready())).await;
    }
    assert_eq!(every.tick().await - t0, ms(10));
}

#[aio::test]
async fn ticking_intervals_in_spawned_tasks() {
    let handles: Vec<_> = (1..=4u32)
        .map(|k| {
            aio::spawn(async move {
                let mut every = interval(ms(u64::from(k) * 3));
                let t0 = every.tick().await;
                for _ in 0..3 {
                    every.tick().await;
                }
                Instant::now() - t0
            })
        })
        .collect();
    for (k, h) in (1..=4u32).zip(handles) {
        let took = h.await.unwrap();
        assert!(took >= ms(9) * k, "interval {k} ran fast: {took:?}");
    }
}

#[test]
#[should_panic(expected = "period must be non-zero")]
fn zero_period_panics() {
    let _ = interval(Duration::ZERO);
}

#[test]
#[should_panic(expected = "period must be non-zero")]
fn zero_period_panics_for_interval_at() {
    let _ = interval_at(Instant::now(), Duration::ZERO);
}
