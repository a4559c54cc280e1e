//! A 1-byte TCP round trip on loopback, per runtime.

use std::time::{Duration, Instant};

use criterion::Criterion;

use crate::runtimes::{aio_runtimes, configure, monoio_runtime, tokio_runtime};

/// One-byte TCP round trip on loopback: an echo task and a client task in one
/// runtime; one iteration is write 1 byte, read it back. Connection set-up is
/// outside the timed loop.
pub fn tcp_rtt(c: &mut Criterion) {
    let mut group = c.benchmark_group("tcp_rtt_1b");
    configure(&mut group);
    for (name, rt) in aio_runtimes(true) {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| rt.block_on(aio_tcp_rtt(iters)))
        });
    }
    let rt = tokio_runtime();
    group.bench_function("tokio", |b| {
        b.iter_custom(|iters| rt.block_on(tokio_tcp_rtt(iters)))
    });
    let mut rt = monoio_runtime();
    group.bench_function("monoio", |b| {
        b.iter_custom(|iters| rt.block_on(monoio_tcp_rtt(iters)))
    });
    group.finish();
}

async fn aio_tcp_rtt(iters: u64) -> Duration {
    use aio::io::{AsyncReadRent, AsyncWriteRentExt};

    let listener = aio::net::TcpListener::bind("127.0.0.1:0").expect("aio bind");
    let addr = listener.local_addr().expect("aio local_addr");
    let server = aio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("aio accept");
        stream.set_nodelay(true).expect("aio set_nodelay");
        let mut buf = Vec::with_capacity(1);
        loop {
            let (res, b) = stream.read(buf).await;
            if !matches!(res, Ok(n) if n > 0) {
                break;
            }
            let (res, mut b) = stream.write_all(b).await;
            res.expect("aio server write");
            b.clear();
            buf = b;
        }
    });
    let mut client = aio::net::TcpStream::connect(addr)
        .await
        .expect("aio connect");
    client.set_nodelay(true).expect("aio set_nodelay");
    let (mut out, mut back) = (vec![7u8], Vec::with_capacity(1));
    let start = Instant::now();
    for _ in 0..iters {
        let (res, o) = client.write_all(out).await;
        res.expect("aio client write");
        out = o;
        let (res, mut b) = client.read(back).await;
        assert_eq!(res.expect("aio client read"), 1, "echoed one byte");
        b.clear();
        back = b;
    }
    let elapsed = start.elapsed();
    drop(client);
    server.await.expect("aio echo task");
    elapsed
}

async fn tokio_tcp_rtt(iters: u64) -> Duration {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("tokio bind");
    let addr = listener.local_addr().expect("tokio local_addr");
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("tokio accept");
        stream.set_nodelay(true).expect("tokio set_nodelay");
        let mut buf = [0u8; 1];
        while let Ok(1) = stream.read(&mut buf).await {
            stream.write_all(&buf).await.expect("tokio server write");
        }
    });
    let mut client = tokio::net::TcpStream::connect(addr)
        .await
        .expect("tokio connect");
    client.set_nodelay(true).expect("tokio set_nodelay");
    let mut back = [0u8; 1];
    let start = Instant::now();
    for _ in 0..iters {
        client.write_all(&[7]).await.expect("tokio client write");
        client
            .read_exact(&mut back)
            .await
            .expect("tokio client read");
    }
    let elapsed = start.elapsed();
    drop(client);
    server.await.expect("tokio echo task");
    elapsed
}

async fn monoio_tcp_rtt(iters: u64) -> Duration {
    use monoio::io::{AsyncReadRent, AsyncWriteRentExt};

    let listener = monoio::net::TcpListener::bind("127.0.0.1:0").expect("monoio bind");
    let addr = listener.local_addr().expect("monoio local_addr");
    let server = monoio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("monoio accept");
        stream.set_nodelay(true).expect("monoio set_nodelay");
        let mut buf = Vec::with_capacity(1);
        loop {
            let (res, b) = stream.read(buf).await;
            if !matches!(res, Ok(n) if n > 0) {
                break;
            }
            let (res, mut b) = stream.write_all(b).await;
            res.expect("monoio server write");
            b.clear();
            buf = b;
        }
    });
    let mut client = monoio::net::TcpStream::connect(addr)
        .await
        .expect("monoio connect");
    client.set_nodelay(true).expect("monoio set_nodelay");
    let (mut out, mut back) = (vec![7u8], Vec::with_capacity(1));
    let start = Instant::now();
    for _ in 0..iters {
        let (res, o) = client.write_all(out).await;
        res.expect("monoio client write");
        out = o;
        let (res, mut b) = client.read(back).await;
        assert_eq!(res.expect("monoio client read"), 1, "echoed one byte");
        b.clear();
        back = b;
    }
    let elapsed = start.elapsed();
    drop(client);
    server.await;
    elapsed
}
