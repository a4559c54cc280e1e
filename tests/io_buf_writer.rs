//! `aio::io::BufWriter` over real sockets: small writes coalesced into few
//! writes of the inner stream, large ones passed straight through, `flush`
//! and `shutdown` writing the buffer first, `into_inner` / `into_parts`,
//! errors keeping the unwritten bytes, and reads forwarded.

mod support;

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use aio::buf::{IoBuf, IoBufMut};
use aio::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRent, AsyncWriteRentExt, BufWriter};
use aio::net::{TcpListener, TcpStream, UnixStream};
use aio::BufResult;
use support::{first_difference, pattern, within};

const LIMIT: Duration = Duration::from_secs(20);

/// What a `Recording` writer was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Call {
    Write(usize),
    Writev(usize),
    Flush,
    Shutdown,
}

/// A writer that records each call (with its size) before forwarding it.
struct Recording<W> {
    inner: W,
    calls: Rc<RefCell<Vec<Call>>>,
}

impl<W: AsyncWriteRent> AsyncWriteRent for Recording<W> {
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
        self.calls.borrow_mut().push(Call::Write(buf.bytes_init()));
        self.inner.write(buf).await
    }

    async fn writev<B: IoBuf>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        let len = bufs.iter().map(IoBuf::bytes_init).sum();
        self.calls.borrow_mut().push(Call::Writev(len));
        self.inner.writev(bufs).await
    }

    async fn flush(&mut self) -> io::Result<()> {
        self.calls.borrow_mut().push(Call::Flush);
        self.inner.flush().await
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        self.calls.borrow_mut().push(Call::Shutdown);
        self.inner.shutdown().await
    }
}

fn recording<W>(inner: W) -> (Recording<W>, Rc<RefCell<Vec<Call>>>) {
    let calls = Rc::new(RefCell::new(Vec::new()));
    (
        Recording {
            inner,
            calls: calls.clone(),
        },
        calls,
    )
}

/// Reads `stream` to end of stream.
async fn read_to_end<R: AsyncReadRent>(stream: &mut R) -> Vec<u8> {
    let mut got = Vec::new();
    loop {
        got.reserve(64 * 1024);
        let (res, g) = stream.read(got).await;
        got = g;
        if res.unwrap() == 0 {
            return got;
        }
    }
}

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let connect = aio::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    let (server, _) = listener.accept().await.unwrap();
    (server, connect.await.unwrap())
}

#[aio::test]
async fn many_small_writes_become_few_writes() {
    let (server, mut client) = tcp_pair().await;
    let (inner, calls) = recording(server);
    let mut writer = BufWriter::with_capacity(4096, inner);
    let data = pattern(7, 10 * 1000);
    let reader = aio::spawn(async move { read_to_end(&mut client).await });
    for chunk in data.chunks(10) {
        let (res, _) = writer.write(chunk.to_vec()).await;
        assert_eq!(res.unwrap(), 10, "a small write is taken whole");
    }
    assert!(!writer.buffer().is_empty());
    writer.shutdown().await.unwrap();
    assert!(writer.buffer().is_empty());
    let got = within(LIMIT, "peer reads", reader).await.unwrap();
    assert_eq!(got.len(), data.len());
    assert_eq!(first_difference(&got, &data), None);

    let calls = calls.borrow();
    let writes: Vec<_> = calls
        .iter()
        .filter_map(|c| match c {
            Call::Write(n) => Some(*n),
            _ => None,
        })
        .collect();
    // 10,000 bytes through a 4 KiB buffer: 3 writes (4090 + 4090 + 1820),
    // give or take partial writes; never one per small write.
    assert!(
        (3..=6).contains(&writes.len()),
        "1,000 writes of 10 bytes became {} inner writes: {writes:?}",
        writes.len()
    );
    assert!(writes.iter().all(|n| *n <= 4096));
    assert_eq!(calls.last(), Some(&Call::Shutdown));
}

#[aio::test]
async fn a_large_write_goes_straight_through_after_the_buffer() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let (inner, calls) = recording(a);
    let mut writer = BufWriter::with_capacity(64, inner);
    writer.write_all(b"head".to_vec()).await.0.unwrap();
    assert_eq!(writer.buffer(), b"head");
    assert!(calls.borrow().is_empty(), "buffered, not written");
    let big = pattern(3, 1000);
    writer.write_all(big.clone()).await.0.unwrap();
    assert!(writer.buffer().is_empty());
    assert_eq!(
        calls.borrow()[..2],
        [Call::Write(4), Call::Write(1000)],
        "the buffer first, then the large write uncopied"
    );
    drop(writer);
    let got = within(LIMIT, "peer reads", read_to_end(&mut b)).await;
    assert_eq!(&got[..4], b"head");
    assert_eq!(&got[4..], &big[..]);
}

#[aio::test]
async fn writev_is_buffered_when_small() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let (inner, calls) = recording(a);
    let mut writer = BufWriter::with_capacity(64, inner);
    let (res, _) = writer.writev(vec![b"ab".to_vec(), b"cd".to_vec()]).await;
    assert_eq!(res.unwrap(), 4);
    assert_eq!(writer.buffer(), b"abcd");
    writer
        .writev_all(vec![vec![b'x'; 50], vec![b'y'; 50]])
        .await
        .0
        .unwrap();
    writer.flush().await.unwrap();
    assert_eq!(
        calls.borrow()[..2],
        [Call::Write(4), Call::Writev(100)],
        "the buffer, then the large writev straight through"
    );
    drop(writer);
    let got = read_to_end(&mut b).await;
    let mut expect = b"abcd".to_vec();
    expect.extend_from_slice(&[b'x'; 50]);
    expect.extend_from_slice(&[b'y'; 50]);
    assert_eq!(got, expect);
}

#[aio::test]
async fn flush_writes_the_buffer_then_flushes_the_inner_writer() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let (inner, calls) = recording(a);
    let mut writer = BufWriter::new(inner);
    writer.write_all(b"hello".to_vec()).await.0.unwrap();
    writer.write_all(b" world".to_vec()).await.0.unwrap();
    writer.flush().await.unwrap();
    assert_eq!(*calls.borrow(), [Call::Write(11), Call::Flush]);
    assert!(writer.buffer().is_empty());
    let (res, got) = within(
        LIMIT,
        "peer reads",
        b.read_exact(Vec::with_capacity(11).slice_mut(..11)),
    )
    .await;
    res.unwrap();
    assert_eq!(got.into_inner(), b"hello world");
    // A flush with nothing buffered only flushes the inner writer.
    writer.flush().await.unwrap();
    assert_eq!(calls.borrow()[2..], [Call::Flush]);
}

#[aio::test]
async fn shutdown_writes_the_buffer_before_the_peer_sees_end_of_stream() {
    let (server, mut client) = tcp_pair().await;
    let mut writer = BufWriter::with_capacity(1 << 20, server);
    let data = pattern(9, 300_000);
    for chunk in data.chunks(1000) {
        writer.write_all(chunk.to_vec()).await.0.unwrap();
    }
    writer.shutdown().await.unwrap();
    let got = within(LIMIT, "peer reads to EOF", read_to_end(&mut client)).await;
    assert_eq!(got.len(), data.len());
    assert_eq!(first_difference(&got, &data), None);
}

#[aio::test]
async fn into_inner_writes_the_buffer_and_into_parts_does_not() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let mut writer = BufWriter::new(a);
    writer.write_all(b"kept".to_vec()).await.0.unwrap();
    let mut a: UnixStream = writer.into_inner().await.unwrap();
    let (res, got) = b.read_exact(Vec::with_capacity(4).slice_mut(..4)).await;
    res.unwrap();
    assert_eq!(got.into_inner(), b"kept");

    a.write_all(b"!".to_vec()).await.0.unwrap();
    let mut writer = BufWriter::new(a);
    writer.write_all(b"not sent".to_vec()).await.0.unwrap();
    let (a, unwritten) = writer.into_parts();
    assert_eq!(unwritten, b"not sent");
    drop(a);
    assert_eq!(read_to_end(&mut b).await, b"!", "into_parts wrote nothing");
}

#[aio::test]
async fn dropping_a_buffered_writer_discards_its_buffer() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let mut writer = BufWriter::new(a);
    writer.write_all(b"lost".to_vec()).await.0.unwrap();
    drop(writer);
    assert_eq!(
        read_to_end(&mut b).await,
        b"",
        "documented: unflushed bytes are dropped"
    );
}

#[aio::test]
async fn a_failed_flush_keeps_the_unwritten_bytes() {
    let (a, b) = UnixStream::pair().unwrap();
    drop(b);
    let mut writer = BufWriter::new(a);
    writer.write_all(b"pending".to_vec()).await.0.unwrap();
    let err = writer.flush().await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
    assert_eq!(writer.buffer(), b"pending");
    let (_a, unwritten) = writer.into_parts();
    assert_eq!(unwritten, b"pending");
}

#[aio::test]
async fn reads_go_through_to_the_inner_stream() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let mut writer = BufWriter::new(a);
    b.write_all(b"question".to_vec()).await.0.unwrap();
    let (res, got) = writer
        .read_exact(Vec::with_capacity(8).slice_mut(..8))
        .await;
    res.unwrap();
    assert_eq!(got.into_inner(), b"question");
    writer.write_all(b"answer".to_vec()).await.0.unwrap();
    writer.flush().await.unwrap();
    let (res, got) = b.read_exact(Vec::with_capacity(6).slice_mut(..6)).await;
    res.unwrap();
    assert_eq!(got.into_inner(), b"answer");
    assert_eq!(writer.capacity(), 8 * 1024);
    let _: &UnixStream = writer.get_ref();
    let _: &mut UnixStream = writer.get_mut();
}
