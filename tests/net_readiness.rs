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

#[aio::test]
async fn unix_datagram_readiness_and_try_calls() {
    // tokio's tests/uds_datagram.rs `try_send_recv_never_block` and
    // `try_recv_buf_from`, for the calls aio has.
    use aio::net::UnixDatagram;
    let dir = std::env::temp_dir().join(format!(
        "aio-ready-dgram-{}-{:?}",
        std::process::id(),
        aio::Driver::current()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (a_path, b_path) = (dir.join("a"), dir.join("b"));
    let a = UnixDatagram::bind(&a_path).unwrap();
    let b = UnixDatagram::bind(&b_path).unwrap();
    let mut buf = [0u8; 32];
    would_block(b.try_recv_from(&mut buf));
    assert!(aio::time::timeout(SHORT, b.readable()).await.is_err());

    a.writable().await.unwrap();
    assert_eq!(a.try_send_to(b"to b", &b_path).unwrap(), 4);
    aio::time::timeout(LIMIT, b.readable())
        .await
        .expect("readable after a datagram")
        .unwrap();
    let (n, from) = b.try_recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"to b");
    assert_eq!(from.as_pathname(), Some(a_path.as_path()));

    // Connected: try_send / try_recv, and a full queue says WouldBlock.
    a.connect(&b_path).await.unwrap();
    let mut sent = 0usize;
    loop {
        match a.try_send(&[7u8; 512]) {
            Ok(512) => sent += 1,
            Ok(n) => panic!("a datagram was cut to {n} bytes"),
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => panic!("try_send: {e}"),
        }
        assert!(sent < 100_000, "the receiver's queue never filled");
    }
    assert!(sent > 0);
    assert!(aio::time::timeout(SHORT, a.writable()).await.is_err());
    let mut got = 0usize;
    let mut big = [0u8; 1024];
    while let Ok(n) = b.try_recv(&mut big) {
        assert_eq!(n, 512);
        got += 1;
    }
    assert_eq!(
        got, sent,
        "every datagram sent without blocking arrives once"
    );
    aio::time::timeout(LIMIT, a.writable())
        .await
        .expect("writable once the queue drained")
        .unwrap();
    would_block(b.try_recv(&mut big));
    let _ = std::fs::remove_dir_all(&dir);
}

#[aio::test]
async fn split_halves_have_readiness_and_try_calls() {
    // tokio's OwnedReadHalf/OwnedWriteHalf `readable`, `try_read`,
    // `writable`, `try_write` (tests/tcp_split.rs, tcp_into_split.rs).
    let (a, b) = tcp_pair().await;
    let (a_read, a_write) = a.into_split();
    let (mut b_read_borrowed, b) = {
        let mut b = b;
        let (r, w) = b.split();
        w.writable().await.unwrap();
        assert_eq!(w.try_write(b"via a borrowed half").unwrap(), 19);
        would_block(r.try_read(&mut [0u8; 8]));
        (Vec::<u8>::new(), b)
    };
    let mut buf = [0u8; 64];
    aio::time::timeout(LIMIT, a_read.readable())
        .await
        .expect("the owned read half becomes readable")
        .unwrap();
    let n = a_read.try_read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"via a borrowed half");
    a_write.writable().await.unwrap();
    assert_eq!(a_write.try_write(b"back").unwrap(), 4);
    let mut b = b;
    let (r, _w) = b.split();
    let ready = aio::time::timeout(LIMIT, r.ready(Interest::READABLE))
        .await
        .unwrap()
        .unwrap();
    assert!(ready.is_readable());
    let n = r.try_read(&mut buf).unwrap();
    b_read_borrowed.extend_from_slice(&buf[..n]);
    assert_eq!(b_read_borrowed, b"back");

    // Unix halves too.
    let (x, y) = UnixStream::pair().unwrap();
    let (x_read, _x_write) = x.into_split();
    let (_y_read, y_write) = y.into_split();
    would_block(x_read.try_read(&mut buf));
    assert_eq!(y_write.try_write(b"unix").unwrap(), 4);
    x_read.readable().await.unwrap();
    assert_eq!(x_read.try_read(&mut buf).unwrap(), 4);
}
