//! `aio::cores::channel`: a bounded MPSC queue between cores and plain
//! threads — nothing lost, order kept, capacity honoured, closing seen on
//! both sides, cancellation passes wakeups on.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use aio::cores::{channel, Cores, Receiver, Sender, TryRecvError, TrySendError};

fn two_cores() -> Option<Cores> {
    match Cores::first(2).cpus() {
        Ok(_) => Some(Cores::first(2)),
        Err(e) => {
            eprintln!("note: skipping, this test needs 2 CPUs: {e}");
            None
        }
    }
}

/// Hands a sender to core 0 and the receiver to core 1 of a `run`.
struct Pair<T> {
    tx: Mutex<Option<Sender<T>>>,
    rx: Mutex<Option<Receiver<T>>>,
}

impl<T> Pair<T> {
    fn new(capacity: usize) -> Arc<Pair<T>>
    where
        T: Send,
    {
        let (tx, rx) = channel(capacity);
        Arc::new(Pair {
            tx: Mutex::new(Some(tx)),
            rx: Mutex::new(Some(rx)),
        })
    }
    fn tx(&self) -> Sender<T> {
        self.tx.lock().unwrap().take().expect("sender taken twice")
    }
    fn rx(&self) -> Receiver<T> {
        self.rx
            .lock()
            .unwrap()
            .take()
            .expect("receiver taken twice")
    }
}

/// 200,000 messages from core 0 to core 1: none lost, none reordered.
/// Also prints the rate (run with `--nocapture` to see it).
#[test]
fn two_hundred_thousand_messages_core0_to_core1_arrive_in_order() {
    let Some(cores) = two_cores() else { return };
    const N: u64 = 200_000;
    for capacity in [1024, 16] {
        let pair = Pair::<u64>::new(capacity);
        let start = Instant::now();
        let out = cores
            .clone()
            .run(move |core| {
                let pair = Arc::clone(&pair);
                async move {
                    if core.index() == 0 {
                        let tx = pair.tx();
                        for i in 0..N {
                            tx.send(i).await.expect("receiver gone");
                        }
                        0
                    } else {
                        let mut rx = pair.rx();
                        let mut next = 0;
                        while let Some(i) = rx.recv().await {
                            assert_eq!(i, next, "lost or reordered message");
                            next += 1;
                        }
                        next
                    }
                }
            })
            .unwrap();
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(out[1], N, "received count");
        println!(
            "cores channel (capacity {capacity}): {N} messages core 0 -> core 1 in {:.1} ms = {:.2} M msg/s",
            secs * 1e3,
            N as f64 / secs / 1e6
        );
    }
}

#[test]
fn try_send_honours_capacity_and_recv_frees_room() {
    let (tx, mut rx) = channel::<u32>(3);
    assert_eq!(tx.capacity(), 3);
    for i in 0..3 {
        tx.try_send(i).unwrap();
    }
    match tx.try_send(99) {
        Err(TrySendError::Full(99)) => {}
        other => panic!("expected Full(99), got {other:?}"),
    }
    assert_eq!(rx.try_recv(), Ok(0));
    tx.try_send(3).unwrap();
    assert!(tx.try_send(4).unwrap_err().is_full());
    assert_eq!(
        (1..4).map(|_| rx.try_recv().unwrap()).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn receiver_sees_the_end_only_after_every_sender_is_gone_and_the_queue_drained() {
    let (tx, mut rx) = channel::<&str>(8);
    let tx2 = tx.clone();
    tx.try_send("a").unwrap();
    drop(tx);
    tx2.try_send("b").unwrap();
    assert_eq!(rx.try_recv(), Ok("a"));
    drop(tx2);
    assert_eq!(rx.try_recv(), Ok("b"));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    assert_eq!(rx.recv_blocking(), None);
}

#[test]
fn sends_fail_with_the_value_once_the_receiver_is_gone() {
    let (tx, rx) = channel::<String>(1);
    tx.try_send("queued".into()).unwrap();
    assert!(!tx.is_closed());
    drop(rx);
    assert!(tx.is_closed());
    match tx.try_send("x".into()) {
        Err(TrySendError::Closed(v)) => assert_eq!(v, "x"),
        other => panic!("expected Closed, got {other:?}"),
    }
    assert_eq!(tx.send_blocking("y".into()).unwrap_err().into_inner(), "y");
}

/// Queued messages are dropped (not leaked) with the receiver.
#[test]
fn messages_left_in_the_queue_are_dropped_with_the_receiver() {
    let token = Arc::new(());
    let (tx, rx) = channel::<Arc<()>>(4);
    for _ in 0..4 {
        tx.try_send(Arc::clone(&token)).unwrap();
    }
    assert_eq!(Arc::strong_count(&token), 5);
    drop(rx);
    assert_eq!(Arc::strong_count(&token), 1);
}

/// A sender blocked on a full channel (capacity 1) is released by each
/// receive, across cores.
#[test]
fn send_waits_for_room_across_cores() {
    let Some(cores) = two_cores() else { return };
    let pair = Pair::<u32>::new(1);
    let out = cores
        .run(move |core| {
            let pair = Arc::clone(&pair);
            async move {
                if core.index() == 0 {
                    let tx = pair.tx();
                    for i in 0..1000 {
                        tx.send(i).await.unwrap();
                    }
                    Vec::new()
                } else {
                    let mut rx = pair.rx();
                    let mut got = Vec::new();
                    while let Some(i) = rx.recv().await {
                        got.push(i);
                        if i % 100 == 0 {
                            // A slow receiver: the sender must wait, not fail.
                            std::thread::sleep(Duration::from_millis(1));
                        }
                    }
                    got
                }
            }
        })
        .unwrap();
    assert_eq!(out[1], (0..1000).collect::<Vec<_>>());
}

/// Plain threads send with `send_blocking` to a receiver on a core.
#[test]
fn plain_threads_send_blocking_to_a_core() {
    const THREADS: u64 = 4;
    const EACH: u64 = 20_000;
    let (tx, rx) = channel::<(u64, u64)>(64);
    let rx = Mutex::new(Some(rx));
    let senders: Vec<_> = (0..THREADS)
        .map(|t| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for i in 0..EACH {
                    tx.send_blocking((t, i)).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let out = Cores::first(1)
        .run(move |_| {
            let mut rx = rx.lock().unwrap().take().unwrap();
            async move {
                let mut next = vec![0; THREADS as usize];
                while let Some((t, i)) = rx.recv().await {
                    assert_eq!(next[t as usize], i, "thread {t}'s messages reordered");
                    next[t as usize] += 1;
                }
                next
            }
        })
        .unwrap();
    for s in senders {
        s.join().unwrap();
    }
    assert_eq!(out[0], vec![EACH; THREADS as usize]);
}

#[test]
fn blocking_calls_inside_a_runtime_panic_with_advice() {
    let err = Cores::first(1)
        .run(|_| async {
            let (tx, _rx) = channel::<u8>(1);
            let _ = tx.send_blocking(1);
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
    let _ = channel::<u8>(0);
}

/// Counts wakes, to watch who gets woken without a runtime.
#[derive(Default)]
struct CountWaker(AtomicUsize);

impl Wake for CountWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A sender that was woken for room but dropped before sending passes the
/// wakeup on to the next waiting sender (no lost wakeup on cancellation).
#[test]
fn a_dropped_woken_send_passes_its_wakeup_on() {
    let (tx, mut rx) = channel::<u8>(1);
    tx.try_send(0).unwrap();
    let (wa, wb) = (
        Arc::new(CountWaker::default()),
        Arc::new(CountWaker::default()),
    );
    let (wka, wkb) = (Waker::from(Arc::clone(&wa)), Waker::from(Arc::clone(&wb)));
    let mut a = Box::pin(tx.send(1));
    let mut b = pin!(tx.send(2));
    assert!(a.as_mut().poll(&mut Context::from_waker(&wka)).is_pending());
    assert!(b.as_mut().poll(&mut Context::from_waker(&wkb)).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(
        (wa.0.load(SeqCst), wb.0.load(SeqCst)),
        (1, 0),
        "first waiter woken first"
    );
    drop(a);
    assert_eq!(wb.0.load(SeqCst), 1, "the dropped sender's wakeup was lost");
    assert_eq!(
        b.as_mut().poll(&mut Context::from_waker(&wkb)),
        Poll::Ready(Ok(()))
    );
    assert_eq!(rx.try_recv(), Ok(2));
}

/// A burst of sends to a parked receiver wakes it once, not once per
/// message.
#[test]
fn a_burst_of_sends_wakes_a_parked_receiver_once() {
    let (tx, mut rx) = channel::<u32>(128);
    let w = Arc::new(CountWaker::default());
    let waker = Waker::from(Arc::clone(&w));
    let mut cx = Context::from_waker(&waker);
    assert!(rx.poll_recv(&mut cx).is_pending());
    for i in 0..100 {
        tx.try_send(i).unwrap();
    }
    assert_eq!(w.0.load(SeqCst), 1);
    for i in 0..100 {
        assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(i)));
    }
    assert!(rx.poll_recv(&mut cx).is_pending());
    drop(tx);
    assert_eq!(
        w.0.load(SeqCst),
        2,
        "dropping the last sender wakes the receiver"
    );
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(None));
}

/// Dropping a pending `recv()` (e.g. a lost race) takes no message.
#[test]
fn a_dropped_recv_loses_nothing() {
    let (tx, mut rx) = channel::<u32>(4);
    let w = Arc::new(CountWaker::default());
    let waker = Waker::from(Arc::clone(&w));
    {
        let mut recv = pin!(rx.recv());
        assert!(recv
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
    }
    tx.try_send(7).unwrap();
    assert_eq!(rx.try_recv(), Ok(7));
}

/// A sender parked on a full channel is woken when the receiver goes away
/// and gets its value back.
#[test]
fn a_parked_sender_is_woken_with_its_value_when_the_receiver_drops() {
    let (tx, rx) = channel::<String>(1);
    tx.try_send("first".into()).unwrap();
    let w = Arc::new(CountWaker::default());
    let waker = Waker::from(Arc::clone(&w));
    let mut cx = Context::from_waker(&waker);
    let mut send = pin!(tx.send("second".into()));
    assert!(send.as_mut().poll(&mut cx).is_pending());
    drop(rx);
    assert_eq!(w.0.load(SeqCst), 1, "parked sender not woken");
    match send.as_mut().poll(&mut cx) {
        Poll::Ready(Err(e)) => assert_eq!(e.into_inner(), "second"),
        other => panic!("expected the value back, got {other:?}"),
    }
}
