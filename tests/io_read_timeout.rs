//! Deadlines that hand the buffer back: `read_timeout`,
//! `UdpSocket::recv_from_timeout` and `time::cancel_after` cancel the
//! kernel operation on expiry *and wait for it*, so the buffer returns
//! (with `TimedOut`) and bytes the kernel delivered in the race are
//! returned, never lost. Both drivers.

mod support;

use std::io::ErrorKind;
use std::rc::Rc;
use std::time::{Duration, Instant};

use aio::io::{AsyncReadRentExt, AsyncWriteRentExt};
use aio::net::{TcpListener, TcpStream, UdpSocket};
use aio::time::{cancel_after, sleep};
use support::{new_log, occurrences, pattern, within, Event, TrackedBuf};

const LIMIT: Duration = Duration::from_secs(20);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

#[aio::test]
async fn read_timeout_on_a_silent_peer_returns_the_buffer_and_the_stream_goes_on() {
    let (mut client, mut server) = tcp_pair().await;
    let log = new_log();
    let start = Instant::now();
    let (res, buf) = client
        .read_timeout(TrackedBuf::empty(&log, 1, 64), ms(30))
        .await;
    let err = res.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(
        start.elapsed() >= ms(30),
        "expired early: {:?}",
        start.elapsed()
    );
    assert!(
        start.elapsed() < ms(5_000),
        "expired late: {:?}",
        start.elapsed()
    );
    // The very buffer, untouched and still ours.
    assert_eq!(buf.filled(), b"");
    assert_eq!(occurrences(&log, Event::BufDropped(1)), 0);

    // The stream is intact: the next bytes go to the next read.
    server.write_all(b"after".to_vec()).await.0.unwrap();
    let (res, buf) = client.read_timeout(buf, ms(5_000)).await;
    assert_eq!(res.unwrap(), 5);
    assert_eq!(buf.filled(), b"after");
    drop(buf);
    assert_eq!(occurrences(&log, Event::BufDropped(1)), 1);
}

#[aio::test]
async fn read_timeout_returns_data_that_arrives_in_time() {
    let (mut client, mut server) = tcp_pair().await;
    aio::spawn(async move {
        sleep(ms(5)).await;
        server.write_all(b"hello".to_vec()).await.0.unwrap();
        sleep(ms(200)).await;
    });
    let (res, buf) = client.read_timeout(Vec::with_capacity(16), ms(5_000)).await;
    assert_eq!(res.unwrap(), 5);
    assert_eq!(buf, b"hello");
}

#[aio::test]
async fn read_timeout_with_no_room_is_invalid_input_not_a_timeout() {
    let (mut client, _server) = tcp_pair().await;
    let (res, buf) = client.read_timeout(Vec::new(), ms(10)).await;
    assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(buf.capacity(), 0);
}

/// The race the helper exists for: a peer trickling bytes while reads
/// keep expiring around them. Every byte sent is read exactly once and in
/// order, whichever of the deadline and the data won each round.
#[aio::test]
async fn racing_deadlines_lose_no_byte() {
    const TOTAL: usize = 3_000;
    let (mut client, mut server) = tcp_pair().await;
    let sent = pattern(7, TOTAL);
    let expected = sent.clone();
    let writer = aio::spawn(async move {
        for chunk in sent.chunks(3) {
            server.write_all(chunk.to_vec()).await.0.unwrap();
            // Sub-millisecond gaps, so deadlines and arrivals interleave.
            if chunk[0] % 4 == 0 {
                sleep(ms(1)).await;
            }
        }
        server
    });
    let mut got = Vec::with_capacity(TOTAL);
    let (mut timeouts, mut reads) = (0u32, 0u32);
    within(LIMIT, "trickled stream", async {
        let mut buf = Vec::with_capacity(16);
        while got.len() < TOTAL {
            buf.clear();
            let (res, back) = client.read_timeout(buf, Duration::from_micros(700)).await;
            buf = back;
            match res {
                Ok(0) => panic!("early end of stream after {} bytes", got.len()),
                Ok(n) => {
                    reads += 1;
                    assert_eq!(n, buf.len());
                    got.extend_from_slice(&buf);
                }
                Err(e) if e.kind() == ErrorKind::TimedOut => timeouts += 1,
                Err(e) => panic!("read failed: {e}"),
            }
        }
    })
    .await;
    let _server = writer.await.unwrap();
    assert_eq!(got.len(), TOTAL, "bytes lost or duplicated");
    assert!(got == expected, "bytes reordered or corrupted");
    assert!(reads > 0);
    // Not asserted (timing): how often each side won.
    eprintln!("{reads} reads, {timeouts} deadlines expired");
}

#[aio::test]
async fn recv_from_timeout_times_out_then_receives() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let log = new_log();
    let (res, buf) = socket
        .recv_from_timeout(TrackedBuf::empty(&log, 2, 1500), ms(20))
        .await;
    assert_eq!(res.unwrap_err().kind(), ErrorKind::TimedOut);
    assert_eq!(occurrences(&log, Event::BufDropped(2)), 0);

    peer.send_to(b"ping".to_vec(), socket.local_addr().unwrap())
        .await
        .0
        .unwrap();
    let (res, buf) = socket.recv_from_timeout(buf, ms(5_000)).await;
    let (n, from) = res.unwrap();
    assert_eq!((n, from), (4, peer.local_addr().unwrap()));
    assert_eq!(buf.filled(), b"ping");
}

/// A UDP client with retries: numbered datagrams at a jittery pace,
/// receives with short deadlines; every datagram arrives exactly once.
#[aio::test]
async fn racing_udp_deadlines_lose_no_datagram() {
    const COUNT: u32 = 400;
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = socket.local_addr().unwrap();
    let sender = aio::spawn(async move {
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        for i in 0..COUNT {
            peer.send_to(i.to_le_bytes().to_vec(), to).await.0.unwrap();
            if i % 3 == 0 {
                sleep(ms(1)).await;
            }
        }
    });
    let mut seen = Vec::new();
    within(LIMIT, "datagrams", async {
        let mut buf = Vec::with_capacity(64);
        while seen.len() < COUNT as usize {
            buf.clear();
            let (res, back) = socket
                .recv_from_timeout(buf, Duration::from_micros(500))
                .await;
            buf = back;
            match res {
                Ok((4, _)) => seen.push(u32::from_le_bytes(buf[..4].try_into().unwrap())),
                Ok((n, _)) => panic!("a {n}-byte datagram"),
                Err(e) if e.kind() == ErrorKind::TimedOut => {}
                Err(e) => panic!("recv failed: {e}"),
            }
        }
    })
    .await;
    sender.await.unwrap();
    assert_eq!(seen, (0..COUNT).collect::<Vec<_>>());
}

#[aio::test]
async fn send_to_accepts_a_name() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    let (res, _) = peer.send_to(b"by name".to_vec(), ("localhost", port)).await;
    assert_eq!(res.unwrap(), 7);
    let (res, _) = peer
        .send_to(b"by str".to_vec(), format!("127.0.0.1:{port}").as_str())
        .await;
    assert_eq!(res.unwrap(), 6);
    let mut got = Vec::new();
    for _ in 0..2 {
        let (res, buf) = socket
            .recv_from_timeout(Vec::with_capacity(64), ms(5_000))
            .await;
        res.unwrap();
        got.push(buf);
    }
    assert_eq!(got, [b"by name".to_vec(), b"by str".to_vec()]);

    // A name that does not resolve hands the buffer back with the error.
    let (res, buf) = peer.send_to(b"x".to_vec(), "no-such-host.invalid:9").await;
    assert!(res.is_err());
    assert_eq!(buf, b"x");
}

/// `cancel_after` on a write that cannot finish (the peer never reads):
/// the write is stopped, the buffer comes back, the stream still works.
#[aio::test]
async fn cancel_after_stops_a_stuck_write_and_returns_its_buffer() {
    let (mut client, server) = tcp_pair().await;
    let big = pattern(3, 64 << 20);
    let out = cancel_after(ms(50), client.write_all(big)).await;
    let (res, buf) = out.expect_err("64 MiB cannot fit an unread socket");
    let err = res.unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ECANCELED), "{err}");
    assert_eq!(buf.len(), 64 << 20, "the buffer comes back whole");
    drop(server);
}

#[aio::test]
async fn cancel_after_passes_through_what_finishes_in_time() {
    let done = cancel_after(ms(5_000), async { 7 }).await;
    assert_eq!(done, Ok(7));
}

/// A future not waiting on a kernel operation is not interrupted: it runs
/// to completion, and the result says the deadline had passed.
#[aio::test]
async fn cancel_after_waits_out_a_future_that_is_not_an_operation() {
    let flag = Rc::new(std::cell::Cell::new(false));
    let f = flag.clone();
    let out = cancel_after(ms(5), async move {
        sleep(ms(30)).await;
        f.set(true);
        1
    })
    .await;
    assert_eq!(out, Err(1));
    assert!(flag.get());
}

/// Dropped while its cancellation is in flight: the buffer is freed once,
/// after the kernel let go, and the runtime goes on serving.
#[aio::test]
async fn dropping_a_read_timeout_while_it_cancels_is_sound() {
    let log = new_log();
    for id in 0..50 {
        let (mut client, mut server) = tcp_pair().await;
        {
            let mut read = std::pin::pin!(
                client.read_timeout(TrackedBuf::empty(&log, id, 64), Duration::ZERO)
            );
            // First poll: the read starts, the deadline has passed, the
            // cancellation is requested; then the future is dropped.
            assert!(support::poll_once(&mut read).await.is_none());
        }
        server.write_all(b"late".to_vec()).await.0.unwrap();
        sleep(ms(1)).await;
        let (res, buf) = client.read_timeout(Vec::with_capacity(8), ms(5_000)).await;
        // Whatever the dropped read took is gone with it; the stream works.
        assert!(res.is_ok());
        assert!(buf.len() <= 4);
    }
    within(
        LIMIT,
        "buffers freed",
        support::wait_until(LIMIT, "drops", || {
            (0..50).all(|id| occurrences(&log, Event::BufDropped(id)) == 1)
        }),
    )
    .await;
    for id in 0..50 {
        assert_eq!(occurrences(&log, Event::Scribbled(id)), 0);
    }
}
