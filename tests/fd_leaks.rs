//! No descriptor outlives what owns it: aborting tasks parked in read,
//! accept, connect or sleep, cancelling accepts that race connections,
//! dropping runtimes (with or without work in flight, after a panic) all
//! bring `/proc/self/fd` back to where it was.
//!
//! Descriptor counts are process-wide, so every test here takes one lock
//! and builds its runtimes itself (inside the lock), once per driver.

mod support;

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use aio::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRentExt};
use aio::net::{NetConfig, TcpListener, TcpStream, UdpSocket, UnixStream};
use aio::time::{sleep, timeout};
use support::{assert_fds, drivers, fd_count, fd_listing, process_lock, runtime, settle, within};

const LIMIT: Duration = Duration::from_secs(10);

/// Runs `body` once per driver on a fresh runtime, under the process lock,
/// and checks the descriptors open after the body (and again after the
/// runtime is dropped) are the ones open before it.
fn check<F, Fut>(what: &str, body: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let _lock = process_lock();
    support::raise_nofile(8192);
    for driver in drivers() {
        let outer = fd_count();
        let outer_listing = fd_listing();
        let rt = runtime(driver);
        rt.block_on(async {
            let before = fd_count();
            let listing = fd_listing();
            body().await;
            settle(before, &format!("{what} ({driver:?})"), &listing).await;
        });
        drop(rt);
        assert_fds(
            outer,
            &format!("{what} ({driver:?}), after the runtime dropped"),
            &outer_listing,
        );
    }
}

#[test]
fn abort_of_tasks_parked_in_read_releases_their_sockets() {
    check("abort in read", || async {
        let mut tasks = Vec::new();
        for _ in 0..100 {
            let (a, b) = UnixStream::pair().unwrap();
            tasks.push(aio::spawn(async move {
                let (mut a, _b) = (a, b);
                let _ = a.read(Vec::with_capacity(64)).await;
                unreachable!("nothing is sent");
            }));
        }
        sleep(Duration::from_millis(5)).await; // all parked in their reads
        for t in &tasks {
            t.abort();
        }
        for t in tasks {
            assert!(within(LIMIT, "aborted reader", t)
                .await
                .unwrap_err()
                .is_cancelled());
        }
    });
}

#[test]
fn abort_of_tasks_parked_in_accept_releases_their_listeners() {
    check("abort in accept", || async {
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            tasks.push(aio::spawn(async move {
                let _ = listener.accept().await;
                unreachable!("nobody connects");
            }));
        }
        sleep(Duration::from_millis(5)).await;
        for t in &tasks {
            t.abort();
        }
        for t in tasks {
            assert!(within(LIMIT, "aborted acceptor", t)
                .await
                .unwrap_err()
                .is_cancelled());
        }
    });
}

#[test]
fn abort_of_tasks_parked_in_sleep_releases_the_sockets_they_hold() {
    check("abort in sleep", || async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let client = aio::spawn(async move { TcpStream::connect(addr).await.unwrap() });
            let (server, _) = listener.accept().await.unwrap();
            let client = client.await.unwrap();
            let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
            tasks.push(aio::spawn(async move {
                let _held = (client, server, udp);
                sleep(Duration::from_secs(3600)).await;
            }));
        }
        sleep(Duration::from_millis(2)).await;
        for t in &tasks {
            t.abort();
        }
        for t in tasks {
            assert!(within(LIMIT, "aborted sleeper", t)
                .await
                .unwrap_err()
                .is_cancelled());
        }
    });
}

#[test]
fn abort_of_tasks_parked_in_connect_releases_their_sockets() {
    check("abort in connect", || async {
        // A listener that never accepts, with the smallest backlog: once it
        // is full the kernel drops further SYNs and connects stay pending.
        let listener =
            TcpListener::bind_with("127.0.0.1:0", &NetConfig::default().backlog(1)).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut tasks = Vec::new();
        for _ in 0..8 {
            tasks.push(aio::spawn(async move {
                let s = TcpStream::connect(addr).await;
                // Completed ones hold their socket until aborted.
                sleep(Duration::from_secs(3600)).await;
                drop(s);
            }));
        }
        sleep(Duration::from_millis(30)).await;
        for t in &tasks {
            t.abort();
        }
        for t in tasks {
            assert!(within(LIMIT, "aborted connector", t)
                .await
                .unwrap_err()
                .is_cancelled());
        }
        drop(listener);
    });
}

#[test]
fn cancelled_accepts_racing_connections_leak_nothing() {
    check("accept/connect races", || async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut clients = Vec::new();
        let mut accepted = Vec::new();
        for i in 0..100u64 {
            let client = aio::spawn(async move {
                if i % 2 == 0 {
                    aio::task::yield_now().await;
                }
                TcpStream::connect(addr).await.unwrap()
            });
            // Sometimes the accept wins, sometimes the timeout does (and a
            // connection the kernel accepted just before the cancellation
            // is closed).
            if let Ok(Ok((s, _))) =
                timeout(Duration::from_micros(50 * (i % 5)), listener.accept()).await
            {
                accepted.push(s);
            }
            clients.push(within(LIMIT, "connect", client).await.unwrap());
        }
        drop(accepted);
        drop(clients);
        drop(listener);
    });
}

#[test]
fn a_thousand_connections_opened_and_closed_leave_no_descriptor() {
    check("1,000 connections", || async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = aio::spawn(async move {
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                aio::spawn(async move {
                    let (res, buf) = s.read_exact(Vec::with_capacity(4)).await;
                    if res.is_ok() {
                        let _ = s.write_all(buf).await;
                    }
                });
            }
        });
        let mut clients = Vec::new();
        for _ in 0..1000 {
            clients.push(aio::spawn(async move {
                let mut s = TcpStream::connect(addr).await.unwrap();
                let (res, _) = s.write_all(b"ping".to_vec()).await;
                res.unwrap();
                let (res, got) = s.read_exact(Vec::with_capacity(4)).await;
                res.unwrap();
                assert_eq!(got, b"ping");
            }));
        }
        for c in clients {
            within(LIMIT, "client", c).await.unwrap();
        }
        server.abort();
        let _ = server.await;
    });
}

#[test]
fn runtimes_built_and_dropped_leave_no_descriptor() {
    let _lock = process_lock();
    for driver in drivers() {
        let before = fd_count();
        let listing = fd_listing();
        for _ in 0..30 {
            let rt = runtime(driver);
            rt.block_on(async {
                let (mut a, _b) = UnixStream::pair().unwrap();
                let _ = timeout(Duration::from_micros(200), a.read(Vec::with_capacity(4))).await;
                aio::spawn(async {
                    sleep(Duration::from_secs(3600)).await;
                });
                aio::task::yield_now().await;
            });
        }
        assert_fds(before, &format!("30 runtimes ({driver:?})"), &listing);
    }
}

#[test]
fn dropping_a_runtime_with_pending_ops_releases_every_descriptor() {
    let _lock = process_lock();
    for driver in drivers() {
        let before = fd_count();
        let listing = fd_listing();
        let rt = runtime(driver);
        rt.block_on(async {
            for _ in 0..100 {
                let (a, b) = UnixStream::pair().unwrap();
                aio::spawn(async move {
                    let (mut a, _b) = (a, b);
                    let _ = a.read(Vec::with_capacity(8)).await;
                });
            }
            for _ in 0..20 {
                let l = TcpListener::bind("127.0.0.1:0").unwrap();
                aio::spawn(async move {
                    let _ = l.accept().await;
                });
            }
            // And reads whose futures were dropped (cancellation pending).
            for _ in 0..50 {
                let (mut a, b) = UnixStream::pair().unwrap();
                let _ = timeout(Duration::ZERO, a.read(Vec::with_capacity(8))).await;
                drop((a, b));
            }
            sleep(Duration::from_millis(2)).await;
        });
        let start = Instant::now();
        drop(rt);
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{driver:?}: drop took {:?}",
            start.elapsed()
        );
        assert_fds(
            before,
            &format!("runtime dropped with pending ops ({driver:?})"),
            &listing,
        );
    }
}

#[test]
fn a_panic_out_of_block_on_with_ops_in_flight_releases_every_descriptor() {
    let _lock = process_lock();
    for driver in drivers() {
        let before = fd_count();
        let listing = fd_listing();
        let rt = runtime(driver);
        let res = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async {
                let mut pairs = Vec::new();
                for _ in 0..50 {
                    pairs.push(UnixStream::pair().unwrap());
                }
                let mut reads = Vec::new();
                for (a, _) in pairs.iter_mut() {
                    let mut r = Box::pin(a.read(Vec::with_capacity(8)));
                    assert!(support::poll_once(&mut r).await.is_none());
                    reads.push(r);
                }
                let l = TcpListener::bind("127.0.0.1:0").unwrap();
                aio::spawn(async move {
                    let _ = l.accept().await;
                });
                sleep(Duration::from_millis(2)).await;
                panic!("unwinding with 50 reads and an accept in flight");
            })
        }));
        assert!(res.is_err());
        drop(rt);
        assert_fds(
            before,
            &format!("panic out of block_on ({driver:?})"),
            &listing,
        );
    }
}
