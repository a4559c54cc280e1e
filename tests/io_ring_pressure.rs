//! A tiny ring (8 entries) driving thousands of concurrent operations: a
//! full submission queue is flushed and retried, an overflowing completion
//! queue is drained, and no operation is lost.

mod support;

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use aio::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRentExt};
use aio::net::{TcpListener, TcpStream, UnixStream};
use support::{within, yield_times};

const LIMIT: Duration = Duration::from_secs(30);

#[aio::test(entries = 8)]
async fn ten_thousand_concurrent_socket_ops_through_an_8_entry_ring() {
    // 5,000 socket pairs: 5,000 reads all parked in the kernel at once,
    // then 5,000 writes; every read gets exactly its pair's bytes.
    const PAIRS: usize = 5_000;
    support::raise_nofile(2 * PAIRS as u64 + 512);
    let parked = Rc::new(Cell::new(0usize));
    let done = Rc::new(Cell::new(0usize));
    let mut writers = Vec::with_capacity(PAIRS);
    let mut readers = Vec::with_capacity(PAIRS);
    for i in 0..PAIRS {
        let (mut a, b) = UnixStream::pair().unwrap();
        let (parked, done) = (parked.clone(), done.clone());
        readers.push(aio::spawn(async move {
            parked.set(parked.get() + 1);
            let (res, got) = a.read_exact(Vec::with_capacity(8)).await;
            res.expect("read_exact");
            assert_eq!(
                got,
                (i as u64).to_le_bytes(),
                "pair {i} read someone else's bytes"
            );
            done.set(done.get() + 1);
        }));
        writers.push(b);
    }
    support::wait_until(LIMIT, "every reader is parked in its read", || {
        parked.get() == PAIRS
    })
    .await;
    yield_times(2).await;
    assert_eq!(done.get(), 0);
    let mut write_tasks = Vec::with_capacity(PAIRS);
    for (i, mut b) in writers.into_iter().enumerate() {
        write_tasks.push(aio::spawn(async move {
            let (res, _) = b.write_all((i as u64).to_le_bytes().to_vec()).await;
            res.expect("write_all");
            b
        }));
    }
    let start = Instant::now();
    let mut keep = Vec::with_capacity(PAIRS);
    for w in write_tasks {
        keep.push(within(LIMIT, "5,000 writes", w).await.unwrap());
    }
    for r in readers {
        within(LIMIT, "5,000 reads", r).await.unwrap();
    }
    assert_eq!(done.get(), PAIRS, "no read was lost");
    eprintln!(
        "10,000 ops through an 8-entry ring: {:?} ({:?})",
        start.elapsed(),
        aio::Driver::current()
    );
}

#[aio::test(entries = 8)]
async fn ten_thousand_tasks_mixing_timers_yields_and_socket_writes_through_an_8_entry_ring() {
    // Every task sleeps, yields and does one short socket op (a write to a
    // shared socket pair whose other end is drained), so timers, the run
    // queue and the ring are all under pressure at once.
    const TASKS: usize = 10_000;
    let (a, mut b) = UnixStream::pair().unwrap();
    let a = Rc::new(aio::sync::Mutex::new(a));
    let finished = Rc::new(Cell::new(0usize));
    let drain = aio::spawn(async move {
        let mut total = 0usize;
        while total < TASKS {
            let (res, buf) = b.read(Vec::with_capacity(64 * 1024)).await;
            let n = res.expect("drain read");
            assert!(n > 0, "EOF before every byte arrived");
            assert!(buf.iter().all(|x| *x == 0xAB));
            total += n;
        }
        total
    });
    let mut handles = Vec::with_capacity(TASKS);
    for i in 0..TASKS {
        let (a, finished) = (a.clone(), finished.clone());
        handles.push(aio::spawn(async move {
            aio::time::sleep(Duration::from_micros((i % 50) as u64 * 20)).await;
            aio::task::yield_now().await;
            // One byte each, the shared stream locked while writing.
            let (res, _) = a.lock().await.write_all(vec![0xAB]).await;
            res.expect("write");
            finished.set(finished.get() + 1);
        }));
    }
    for h in handles {
        within(LIMIT, "10,000 tasks", h).await.unwrap();
    }
    assert_eq!(finished.get(), TASKS);
    assert_eq!(
        within(LIMIT, "drain", drain).await.unwrap(),
        TASKS,
        "every byte arrived once"
    );
}

#[aio::test(entries = 8)]
async fn two_hundred_tcp_echoes_through_an_8_entry_ring() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = aio::spawn(async move {
        loop {
            let (mut s, _) = listener.accept().await.expect("accept");
            aio::spawn(async move {
                let (res, buf) = s.read_exact(Vec::with_capacity(1024)).await;
                res.expect("server read");
                let (res, _) = s.write_all(buf).await;
                res.expect("server write");
            });
        }
    });
    let mut clients = Vec::new();
    for i in 0..200u64 {
        clients.push(aio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.expect("connect");
            let msg = support::pattern(i, 1024);
            let (res, _) = s.write_all(msg.clone()).await;
            res.expect("client write");
            let (res, got) = s.read_exact(Vec::with_capacity(1024)).await;
            res.expect("client read");
            assert_eq!(got, msg);
        }));
    }
    for c in clients {
        within(LIMIT, "echo client", c).await.unwrap();
    }
    server.abort();
}

#[aio::test(entries = 8)]
async fn a_thousand_cancellations_at_once_through_an_8_entry_ring() {
    // 1,000 reads in flight, all aborted in one tick: 1,000 ASYNC_CANCELs
    // go through an 8-entry submission queue.
    const N: usize = 1000;
    support::raise_nofile(2 * N as u64 + 512);
    let drops = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(N);
    let mut peers = Vec::with_capacity(N);
    for _ in 0..N {
        let (a, b) = UnixStream::pair().unwrap();
        let d = drops.clone();
        tasks.push(aio::spawn(async move {
            let mut a = a;
            let _ = a.read(support::CountedBuf::new(&d, 32)).await;
            a
        }));
        peers.push(b);
    }
    aio::time::sleep(Duration::from_millis(10)).await;
    for t in &tasks {
        t.abort();
    }
    for t in tasks {
        assert!(within(LIMIT, "aborted reader", t)
            .await
            .unwrap_err()
            .is_cancelled());
    }
    support::wait_until(LIMIT, "every buffer freed", || {
        drops.load(std::sync::atomic::Ordering::SeqCst) == N
    })
    .await;
    // The ring still works.
    let (mut x, mut y) = UnixStream::pair().unwrap();
    let (res, _) = x.write_all(b"ok".to_vec()).await;
    res.unwrap();
    let (res, got) = within(LIMIT, "read after", y.read_exact(Vec::with_capacity(2))).await;
    res.unwrap();
    assert_eq!(got, b"ok");
    assert_eq!(
        drops.load(std::sync::atomic::Ordering::SeqCst),
        N,
        "each buffer freed exactly once"
    );
    drop(peers);
}
