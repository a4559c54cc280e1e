//! Provided-buffer pools, multishot receive and zero-copy send, on both
//! drivers (`#[aio::test]` runs each test on io_uring and on epoll).

mod support;

use std::time::Duration;

use aio::buf::{BufPool, IoBuf, PooledBuf};
use aio::io::{AsyncReadRent, AsyncWriteRent, AsyncWriteRentExt};
use aio::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use support::{first_difference, new_log, next, on_uring, pattern, within, Event, TrackedBuf};

const LIMIT: Duration = Duration::from_secs(20);

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = aio::spawn(TcpStream::connect(addr));
    let (server, _) = listener.accept().await.unwrap();
    (client.await.unwrap().unwrap(), server)
}

/// Writes `data` in `chunk`-byte writes, then shuts the write side down.
async fn send_all<W: AsyncWriteRent>(mut w: W, data: Vec<u8>, chunk: usize) -> W {
    for part in data.chunks(chunk) {
        w.write_all(part.to_vec()).await.0.unwrap();
    }
    w.shutdown().await.unwrap();
    w
}

#[aio::test]
async fn recv_pooled_echoes_a_mebibyte_writing_the_pooled_buffers_back() {
    let pool = BufPool::new(64, 4096).unwrap();
    let (client, mut server) = tcp_pair().await;
    let echo = aio::spawn(async move {
        let pool = pool;
        while let Some(buf) = server.recv_pooled(&pool).await.unwrap() {
            // The PooledBuf itself is the write buffer: no copy.
            server.write_all(buf).await.0.unwrap();
        }
        server.shutdown().await.unwrap();
        pool.available()
    });
    let data = pattern(1, 1 << 20);
    let (mut rd, wr) = client.into_split();
    let writer = aio::spawn(send_all(wr, data.clone(), 10_000));
    let mut got = Vec::with_capacity(data.len());
    within(LIMIT, "echo", async {
        loop {
            let (res, b) = rd.read(Vec::with_capacity(65536)).await;
            if res.unwrap() == 0 {
                break;
            }
            got.extend_from_slice(&b);
        }
    })
    .await;
    drop(writer.await.unwrap());
    assert_eq!(first_difference(&got, &data), None);
    // Every buffer went back to the pool.
    assert_eq!(echo.await.unwrap(), 64);
}

#[aio::test]
async fn recv_multi_delivers_ten_thousand_messages_in_order_then_ends_at_eof() {
    let pool = BufPool::new(256, 2048).unwrap();
    let (client, mut server) = tcp_pair().await;
    let mut data = Vec::new();
    for i in 0u64..10_000 {
        data.extend_from_slice(&i.to_le_bytes());
        data.extend_from_slice(&[(i % 251) as u8; 24]);
    }
    let writer = aio::spawn(async move {
        let mut client = client;
        for msg in data.chunks(32) {
            client.write_all(msg.to_vec()).await.0.unwrap();
        }
        client.shutdown().await.unwrap();
        client
    });
    let mut got = Vec::new();
    let mut items = 0;
    within(LIMIT, "recv_multi", async {
        let mut stream = server.recv_multi(&pool);
        while let Some(buf) = next(&mut stream).await {
            let buf = buf.unwrap();
            assert!(!buf.is_empty());
            got.extend_from_slice(&buf);
            items += 1;
        }
        // Ended: stays ended.
        assert!(next(&mut stream).await.is_none());
    })
    .await;
    drop(writer.await.unwrap());
    assert_eq!(got.len(), 10_000 * 32);
    for (i, msg) in got.chunks(32).enumerate() {
        assert_eq!(u64::from_le_bytes(msg[..8].try_into().unwrap()), i as u64);
        assert!(msg[8..].iter().all(|&b| b == (i % 251) as u8));
    }
    assert!(items > 0);
    assert_eq!(pool.available(), 256);
}

#[aio::test]
async fn a_pool_of_four_buffers_carries_a_mebibyte() {
    let pool = BufPool::new(4, 1024).unwrap();
    let (client, mut server) = tcp_pair().await;
    let data = pattern(2, 1 << 20);
    let writer = aio::spawn(send_all(client, data.clone(), 65536));
    let mut got = Vec::with_capacity(data.len());
    within(LIMIT, "4-buffer pool", async {
        let mut stream = server.recv_multi(&pool);
        while let Some(buf) = next(&mut stream).await {
            got.extend_from_slice(&buf.unwrap());
        }
    })
    .await;
    drop(writer.await.unwrap());
    assert_eq!(first_difference(&got, &data), None);
    assert_eq!(pool.available(), 4);
}

#[aio::test]
async fn recv_multi_waits_while_the_consumer_holds_every_buffer_then_resumes() {
    let pool = BufPool::new(8, 512).unwrap();
    let (mut client, mut server) = tcp_pair().await;
    let data = pattern(3, 64 * 1024);
    let mut held: Vec<PooledBuf> = Vec::new();
    let mut got = Vec::new();
    {
        let mut stream = server.recv_multi(&pool);
        // Plenty of data waiting, and a consumer that keeps every buffer.
        client.write_all(data.clone()).await.0.unwrap();
        while held.len() < 8 {
            held.push(next(&mut stream).await.unwrap().unwrap());
        }
        assert_eq!(pool.available(), 0);
        // The kernel runs out (ENOBUFS): the stream waits, it neither fails
        // nor spins.
        let cpu = support::thread_cpu_time();
        let waited = aio::time::timeout(Duration::from_millis(100), next(&mut stream)).await;
        assert!(waited.is_err(), "a starved stream yielded {waited:?}");
        let used = support::thread_cpu_time() - cpu;
        assert!(
            used < Duration::from_millis(50),
            "starved stream spun: {used:?} CPU"
        );
        // Release them: it resumes where it was, nothing lost.
        for b in held.drain(..) {
            got.extend_from_slice(&b);
        }
        client.shutdown().await.unwrap();
        within(LIMIT, "resume after starvation", async {
            while let Some(buf) = next(&mut stream).await {
                got.extend_from_slice(&buf.unwrap());
            }
        })
        .await;
    }
    assert_eq!(first_difference(&got, &data), None);
    assert_eq!(pool.available(), 8);
}

#[aio::test]
async fn dropping_recv_multi_mid_stream_returns_every_buffer() {
    let pool = BufPool::new(16, 256).unwrap();
    let (mut client, mut server) = tcp_pair().await;
    for round in 0..20 {
        {
            let mut stream = server.recv_multi(&pool);
            client.write_all(pattern(round, 3000)).await.0.unwrap();
            let first = next(&mut stream).await.unwrap().unwrap();
            assert!(!first.is_empty());
            // Let more arrive and queue in the stream, unread.
            aio::time::sleep(Duration::from_millis(2)).await;
            drop(first);
        } // dropped mid-stream: cancelled, queued buffers released
          // The cancellation's completion returns the rest.
        support::wait_until(LIMIT, "every buffer back", || pool.available() == 16).await;
        // Drain what the dropped stream left unread in the socket, so each
        // round starts clean.
        loop {
            let t = aio::time::timeout(Duration::from_millis(5), server.recv_pooled(&pool)).await;
            match t {
                Ok(res) => drop(res.unwrap()),
                Err(_) => break,
            }
        }
        assert_eq!(pool.available(), 16);
    }
}

#[aio::test]
async fn recv_multi_works_on_unix_streams_and_read_halves() {
    let pool = BufPool::new(32, 1024).unwrap();
    let (a, b) = UnixStream::pair().unwrap();
    let data = pattern(4, 200_000);
    let writer = aio::spawn(send_all(a, data.clone(), 7000));
    let (mut rd, _wr) = b.into_split();
    let mut got = Vec::new();
    within(LIMIT, "unix recv_multi", async {
        let mut stream = rd.recv_multi(&pool);
        while let Some(buf) = next(&mut stream).await {
            got.extend_from_slice(&buf.unwrap());
        }
    })
    .await;
    drop(writer.await.unwrap());
    assert_eq!(first_difference(&got, &data), None);

    // recv_pooled on a TCP read half.
    let (client, server) = tcp_pair().await;
    let (mut rd, _wr) = server.into_split();
    let writer = aio::spawn(send_all(client, data.clone(), 5000));
    let mut got = Vec::new();
    while let Some(buf) = rd.recv_pooled(&pool).await.unwrap() {
        got.extend_from_slice(&buf);
    }
    drop(writer.await.unwrap());
    assert_eq!(first_difference(&got, &data), None);
    assert_eq!(pool.available(), 32);
}

#[aio::test]
async fn several_pools_coexist_and_a_buffer_outlives_its_pool_handle() {
    let small = BufPool::new(4, 100).unwrap();
    let big = BufPool::new(8, 8192).unwrap();
    let (mut client, mut server) = tcp_pair().await;
    client.write_all(vec![7u8; 300]).await.0.unwrap();
    let a = server.recv_pooled(&small).await.unwrap().unwrap();
    assert!(a.len() <= 100);
    client.write_all(vec![8u8; 5000]).await.0.unwrap();
    let mut rest = 300 - a.len();
    let mut from_big = Vec::new();
    while rest > 0 || from_big.len() < 5000 {
        let b = server.recv_pooled(&big).await.unwrap().unwrap();
        let skip = rest.min(b.len());
        rest -= skip;
        from_big.extend_from_slice(&b[skip..]);
    }
    assert_eq!(from_big, vec![8u8; 5000]);
    assert_eq!(small.available(), 3);
    drop(small);
    // The buffer still reads right, and dropping it is fine.
    assert!(a.iter().all(|&b| b == 7));
    drop(a);
    assert_eq!(big.available(), 8);
}

#[aio::test]
async fn recv_from_pooled_receives_datagrams_with_their_source() {
    let pool = BufPool::new(8, 1500).unwrap();
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b_addr = b.local_addr().unwrap();
    for i in 0..100u8 {
        let msg = vec![i; 1 + i as usize * 10];
        a.send_to(msg, b_addr).await.0.unwrap();
        let (buf, from) = within(LIMIT, "recv_from_pooled", b.recv_from_pooled(&pool))
            .await
            .unwrap();
        assert_eq!(from, a.local_addr().unwrap());
        assert_eq!(&buf[..], &vec![i; 1 + i as usize * 10][..]);
    }
    // An empty datagram is an empty buffer, not an error or end.
    a.send_to(Vec::new(), b_addr).await.0.unwrap();
    let (buf, _) = b.recv_from_pooled(&pool).await.unwrap();
    assert!(buf.is_empty());
    drop(buf);
    assert_eq!(pool.available(), 8);
}

#[aio::test]
async fn incremental_pools_pack_small_arrivals_into_one_buffer() {
    // 64 KiB buffers: consumed incrementally where the kernel can.
    let pool = BufPool::new(4, 64 * 1024).unwrap();
    let (mut client, mut server) = tcp_pair().await;
    let mut got = Vec::new();
    let mut held = Vec::new();
    for i in 0..64u64 {
        client.write_all(pattern(i, 100)).await.0.unwrap();
        let buf = server.recv_pooled(&pool).await.unwrap().unwrap();
        got.extend_from_slice(&buf);
        while got.len() < (i as usize + 1) * 100 {
            let more = server.recv_pooled(&pool).await.unwrap().unwrap();
            got.extend_from_slice(&more);
            held.push(more);
        }
        // Hold them all: 64 arrivals in 4 buffers only works incrementally.
        if pool.is_incremental() {
            held.push(buf);
        } else {
            held.clear();
        }
    }
    let want: Vec<u8> = (0..64).flat_map(|i| pattern(i, 100)).collect();
    assert_eq!(first_difference(&got, &want), None);
    if pool.is_incremental() {
        // Slices of one buffer stay intact while later data lands after
        // them.
        let again: Vec<u8> = held.iter().flat_map(|b| b.to_vec()).collect();
        assert_eq!(first_difference(&again, &want), None);
        assert!(
            pool.available() > 0,
            "64 arrivals used up 4 incremental buffers"
        );
    }
    drop(held);
    assert_eq!(pool.available(), 4);
}

#[aio::test]
async fn send_zc_sends_a_mebibyte_and_returns_the_same_allocation() {
    let (mut client, server) = tcp_pair().await;
    let data = pattern(5, 1 << 20);
    let reader = aio::spawn(async move {
        let mut server = server;
        let mut got = Vec::new();
        loop {
            let (res, b) = server.read(Vec::with_capacity(65536)).await;
            if res.unwrap() == 0 {
                return got;
            }
            got.extend_from_slice(&b);
        }
    });
    let mut buf = data.clone();
    let ptr = buf.as_ptr();
    let mut sent = 0;
    while sent < data.len() {
        let (res, slice) = client.send_zc(buf.slice(sent..)).await;
        buf = slice.into_inner();
        sent += res.unwrap();
    }
    // The very allocation comes back, once the kernel let go of it.
    assert_eq!(buf.as_ptr(), ptr);
    client.shutdown().await.unwrap();
    assert_eq!(first_difference(&reader.await.unwrap(), &data), None);
}

#[aio::test]
async fn a_dropped_send_zc_frees_its_buffer_only_after_the_kernel_is_done() {
    let (mut client, mut server) = tcp_pair().await;
    // The kernel lets go of a zero-copy buffer once the data is consumed
    // (on loopback: read by the peer), so the peer reads.
    let reader = aio::spawn(async move {
        loop {
            let (res, _) = server.read(Vec::with_capacity(65536)).await;
            if res.unwrap_or(0) == 0 {
                return;
            }
        }
    });
    let log = new_log();
    for id in 0..20 {
        let buf = TrackedBuf::full(&log, id, pattern(u64::from(id), 256 * 1024));
        let mut fut = Box::pin(client.send_zc(buf));
        if support::poll_once(&mut fut).await.is_some() {
            continue; // sent at once (epoll): nothing was in flight
        }
        drop(fut);
        if on_uring() {
            // No driver turn since: the kernel may still read the buffer.
            assert_eq!(support::occurrences(&log, Event::BufDropped(id)), 0);
        }
        support::wait_until(LIMIT, "the dropped send's buffer freed", || {
            support::occurrences(&log, Event::BufDropped(id)) == 1
        })
        .await;
    }
    assert_eq!(support::occurrences(&log, Event::Scribbled(0)), 0);
    client.shutdown().await.unwrap();
    reader.await.unwrap();
}

#[aio::test]
async fn send_to_zc_sends_datagrams() {
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..50u8 {
        let (res, back) = a.send_to_zc(vec![i; 1000], b.local_addr().unwrap()).await;
        assert_eq!(res.unwrap(), 1000);
        assert_eq!(back, vec![i; 1000]);
        let (res, got) = b.recv_from(Vec::with_capacity(2000)).await;
        assert_eq!(res.unwrap().1, a.local_addr().unwrap());
        assert_eq!(got, vec![i; 1000]);
    }
}

#[test]
fn dropping_a_runtime_with_multishot_receives_in_flight_frees_everything_once() {
    for driver in support::drivers() {
        let log = new_log();
        let rt = support::runtime(driver);
        let peers = rt.block_on(async {
            let pool = BufPool::new(16, 1024).unwrap();
            let mut peers = Vec::new();
            for i in 0..8u32 {
                let (client, mut server) = tcp_pair().await;
                let pool = pool.clone();
                // Half with data queued and unread, half idle.
                aio::spawn(async move {
                    let mut stream = server.recv_multi(&pool);
                    let _ = next(&mut stream).await;
                    std::future::pending::<()>().await;
                });
                let (c2, mut s2) = tcp_pair().await;
                let buf = TrackedBuf::empty(&log, i, 4096);
                aio::spawn(async move {
                    let _ = s2.read(buf).await;
                });
                let mut client = client;
                if i % 2 == 0 {
                    client.write_all(vec![1u8; 5000]).await.0.unwrap();
                }
                peers.push((client, c2));
            }
            support::yield_times(10).await;
            peers
        });
        drop(rt);
        for i in 0..8 {
            assert_eq!(
                support::occurrences(&log, Event::BufDropped(i)),
                1,
                "{driver:?}"
            );
        }
        drop(peers);
    }
}

#[aio::test]
async fn recv_multi_over_an_incremental_pool_keeps_every_slice_intact() {
    let pool = BufPool::new(2, 64 * 1024).unwrap();
    let (client, mut server) = tcp_pair().await;
    let data = pattern(9, 1 << 20);
    let writer = aio::spawn(send_all(client, data.clone(), 3000));
    let mut got = Vec::with_capacity(data.len());
    let mut held: Vec<PooledBuf> = Vec::new();
    within(LIMIT, "incremental recv_multi", async {
        let mut stream = server.recv_multi(&pool);
        while let Some(buf) = next(&mut stream).await {
            held.push(buf.unwrap());
            // Keep a slice alive while more data lands in the same buffer
            // behind it (two buffers: holding more could starve the
            // stream), then check it before letting go.
            if held.len() == 2 {
                for b in held.drain(..) {
                    got.extend_from_slice(&b);
                }
            }
        }
    })
    .await;
    for b in held.drain(..) {
        got.extend_from_slice(&b);
    }
    drop(writer.await.unwrap());
    assert_eq!(first_difference(&got, &data), None);
    assert_eq!(pool.available(), 2);
}

#[test]
fn a_pool_of_another_runtime_is_refused_with_an_error() {
    for driver in support::drivers() {
        let rt = support::runtime(driver);
        let pool = rt.block_on(async { BufPool::new(4, 512).unwrap() });
        drop(rt);
        let rt = support::runtime(driver);
        rt.block_on(async {
            let (mut client, mut server) = tcp_pair().await;
            client.write_all(vec![1u8; 10]).await.0.unwrap();
            let err = server.recv_pooled(&pool).await.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
            let mut stream = server.recv_multi(&pool);
            assert!(next(&mut stream).await.unwrap().is_err());
            assert!(next(&mut stream).await.is_none());
        });
    }
}

#[aio::test]
async fn data_waiting_before_recv_multi_arrives_in_order_across_many_buffers() {
    // Much more data than one buffer is already queued when the receive is
    // armed: on io_uring 6.10+ one completion takes a bundle of buffers,
    // which must come out in the ring's order.
    let pool = BufPool::new(512, 1024).unwrap();
    let (client, mut server) = tcp_pair().await;
    let data = pattern(10, 4 << 20);
    let writer = aio::spawn(send_all(client, data.clone(), 256 * 1024));
    aio::time::sleep(Duration::from_millis(5)).await;
    let mut got = Vec::with_capacity(data.len());
    let mut held = Vec::new();
    within(LIMIT, "bundled recv_multi", async {
        let mut stream = server.recv_multi(&pool);
        while let Some(buf) = next(&mut stream).await {
            let buf = buf.unwrap();
            got.extend_from_slice(&buf);
            // Release out of order: every other buffer a while later.
            held.push(buf);
            if held.len() > 64 {
                held.retain(|b| b.len() % 2 == 0);
                held.clear();
            }
        }
    })
    .await;
    drop(held);
    drop(writer.await.unwrap());
    assert_eq!(first_difference(&got, &data), None);
    assert_eq!(pool.available(), 512);
}
