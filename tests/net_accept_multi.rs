//! `TcpListener::accept` on a multishot accept (io_uring; an emulation of
//! it on epoll): bursts of connections, connections that arrive between
//! `accept()` calls, dropped accept futures, and a listener dropped with
//! connections still queued. (Accept under EMFILE: tests/net_errors.rs.)

// The process lock is held across awaits on purpose: the runtime is this
// test thread's own, and the lock only keeps fd-hungry tests apart.
#![allow(clippy::await_holding_lock)]

mod support;

use std::collections::HashSet;
use std::time::Duration;

use aio::io::{AsyncReadRent, AsyncWriteRentExt};
use aio::net::{TcpListener, TcpStream};
use support::{io_fd_count, poll_once, raise_nofile, within};

const LIMIT: Duration = Duration::from_secs(30);

#[aio::test]
async fn a_thousand_concurrent_connects_are_all_accepted_with_their_addresses() {
    let _alone = support::process_lock(); // many fds: keep the fd test apart
    raise_nofile(4096);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut clients = Vec::new();
    for _ in 0..1000 {
        clients.push(aio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let local = s.local_addr().unwrap();
            s.write_all(local.to_string().into_bytes()).await.0.unwrap();
            (s, local)
        }));
    }
    let mut seen = HashSet::new();
    let mut servers = Vec::new();
    within(LIMIT, "1000 accepts", async {
        while seen.len() < 1000 {
            let (mut s, peer) = listener.accept().await.unwrap();
            assert!(seen.insert(peer), "{peer} accepted twice");
            let (res, buf) = s.read(Vec::with_capacity(64)).await;
            res.unwrap();
            // The address getpeername reported is the client's own.
            assert_eq!(String::from_utf8(buf).unwrap(), peer.to_string());
            servers.push(s);
        }
    })
    .await;
    let mut locals = HashSet::new();
    for c in clients {
        locals.insert(c.await.unwrap().1);
    }
    assert_eq!(locals, seen);
}

#[aio::test]
async fn connections_arriving_between_accepts_and_for_dropped_accepts_are_kept() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Arm the multishot accept, then drop the future before anyone comes.
    {
        let mut fut = Box::pin(listener.accept());
        assert!(poll_once(&mut fut).await.is_none());
    }
    let mut clients = Vec::new();
    for _ in 0..50 {
        clients.push(TcpStream::connect(addr).await.unwrap());
    }
    // Accept with futures dropped half way, repeatedly: none is lost.
    let mut got = HashSet::new();
    while got.len() < 50 {
        let mut fut = Box::pin(listener.accept());
        if let Some(res) = poll_once(&mut fut).await {
            got.insert(res.unwrap().1);
        }
        drop(fut);
        let (_, peer) = within(LIMIT, "accept", listener.accept()).await.unwrap();
        got.insert(peer);
    }
    let want: HashSet<_> = clients.iter().map(|c| c.local_addr().unwrap()).collect();
    assert_eq!(got, want);
}

#[aio::test]
async fn dropping_a_listener_closes_the_connections_it_had_queued() {
    let _alone = support::process_lock(); // counts the process's fds
                                          // Sockets only: a test waiting for the lock has opened its runtime's
                                          // descriptors (`io_fd_count` leaves those out).
    let before = io_fd_count();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (first, _) = {
        let c = aio::spawn(TcpStream::connect(addr));
        let accepted = listener.accept().await.unwrap();
        (c.await.unwrap().unwrap(), accepted)
    };
    // These arrive with the multishot accept armed and nobody accepting.
    let mut queued = Vec::new();
    for _ in 0..10 {
        queued.push(TcpStream::connect(addr).await.unwrap());
    }
    aio::time::sleep(Duration::from_millis(20)).await;
    drop(listener);
    // Each queued peer sees its connection end, none hangs.
    for mut c in queued {
        let (res, _) = within(LIMIT, "queued peer closed", c.read(Vec::with_capacity(8))).await;
        assert!(matches!(res, Ok(0) | Err(_)), "{res:?}");
    }
    drop(first);
    support::wait_until(LIMIT, "fds back", || io_fd_count() <= before).await;
}
