#![cfg(feature = "tokio-io")]
//! `aio::compat::Compat` through tokio's I/O traits (feature `tokio-io`):
//! `tokio::io::copy` between two aio connections, a cancelled read that
//! loses nothing, write backpressure, shutdown after flushing, and
//! dropping the adapter with operations in flight. On both drivers.

mod support;

use std::future::poll_fn;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use aio::compat::Compat;
use aio::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRentExt};
use aio::net::{TcpListener, TcpStream};
use support::{first_difference, pattern, within};
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};

const LIMIT: Duration = Duration::from_secs(20);

/// A connected pair: (accepted side, connecting side).
async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let connect = aio::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    let (server, _) = listener.accept().await.unwrap();
    (server, connect.await.unwrap())
}

/// Everything `stream` yields until end of stream, read with rent I/O.
async fn read_all(mut stream: TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let (res, buf) = stream.read(Vec::with_capacity(64 * 1024)).await;
        let n = res.expect("read");
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf);
    }
}

#[aio::test]
async fn tokio_copy_moves_3_mib_between_two_connections() {
    let data = pattern(1, 3 << 20);
    let (a_server, mut a_client) = pair().await;
    let (b_server, b_client) = pair().await;
    let sender = {
        let data = data.clone();
        aio::spawn(async move {
            let (res, _) = a_client.write_all(data).await;
            res.unwrap();
            aio::io::AsyncWriteRent::shutdown(&mut a_client)
                .await
                .unwrap();
        })
    };
    let receiver = aio::spawn(read_all(b_client));
    let mut from = Compat::new(a_server);
    let mut to = Compat::new(b_server);
    let copied = within(
        LIMIT,
        "tokio::io::copy",
        tokio::io::copy(&mut from, &mut to),
    )
    .await
    .unwrap();
    assert_eq!(copied, data.len() as u64);
    to.shutdown().await.unwrap();
    sender.await.unwrap();
    let got = within(LIMIT, "receiver", receiver).await.unwrap();
    assert_eq!(got.len(), data.len(), "bytes received");
    assert_eq!(first_difference(&got, &data), None, "bytes differ");
}

#[aio::test]
async fn a_dropped_read_future_loses_no_bytes() {
    let (server, mut peer) = pair().await;
    let mut io = Compat::new(server);
    let mut buf = vec![0u8; 1024];
    // The peer is silent: the read goes in flight, then its future is
    // dropped by the timeout. The op stays in flight inside the adapter.
    let first = aio::time::timeout(Duration::from_millis(50), io.read(&mut buf)).await;
    assert!(first.is_err(), "the silent peer's read should time out");
    // Now the peer writes: the kernel completes the orphaned read while
    // nobody polls the adapter.
    let data = pattern(2, 200_000);
    let (res, _) = peer.write_all(data.clone()).await;
    res.unwrap();
    aio::time::sleep(Duration::from_millis(20)).await;
    aio::io::AsyncWriteRent::shutdown(&mut peer).await.unwrap();
    // Another cancelled read, this time with bytes already waiting.
    let mut got = Vec::new();
    let mut small = [0u8; 7];
    let n = within(LIMIT, "read", io.read(&mut small)).await.unwrap();
    got.extend_from_slice(&small[..n]);
    within(LIMIT, "read_to_end", io.read_to_end(&mut got))
        .await
        .unwrap();
    assert_eq!(got.len(), data.len(), "bytes after the cancelled read");
    assert_eq!(first_difference(&got, &data), None, "bytes differ");
}

#[aio::test]
async fn writes_wait_for_a_slow_reader_and_arrive_intact() {
    let (server, mut peer) = pair().await;
    let mut io = Compat::with_capacity(server, 16 * 1024);
    let data = pattern(3, 16 << 20);
    // The reader starts late and reads slowly.
    let reader = aio::spawn(async move {
        aio::time::sleep(Duration::from_millis(100)).await;
        let mut out = Vec::new();
        loop {
            let (res, buf) = peer.read(Vec::with_capacity(256 * 1024)).await;
            if res.unwrap() == 0 {
                return out;
            }
            out.extend_from_slice(&buf);
            aio::time::sleep(Duration::from_micros(200)).await;
        }
    });
    let mut sent = 0;
    let mut pendings = 0u64;
    within(
        LIMIT,
        "backpressured writes",
        poll_fn(|cx| {
            while sent < data.len() {
                match Pin::new(&mut io).poll_write(cx, &data[sent..]) {
                    Poll::Ready(Ok(n)) => {
                        assert!(n > 0 && n <= 16 * 1024, "accepted {n} bytes");
                        sent += n;
                    }
                    Poll::Ready(Err(e)) => panic!("write: {e}"),
                    Poll::Pending => {
                        pendings += 1;
                        return Poll::Pending;
                    }
                }
            }
            Poll::Ready(())
        }),
    )
    .await;
    assert!(
        pendings > 0,
        "16 MiB to a stalled reader never saw backpressure"
    );
    io.shutdown().await.unwrap();
    let got = within(LIMIT, "slow reader", reader).await.unwrap();
    assert_eq!(got.len(), data.len(), "bytes received");
    assert_eq!(first_difference(&got, &data), None, "bytes differ");
}

#[aio::test]
async fn shutdown_flushes_then_sends_fin() {
    let (server, peer) = pair().await;
    let mut io = Compat::new(server);
    let data = pattern(4, (1 << 20) + 123);
    // write_all only hands bytes to the adapter; nothing flushes them but
    // the shutdown.
    io.write_all(&data).await.unwrap();
    within(LIMIT, "shutdown", io.shutdown()).await.unwrap();
    let got = within(LIMIT, "peer reads to end of stream", read_all(peer)).await;
    assert_eq!(got.len(), data.len(), "bytes before the FIN");
    assert_eq!(first_difference(&got, &data), None, "bytes differ");
    // A second shutdown is a no-op.
    io.shutdown().await.unwrap();
}

#[aio::test]
async fn flush_means_every_accepted_byte_was_written() {
    let (server, mut peer) = pair().await;
    let mut io = Compat::with_capacity(server, 4096);
    let data = pattern(5, 100_000);
    io.write_all(&data).await.unwrap();
    io.flush().await.unwrap();
    // The stream is still open; the peer can read all of it now.
    let (res, got) = within(
        LIMIT,
        "read_exact",
        peer.read_exact(Vec::with_capacity(data.len())),
    )
    .await;
    res.unwrap();
    assert_eq!(first_difference(&got, &data), None, "bytes differ");
    assert!(
        io.get_mut().is_some(),
        "nothing in flight after a flush and no read"
    );
}

#[aio::test]
async fn dropping_the_adapter_with_a_read_and_a_write_in_flight_is_clean() {
    let (server, mut peer) = pair().await;
    let mut io = Compat::with_capacity(server, 4096);
    let mut buf = [0u8; 16];
    let _ = aio::time::timeout(Duration::from_millis(10), io.read(&mut buf)).await;
    // Fill the socket so a write stays in flight.
    let big = pattern(6, 32 << 20);
    let _ = aio::time::timeout(Duration::from_millis(50), io.write_all(&big)).await;
    assert!(io.get_mut().is_none(), "the read should still be in flight");
    drop(io);
    // The connection closes once the cancelled ops are done with it: the
    // peer drains what was sent and reaches end of stream.
    let mut total = 0usize;
    within(LIMIT, "peer sees the close", async {
        loop {
            let (res, _) = peer.read(Vec::with_capacity(1 << 20)).await;
            match res {
                Ok(0) => break,
                Ok(n) => total += n,
                Err(_) => break,
            }
        }
    })
    .await;
    assert!(total <= big.len());
}

#[aio::test]
async fn into_inner_gives_the_stream_back() {
    let (server, mut peer) = pair().await;
    let mut io = Compat::new(server);
    io.write_all(b"hello").await.unwrap();
    io.flush().await.unwrap();
    assert!(io.get_ref().peer_addr().is_ok());
    let mut stream = io.into_inner();
    let (res, _) = stream.write_all(b" world").await;
    res.unwrap();
    let (res, got) = peer.read_exact(Vec::with_capacity(11)).await;
    res.unwrap();
    assert_eq!(got, b"hello world");
}
