//! Readiness on sockets (issue 14): `readable()`, `writable()`, `ready()`
//! and the nonblocking `try_*` calls on TCP, Unix and UDP sockets, modelled
//! on tokio's `tests/tcp_stream.rs` (`try_read_write`, `poll_read_ready`)
//! and `tests/udp.rs` (`try_send_recv`, `try_send_to_recv_from`). Every
//! test runs on both drivers (`#[aio::test]`).

use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::time::Duration;

use aio::io::{Interest, Ready};
use aio::net::{TcpListener, TcpStream, UdpSocket, UnixStream};

const SHORT: Duration = Duration::from_millis(50);
const LIMIT: Duration = Duration::from_secs(10);

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let connect = aio::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    let (server, _) = listener.accept().await.unwrap();
    (connect.await.unwrap(), server)
}

fn would_block<T: std::fmt::Debug>(res: io::Result<T>) {
    assert_eq!(res.unwrap_err().kind(), ErrorKind::WouldBlock);
}

#[aio::test]
async fn tcp_readable_waits_for_the_peer() {
    let (a, b) = tcp_pair().await;
    // Nothing written yet: still pending after a while.
    assert!(aio::time::timeout(SHORT, a.readable()).await.is_err());
    let mut buf = [0u8; 16];
    would_block(a.try_read(&mut buf));
    assert_eq!(b.try_write(b"hello").unwrap(), 5);
    aio::time::timeout(LIMIT, a.readable())
        .await
        .expect("readable after the peer wrote")
        .unwrap();
    assert_eq!(a.try_read(&mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"hello");
    would_block(a.try_read(&mut buf));
}

#[aio::test]
async fn tcp_writable_is_immediate_then_waits_for_drain() {
    let (a, b) = tcp_pair().await;
    aio::time::timeout(LIMIT, a.writable())
        .await
        .expect("a fresh socket is writable")
        .unwrap();
    let chunk = vec![7u8; 64 * 1024];
    let mut written = 0usize;
    loop {
        match a.try_write(&chunk) {
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => panic!("try_write: {e}"),
        }
    }
    assert!(written > 0);
    // The peer drains everything; then the writer can go on.
    let drain = aio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        let mut read = 0usize;
        while read < written {
            b.readable().await.unwrap();
            match b.try_read(&mut buf) {
                Ok(n) => read += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => panic!("try_read: {e}"),
            }
        }
        b
    });
    aio::time::timeout(LIMIT, a.writable())
        .await
        .expect("writable after the peer drained")
        .unwrap();
    let _b = drain.await.unwrap();
    assert!(a.try_write(b"x").unwrap() == 1);
}

#[aio::test]
async fn tcp_ready_reports_both_and_read_closed() {
    let (a, b) = tcp_pair().await;
    let ready: Ready = a
        .ready(Interest::READABLE | Interest::WRITABLE)
        .await
        .unwrap();
    assert!(ready.is_writable());
    assert!(!ready.is_readable());
    drop(b);
    let ready = aio::time::timeout(LIMIT, a.ready(Interest::READABLE))
        .await
        .unwrap()
        .unwrap();
    assert!(ready.is_readable());
    assert!(ready.is_read_closed());
    let mut buf = [0u8; 4];
    assert_eq!(a.try_read(&mut buf).unwrap(), 0);
}

#[aio::test]
async fn dropped_readable_is_harmless() {
    let (a, b) = tcp_pair().await;
    for _ in 0..100 {
        // Polled once (the op is submitted), then dropped: cancelled.
        assert!(aio::time::timeout(Duration::from_millis(1), a.readable())
            .await
            .is_err());
    }
    b.try_write(b"still works").unwrap();
    aio::time::timeout(LIMIT, a.readable())
        .await
        .unwrap()
        .unwrap();
    let mut buf = [0u8; 32];
    let n = a.try_read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"still works");
}

#[aio::test]
async fn unix_readable_and_try_io() {
    let (a, b) = UnixStream::pair().unwrap();
    let mut buf = [0u8; 8];
    would_block(a.try_read(&mut buf));
    assert!(aio::time::timeout(SHORT, a.readable()).await.is_err());
    a.writable().await.unwrap();
    assert_eq!(b.try_write(b"unix").unwrap(), 4);
    aio::time::timeout(LIMIT, a.readable())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.try_read(&mut buf).unwrap(), 4);
    assert_eq!(&buf[..4], b"unix");
}

#[aio::test]
async fn udp_try_send_to_and_recv_from() {
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (a_addr, b_addr): (SocketAddr, SocketAddr) =
        (a.local_addr().unwrap(), b.local_addr().unwrap());
    let mut buf = [0u8; 32];
    would_block(b.try_recv_from(&mut buf));
    assert!(aio::time::timeout(SHORT, b.readable()).await.is_err());
    a.writable().await.unwrap();
    assert_eq!(a.try_send_to(b"dgram", b_addr).unwrap(), 5);
    aio::time::timeout(LIMIT, b.readable())
        .await
        .unwrap()
        .unwrap();
    let (n, from) = b.try_recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"dgram"[..], a_addr));

    // Connected: try_send / try_recv.
    a.connect(b_addr).await.unwrap();
    b.connect(a_addr).await.unwrap();
    would_block(a.try_recv(&mut buf));
    assert_eq!(b.try_send(b"back").unwrap(), 4);
    a.readable().await.unwrap();
    assert_eq!(a.try_recv(&mut buf).unwrap(), 4);
    assert_eq!(&buf[..4], b"back");
}
