//! `aio::prelude::*` and `StreamExt::next` on the runtime's streams.

use std::time::Duration;

use aio::buf::BufPool;
use aio::net::{TcpListener, TcpStream};
use aio::prelude::*;

#[aio::test]
async fn next_drives_incoming_interval_and_recv_multi() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = aio::spawn(async move {
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.write_all(b"hello".to_vec()).await.0.unwrap();
        c
    });
    let mut incoming = listener.incoming();
    let (mut server, _) = incoming.next().await.unwrap().unwrap();
    let client = client.await.unwrap();

    let pool = BufPool::new(4, 64).unwrap();
    let mut got = Vec::new();
    {
        let mut stream = server.recv_multi(&pool);
        while got.len() < 5 {
            got.extend_from_slice(&stream.next().await.unwrap().unwrap());
        }
    }
    assert_eq!(got, b"hello");

    let mut ticks = aio::time::interval(Duration::from_millis(1));
    for _ in 0..3 {
        ticks.next().await.unwrap();
    }
    // The rent traits came with the prelude too.
    drop(client);
    let (res, _) = server.read(Vec::with_capacity(1)).await;
    assert_eq!(res.unwrap(), 0);
}
