#![cfg(feature = "futures-io")]
//! `aio::compat::Compat` through the futures-io traits (feature
//! `futures-io`): `read_to_end`, `write_all` + `close`, on both drivers.

mod support;

use std::time::Duration;

use aio::compat::Compat;
use aio::io::{AsyncReadRentExt, AsyncWriteRent, AsyncWriteRentExt};
use aio::net::{TcpListener, TcpStream, UnixStream};
use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use support::{first_difference, pattern, within};

const LIMIT: Duration = Duration::from_secs(20);

async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let connect = aio::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    let (server, _) = listener.accept().await.unwrap();
    (server, connect.await.unwrap())
}

#[aio::test]
async fn futures_read_to_end_gets_every_byte() {
    let (server, mut peer) = pair().await;
    let data = pattern(11, (2 << 20) + 17);
    let writer = {
        let data = data.clone();
        aio::spawn(async move {
            let (res, _) = peer.write_all(data).await;
            res.unwrap();
            peer.shutdown().await.unwrap();
        })
    };
    let mut io = Compat::new(server);
    let mut got = Vec::new();
    let n = within(LIMIT, "read_to_end", io.read_to_end(&mut got))
        .await
        .unwrap();
    writer.await.unwrap();
    assert_eq!(n, data.len());
    assert_eq!(first_difference(&got, &data), None, "bytes differ");
}

#[aio::test]
async fn futures_write_all_and_close_over_a_unix_stream() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let data = pattern(12, 1 << 20);
    let reader = aio::spawn(async move {
        let (res, got) = b.read_exact(Vec::with_capacity(1 << 20)).await;
        res.unwrap();
        (b, got)
    });
    let mut io = Compat::new(a);
    within(LIMIT, "write_all", io.write_all(&data))
        .await
        .unwrap();
    within(LIMIT, "close", io.close()).await.unwrap();
    let (mut b, got) = within(LIMIT, "reader", reader).await.unwrap();
    assert_eq!(first_difference(&got, &data), None, "bytes differ");
    // The close shut the write side down: end of stream follows.
    let (res, _) = aio::io::AsyncReadRent::read(&mut b, Vec::with_capacity(16)).await;
    assert_eq!(res.unwrap(), 0, "end of stream after close");
}
