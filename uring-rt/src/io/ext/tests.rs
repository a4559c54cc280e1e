//! `read_exact`, `write_all` and `writev_all` against scripted in-memory
//! streams: partial transfers, end of stream, errors, and the buffer coming
//! back in every case.

use std::io::ErrorKind;

use crate::buf::{IoBuf, IoBufMut};
use crate::io::mock::{block_on, MockReader, MockWriter, ReadStep, WriteStep};
use crate::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRent, AsyncWriteRentExt};

fn data(s: &str) -> ReadStep {
    ReadStep::Data(s.as_bytes().to_vec())
}

#[test]
fn read_exact_fills_vec_across_partial_reads() {
    let mut r = MockReader::new([data("abc"), data("defg"), data("hijkl")]);
    let buf = Vec::with_capacity(10);
    let cap = buf.capacity();
    let (res, buf) = block_on(r.read_exact(buf));
    assert_eq!(res.unwrap(), cap);
    assert_eq!(&buf[..], &b"abcdefghijkl"[..cap]);
    assert_eq!(r.calls, 3);
}

#[test]
fn read_exact_leaves_the_rest_in_the_stream() {
    let mut r = MockReader::new([data("abcdef")]);
    let (res, buf) = block_on(r.read_exact(Vec::new().slice_mut_of(4)));
    assert_eq!(res.unwrap(), 4);
    assert_eq!(buf.into_inner(), b"abcd");
    let (res, buf) = block_on(r.read(Vec::with_capacity(16)));
    assert_eq!(res.unwrap(), 2);
    assert_eq!(buf, b"ef");
}

/// `Vec::new().slice_mut_of(n)`: a fresh vector with room for `n` bytes,
/// sliced to exactly `n` (whatever capacity the allocator gave).
trait SliceOf: Sized {
    fn slice_mut_of(self, n: usize) -> crate::buf::SliceMut<Self>;
}

impl SliceOf for Vec<u8> {
    fn slice_mut_of(mut self, n: usize) -> crate::buf::SliceMut<Self> {
        self.reserve(n);
        self.slice_mut(..n)
    }
}

#[test]
fn read_exact_appends_to_a_vec_through_slice_mut() {
    let mut r = MockReader::new([data("12"), data("34"), data("5")]);
    let mut vec = Vec::with_capacity(64);
    vec.extend_from_slice(b"hd:");
    let ptr = vec.as_ptr();
    let (res, slice) = block_on(r.read_exact(vec.slice_mut(..4)));
    assert_eq!(res.unwrap(), 4);
    let vec = slice.into_inner();
    assert_eq!(vec, b"hd:1234");
    assert_eq!(vec.as_ptr(), ptr, "the same allocation comes back");
}

#[test]
fn read_exact_fills_a_box_without_overwriting_its_start() {
    // A Box's region does not move on set_init; a loop that re-read into
    // `write_ptr()` would write every chunk at offset 0.
    let mut r = MockReader::new([data("ab"), data("cd"), data("ef")]);
    let (res, buf) = block_on(r.read_exact(vec![0u8; 6].into_boxed_slice()));
    assert_eq!(res.unwrap(), 6);
    assert_eq!(&buf[..], b"abcdef");
}

#[test]
fn read_exact_into_the_middle_of_a_box() {
    let mut r = MockReader::new([data("x"), data("yz")]);
    let boxed: Box<[u8]> = b"........".to_vec().into_boxed_slice();
    let (res, slice) = block_on(r.read_exact(boxed.slice_mut(2..5)));
    assert_eq!(res.unwrap(), 3);
    assert_eq!(&slice.into_inner()[..], b"..xyz...");
}

#[test]
fn read_exact_eof_returns_what_was_read() {
    let mut r = MockReader::new([data("abc"), data("de")]);
    let buf = Vec::with_capacity(8);
    let ptr = buf.as_ptr();
    let (res, buf) = block_on(r.read_exact(buf));
    assert_eq!(res.unwrap_err().kind(), ErrorKind::UnexpectedEof);
    assert_eq!(buf, b"abcde", "bytes read before the end are kept");
    assert_eq!(buf.as_ptr(), ptr);
}

#[test]
fn read_exact_eof_on_a_slice_keeps_the_prefix() {
    let mut r = MockReader::new([data("ab")]);
    let mut vec = Vec::with_capacity(16);
    vec.push(b'>');
    let (res, slice) = block_on(r.read_exact(vec.slice_mut(..5)));
    assert_eq!(res.unwrap_err().kind(), ErrorKind::UnexpectedEof);
    assert_eq!(slice.into_inner(), b">ab");
}

#[test]
fn read_exact_error_returns_buffer_with_prefix() {
    let mut r = MockReader::new([data("abc"), ReadStep::Fail(ErrorKind::ConnectionReset)]);
    let (res, buf) = block_on(r.read_exact(Vec::with_capacity(8)));
    assert_eq!(res.unwrap_err().kind(), ErrorKind::ConnectionReset);
    assert_eq!(buf, b"abc");
}

#[test]
fn read_exact_error_on_first_read_returns_buffer_untouched() {
    let mut r = MockReader::new([ReadStep::Fail(ErrorKind::ConnectionReset)]);
    let mut vec = Vec::with_capacity(8);
    vec.extend_from_slice(b"keep");
    let (res, buf) = block_on(r.read_exact(vec));
    assert_eq!(res.unwrap_err().kind(), ErrorKind::ConnectionReset);
    assert_eq!(buf, b"keep");
}

#[test]
fn read_exact_retries_interrupted() {
    let mut r = MockReader::new([
        data("ab"),
        ReadStep::Fail(ErrorKind::Interrupted),
        data("cd"),
    ]);
    let (res, buf) = block_on(r.read_exact(Vec::new().slice_mut_of(4)));
    assert_eq!(res.unwrap(), 4);
    assert_eq!(buf.into_inner(), b"abcd");
}

#[test]
fn read_exact_with_no_room_is_an_error_and_does_not_read() {
    let mut r = MockReader::new([data("abc")]);
    let (res, buf) = block_on(r.read_exact(Vec::new()));
    assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert!(buf.is_empty());
    assert_eq!(r.calls, 0);
}

#[test]
fn read_exact_through_mut_ref_and_generic_code() {
    async fn header<R: AsyncReadRent>(mut r: R) -> Vec<u8> {
        let (res, buf) = r.read_exact(Vec::new().slice_mut_of(3)).await;
        res.unwrap();
        buf.into_inner()
    }
    let mut r = MockReader::new([data("abcdef")]);
    assert_eq!(block_on(header(&mut r)), b"abc");
    assert_eq!(block_on(header(&mut r)), b"def");
    let (res, _) = block_on((&mut &mut r).read_exact(Vec::new().slice_mut_of(1)));
    assert_eq!(res.unwrap_err().kind(), ErrorKind::UnexpectedEof);
}

#[test]
fn read_exact_reports_a_reader_that_does_not_set_init() {
    /// Claims every read filled the buffer, without writing or `set_init`.
    struct Liar;
    impl AsyncReadRent for Liar {
        async fn read<B: IoBufMut>(&mut self, buf: B) -> crate::BufResult<usize, B> {
            let n = buf.bytes_total();
            (Ok(n), buf)
        }
        async fn readv<B: IoBufMut>(&mut self, bufs: Vec<B>) -> crate::BufResult<usize, Vec<B>> {
            (Ok(0), bufs)
        }
    }
    let mut vec = Vec::with_capacity(8);
    vec.push(1);
    let (res, buf) = block_on(Liar.read_exact(vec));
    let err = res.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(err.to_string().contains("set_init"), "{err}");
    assert_eq!(buf, [1], "nothing is marked initialized");
}

#[cfg(feature = "bytes")]
#[test]
fn read_exact_into_bytes_mut() {
    let mut r = MockReader::new([data("ab"), data("cd")]);
    let mut buf = bytes::BytesMut::with_capacity(16);
    buf.extend_from_slice(b"<");
    let (res, slice) = block_on(r.read_exact(buf.slice_mut(..4)));
    assert_eq!(res.unwrap(), 4);
    assert_eq!(&slice.into_inner()[..], b"<abcd");
}

#[test]
fn write_all_loops_over_partial_writes() {
    let mut w = MockWriter::new([WriteStep::Accept(3), WriteStep::Accept(1)]);
    let buf = b"hello world".to_vec();
    let ptr = buf.as_ptr();
    let (res, buf) = block_on(w.write_all(buf));
    assert_eq!(res.unwrap(), 11);
    assert_eq!(w.data, b"hello world");
    assert_eq!(w.writes, 3);
    assert_eq!(buf, b"hello world");
    assert_eq!(buf.as_ptr(), ptr, "the same allocation comes back");
}

#[test]
fn write_all_zero_write_is_write_zero() {
    let mut w = MockWriter::new([WriteStep::Accept(2), WriteStep::Accept(0)]);
    let (res, buf) = block_on(w.write_all(String::from("abcdef")));
    assert_eq!(res.unwrap_err().kind(), ErrorKind::WriteZero);
    assert_eq!(buf, "abcdef");
    assert_eq!(w.data, b"ab");
}

#[test]
fn write_all_error_returns_the_buffer() {
    let mut w = MockWriter::new([WriteStep::Accept(2), WriteStep::Fail(ErrorKind::BrokenPipe)]);
    let (res, buf) = block_on(w.write_all(vec![7u8; 5].into_boxed_slice()));
    assert_eq!(res.unwrap_err().kind(), ErrorKind::BrokenPipe);
    assert_eq!(&buf[..], &[7; 5]);
    assert_eq!(w.data, [7, 7]);
}

#[test]
fn write_all_retries_interrupted() {
    let mut w = MockWriter::new([
        WriteStep::Fail(ErrorKind::Interrupted),
        WriteStep::Accept(1),
        WriteStep::Fail(ErrorKind::Interrupted),
    ]);
    let (res, _) = block_on(w.write_all("abc"));
    assert_eq!(res.unwrap(), 3);
    assert_eq!(w.data, b"abc");
}

#[test]
fn write_all_empty_does_not_write() {
    let mut w = MockWriter::new([]);
    let (res, _) = block_on(w.write_all(&b""[..]));
    assert_eq!(res.unwrap(), 0);
    assert_eq!(w.writes, 0);
}

#[test]
fn write_all_of_a_slice_writes_only_the_slice() {
    let mut w = MockWriter::new([WriteStep::Accept(1)]);
    let (res, slice) = block_on(w.write_all(b"0123456789".to_vec().slice(2..6)));
    assert_eq!(res.unwrap(), 4);
    assert_eq!(w.data, b"2345");
    assert_eq!((slice.begin(), slice.end()), (2, 6));
    assert_eq!(slice.into_inner(), b"0123456789");
}

#[test]
fn write_all_through_mut_ref_and_generic_code() {
    async fn send<W: AsyncWriteRent>(mut w: W, msg: &'static str) {
        let (res, _) = w.write_all(msg).await;
        res.unwrap();
        w.flush().await.unwrap();
        w.shutdown().await.unwrap();
    }
    let mut w = MockWriter::new([WriteStep::Accept(2)]);
    block_on(send(&mut w, "abcd"));
    block_on(send(&mut &mut w, "ef"));
    assert_eq!(w.data, b"abcdef");
    assert_eq!(w.writes, 3);
}

fn bufs(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

#[test]
fn writev_all_in_one_write() {
    let mut w = MockWriter::new([]);
    let (res, back) = block_on(w.writev_all(bufs(&["abc", "de"])));
    assert_eq!(res.unwrap(), 5);
    assert_eq!(w.data, b"abcde");
    assert_eq!(w.writevs, 1);
    assert_eq!(back, bufs(&["abc", "de"]));
}

#[test]
fn writev_all_partial_inside_a_buffer() {
    let mut w = MockWriter::new([WriteStep::Accept(4), WriteStep::Accept(2)]);
    let parts = ["abc", "de", "fgh"];
    let (res, back) = block_on(w.writev_all(bufs(&parts)));
    assert_eq!(res.unwrap(), 8);
    assert_eq!(w.data, b"abcdefgh");
    assert_eq!(w.writevs, 3);
    assert_eq!(back, bufs(&parts), "buffers come back whole and in order");
}

#[test]
fn writev_all_partial_at_a_boundary_and_empty_buffers() {
    let mut w = MockWriter::new([
        WriteStep::Accept(3),
        WriteStep::Accept(1),
        WriteStep::Accept(1),
    ]);
    let parts = ["", "abc", "", "d", "", "ef", ""];
    let (res, back) = block_on(w.writev_all(bufs(&parts)));
    assert_eq!(res.unwrap(), 6);
    assert_eq!(w.data, b"abcdef");
    assert_eq!(back, bufs(&parts));
}

#[test]
fn writev_all_zero_write_is_write_zero() {
    for script in [
        vec![WriteStep::Accept(0)],
        vec![WriteStep::Accept(2), WriteStep::Accept(0)],
    ] {
        let mut w = MockWriter::new(script);
        let (res, back) = block_on(w.writev_all(bufs(&["abc", "de"])));
        assert_eq!(res.unwrap_err().kind(), ErrorKind::WriteZero);
        assert_eq!(back, bufs(&["abc", "de"]));
    }
}

#[test]
fn writev_all_error_after_partial_returns_buffers() {
    let mut w = MockWriter::new([
        WriteStep::Accept(1),
        WriteStep::Fail(ErrorKind::Interrupted),
        WriteStep::Accept(3),
        WriteStep::Fail(ErrorKind::ConnectionReset),
    ]);
    let (res, back) = block_on(w.writev_all(bufs(&["abc", "de", "f"])));
    assert_eq!(res.unwrap_err().kind(), ErrorKind::ConnectionReset);
    assert_eq!(w.data, b"abcd");
    assert_eq!(back, bufs(&["abc", "de", "f"]));
}

#[test]
fn writev_all_nothing_to_write() {
    let mut w = MockWriter::new([]);
    let (res, back) = block_on(w.writev_all(bufs(&["", ""])));
    assert_eq!(res.unwrap(), 0);
    assert_eq!(back.len(), 2);
    let (res, _) = block_on(w.writev_all(Vec::<Vec<u8>>::new()));
    assert_eq!(res.unwrap(), 0);
    assert_eq!(w.writevs, 0);
}

#[test]
fn mock_readv_fills_buffers_in_order() {
    // Keeps the mock's `readv` honest for the tests that will use it.
    let mut r = MockReader::new([data("abcde")]);
    let (res, bufs) =
        block_on(r.readv(vec![Vec::new().slice_mut_of(2), Vec::new().slice_mut_of(2)]));
    assert_eq!(res.unwrap(), 4);
    let bufs: Vec<_> = bufs.into_iter().map(|b| b.into_inner()).collect();
    assert_eq!(bufs, [b"ab".to_vec(), b"cd".to_vec()]);
}

#[test]
fn read_to_end_appends_across_reads_and_grows() {
    let big = vec![7u8; 10_000];
    let mut r = MockReader::new([data("ab"), ReadStep::Data(big.clone()), data("cd")]);
    let (res, buf) = block_on(r.read_to_end(b"x".to_vec()));
    assert_eq!(res.unwrap(), 10_004);
    assert_eq!(&buf[..3], b"xab");
    assert_eq!(&buf[3..10_003], &big[..]);
    assert_eq!(&buf[10_003..], b"cd");
}

#[test]
fn read_to_end_retries_interrupted_and_returns_errors_with_the_bytes() {
    let mut r = MockReader::new([
        data("ab"),
        ReadStep::Fail(ErrorKind::Interrupted),
        data("c"),
        ReadStep::Fail(ErrorKind::ConnectionReset),
    ]);
    let (res, buf) = block_on(r.read_to_end(Vec::new()));
    assert_eq!(res.unwrap_err().kind(), ErrorKind::ConnectionReset);
    assert_eq!(buf, b"abc");
}

#[test]
fn read_to_end_of_an_empty_stream_is_zero() {
    let mut r = MockReader::new([]);
    let (res, buf) = block_on(r.read_to_end(Vec::new()));
    assert_eq!(res.unwrap(), 0);
    assert!(buf.is_empty());
}

#[test]
fn readv_exact_fills_every_buffer_across_partial_reads() {
    let mut r = MockReader::new([data("abcd"), data("efgh"), data("rest")]);
    let bufs = vec![Vec::new().slice_mut_of(3), Vec::new().slice_mut_of(5)];
    let (res, bufs) = block_on(r.readv_exact(bufs));
    assert_eq!(res.unwrap(), 8);
    let bufs: Vec<Vec<u8>> = bufs.into_iter().map(|s| s.into_inner()).collect();
    assert_eq!(bufs, [b"abc".to_vec(), b"defgh".to_vec()]);
    let (res, rest) = block_on(r.read(Vec::with_capacity(8)));
    assert_eq!(res.unwrap(), 4);
    assert_eq!(rest, b"rest");
}

#[test]
fn readv_exact_reports_eof_with_the_bytes_read() {
    let mut r = MockReader::new([data("abcd")]);
    let bufs = vec![Vec::new().slice_mut_of(3), Vec::new().slice_mut_of(3)];
    let (res, bufs) = block_on(r.readv_exact(bufs));
    assert_eq!(res.unwrap_err().kind(), ErrorKind::UnexpectedEof);
    let bufs: Vec<Vec<u8>> = bufs.into_iter().map(|s| s.into_inner()).collect();
    assert_eq!(bufs, [b"abc".to_vec(), b"d".to_vec()]);
}

#[test]
fn readv_exact_of_nothing_is_zero() {
    let mut r = MockReader::new([data("abc")]);
    let (res, bufs) = block_on(r.readv_exact(Vec::<Vec<u8>>::new()));
    assert_eq!(res.unwrap(), 0);
    assert!(bufs.is_empty());
    assert_eq!(r.calls, 0);
}
