//! Cross-core wakes are never lost: a wake sent from one runtime's thread to
//! another's must reach it whatever the sender does next — return from
//! `block_on` and block the thread, go idle, or fail to send it by MSG_RING.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use aio::cores::{channel, Receiver, Sender};
use aio::Driver;

/// The reproduction from the issue: a worker's runtime waits in `recv()`;
/// the main thread sends from `block_on` on its own runtime, which stays
/// alive, then blocks joining the worker. The wake must not sit in the main
/// ring's submission queue.
#[test]
fn wake_from_a_finished_block_on_reaches_the_waiting_core() {
    for sender in support::drivers() {
        for receiver in support::drivers() {
            let (tx, mut rx) = channel::<u32>(4);
            let (done_tx, done_rx) = mpsc::channel();
            let worker = thread::spawn(move || {
                let rt = support::runtime(receiver);
                let got = rt.block_on(async { rx.recv().await });
                done_tx.send(got).unwrap();
            });
            // Let the worker reach its wait.
            thread::sleep(Duration::from_millis(50));
            let rt = support::runtime(sender);
            rt.block_on(async { tx.send(1).await.unwrap() });
            let got = done_rx.recv_timeout(Duration::from_secs(10));
            assert_eq!(
                got,
                Ok(Some(1)),
                "{sender:?} -> {receiver:?}: the worker was never woken"
            );
            worker.join().unwrap();
            // A second wake on the same pair of runtimes still arrives (the
            // target's latch was not left set).
            drop(rt);
        }
    }
}

/// After one wake was delivered, later ones keep arriving: the target's
/// "notified" latch is cleared each time, on both the MSG_RING and the
/// eventfd path.
#[test]
fn repeated_wakes_from_short_block_ons_all_arrive() {
    for driver in support::drivers() {
        let (tx, mut rx) = channel::<u32>(1);
        let (ack_tx, ack_rx) = mpsc::channel();
        let worker = thread::spawn(move || {
            let rt = support::runtime(driver);
            for i in 0..200 {
                let got = rt.block_on(async { rx.recv().await });
                assert_eq!(got, Some(i));
                ack_tx.send(()).unwrap();
            }
        });
        let rt = support::runtime(driver);
        for i in 0..200 {
            rt.block_on(async { tx.send(i).await.unwrap() });
            ack_rx
                .recv_timeout(Duration::from_secs(10))
                .unwrap_or_else(|_| panic!("{driver:?}: wake {i} was lost"));
        }
        worker.join().unwrap();
    }
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One side of the stress test: a runtime, its inbox and its peer's.
struct Side {
    rt: aio::Runtime,
    tx: Sender<u64>,
    rx: Receiver<u64>,
    received: Arc<AtomicUsize>,
    peer_received: Arc<AtomicUsize>,
    rng: Rng,
}

impl Side {
    /// Sends `n` messages over randomly sized `block_on` calls, then blocks
    /// the thread (not the runtime) until the peer has received them all:
    /// if a wake sat in this side's ring, the peer never gets it.
    fn send(&mut self, n: usize, sent: &mut usize) {
        let mut left = n;
        while left > 0 {
            let chunk = 1 + self.rng.below(left as u64) as usize;
            let tx = &self.tx;
            let base = *sent;
            self.rt.block_on(async {
                for i in 0..chunk {
                    tx.send((base + i) as u64).await.unwrap();
                }
            });
            *sent += chunk;
            left -= chunk;
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.peer_received.load(Ordering::Acquire) < *sent {
            assert!(
                Instant::now() < deadline,
                "lost wake: the peer received {} of {} messages",
                self.peer_received.load(Ordering::Acquire),
                *sent
            );
            thread::yield_now();
        }
    }

    /// Receives `n` messages over randomly sized `block_on` calls.
    fn recv(&mut self, n: usize) {
        let mut left = n;
        while left > 0 {
            let chunk = 1 + self.rng.below(left as u64) as usize;
            let rx = &mut self.rx;
            let received = &self.received;
            self.rt.block_on(async {
                for _ in 0..chunk {
                    let v = rx.recv().await.expect("the peer hung up");
                    assert_eq!(v as usize, received.load(Ordering::Relaxed));
                    received.fetch_add(1, Ordering::Release);
                }
            });
            left -= chunk;
        }
    }
}

/// Two runtimes on two threads exchange `total` messages in each direction
/// in lockstep phases: in each phase one side sends a random number of
/// messages (over random `block_on` boundaries, the channel's capacity
/// making the sender wait for the receiver too) and then blocks its thread
/// until the other side has them; the other side receives them over random
/// `block_on` boundaries. Every phase needs the wakes both ways to arrive.
fn stress(a: Driver, b: Driver, total: usize) {
    let (tx_ab, rx_ab) = channel::<u64>(16);
    let (tx_ba, rx_ba) = channel::<u64>(16);
    let got_a = Arc::new(AtomicUsize::new(0));
    let got_b = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(Barrier::new(2));
    // Both sides derive the same phase plan from one seed.
    let plan: Arc<Vec<usize>> = Arc::new({
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut plan = Vec::new();
        let mut sum = 0;
        while sum < 2 * total {
            let n = 1 + rng.below(64) as usize;
            plan.push(n);
            sum += n;
        }
        plan
    });
    let start = Instant::now();
    let run = |driver: Driver,
               me: usize,
               tx: Sender<u64>,
               rx: Receiver<u64>,
               received: Arc<AtomicUsize>,
               peer_received: Arc<AtomicUsize>| {
        let barrier = barrier.clone();
        let plan = plan.clone();
        thread::spawn(move || {
            let mut side = Side {
                rt: support::runtime(driver),
                tx,
                rx,
                received,
                peer_received,
                rng: Rng(0x2545_f491_4f6c_dd1d + me as u64),
            };
            let mut sent = 0;
            for (phase, &n) in plan.iter().enumerate() {
                barrier.wait();
                if phase % 2 == me {
                    side.send(n, &mut sent);
                } else {
                    side.recv(n);
                }
            }
            sent
        })
    };
    let ta = run(a, 0, tx_ab, rx_ba, got_a.clone(), got_b.clone());
    let tb = run(b, 1, tx_ba, rx_ab, got_b.clone(), got_a.clone());
    let sent_a = ta.join().expect("side A failed");
    let sent_b = tb.join().expect("side B failed");
    assert_eq!(got_b.load(Ordering::SeqCst), sent_a);
    assert_eq!(got_a.load(Ordering::SeqCst), sent_b);
    assert!(sent_a + sent_b >= 2 * total);
    eprintln!(
        "{a:?} <-> {b:?}: {} messages in {} phases in {:?}",
        sent_a + sent_b,
        plan.len(),
        start.elapsed()
    );
}

#[test]
fn a_million_wakes_between_two_cores_none_lost() {
    // Half a million messages each way per pair of drivers: about 1.5 s
    // per pair in a debug build.
    let drivers = support::drivers();
    for &a in &drivers {
        for &b in &drivers {
            stress(a, b, 500_000);
        }
    }
}
