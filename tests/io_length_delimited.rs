//! `aio::io::LengthDelimited` over real sockets: round trips of empty, tiny
//! and 1 MiB frames, the wire format, many frames from one read, oversize
//! frames in both directions, end of stream inside a frame or its prefix,
//! and a cancelled read that makes later reads fail instead of desyncing.

mod support;

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use aio::buf::IoBufMut;
use aio::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRentExt, LengthDelimited};
use aio::net::{TcpListener, TcpStream, UnixStream};
use aio::BufResult;
use support::{first_difference, pattern, within};

const LIMIT: Duration = Duration::from_secs(20);

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let connect = aio::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    let (server, _) = listener.accept().await.unwrap();
    (server, connect.await.unwrap())
}

/// Counts the reads it forwards.
struct Counting<R> {
    inner: R,
    reads: Rc<RefCell<usize>>,
}

impl<R: AsyncReadRent> AsyncReadRent for Counting<R> {
    async fn read<B: IoBufMut>(&mut self, buf: B) -> BufResult<usize, B> {
        *self.reads.borrow_mut() += 1;
        self.inner.read(buf).await
    }

    async fn readv<B: IoBufMut>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        *self.reads.borrow_mut() += 1;
        self.inner.readv(bufs).await
    }
}

#[aio::test]
async fn frames_of_0_1_and_1_mib_round_trip() {
    let (server, client) = tcp_pair().await;
    let frames: Vec<Vec<u8>> = vec![
        Vec::new(),
        vec![42],
        pattern(1, 1 << 20),
        Vec::new(),
        pattern(2, 300),
    ];
    let sent = frames.clone();
    let writer = aio::spawn(async move {
        let mut tx = LengthDelimited::new(server);
        for f in &sent {
            tx.write_frame(f).await.unwrap();
        }
        // Echoed back: the frames come back in order.
        let mut back = Vec::new();
        while let Some(f) = tx.read_frame().await.unwrap() {
            back.push(f.to_vec());
        }
        back
    });
    let mut rx = LengthDelimited::new(client);
    let mut got = Vec::new();
    for _ in 0..frames.len() {
        let f = within(LIMIT, "frame", rx.read_frame()).await.unwrap();
        got.push(f.expect("a frame, not end of stream").to_vec());
    }
    for (i, (g, f)) in got.iter().zip(&frames).enumerate() {
        assert_eq!(g.len(), f.len(), "frame {i}");
        assert_eq!(first_difference(g, f), None, "frame {i}");
    }
    for f in &got {
        rx.write_frame(f).await.unwrap();
    }
    drop(rx);
    let back = within(LIMIT, "echo", writer).await.unwrap();
    assert_eq!(back, frames);
}

#[aio::test]
async fn the_wire_format_is_a_big_endian_u32_prefix() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let mut tx = LengthDelimited::new(a);
    tx.write_frame(b"abc").await.unwrap();
    let (res, got) = b.read_exact(Vec::with_capacity(7).slice_mut(..7)).await;
    res.unwrap();
    assert_eq!(got.into_inner(), [0, 0, 0, 3, b'a', b'b', b'c']);

    // Written byte by byte, prefix included, it still reads as one frame.
    let mut rx = LengthDelimited::new(b);
    let mut a = tx.into_inner();
    let writer = aio::spawn(async move {
        for byte in [0u8, 0, 1, 2].into_iter().chain(pattern(5, 258)) {
            a.write_all(vec![byte]).await.0.unwrap();
        }
    });
    let f = within(LIMIT, "frame", rx.read_frame())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f, &pattern(5, 258)[..]);
    writer.await.unwrap();
    assert_eq!(rx.read_frame().await.unwrap(), None, "clean end of stream");
}

#[aio::test]
async fn small_frames_that_arrive_together_take_one_read() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let mut wire = Vec::new();
    for i in 0..100u32 {
        wire.extend_from_slice(&4u32.to_be_bytes());
        wire.extend_from_slice(&i.to_le_bytes());
    }
    b.write_all(wire).await.0.unwrap();
    drop(b);
    let reads = Rc::new(RefCell::new(0));
    let mut rx = LengthDelimited::new(Counting {
        inner: a,
        reads: reads.clone(),
    });
    for i in 0..100u32 {
        let f = rx.read_frame().await.unwrap().unwrap();
        assert_eq!(f, i.to_le_bytes());
    }
    assert_eq!(rx.read_frame().await.unwrap(), None);
    assert!(
        *reads.borrow() <= 3,
        "800 bytes took {} reads",
        reads.borrow()
    );
}

#[aio::test]
async fn an_oversize_frame_is_refused_both_ways() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let mut rx = LengthDelimited::with_max_frame_length(a, 1024);
    assert_eq!(rx.max_frame_length(), 1024);
    b.write_all(1025u32.to_be_bytes().to_vec()).await.0.unwrap();
    let err = rx.read_frame().await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
    // The stream cannot be resynchronised: it stays an error.
    let err = rx.read_frame().await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    // A length at the maximum is fine.
    rx.set_max_frame_length(1025);
    b.write_all(vec![7u8; 1025]).await.0.unwrap();
    assert_eq!(rx.read_frame().await.unwrap().unwrap().len(), 1025);

    // Writing: nothing goes out.
    let mut tx = LengthDelimited::with_max_frame_length(b, 16);
    let err = tx.write_frame(&[0; 17]).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    tx.write_frame(&[1; 16]).await.unwrap();
    assert_eq!(
        rx.read_frame().await.unwrap().unwrap(),
        [1; 16],
        "the refused frame sent nothing"
    );
}

#[aio::test]
async fn end_of_stream_inside_a_frame_is_unexpected_eof() {
    // Inside the payload.
    let (a, mut b) = UnixStream::pair().unwrap();
    let mut wire = 10u32.to_be_bytes().to_vec();
    wire.extend_from_slice(b"12345");
    b.write_all(wire).await.0.unwrap();
    drop(b);
    let mut rx = LengthDelimited::new(a);
    let err = rx.read_frame().await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");

    // Inside the prefix, after a whole frame.
    let (a, mut b) = UnixStream::pair().unwrap();
    let mut wire = 1u32.to_be_bytes().to_vec();
    wire.extend_from_slice(&[9, 0, 0]);
    b.write_all(wire).await.0.unwrap();
    drop(b);
    let mut rx = LengthDelimited::new(a);
    assert_eq!(rx.read_frame().await.unwrap(), Some(&[9u8][..]));
    let err = rx.read_frame().await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");
}

#[aio::test]
async fn a_cancelled_read_makes_later_reads_fail() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let mut rx = LengthDelimited::new(a);
    let res = aio::time::timeout(Duration::from_millis(20), rx.read_frame()).await;
    assert!(res.is_err(), "the peer said nothing");
    b.write_all(vec![0, 0, 0, 1, 5]).await.0.unwrap();
    let err = rx.read_frame().await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::Other, "{err}");
    assert!(err.to_string().contains("cancelled"), "{err}");
}
