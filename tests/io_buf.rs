//! The public buffer API (`aio::buf`) and the I/O extension traits as a user
//! sees them: the std impls, slices, a buffer type and a stream written
//! outside the crate, and `read_exact`/`write_all` over that stream.
//!
//! The stream here is an in-memory pipe, so these tests check the trait-level
//! contract (partial transfers, end of stream, the buffer always coming back),
//! not io_uring; the socket and file tests cover the drivers.

use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, ErrorKind};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use aio::buf::{IoBuf, IoBufMut, Slice, SliceMut};
use aio::io::{AsyncReadRent, AsyncWriteRent};
use aio::{AsyncReadRentExt, AsyncWriteRentExt, BufResult};

/// Drives a future whose operations all complete at once (the pipe below).
fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the in-memory pipe never waits"),
    }
}

/// The bytes a buffer exposes to a write, as the kernel would read them.
fn exposed<B: IoBuf>(buf: &B) -> Vec<u8> {
    // SAFETY: IoBuf's contract: `bytes_init()` initialized bytes at
    // `read_ptr()`, unchanged while we hold `&B`.
    unsafe { std::slice::from_raw_parts(buf.read_ptr(), buf.bytes_init()) }.to_vec()
}

/// An in-memory byte pipe that moves at most `chunk` bytes per operation, so
/// every transfer larger than that is partial.
struct Pipe {
    bytes: VecDeque<u8>,
    chunk: usize,
    /// Once set, reads past the buffered bytes fail with this instead of
    /// returning end of stream.
    fail_after: Option<ErrorKind>,
}

impl Pipe {
    fn new(chunk: usize) -> Self {
        Pipe {
            bytes: VecDeque::new(),
            chunk,
            fail_after: None,
        }
    }
}

impl AsyncReadRent for Pipe {
    async fn read<B: IoBufMut>(&mut self, mut buf: B) -> BufResult<usize, B> {
        if self.bytes.is_empty() {
            if let Some(kind) = self.fail_after {
                return (Err(kind.into()), buf);
            }
        }
        let n = self.bytes.len().min(buf.bytes_total()).min(self.chunk);
        let ptr = buf.write_ptr();
        for (i, byte) in self.bytes.drain(..n).enumerate() {
            // SAFETY: `i < n <= bytes_total()`: inside the writable region.
            unsafe { ptr.add(i).write(byte) };
        }
        // SAFETY: the first `n` bytes of the region were just written.
        unsafe { buf.set_init(n) };
        (Ok(n), buf)
    }

    async fn readv<B: IoBufMut>(&mut self, mut bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        let mut total = 0;
        for buf in std::mem::take(&mut bufs) {
            let (res, buf) = self.read(buf).await;
            bufs.push(buf);
            match res {
                Ok(n) => total += n,
                Err(e) => return (Err(e), bufs),
            }
        }
        (Ok(total), bufs)
    }
}

impl AsyncWriteRent for Pipe {
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
        let bytes = exposed(&buf);
        let n = bytes.len().min(self.chunk);
        self.bytes.extend(&bytes[..n]);
        (Ok(n), buf)
    }

    async fn writev<B: IoBuf>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        let mut room = self.chunk;
        let mut total = 0;
        for buf in &bufs {
            let bytes = exposed(buf);
            let n = bytes.len().min(room);
            self.bytes.extend(&bytes[..n]);
            room -= n;
            total += n;
        }
        (Ok(total), bufs)
    }

    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    async fn shutdown(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A buffer type defined outside the crate, as a buffer pool would: a fixed
/// allocation with a fill level. Its writable region is `[len, capacity)`.
struct Chunk {
    mem: Box<[u8]>,
    len: usize,
}

impl Chunk {
    fn with_capacity(capacity: usize) -> Self {
        Chunk {
            mem: vec![0; capacity].into_boxed_slice(),
            len: 0,
        }
    }

    fn filled(&self) -> &[u8] {
        &self.mem[..self.len]
    }
}

// SAFETY: the boxed allocation does not move with the Chunk, and its first
// `len` bytes are initialized (all of it is).
unsafe impl IoBuf for Chunk {
    fn read_ptr(&self) -> *const u8 {
        self.mem.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len
    }
}

// SAFETY: `[len, capacity)` is inside the boxed allocation, which does not move
// with the Chunk; `set_init` grows `len` over exactly the bytes written.
unsafe impl IoBufMut for Chunk {
    fn write_ptr(&mut self) -> *mut u8 {
        self.mem[self.len..].as_mut_ptr()
    }
    fn bytes_total(&self) -> usize {
        self.mem.len() - self.len
    }
    unsafe fn set_init(&mut self, pos: usize) {
        assert!(pos <= self.bytes_total());
        self.len += pos;
    }
}

#[test]
fn std_buffers_expose_their_initialized_bytes() {
    let mut vec = Vec::with_capacity(32);
    vec.extend_from_slice(b"vec");
    assert_eq!(exposed(&vec), b"vec", "capacity is not sent");
    assert_eq!(exposed(&b"box".to_vec().into_boxed_slice()), b"box");
    assert_eq!(exposed(&String::from("string")), b"string");
    assert_eq!(exposed(&&b"bytes"[..]), b"bytes");
    assert_eq!(exposed(&"str"), b"str");
}

#[test]
fn vec_and_box_writable_regions() {
    let mut vec = Vec::with_capacity(16);
    vec.extend_from_slice(b"abc");
    assert_eq!(
        vec.bytes_total(),
        vec.capacity() - 3,
        "a Vec reads into its spare capacity"
    );
    let mut boxed: Box<[u8]> = vec![0; 5].into_boxed_slice();
    assert_eq!(boxed.bytes_total(), 5, "a Box reads over its whole slice");
    assert_eq!(boxed.write_ptr().cast_const(), boxed.as_ptr());
}

#[test]
fn slice_api() {
    let mut s: Slice<Vec<u8>> = b"hello world".to_vec().slice(6..);
    assert_eq!((s.begin(), s.end()), (6, 11));
    assert_eq!(exposed(&s), b"world");
    assert_eq!(s.get_ref(), b"hello world");
    s.get_mut()[6] = b'W';
    assert_eq!(exposed(&s), b"World");
    assert_eq!(s.into_inner(), b"hello World");
}

#[test]
#[should_panic(expected = "out of bounds")]
fn slice_past_initialized_bytes_panics() {
    let mut vec = Vec::with_capacity(16);
    vec.push(1);
    let _ = vec.slice(..2);
}

#[test]
fn slice_mut_api() {
    let mut vec = Vec::with_capacity(16);
    vec.extend_from_slice(b"ab");
    let s: SliceMut<Vec<u8>> = vec.slice_mut(..4);
    assert_eq!((s.begin(), s.end(), s.bytes_total()), (0, 4, 4));
    assert_eq!(s.get_ref(), b"ab");
    assert_eq!(s.into_inner(), b"ab", "nothing written, nothing changes");
}

#[test]
#[should_panic(expected = "start the range at 0")]
fn slice_mut_of_a_vec_past_zero_panics() {
    let _ = Vec::<u8>::with_capacity(16).slice_mut(4..8);
}

#[test]
fn write_all_then_read_exact_round_trip() {
    let mut pipe = Pipe::new(3);
    block_on(async {
        let (res, buf) = pipe.write_all(b"0123456789".to_vec()).await;
        assert_eq!(res.unwrap(), 10);
        assert_eq!(buf, b"0123456789", "the buffer comes back");

        let (res, buf) = pipe.read_exact(Vec::with_capacity(4).slice_mut(..4)).await;
        assert_eq!(res.unwrap(), 4);
        assert_eq!(buf.into_inner(), b"0123");

        let boxed: Box<[u8]> = vec![b'.'; 8].into_boxed_slice();
        let (res, boxed) = pipe.read_exact(boxed.slice_mut(1..7)).await;
        assert_eq!(res.unwrap(), 6);
        assert_eq!(&boxed.into_inner()[..], b".456789.");
    });
}

#[test]
fn write_all_of_slices_and_static_data() {
    let mut pipe = Pipe::new(2);
    block_on(async {
        let (res, s) = pipe.write_all(b"<payload>".to_vec().slice(1..8)).await;
        assert_eq!(res.unwrap(), 7);
        assert_eq!(s.into_inner(), b"<payload>");
        let (res, _) = pipe.write_all("|static").await;
        assert_eq!(res.unwrap(), 7);
        let (res, back) = pipe
            .writev_all(vec![String::from("a"), String::new(), String::from("bcd")])
            .await;
        assert_eq!(res.unwrap(), 4);
        assert_eq!(back, ["a", "", "bcd"]);
    });
    let all: Vec<u8> = pipe.bytes.into_iter().collect();
    assert_eq!(all, b"payload|staticabcd");
}

#[test]
fn read_exact_at_end_of_stream_returns_what_arrived() {
    let mut pipe = Pipe::new(2);
    block_on(async {
        let _ = pipe.write_all("abc").await;
        let mut vec = Vec::with_capacity(16);
        vec.push(b'>');
        let (res, s) = pipe.read_exact(vec.slice_mut(..8)).await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::UnexpectedEof);
        assert_eq!(s.into_inner(), b">abc");
    });
}

#[test]
fn read_exact_error_returns_the_buffer() {
    let mut pipe = Pipe::new(4);
    pipe.fail_after = Some(ErrorKind::ConnectionReset);
    block_on(async {
        let _ = pipe.write_all("xy").await;
        let (res, buf) = pipe.read_exact(Vec::with_capacity(8).slice_mut(..8)).await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::ConnectionReset);
        assert_eq!(buf.into_inner(), b"xy");
    });
}

#[test]
fn user_buffer_type_works_with_slices_and_ext_traits() {
    let mut pipe = Pipe::new(3);
    block_on(async {
        let mut chunk = Chunk::with_capacity(16);
        chunk.mem[..5].copy_from_slice(b"hello");
        chunk.len = 5;
        let (res, s) = pipe.write_all(chunk.slice(1..)).await;
        assert_eq!(res.unwrap(), 4);
        let chunk = s.into_inner();

        let (res, chunk) = pipe.read_exact(chunk.slice_mut(..4)).await;
        assert_eq!(res.unwrap(), 4);
        assert_eq!(chunk.into_inner().filled(), b"helloello");
    });
}

#[test]
fn generic_code_over_mut_references() {
    async fn frame<S: AsyncReadRent + AsyncWriteRent>(mut s: S, msg: &'static str) -> Vec<u8> {
        let (res, _) = s.write_all(msg).await;
        res.unwrap();
        let (res, buf) = s
            .read_exact(Vec::with_capacity(msg.len()).slice_mut(..msg.len()))
            .await;
        res.unwrap();
        buf.into_inner()
    }
    let mut pipe = Pipe::new(1);
    assert_eq!(block_on(frame(&mut pipe, "one")), b"one");
    assert_eq!(block_on(frame(&mut pipe, "two")), b"two");
}

/// The same loops over a real socket pair, on every driver: 4 MiB is far
/// more than a socket buffer holds, so the kernel's writes are partial and
/// the reader's reads are short while the other side runs as another task.
#[aio::test]
async fn write_all_and_read_exact_over_a_socket_pair() {
    const LEN: usize = 4 << 20;
    const PARTS: usize = 64;
    let body = async {
        let (mut a, mut b) = aio::net::UnixStream::pair().unwrap();
        let data: Vec<u8> = (0..LEN).map(|i| (i % 251) as u8).collect();
        let expected = data.clone();
        let writer = aio::spawn(async move {
            let (res, data) = a.write_all(data).await;
            assert_eq!(res.unwrap(), LEN);
            assert_eq!(data.len(), LEN, "the buffer comes back whole");
            let parts: Vec<Box<[u8]>> = (0..PARTS)
                .map(|i| vec![i as u8; LEN / PARTS].into_boxed_slice())
                .collect();
            let (res, parts) = a.writev_all(parts).await;
            assert_eq!(res.unwrap(), LEN);
            assert_eq!(parts.len(), PARTS);
            // Dropping `a` here ends the stream.
        });

        let (res, buf) = b.read_exact(Vec::with_capacity(LEN).slice_mut(..LEN)).await;
        assert_eq!(res.unwrap(), LEN);
        assert!(
            buf.into_inner() == expected,
            "bytes arrive intact and in order"
        );

        let mut boxed: Box<[u8]> = vec![0; LEN].into_boxed_slice();
        let (res, back) = b.read_exact(boxed).await;
        assert_eq!(res.unwrap(), LEN);
        boxed = back;
        for (i, chunk) in boxed.chunks(LEN / PARTS).enumerate() {
            assert!(
                chunk.iter().all(|&byte| byte == i as u8),
                "part {i} out of order"
            );
        }

        writer.await.unwrap();
        let mut vec = Vec::with_capacity(8);
        vec.push(b'>');
        let (res, s) = b.read_exact(vec.slice_mut(..4)).await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::UnexpectedEof);
        assert_eq!(s.into_inner(), b">");
    };
    aio::time::timeout(std::time::Duration::from_secs(60), body)
        .await
        .expect("the transfer should not hang");
}

/// A byte-string literal is a buffer as it is: `write_all(b"ping")`.
#[aio::test]
async fn byte_string_literals_are_buffers() {
    let (mut a, mut b) = aio::net::UnixStream::pair().unwrap();
    let (res, lit) = a.write_all(b"ping").await;
    assert_eq!(res.unwrap(), 4);
    assert_eq!(lit, b"ping");
    assert_eq!(IoBuf::bytes_init(&b"12345"), 5);
    let (res, got) = b.read_exact(Vec::with_capacity(4)).await;
    res.unwrap();
    assert_eq!(got, b"ping");
}
