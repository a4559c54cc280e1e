//! Cooperative budget: a task whose I/O keeps completing without waiting
//! (a fast peer; on epoll every read completes inline) still lets the
//! other tasks and timers of its core run.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aio::net::TcpListener;
use aio::time::sleep;
use aio::AsyncReadRent;

/// The scenario from the issue: a 20 ms sleep beside a task reading from a
/// peer that writes as fast as it can. Before the budget, the sleep took
/// 42 ms on epoll (the reader never returned `Pending`).
#[aio::test]
async fn a_sleep_beside_a_reader_of_a_fast_peer_keeps_its_deadline() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut peer = std::net::TcpStream::connect(addr).unwrap();
            let chunk = vec![7u8; 1 << 16];
            while !stop.load(Ordering::Relaxed) {
                if peer.write_all(&chunk).is_err() {
                    break;
                }
            }
        })
    };
    let (mut conn, _) = listener.accept().await.unwrap();
    let read = Arc::new(AtomicU64::new(0));
    let reader = {
        let read = read.clone();
        aio::spawn(async move {
            let mut buf = Vec::with_capacity(1 << 16);
            loop {
                let (res, b) = conn.read(buf).await;
                match res {
                    Ok(0) | Err(_) => break,
                    Ok(n) => read.fetch_add(n as u64, Ordering::Relaxed),
                };
                buf = b;
                buf.clear();
            }
        })
    };
    // Let the reader get going with a full socket buffer.
    sleep(Duration::from_millis(5)).await;
    let mut worst = Duration::ZERO;
    for _ in 0..5 {
        let start = Instant::now();
        sleep(Duration::from_millis(20)).await;
        worst = worst.max(start.elapsed() - Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed);
    reader.abort();
    let _ = reader.await;
    writer.join().unwrap();
    assert!(read.load(Ordering::Relaxed) > 0, "the reader never read");
    assert!(
        worst < Duration::from_millis(15),
        "a 20 ms sleep beside a busy reader ran {worst:?} late on {:?}",
        aio::Driver::current()
    );
}

/// A task draining a channel that never runs dry still lets a timer fire.
#[aio::test]
async fn a_receiver_that_always_finds_messages_yields() {
    let (tx, mut rx) = aio::sync::mpsc::unbounded_channel::<u32>();
    let stop = Arc::new(AtomicBool::new(false));
    let drainer = {
        let stop = stop.clone();
        aio::spawn(async move {
            let mut n = 0u64;
            // Bounded, so that without a budget the test fails instead of
            // hanging.
            let give_up = Instant::now() + Duration::from_secs(2);
            while !stop.load(Ordering::Relaxed) && Instant::now() < give_up {
                // Refill before each receive: `recv` never has to wait.
                tx.send(1).unwrap();
                rx.recv().await.unwrap();
                n += 1;
            }
            n
        })
    };
    let start = Instant::now();
    sleep(Duration::from_millis(10)).await;
    let late = start.elapsed() - Duration::from_millis(10);
    stop.store(true, Ordering::Relaxed);
    let received = drainer.await.unwrap();
    assert!(received > 0);
    assert!(
        late < Duration::from_millis(15),
        "the timer ran {late:?} late"
    );
}
