//! Unit tests for the wheel, driven with a fake clock (`origin + offset`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

use super::{Timers, MAX_TICKS, TICK};

/// A waker that records its id into a shared log when woken.
struct Recorder {
    id: usize,
    log: Arc<Mutex<Vec<usize>>>,
}

impl Wake for Recorder {
    fn wake(self: Arc<Self>) {
        self.log.lock().unwrap().push(self.id);
    }
}

fn recorder(id: usize, log: &Arc<Mutex<Vec<usize>>>) -> Waker {
    Waker::from(Arc::new(Recorder {
        id,
        log: Arc::clone(log),
    }))
}

struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counter() -> (Arc<Counter>, Waker) {
    let c = Arc::new(Counter(AtomicUsize::new(0)));
    (Arc::clone(&c), Waker::from(c))
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A small deterministic PRNG (xorshift), so the tests need no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A deadline rounded up to the wheel's tick: when it is sure to fire.
fn rounded_up(d: Duration) -> Duration {
    let tick = TICK.as_nanos();
    Duration::from_nanos((d.as_nanos().div_ceil(tick) * tick) as u64)
}

#[test]
fn empty_wheel_has_no_deadline() {
    let mut t = Timers::new();
    assert_eq!(t.next_deadline(), None);
    assert_eq!(t.fire(Instant::now() + ms(10_000)), 0);
    assert!(t.is_empty());
}

#[test]
fn fires_in_deadline_order_and_never_early() {
    let origin = Instant::now();
    let mut t = Timers::with_origin(origin);
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // Sub-millisecond deadlines, many sharing a tick, spread over ~5 s so
    // every level up to 2 is used; arm them in random order.
    let deadlines: Vec<Duration> = (0..2000)
        .map(|_| Duration::from_micros(rng.next() % 5_000_000))
        .collect();
    for (id, &d) in deadlines.iter().enumerate() {
        t.insert(origin + d, &recorder(id, &log));
    }
    assert_eq!(t.len(), deadlines.len());

    // Step a fake clock in uneven strides; after each step, everything woken
    // must be due, and everything due at its (rounded up) tick must be woken.
    let mut now = Duration::ZERO;
    let mut woken = 0;
    let mut fired_flags = vec![false; deadlines.len()];
    let mut by_deadline: Vec<usize> = (0..deadlines.len()).collect();
    by_deadline.sort_by_key(|&id| deadlines[id]);
    let mut must_have_fired = 0;
    while !t.is_empty() {
        now += Duration::from_micros(rng.next() % 3_000);
        let fired = t.fire(origin + now);
        let log = log.lock().unwrap();
        assert_eq!(log.len(), woken + fired);
        for &id in &log[woken..] {
            assert!(deadlines[id] <= now, "timer {id} fired early");
            fired_flags[id] = true;
        }
        woken = log.len();
        while must_have_fired < by_deadline.len()
            && rounded_up(deadlines[by_deadline[must_have_fired]]) <= now
        {
            let id = by_deadline[must_have_fired];
            assert!(fired_flags[id], "timer {id} left unfired at {now:?}");
            must_have_fired += 1;
        }
    }
    // Global order: by deadline, ties by arming order.
    let log = log.lock().unwrap();
    let mut expected: Vec<usize> = (0..deadlines.len()).collect();
    expected.sort_by_key(|&id| (deadlines[id], id));
    assert_eq!(*log, expected);
}

#[test]
fn next_deadline_is_never_later_than_firing() {
    let origin = Instant::now();
    let mut t = Timers::with_origin(origin);
    let (c, w) = counter();
    t.insert(origin + Duration::from_micros(7_300), &w);
    // Rounded up to the 8 ms tick: reported exactly there.
    assert_eq!(t.next_deadline(), Some(origin + ms(8)));
    assert_eq!(t.fire(origin + Duration::from_micros(7_999)), 0);
    assert_eq!(t.fire(origin + ms(8)), 1);
    assert_eq!(c.0.load(Ordering::SeqCst), 1);

    // A far timer: the reported instant may be early (a cascade) but
    // following it step by step reaches the timer without ever passing it.
    let deadline = origin + ms(123_456);
    t.insert(deadline, &w);
    let mut steps = 0;
    loop {
        let next = t.next_deadline().expect("timer pending");
        assert!(
            next <= deadline + TICK,
            "next_deadline {next:?} past the deadline"
        );
        if t.fire(next) == 1 {
            assert!(next >= deadline);
            break;
        }
        steps += 1;
        assert!(steps < 10, "too many cascades");
    }
    assert_eq!(t.next_deadline(), None);
}

#[test]
fn past_deadlines_fire_on_next_turn() {
    let origin = Instant::now();
    let mut t = Timers::with_origin(origin);
    let (c, w) = counter();
    t.fire(origin + ms(50));
    t.insert(origin + ms(10), &w);
    t.insert(origin, &w);
    // Earlier than the wheel's origin: clamps to it.
    t.insert(origin.checked_sub(ms(5)).unwrap_or(origin), &w);
    assert!(t.next_deadline().unwrap() <= origin + ms(50));
    assert_eq!(t.fire(origin + ms(50)), 3);
    assert_eq!(c.0.load(Ordering::SeqCst), 3);
}

#[test]
fn exact_deadline_checked_even_for_a_clock_going_backwards() {
    let origin = Instant::now();
    let mut t = Timers::with_origin(origin);
    let (c, w) = counter();
    t.fire(origin + ms(100));
    // Filed as expired (its tick is behind `elapsed`), but a caller passing
    // an earlier `now` still must not see it fire before its deadline.
    t.insert(origin + ms(60), &w);
    assert_eq!(t.fire(origin + ms(59)), 0);
    assert_eq!(t.next_deadline(), Some(origin + ms(60)));
    assert_eq!(t.fire(origin + ms(60)), 1);
    assert_eq!(c.0.load(Ordering::SeqCst), 1);
}

#[test]
fn removed_and_stale_keys_are_harmless() {
    let origin = Instant::now();
    let mut t = Timers::with_origin(origin);
    let (c, w) = counter();
    let a = t.insert(origin + ms(5), &w);
    let b = t.insert(origin + ms(5), &w);
    t.remove(a);
    assert!(!t.is_pending(a));
    t.remove(a); // double remove: no-op
    assert_eq!(t.len(), 1);

    // `a`'s slot is reused by `c`; the stale `a` must not touch it.
    let k = t.insert(origin + ms(6), &w);
    t.remove(a);
    assert!(!t.update_waker(a, &w));
    assert!(!t.reset(a, origin));
    assert!(t.is_pending(k));
    assert_eq!(t.len(), 2);

    assert_eq!(t.fire(origin + ms(10)), 2);
    assert!(!t.is_pending(b) && !t.is_pending(k));
    t.remove(b); // fired: no-op
    assert_eq!(t.len(), 0);
    assert_eq!(c.0.load(Ordering::SeqCst), 2);

    // A key from another wheel names nothing here.
    let mut other = Timers::with_origin(origin);
    let foreign = other.insert(origin + ms(5), &w);
    let mine = t.insert(origin + ms(5), &w);
    assert!(!t.is_pending(foreign));
    t.remove(foreign);
    assert!(t.is_pending(mine));
}

#[test]
fn update_waker_replaces_the_waker() {
    let origin = Instant::now();
    let mut t = Timers::with_origin(origin);
    let (first, w1) = counter();
    let (second, w2) = counter();
    let k = t.insert(origin + ms(3), &w1);
    assert!(t.update_waker(k, &w1)); // same waker: kept
    assert!(t.update_waker(k, &w2));
    t.fire(origin + ms(3));
    assert_eq!(first.0.load(Ordering::SeqCst), 0);
    assert_eq!(second.0.load(Ordering::SeqCst), 1);
}

#[test]
fn reset_moves_a_pending_timer() {
    let origin = Instant::now();
    let mut t = Timers::with_origin(origin);
    let (c, w) = counter();
    let k = t.insert(origin + ms(1_000), &w);
    assert!(t.reset(k, origin + ms(10)));
    assert_eq!(t.next_deadline(), Some(origin + ms(10)));
    assert_eq!(t.fire(origin + ms(10)), 1);
    let k = t.insert(origin + ms(20), &w);
    assert!(t.reset(k, origin + ms(5_000)));
    assert_eq!(t.fire(origin + ms(4_999)), 0);
    assert_eq!(t.fire(origin + ms(5_000)), 1);
    assert_eq!(c.0.load(Ordering::SeqCst), 2);
    assert_eq!(t.len(), 0);
}

#[test]
fn memory_is_reused() {
    let origin = Instant::now();
    let mut t = Timers::with_origin(origin);
    let (_c, w) = counter();
    // 100,000 create-and-cancel cycles, at most 10 live at once.
    let mut live = Vec::new();
    for i in 0..100_000u64 {
        live.push(t.insert(origin + ms(1 + i % 5_000), &w));
        if live.len() == 10 {
            for k in live.drain(..) {
                t.remove(k);
            }
        }
    }
    assert_eq!(t.len(), 0);
    assert!(t.capacity() <= 10, "slab grew to {}", t.capacity());

    // Fired entries are reused too.
    for round in 0..1_000u64 {
        for _ in 0..10 {
            t.insert(origin + ms(round + 1), &w);
        }
        assert_eq!(t.fire(origin + ms(round + 1)), 10);
    }
    assert!(t.capacity() <= 10);
    assert!(t.due.capacity() <= 16);
}

#[test]
fn far_future_timers_beyond_the_wheel_span() {
    let origin = Instant::now();
    let mut t = Timers::with_origin(origin);
    let log = Arc::new(Mutex::new(Vec::new()));
    let span = ms(MAX_TICKS);
    let far = [
        span + ms(17),
        span * 3 + ms(5),
        Duration::from_secs(86_400 * 365 * 30), // `sleep(Duration::MAX)`
        span - ms(1),
    ];
    for (id, &d) in far.iter().enumerate() {
        t.insert(origin + d, &recorder(id, &log));
    }
    // Jump the clock to just before, then to, each deadline in turn.
    let mut order: Vec<usize> = (0..far.len()).collect();
    order.sort_by_key(|&id| far[id]);
    for (n, &id) in order.iter().enumerate() {
        t.fire(origin + far[id] - Duration::from_nanos(1));
        assert_eq!(log.lock().unwrap().len(), n, "timer {id} fired early");
        t.fire(origin + far[id]);
        assert_eq!(log.lock().unwrap().len(), n + 1, "timer {id} not fired");
    }
    assert!(t.is_empty());

    // Again, following `next_deadline` as the runtime does.
    let mut t = Timers::with_origin(origin);
    let log2 = Arc::new(Mutex::new(Vec::new()));
    for (id, &d) in far.iter().enumerate() {
        t.insert(origin + d, &recorder(id, &log2));
    }
    let mut steps = 0;
    while let Some(next) = t.next_deadline() {
        let before = log2.lock().unwrap().len();
        t.fire(next);
        for &id in &log2.lock().unwrap()[before..] {
            assert!(origin + far[id] <= next);
        }
        steps += 1;
        assert!(steps < 1_000, "far timers never converge");
    }
    assert_eq!(*log2.lock().unwrap(), order);
    let log = log.lock().unwrap();
    assert_eq!(*log, vec![3, 0, 1, 2]);
}

#[test]
fn many_timers_on_one_tick() {
    let origin = Instant::now();
    let mut t = Timers::with_origin(origin);
    let log = Arc::new(Mutex::new(Vec::new()));
    let deadline = origin + ms(42);
    let keys: Vec<_> = (0..10_000)
        .map(|id| t.insert(deadline, &recorder(id, &log)))
        .collect();
    for k in keys.iter().skip(1).step_by(2) {
        t.remove(*k);
    }
    assert_eq!(t.fire(origin + ms(41)), 0);
    assert_eq!(t.fire(deadline), 5_000);
    let log = log.lock().unwrap();
    let expected: Vec<usize> = (0..10_000).step_by(2).collect();
    assert_eq!(*log, expected, "same deadline: arming order");
}

#[test]
fn level_boundaries() {
    // Deadlines straddling each level's span, armed from an `elapsed` that is
    // not aligned, so both the xor placement and the cascades are exercised.
    let origin = Instant::now();
    let mut t = Timers::with_origin(origin);
    let (c, w) = counter();
    t.fire(origin + ms(37));
    let mut deadlines = Vec::new();
    for level in 1..6u32 {
        let span = 64u64.pow(level);
        for d in [span - 1, span, span + 1, 2 * span - 37, 2 * span] {
            deadlines.push(ms(37 + d));
        }
    }
    for &d in &deadlines {
        t.insert(origin + d, &w);
    }
    deadlines.sort();
    for (n, &d) in deadlines.iter().enumerate() {
        t.fire(origin + d - Duration::from_nanos(1));
        assert_eq!(c.0.load(Ordering::SeqCst), n, "fired before {d:?}");
        t.fire(origin + d);
        assert_eq!(c.0.load(Ordering::SeqCst), n + 1, "not fired at {d:?}");
    }
}
