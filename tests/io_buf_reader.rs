//! `aio::io::BufReader` and its `Lines` stream over real sockets: lines and
//! delimiters across chunk boundaries, end of stream, lines longer than the
//! buffer, invalid UTF-8, `fill_buf`/`consume`, the bypass of large reads,
//! the no-room rule, and a reader that stays whole after a dropped
//! `read_line`.

mod support;

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use aio::buf::IoBufMut;
use aio::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRentExt, BufReader};
use aio::net::{TcpListener, TcpStream, UnixStream};
use aio::stream::StreamExt;
use aio::BufResult;
use support::{pattern, within};

const LIMIT: Duration = Duration::from_secs(20);

/// A reader that records the room (`bytes_total`) of each read it is asked
/// for, to see what the `BufReader` passes down.
struct Recording<R> {
    inner: R,
    rooms: Rc<RefCell<Vec<usize>>>,
}

impl<R: AsyncReadRent> AsyncReadRent for Recording<R> {
    async fn read<B: IoBufMut>(&mut self, buf: B) -> BufResult<usize, B> {
        self.rooms.borrow_mut().push(buf.bytes_total());
        self.inner.read(buf).await
    }

    async fn readv<B: IoBufMut>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        let room = bufs.iter().map(IoBufMut::bytes_total).sum();
        self.rooms.borrow_mut().push(room);
        self.inner.readv(bufs).await
    }
}

/// A connected TCP pair (accepted side, connecting side).
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let connect = aio::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    let (server, _) = listener.accept().await.unwrap();
    (server, connect.await.unwrap())
}

/// Writes `data` one byte per write, yielding between writes, then closes.
fn write_byte_by_byte(mut peer: UnixStream, data: &'static [u8]) -> aio::JoinHandle<()> {
    aio::spawn(async move {
        for b in data {
            peer.write_all(vec![*b]).await.0.unwrap();
            aio::time::sleep(Duration::from_micros(50)).await;
        }
    })
}

#[aio::test]
async fn read_line_across_byte_by_byte_writes() {
    let (a, b) = UnixStream::pair().unwrap();
    let writer = write_byte_by_byte(b, b"hello world\nsecond line\nno newline");
    let mut reader = BufReader::with_capacity(4, a);
    let mut line = String::from(">");
    within(LIMIT, "line 1", async {
        assert_eq!(reader.read_line(&mut line).await.unwrap(), 12);
    })
    .await;
    assert_eq!(line, ">hello world\n", "read_line appends");
    line.clear();
    assert_eq!(reader.read_line(&mut line).await.unwrap(), 12);
    assert_eq!(line, "second line\n");
    line.clear();
    assert_eq!(reader.read_line(&mut line).await.unwrap(), 10);
    assert_eq!(line, "no newline");
    line.clear();
    assert_eq!(
        reader.read_line(&mut line).await.unwrap(),
        0,
        "end of stream"
    );
    assert_eq!(line, "");
    writer.await.unwrap();
}

#[aio::test]
async fn read_until_across_big_chunks() {
    // Records of varied lengths (some longer than the buffer), ';'-ended,
    // written in 64 KiB chunks that cut records anywhere.
    let mut records = Vec::new();
    let mut data = Vec::new();
    for i in 0..300u64 {
        let len = (i * 7919) as usize % 5000;
        let rec: Vec<u8> = pattern(i, len)
            .into_iter()
            .map(|b| if b == b';' { b'x' } else { b })
            .collect();
        data.extend_from_slice(&rec);
        data.push(b';');
        records.push(rec);
    }
    let (mut server, client) = tcp_pair().await;
    let writer = aio::spawn(async move {
        for chunk in data.chunks(64 * 1024) {
            server.write_all(chunk.to_vec()).await.0.unwrap();
        }
    });
    let mut reader = BufReader::with_capacity(1000, client);
    let mut got = Vec::new();
    for (i, rec) in records.iter().enumerate() {
        got.clear();
        let n = within(LIMIT, "record", reader.read_until(b';', &mut got))
            .await
            .unwrap();
        assert_eq!(n, rec.len() + 1, "record {i}");
        assert_eq!(&got[..rec.len()], &rec[..], "record {i}");
        assert_eq!(got.last(), Some(&b';'));
    }
    writer.await.unwrap();
    got.clear();
    assert_eq!(reader.read_until(b';', &mut got).await.unwrap(), 0);
    assert!(got.is_empty());
}

#[aio::test]
async fn lines_strip_crlf_and_yield_a_last_line_without_newline() {
    let (a, mut b) = UnixStream::pair().unwrap();
    b.write_all(b"a\r\nb\n\r\n\nlast\r".to_vec())
        .await
        .0
        .unwrap();
    drop(b);
    let mut lines = BufReader::with_capacity(3, a).lines();
    let mut got = Vec::new();
    while let Some(line) = within(LIMIT, "line", lines.next()).await {
        got.push(line.unwrap());
    }
    // A lone '\r' at the end is not a line ending.
    assert_eq!(got, ["a", "b", "", "", "last\r"]);
    assert!(lines.next().await.is_none(), "stays ended");
    assert!(lines.next_line().await.unwrap().is_none());
}

#[aio::test]
async fn end_of_stream_mid_line_returns_the_partial_line() {
    let (a, mut b) = UnixStream::pair().unwrap();
    b.write_all(b"abc".to_vec()).await.0.unwrap();
    drop(b);
    let mut reader = BufReader::new(a);
    let mut got = Vec::new();
    assert_eq!(reader.read_until(b'\n', &mut got).await.unwrap(), 3);
    assert_eq!(got, b"abc");
    assert_eq!(reader.read_until(b'\n', &mut got).await.unwrap(), 0);
    let mut line = String::from("keep");
    assert_eq!(reader.read_line(&mut line).await.unwrap(), 0);
    assert_eq!(line, "keep");
    assert!(reader.fill_buf().await.unwrap().is_empty());
}

#[aio::test]
async fn a_line_longer_than_the_capacity() {
    let long: String = "0123456789".repeat(20_000);
    let (mut server, client) = tcp_pair().await;
    let payload = format!("{long}\nnext\n");
    let writer = aio::spawn(async move {
        server.write_all(payload).await.0.unwrap();
    });
    let mut reader = BufReader::with_capacity(16, client);
    let mut line = String::new();
    let n = within(LIMIT, "long line", reader.read_line(&mut line))
        .await
        .unwrap();
    assert_eq!(n, long.len() + 1);
    assert!(
        line.strip_suffix('\n') == Some(&long[..]),
        "long line intact"
    );
    line.clear();
    reader.read_line(&mut line).await.unwrap();
    assert_eq!(line, "next\n");
    writer.await.unwrap();
}

#[aio::test]
async fn invalid_utf8_is_invalid_data_and_appends_nothing() {
    let (a, mut b) = UnixStream::pair().unwrap();
    b.write_all(b"ok\n\xff\xfe bad\nafter\n\xc3\nend\n".to_vec())
        .await
        .0
        .unwrap();
    drop(b);
    let mut reader = BufReader::with_capacity(4, a);
    let mut line = String::from("keep:");
    reader.read_line(&mut line).await.unwrap();
    assert_eq!(line, "keep:ok\n");
    let err = reader.read_line(&mut line).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert_eq!(line, "keep:ok\n", "nothing appended on invalid UTF-8");
    reader.read_line(&mut line).await.unwrap();
    assert_eq!(line, "keep:ok\nafter\n", "the bad line was skipped");

    // The same through lines(): an error item, then the stream goes on.
    let mut lines = reader.lines();
    let err = lines.next().await.unwrap().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert_eq!(lines.next().await.unwrap().unwrap(), "end");
    assert!(lines.next().await.is_none());
}

#[aio::test]
async fn fill_buf_and_consume() {
    let (a, mut b) = UnixStream::pair().unwrap();
    b.write_all(b"abcdef".to_vec()).await.0.unwrap();
    let mut reader = BufReader::with_capacity(64, a);
    assert!(reader.buffer().is_empty());
    let got = within(LIMIT, "fill_buf", reader.fill_buf())
        .await
        .unwrap()
        .to_vec();
    assert_eq!(got, b"abcdef");
    reader.consume(2);
    assert_eq!(reader.buffer(), b"cdef");
    // A second fill_buf with bytes buffered reads nothing more.
    assert_eq!(reader.fill_buf().await.unwrap(), b"cdef");
    // Reads are served from the buffer, in pieces as small as asked.
    let (res, got) = reader.read(Vec::with_capacity(3)).await;
    assert_eq!(res.unwrap(), got.len());
    assert_eq!(&b"cdef"[..got.len()], &got[..]);
    reader.consume(usize::MAX);
    assert!(reader.buffer().is_empty());
    b.write_all(b"xyz".to_vec()).await.0.unwrap();
    drop(b);
    let (res, got) = reader
        .read_exact(Vec::with_capacity(64).slice_mut(..3))
        .await;
    res.unwrap();
    assert_eq!(got.into_inner(), b"xyz");
    assert!(reader.fill_buf().await.unwrap().is_empty(), "end of stream");
}

#[aio::test]
async fn large_reads_bypass_an_empty_buffer() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let rooms = Rc::new(RefCell::new(Vec::new()));
    let inner = Recording {
        inner: a,
        rooms: rooms.clone(),
    };
    let mut reader = BufReader::with_capacity(64, inner);
    let data = pattern(1, 1000);
    b.write_all(data.clone()).await.0.unwrap();

    // Empty buffer, room >= capacity: the user's buffer goes to the inner
    // reader as it is.
    let (res, big) = reader.read(Vec::with_capacity(4096)).await;
    let n = res.unwrap();
    assert!(n > 0);
    assert_eq!(
        rooms.borrow()[0],
        big.capacity(),
        "the large read went straight through"
    );
    assert!(reader.buffer().is_empty(), "nothing was buffered");
    let mut got = big;

    // A small read fills the buffer (a read of `capacity` bytes) and is
    // served from it; the next small ones need no read at all.
    b.write_all(data.clone()).await.0.unwrap();
    drop(b);
    while got.len() < 2000 {
        let (res, small) = reader.read(Vec::with_capacity(16)).await;
        let k = res.unwrap();
        assert!(k > 0, "ended early at {}", got.len());
        got.extend_from_slice(&small);
    }
    let mut expect = data.clone();
    expect.extend_from_slice(&data);
    assert_eq!(got, expect);
    let rooms = rooms.borrow();
    assert!(
        rooms[1..].iter().all(|r| *r >= 64),
        "small reads went through the buffer: {rooms:?}"
    );
    assert!(
        rooms.len() < 1 + 1000 / 16,
        "the buffer served several small reads per read: {} reads",
        rooms.len()
    );
}

#[aio::test]
async fn a_read_with_no_room_is_invalid_input_even_with_bytes_buffered() {
    let (a, mut b) = UnixStream::pair().unwrap();
    b.write_all(b"abc".to_vec()).await.0.unwrap();
    let mut reader = BufReader::new(a);
    reader.fill_buf().await.unwrap();
    let (res, _) = reader.read(Vec::new()).await;
    assert_eq!(res.unwrap_err().kind(), io::ErrorKind::InvalidInput);
    let (res, _) = reader.read(vec![0u8; 8]).await;
    assert_eq!(res.unwrap_err().kind(), io::ErrorKind::InvalidInput);
    let (res, _) = reader.readv(vec![Vec::new(), Vec::new()]).await;
    assert_eq!(res.unwrap_err().kind(), io::ErrorKind::InvalidInput);
    assert_eq!(reader.buffer(), b"abc", "nothing consumed");
    // readv fills the buffers in order from the buffer.
    let (res, bufs) = reader
        .readv(vec![Vec::with_capacity(2), Vec::with_capacity(8)])
        .await;
    assert_eq!(res.unwrap(), 3);
    assert_eq!(bufs.concat(), b"abc");
}

#[aio::test]
async fn usable_after_a_dropped_read_line() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let mut reader = BufReader::with_capacity(8, a);
    let mut line = String::from("x");

    // A silent peer: the read_line times out, its read is cancelled.
    let res = aio::time::timeout(Duration::from_millis(20), reader.read_line(&mut line)).await;
    assert!(res.is_err(), "the peer said nothing");
    assert_eq!(line, "x", "nothing appended by the dropped call");

    // A partial line, then a drop while waiting for the rest: the partial
    // line stays buffered.
    b.write_all(b"par".to_vec()).await.0.unwrap();
    let res = aio::time::timeout(Duration::from_millis(50), reader.read_line(&mut line)).await;
    assert!(res.is_err(), "no newline yet");
    assert_eq!(line, "x");
    assert_eq!(reader.buffer(), b"par", "the partial line is kept");

    b.write_all(b"tial line\nnext\n".to_vec()).await.0.unwrap();
    let n = within(LIMIT, "read_line after drops", reader.read_line(&mut line))
        .await
        .unwrap();
    assert_eq!(n, 13);
    assert_eq!(line, "xpartial line\n");
    line.clear();
    reader.read_line(&mut line).await.unwrap();
    assert_eq!(line, "next\n");
}

#[aio::test]
async fn lines_next_survives_a_timeout() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let mut lines = BufReader::new(a).lines();
    let res = aio::time::timeout(Duration::from_millis(20), lines.next()).await;
    assert!(res.is_err());
    b.write_all(b"late\n".to_vec()).await.0.unwrap();
    let line = within(LIMIT, "line", lines.next_line()).await.unwrap();
    assert_eq!(line.as_deref(), Some("late"));
}

#[aio::test]
async fn writes_go_through_to_the_inner_stream() {
    let (server, mut client) = tcp_pair().await;
    let mut reader = BufReader::new(server);
    client.write_all(b"ping\n".to_vec()).await.0.unwrap();
    let mut line = String::new();
    reader.read_line(&mut line).await.unwrap();
    assert_eq!(line, "ping\n");
    reader.write_all(b"pong\n".to_vec()).await.0.unwrap();
    let (res, got) = client
        .read_exact(Vec::with_capacity(5).slice_mut(..5))
        .await;
    res.unwrap();
    assert_eq!(got.into_inner(), b"pong\n");
    assert_eq!(
        reader.get_ref().peer_addr().unwrap(),
        client.local_addr().unwrap()
    );
    let _stream: TcpStream = reader.into_inner();
}
