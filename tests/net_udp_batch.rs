//! Batched UDP: `recv_from_many` / `send_to_many` (recvmmsg/sendmmsg),
//! on both drivers: contents and sources of many datagrams, fewer
//! datagrams than buffers, partial sends, no-room and empty arguments, and
//! a dropped receive that consumes nothing.

mod support;

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use aio::net::UdpSocket;
use support::{pattern, poll_once, within, yield_times};

const LIMIT: Duration = Duration::from_secs(10);

fn pair() -> (UdpSocket, UdpSocket) {
    (
        UdpSocket::bind("127.0.0.1:0").unwrap(),
        UdpSocket::bind("127.0.0.1:0").unwrap(),
    )
}

fn bufs(n: usize, cap: usize) -> Vec<Vec<u8>> {
    (0..n).map(|_| Vec::with_capacity(cap)).collect()
}

/// Sends all of `msgs` with `send_to_many`, resending the rest after a
/// partial send; returns how many calls it took.
async fn send_all(socket: &UdpSocket, mut msgs: Vec<(Vec<u8>, SocketAddr)>) -> usize {
    let mut calls = 0;
    while !msgs.is_empty() {
        let (res, mut back) = within(LIMIT, "send_to_many", socket.send_to_many(msgs)).await;
        let sent = res.expect("send_to_many");
        assert!(
            sent >= 1 && sent <= back.len(),
            "sent {sent} of {}",
            back.len()
        );
        msgs = back.split_off(sent);
        calls += 1;
    }
    calls
}

#[aio::test]
async fn many_datagrams_round_trip_with_contents_and_source() {
    let (tx, rx) = pair();
    let (from, to) = (tx.local_addr().unwrap(), rx.local_addr().unwrap());
    let want: Vec<Vec<u8>> = (0..24u64)
        .map(|i| pattern(i, 1 + (i as usize * 131) % 1400))
        .collect();
    let msgs = want.iter().map(|m| (m.clone(), to)).collect();
    send_all(&tx, msgs).await;

    let mut got: Vec<Vec<u8>> = Vec::new();
    while got.len() < want.len() {
        let (res, back) = within(LIMIT, "recv_from_many", rx.recv_from_many(bufs(16, 2048))).await;
        let results = res.expect("recv_from_many");
        assert!(!results.is_empty() && results.len() <= 16);
        for (i, (len, src)) in results.iter().enumerate() {
            assert_eq!(*src, from, "source of datagram {}", got.len());
            assert_eq!(back[i].len(), *len, "buffer {i} holds the datagram");
            got.push(back[i].clone());
        }
        for b in &back[results.len()..] {
            assert!(b.is_empty(), "buffers past the results are untouched");
        }
    }
    assert_eq!(got, want, "every datagram, in order, intact");
}

#[aio::test]
async fn more_buffers_than_datagrams_returns_what_is_there() {
    let (tx, rx) = pair();
    let to = rx.local_addr().unwrap();
    for i in 0..3u8 {
        let (res, _) = tx.send_to(vec![i; 10 + usize::from(i)], to).await;
        res.unwrap();
    }
    let (res, back) = within(LIMIT, "recv_from_many", rx.recv_from_many(bufs(10, 64))).await;
    let results = res.unwrap();
    assert_eq!(
        results.len(),
        3,
        "all three queued datagrams, no waiting for more"
    );
    for (i, (len, _)) in results.iter().enumerate() {
        assert_eq!(*len, 10 + i);
        assert_eq!(back[i], vec![i as u8; 10 + i]);
    }
    assert!(back[3..].iter().all(Vec::is_empty));
}

#[aio::test]
async fn fewer_buffers_than_datagrams_takes_a_batch_at_a_time() {
    let (tx, rx) = pair();
    let to = rx.local_addr().unwrap();
    send_all(&tx, (0..10u8).map(|i| (vec![i; 32], to)).collect()).await;
    let mut sizes = Vec::new();
    let mut next = 0u8;
    while next < 10 {
        let (res, back) = within(LIMIT, "recv_from_many", rx.recv_from_many(bufs(4, 64))).await;
        let results = res.unwrap();
        sizes.push(results.len());
        for (i, _) in results.iter().enumerate() {
            assert_eq!(back[i], vec![next; 32]);
            next += 1;
        }
    }
    assert_eq!(sizes, [4, 4, 2]);
}

#[aio::test]
async fn truncates_each_datagram_to_its_buffer() {
    let (tx, rx) = pair();
    let to = rx.local_addr().unwrap();
    send_all(&tx, vec![(vec![7; 100], to), (vec![8; 5], to)]).await;
    let (res, back) = rx
        .recv_from_many(vec![Vec::with_capacity(10), Vec::with_capacity(10)])
        .await;
    let results = res.unwrap();
    assert_eq!(results.iter().map(|r| r.0).collect::<Vec<_>>(), [10, 5]);
    assert_eq!(back[0], vec![7; 10]);
    assert_eq!(back[1], vec![8; 5]);
}

#[aio::test]
async fn send_stops_at_the_first_failure_after_one_sent() {
    let (tx, rx) = pair();
    let to = rx.local_addr().unwrap();
    // 70,000 bytes is more than a UDP datagram holds: EMSGSIZE.
    let msgs = vec![(vec![1; 8], to), (vec![2; 70_000], to), (vec![3; 8], to)];
    let (res, back) = tx.send_to_many(msgs).await;
    assert_eq!(res.unwrap(), 1, "the first sent, then stopped");
    assert_eq!(back.len(), 3, "every message comes back");

    let (res, _) = tx.send_to_many(back[1..].to_vec()).await;
    assert_eq!(
        res.unwrap_err().raw_os_error(),
        Some(libc::EMSGSIZE),
        "a failing first datagram is the call's error"
    );
    let (res, got) = within(LIMIT, "recv_from", rx.recv_from(Vec::with_capacity(64))).await;
    assert_eq!(res.unwrap().0, 8);
    assert_eq!(got, vec![1; 8]);
}

#[aio::test]
async fn no_room_or_no_buffers_is_invalid_input_and_consumes_nothing() {
    let (tx, rx) = pair();
    let to = rx.local_addr().unwrap();
    let (res, _) = tx.send_to(b"kept".to_vec(), to).await;
    res.unwrap();

    let (res, back) = rx
        .recv_from_many(vec![Vec::with_capacity(64), Vec::new()])
        .await;
    assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(back.len(), 2);
    let (res, _) = rx.recv_from_many(Vec::<Vec<u8>>::new()).await;
    assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidInput);
    let (res, _) = tx.send_to_many(Vec::<(Vec<u8>, SocketAddr)>::new()).await;
    assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidInput);

    let (res, got) = within(LIMIT, "recv_from", rx.recv_from(Vec::with_capacity(64))).await;
    res.unwrap();
    assert_eq!(got, b"kept", "the datagram was not consumed");
}

#[aio::test]
async fn waits_for_the_first_datagram() {
    let (tx, rx) = pair();
    let to = rx.local_addr().unwrap();
    let sender = aio::spawn(async move {
        aio::time::sleep(Duration::from_millis(20)).await;
        let (res, _) = tx.send_to(b"late".to_vec(), to).await;
        res.unwrap();
    });
    let (res, back) = within(LIMIT, "recv_from_many", rx.recv_from_many(bufs(8, 64))).await;
    assert_eq!(res.unwrap().len(), 1);
    assert_eq!(back[0], b"late");
    sender.await.unwrap();
}

#[aio::test]
async fn a_dropped_waiting_receive_consumes_nothing() {
    let (tx, rx) = pair();
    let to = rx.local_addr().unwrap();
    let mut fut = Box::pin(rx.recv_from_many(bufs(8, 64)));
    assert!(poll_once(&mut fut).await.is_none(), "nothing queued yet");
    yield_times(3).await;
    drop(fut);
    yield_times(3).await;
    send_all(&tx, (0..3u8).map(|i| (vec![i; 4], to)).collect()).await;
    let (res, back) = within(LIMIT, "recv_from_many", rx.recv_from_many(bufs(8, 64))).await;
    assert_eq!(res.unwrap().len(), 3, "all three reach the next receive");
    assert_eq!(back[0], [0; 4]);
}

/// A `send_to_many` does not overtake a `send_to` on the same socket that
/// started before it. On io_uring the batch is a system call made as the
/// op starts while the `send_to` may still wait in the submission queue;
/// the queued entries are submitted first (the kernel issues each as it is
/// submitted). Both start in one tick, the single send first.
#[aio::test]
async fn a_batch_send_keeps_its_place_after_a_queued_send() {
    let (tx, rx) = pair();
    let to = rx.local_addr().unwrap();
    let tx = std::rc::Rc::new(tx);
    for round in 0..20u8 {
        let single = aio::spawn({
            let tx = tx.clone();
            async move { tx.send_to(vec![round, 0], to).await.0.unwrap() }
        });
        let batch = aio::spawn({
            let tx = tx.clone();
            async move {
                let msgs = vec![(vec![round, 1], to), (vec![round, 2], to)];
                tx.send_to_many(msgs).await.0.unwrap()
            }
        });
        assert_eq!(single.await.unwrap(), 2);
        assert_eq!(batch.await.unwrap(), 2);
        for k in 0..3u8 {
            let (res, got) = within(LIMIT, "recv_from", rx.recv_from(Vec::with_capacity(8))).await;
            res.unwrap();
            assert_eq!(got, [round, k], "round {round}: datagram {k} out of order");
        }
    }
}
