//! `aio::cores::broadcast`: every receiver, on any core, sees every value
//! in order or is told exactly how many it missed; lag, closing and
//! value lifetimes as tokio's broadcast (checked against tokio itself);
//! parked receivers on other cores and runtimes are woken, across any
//! number of `block_on` boundaries.

mod support;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use aio::cores::broadcast::{self as bc, RecvError, TryRecvError};
use aio::cores::{broadcast, Cores};

fn two_cores() -> Option<Cores> {
    match Cores::first(2).cpus() {
        Ok(_) => Some(Cores::first(2)),
        Err(e) => {
            eprintln!("note: skipping, this test needs 2 CPUs: {e}");
            None
        }
    }
}

/// Runs `f` on a thread and panics if it does not finish within `limit`:
/// a lost wakeup shows up as a failure naming `what`, not a hung test.
fn within<T: Send + 'static>(
    what: &str,
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (done_tx, done_rx) = mpsc::channel();
    let _ = thread::spawn(move || {
        let _ = done_tx.send(f());
    });
    match done_rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: not done after {limit:?} (a wakeup was lost?)")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: the thread panicked"),
    }
}

/// What one receiver saw, accounted exactly.
#[derive(Debug, Default, PartialEq, Eq)]
struct Seen {
    received: u64,
    lagged: u64,
    lag_reports: u64,
}

/// Receives until `Closed`, checking that values arrive in order with
/// exactly the reported gaps: received + lagged == every value sent.
async fn account(rx: &mut bc::Receiver<u64>) -> Seen {
    let mut seen = Seen::default();
    let mut expected = 0u64;
    loop {
        match rx.recv().await {
            Ok(v) => {
                assert_eq!(v, expected, "value out of order or gap not reported");
                expected += 1;
                seen.received += 1;
            }
            Err(RecvError::Lagged(n)) => {
                assert!(n > 0, "Lagged(0)");
                expected += n;
                seen.lagged += n;
                seen.lag_reports += 1;
            }
            Err(RecvError::Closed) => return seen,
        }
    }
}

/// 100,000 values from core 0 to a receiver on each of 2 cores, capacity
/// 16, on both drivers: each receiver gets every value in order or an
/// exact `Lagged` count for the ones it missed, then `Closed`.
#[test]
fn receivers_on_two_cores_see_every_value_in_order_or_an_exact_lag() {
    let Some(cores) = two_cores() else { return };
    const N: u64 = 100_000;
    for driver in support::drivers() {
        for capacity in [16, 1024] {
            let (tx, rx) = broadcast::<u64>(capacity);
            let values = vec![(Some(tx), rx.resubscribe()), (None, rx)];
            let start = Instant::now();
            let cores = cores
                .clone()
                .runtime(aio::RuntimeBuilder::new().driver(driver));
            let seen = within(
                "100,000 values to 2 cores",
                Duration::from_secs(60),
                move || {
                    cores
                        .run_with(values, |_core, (tx, mut rx)| async move {
                            if let Some(tx) = tx {
                                aio::spawn(async move {
                                    for i in 0..N {
                                        assert_eq!(tx.send(i).unwrap(), 2, "both receivers live");
                                        if i % 8 == 7 {
                                            // Let this core's receiver run too.
                                            aio::task::yield_now().await;
                                        }
                                    }
                                });
                            }
                            account(&mut rx).await
                        })
                        .unwrap()
                },
            );
            let secs = start.elapsed().as_secs_f64();
            for (core, s) in seen.iter().enumerate() {
                assert_eq!(
                    s.received + s.lagged,
                    N,
                    "{driver:?} cap {capacity} core {core}: {s:?}"
                );
                assert!(s.received > 0, "{driver:?} core {core} received nothing");
                assert!(s.lag_reports <= s.lagged);
            }
            println!(
                "cores broadcast {driver:?} cap {capacity}: {N} values to 2 cores in {:.1} ms; {seen:?}",
                secs * 1e3
            );
        }
    }
}

/// Lag exactly as tokio's: a receiver more than `cap` behind is told how
/// many it missed once, then continues from the oldest value kept.
#[test]
fn lagged_is_reported_once_with_the_exact_count() {
    let (tx, mut a) = broadcast::<u32>(4);
    let mut b = tx.subscribe();
    for i in 0..4 {
        tx.send(i).unwrap();
    }
    // Exactly `cap` behind is no lag.
    assert_eq!(a.try_recv(), Ok(0));
    assert_eq!(a.try_recv(), Ok(1));
    for i in 4..10 {
        tx.send(i).unwrap();
    }
    // Kept: 6..10. `a` was at 2, `b` at 0.
    assert_eq!(a.try_recv(), Err(TryRecvError::Lagged(4)));
    assert_eq!(b.try_recv(), Err(TryRecvError::Lagged(6)));
    for rx in [&mut a, &mut b] {
        assert_eq!(
            (0..4).map(|_| rx.try_recv().unwrap()).collect::<Vec<_>>(),
            [6, 7, 8, 9]
        );
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    }
    // Lagging again later is reported again.
    for i in 10..15 {
        tx.send(i).unwrap();
    }
    let rt = support::runtime(aio::Driver::Epoll);
    rt.block_on(async {
        assert_eq!(a.recv().await, Err(RecvError::Lagged(1)));
        assert_eq!(a.recv().await, Ok(11));
    });
    // Lag comes before `Closed`.
    drop(tx);
    assert_eq!(b.try_recv(), Err(TryRecvError::Lagged(1)));
    assert_eq!(b.recv_blocking(), Ok(11));
    for i in 12..15 {
        assert_eq!(b.try_recv(), Ok(i));
    }
    assert_eq!(b.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(b.recv_blocking(), Err(RecvError::Closed));
}

/// A tiny deterministic generator for the differential test.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Random sends, receives, subscribes, resubscribes and drops, applied to
/// aio's broadcast and tokio's with the same (power-of-two) capacity:
/// every result is the same.
#[test]
fn behaves_exactly_like_tokio_broadcast() {
    use tokio::sync::broadcast as tk;
    for (seed, cap) in [(1u64, 1usize), (2, 2), (3, 4), (4, 8), (5, 16), (6, 4)] {
        let mut rng = Lcg(seed);
        let (atx, arx) = broadcast::<u64>(cap);
        let (ttx, trx) = tk::channel::<u64>(cap);
        let mut rxs = vec![(arx, trx)];
        let mut senders = vec![(atx, ttx)];
        let mut next = 0u64;
        for step in 0..20_000 {
            let ctx = format!("seed {seed} cap {cap} step {step}");
            match rng.below(100) {
                0..=44 if !senders.is_empty() => {
                    let (a, t) = &senders[rng.below(senders.len() as u64) as usize];
                    let (ra, rt) = (a.send(next), t.send(next));
                    match (&ra, &rt) {
                        (Ok(x), Ok(y)) => assert_eq!(x, y, "{ctx}: send count"),
                        (Err(e), Err(f)) => assert_eq!(e.0, f.0, "{ctx}"),
                        _ => panic!("{ctx}: send {ra:?} vs tokio {rt:?}"),
                    }
                    assert_eq!(a.receiver_count(), t.receiver_count(), "{ctx}");
                    next += 1;
                }
                45..=84 if !rxs.is_empty() => {
                    let i = rng.below(rxs.len() as u64) as usize;
                    let (a, t) = &mut rxs[i];
                    let want = match t.try_recv() {
                        Ok(v) => Ok(v),
                        Err(tk::error::TryRecvError::Empty) => Err(TryRecvError::Empty),
                        Err(tk::error::TryRecvError::Closed) => Err(TryRecvError::Closed),
                        Err(tk::error::TryRecvError::Lagged(n)) => Err(TryRecvError::Lagged(n)),
                    };
                    assert_eq!(a.try_recv(), want, "{ctx}: try_recv on receiver {i}");
                }
                85..=89 if !senders.is_empty() => {
                    let (a, t) = &senders[0];
                    rxs.push((a.subscribe(), t.subscribe()));
                }
                90..=92 if !rxs.is_empty() => {
                    let (a, t) = &rxs[rng.below(rxs.len() as u64) as usize];
                    let r = (a.resubscribe(), t.resubscribe());
                    rxs.push(r);
                }
                93..=96 if !rxs.is_empty() => {
                    let i = rng.below(rxs.len() as u64) as usize;
                    rxs.swap_remove(i);
                }
                97 if (1..4).contains(&senders.len()) => {
                    let (a, t) = &senders[0];
                    let s = (a.clone(), t.clone());
                    senders.push(s);
                }
                98 if senders.len() > 1 => {
                    senders.pop();
                }
                99 if step > 15_000 => {
                    // Late in the run, close the channel for good.
                    senders.clear();
                }
                _ => {}
            }
        }
    }
}

/// `Closed` only once every sender (clones included) is gone and the
/// receiver saw everything; a parked receiver is woken to see it.
#[test]
fn closed_after_every_sender_is_dropped_and_values_are_drained() {
    let (tx, mut rx) = broadcast::<&str>(8);
    let tx2 = tx.clone();
    tx.send("a").unwrap();
    drop(tx);
    tx2.send("b").unwrap();
    assert_eq!(rx.try_recv(), Ok("a"));
    let w = Arc::new(CountWaker::default());
    let waker = Waker::from(Arc::clone(&w));
    let mut cx = Context::from_waker(&waker);
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Ok("b")));
    assert!(rx.poll_recv(&mut cx).is_pending());
    drop(tx2);
    assert_eq!(
        w.0.load(SeqCst),
        1,
        "the last sender's drop wakes the parked receiver"
    );
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Err(RecvError::Closed)));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    // A resubscribed receiver of a closed channel is closed too.
    assert_eq!(rx.resubscribe().try_recv(), Err(TryRecvError::Closed));
}

/// A receiver parked on core 1 sees `Closed` when the sender is dropped on
/// core 0 (the wake crosses cores), on both drivers.
#[test]
fn a_receiver_parked_on_another_core_sees_closed() {
    let Some(cores) = two_cores() else { return };
    for driver in support::drivers() {
        let cores = cores
            .clone()
            .runtime(aio::RuntimeBuilder::new().driver(driver));
        let out = within("cross-core Closed", Duration::from_secs(30), move || {
            let (tx, rx) = broadcast::<u32>(4);
            cores
                .run_with(
                    vec![(Some(tx), None), (None, Some(rx))],
                    |_core, (tx, rx)| async move {
                        if let Some(tx) = tx {
                            // Give core 1 time to park.
                            aio::time::sleep(Duration::from_millis(50)).await;
                            tx.send(1).unwrap();
                            aio::time::sleep(Duration::from_millis(50)).await;
                            drop(tx);
                            Vec::new()
                        } else {
                            let mut rx = rx.unwrap();
                            vec![rx.recv().await, rx.recv().await]
                        }
                    },
                )
                .unwrap()
        });
        assert_eq!(out[1], vec![Ok(1), Err(RecvError::Closed)], "{driver:?}");
    }
}

#[test]
fn send_without_receivers_returns_the_value_until_someone_subscribes() {
    let (tx, rx) = broadcast::<String>(4);
    assert_eq!(tx.receiver_count(), 1);
    assert_eq!(tx.send("one".into()).unwrap(), 1);
    drop(rx);
    assert_eq!(tx.receiver_count(), 0);
    let err = tx.send("nobody".into()).unwrap_err();
    assert_eq!(err.into_inner(), "nobody");
    let mut rx = tx.subscribe();
    let rx2 = rx.resubscribe();
    assert_eq!(tx.receiver_count(), 2);
    assert_eq!(tx.send("two".into()).unwrap(), 2);
    drop(rx2);
    // A new subscriber does not see values sent before it subscribed.
    assert_eq!(rx.try_recv().as_deref(), Ok("two"));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!(tx.capacity(), 4);
    assert_eq!(rx.capacity(), 4);
}

/// Counts live instances and clones.
struct Tracked {
    live: Arc<AtomicUsize>,
    clones: Arc<AtomicUsize>,
}

impl Tracked {
    fn new(live: &Arc<AtomicUsize>, clones: &Arc<AtomicUsize>) -> Tracked {
        live.fetch_add(1, SeqCst);
        Tracked {
            live: Arc::clone(live),
            clones: Arc::clone(clones),
        }
    }
}

impl Clone for Tracked {
    fn clone(&self) -> Self {
        self.clones.fetch_add(1, SeqCst);
        Tracked::new(&self.live, &self.clones)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.live.fetch_sub(1, SeqCst);
    }
}

/// A value is freed as soon as every receiver saw it; the last receiver
/// gets it without a clone; pushed-out values and values left behind by a
/// dropped receiver are freed too.
#[test]
fn values_are_dropped_once_every_receiver_saw_them() {
    let live = Arc::new(AtomicUsize::new(0));
    let clones = Arc::new(AtomicUsize::new(0));
    let (tx, mut a) = broadcast::<Tracked>(8);
    let mut b = tx.subscribe();
    for _ in 0..3 {
        tx.send(Tracked::new(&live, &clones)).unwrap();
    }
    assert_eq!(live.load(SeqCst), 3);
    for _ in 0..3 {
        drop(a.try_recv().unwrap());
    }
    assert_eq!(live.load(SeqCst), 3, "b has not seen them yet");
    assert_eq!(clones.load(SeqCst), 3);
    drop(b.try_recv().unwrap());
    assert_eq!(live.load(SeqCst), 2, "seen by both: freed");
    assert_eq!(
        clones.load(SeqCst),
        3,
        "the last receiver takes the value, no clone"
    );

    // Dropping `b` frees the values only it had left to see.
    drop(b);
    assert_eq!(live.load(SeqCst), 0);

    // A full channel frees the value it pushes out.
    for _ in 0..20 {
        tx.send(Tracked::new(&live, &clones)).unwrap();
    }
    assert_eq!(live.load(SeqCst), 8, "capacity 8 kept");
    assert_eq!(a.try_recv().err(), Some(TryRecvError::Lagged(12)));
    drop(a.try_recv().unwrap());
    assert_eq!(live.load(SeqCst), 7);

    // The last receiver gone: everything is freed; sends hand values back.
    drop(a);
    assert_eq!(live.load(SeqCst), 0);
    drop(tx.send(Tracked::new(&live, &clones)).unwrap_err());
    assert_eq!(live.load(SeqCst), 0);

    // Dropping every handle with values held frees them.
    let mut c = tx.subscribe();
    for _ in 0..5 {
        tx.send(Tracked::new(&live, &clones)).unwrap();
    }
    drop(c.try_recv().unwrap());
    drop(tx);
    assert_eq!(live.load(SeqCst), 4);
    drop(c);
    assert_eq!(live.load(SeqCst), 0);
}

/// Counts wakes, to watch who gets woken without a runtime.
#[derive(Default)]
struct CountWaker(AtomicUsize);

impl Wake for CountWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A burst of sends wakes each parked receiver once; a receiver that is
/// not parked is not woken.
#[test]
fn a_burst_of_sends_wakes_each_parked_receiver_once() {
    let (tx, mut a) = broadcast::<u32>(128);
    let mut b = tx.subscribe();
    let _idle = tx.subscribe();
    let (wa, wb) = (
        Arc::new(CountWaker::default()),
        Arc::new(CountWaker::default()),
    );
    let (ka, kb) = (Waker::from(Arc::clone(&wa)), Waker::from(Arc::clone(&wb)));
    assert!(a.poll_recv(&mut Context::from_waker(&ka)).is_pending());
    assert!(b.poll_recv(&mut Context::from_waker(&kb)).is_pending());
    for i in 0..100 {
        tx.send(i).unwrap();
    }
    assert_eq!((wa.0.load(SeqCst), wb.0.load(SeqCst)), (1, 1));
    for i in 0..100 {
        assert_eq!(
            a.poll_recv(&mut Context::from_waker(&ka)),
            Poll::Ready(Ok(i))
        );
    }
    // `a` parks again, `b` never re-parked: only `a` is woken.
    assert!(a.poll_recv(&mut Context::from_waker(&ka)).is_pending());
    tx.send(100).unwrap();
    assert_eq!((wa.0.load(SeqCst), wb.0.load(SeqCst)), (2, 1));
}

/// Dropping a pending `recv()` takes no value and leaves no waker behind.
#[test]
fn a_dropped_recv_loses_nothing_and_is_not_woken() {
    let (tx, mut rx) = broadcast::<u32>(4);
    let w = Arc::new(CountWaker::default());
    let waker = Waker::from(Arc::clone(&w));
    {
        let mut recv = pin!(rx.recv());
        assert!(recv
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
    }
    tx.send(7).unwrap();
    assert_eq!(w.0.load(SeqCst), 0, "a cancelled recv was woken");
    assert_eq!(rx.try_recv(), Ok(7));
}

/// A receiver whose values are always there still yields to its core's
/// other tasks (the cooperative budget), on both drivers.
#[aio::test]
async fn a_receiver_that_always_finds_values_yields() {
    let (tx, mut rx) = broadcast::<u32>(4);
    let stop = Arc::new(AtomicBool::new(false));
    let drainer = {
        let stop = stop.clone();
        aio::spawn(async move {
            let mut n = 0u64;
            // Bounded, so that without a budget the test fails instead of
            // hanging.
            let give_up = Instant::now() + Duration::from_secs(2);
            while !stop.load(SeqCst) && Instant::now() < give_up {
                tx.send(1).unwrap();
                rx.recv().await.unwrap();
                n += 1;
            }
            n
        })
    };
    let start = Instant::now();
    aio::time::sleep(Duration::from_millis(10)).await;
    let late = start.elapsed() - Duration::from_millis(10);
    stop.store(true, SeqCst);
    assert!(drainer.await.unwrap() > 0);
    assert!(
        late < Duration::from_millis(15),
        "the timer ran {late:?} late"
    );
}

/// Ping-pong between two plain threads, each with its own runtime that
/// enters and leaves `block_on` for every step: the receive side parks in
/// one `block_on`, the send side sends in a `block_on` that returns at
/// once. Thousands of wakes cross `block_on` boundaries; none is lost.
#[test]
fn no_wake_is_lost_across_many_block_on_boundaries() {
    const ROUNDS: u64 = 2_000;
    for driver in support::drivers() {
        let (ping_tx, mut ping_rx) = broadcast::<u64>(4);
        let (pong_tx, mut pong_rx) = broadcast::<u64>(4);
        let out = within(
            &format!("{driver:?} ping-pong over block_on boundaries"),
            Duration::from_secs(60),
            move || {
                let echo = thread::spawn(move || {
                    let rt = support::runtime(driver);
                    for i in 0..ROUNDS {
                        let got = rt.block_on(ping_rx.recv());
                        assert_eq!(got, Ok(i));
                        // Sent from a `block_on` that returns right away.
                        rt.block_on(async { pong_tx.send(i).unwrap() });
                    }
                    rt.block_on(ping_rx.recv())
                });
                let rt = support::runtime(driver);
                for i in 0..ROUNDS {
                    rt.block_on(async {
                        ping_tx.send(i).unwrap();
                        assert_eq!(pong_rx.recv().await, Ok(i));
                    });
                }
                drop(ping_tx);
                echo.join().unwrap()
            },
        );
        assert_eq!(out, Err(RecvError::Closed), "{driver:?}");
    }
}

/// A plain thread receives with `recv_blocking` what a core sends, and a
/// core receives what a plain thread sends.
#[test]
fn plain_threads_and_cores_talk_both_ways() {
    let (to_thread, mut thread_rx) = broadcast::<u32>(1024);
    let (to_core, core_rx) = broadcast::<u32>(1024);
    let t = thread::spawn(move || {
        let mut got = Vec::new();
        while let Ok(v) = thread_rx.recv_blocking() {
            got.push(v);
            to_core.send(v * 2).unwrap();
        }
        got
    });
    let out = within(
        "plain thread <-> core",
        Duration::from_secs(30),
        move || {
            Cores::first(1)
                .run_with(vec![(to_thread, core_rx)], |_, (tx, mut rx)| async move {
                    let mut got = Vec::new();
                    for i in 0..500 {
                        tx.send(i).unwrap();
                        got.push(rx.recv().await.unwrap());
                    }
                    got
                })
                .unwrap()
        },
    );
    assert_eq!(out[0], (0..500).map(|i| i * 2).collect::<Vec<_>>());
    assert_eq!(t.join().unwrap(), (0..500).collect::<Vec<_>>());
}

#[test]
fn blocking_receive_inside_a_runtime_panics_with_advice() {
    let err = Cores::first(1)
        .run(|_| async {
            let (_tx, mut rx) = broadcast::<u8>(1);
            let _ = rx.recv_blocking();
        })
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("must not be called from inside an aio runtime"),
        "{err}"
    );
}

#[test]
#[should_panic(expected = "capacity must be at least 1")]
fn zero_capacity_panics() {
    let _ = broadcast::<u8>(0);
}

#[test]
fn types_cross_threads_as_documented() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    fn clone<T: Clone>() {}
    send_sync::<bc::Sender<String>>();
    clone::<bc::Sender<String>>();
    send::<bc::Receiver<String>>();
    send_sync::<RecvError>();
    send_sync::<bc::SendError<String>>();
    // tokio's spelling works too.
    let (tx, _rx) = bc::channel::<u8>(1);
    let sent: Result<usize, bc::error::SendError<u8>> = tx.send(1);
    assert_eq!(sent.unwrap(), 1);
}
