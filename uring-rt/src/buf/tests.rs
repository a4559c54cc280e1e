//! The buffer contracts: what each impl exposes to the kernel, slices at
//! their boundaries, and that no view can reach past the memory it owns.

use super::{IoBuf, IoBufMut, Slice, SliceMut};

/// The bytes an `IoBuf` exposes, as the kernel would read them.
fn exposed<B: IoBuf>(buf: &B) -> Vec<u8> {
    // SAFETY: IoBuf's contract: `bytes_init()` initialized bytes at
    // `read_ptr()`, unchanged while we hold `&B`.
    unsafe { std::slice::from_raw_parts(buf.read_ptr(), buf.bytes_init()) }.to_vec()
}

/// Writes `data` at the start of the writable region and reports it, as a
/// read completion would.
fn complete_read<B: IoBufMut>(buf: &mut B, data: &[u8]) {
    assert!(data.len() <= buf.bytes_total());
    // SAFETY: `bytes_total() >= data.len()` writable bytes at `write_ptr()`,
    // not overlapping `data`.
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), buf.write_ptr(), data.len()) };
    // SAFETY: those bytes were just written.
    unsafe { buf.set_init(data.len()) };
}

#[test]
fn std_impls_expose_their_bytes() {
    assert_eq!(exposed(&b"vec".to_vec()), b"vec");
    assert_eq!(exposed(&b"box".to_vec().into_boxed_slice()), b"box");
    assert_eq!(exposed(&String::from("string")), b"string");
    assert_eq!(exposed(&&b"static"[..]), b"static");
    assert_eq!(exposed(&"str"), b"str");
    assert_eq!(exposed(&Vec::new()), b"");
}

#[test]
fn read_ptr_is_stable_when_the_buffer_moves() {
    let vec = b"abc".to_vec();
    let ptr = vec.read_ptr();
    let moved = Box::new(vec);
    assert_eq!(moved.read_ptr(), ptr);
    let slice = moved.slice(1..);
    let moved_again = [slice];
    assert_eq!(moved_again[0].read_ptr(), ptr.wrapping_add(1));
}

#[test]
fn vec_writable_region_is_spare_capacity() {
    let mut vec = Vec::with_capacity(8);
    vec.extend_from_slice(b"ab");
    let cap = vec.capacity();
    assert_eq!(vec.bytes_total(), cap - 2);
    assert_eq!(vec.write_ptr().cast_const(), vec.as_ptr().wrapping_add(2));
    complete_read(&mut vec, b"cd");
    assert_eq!(vec, b"abcd", "a read appends");
    assert_eq!(vec.bytes_total(), cap - 4, "and moves the region");
}

#[test]
fn full_vec_has_no_room() {
    let mut vec = b"full".to_vec();
    vec.shrink_to_fit();
    if vec.capacity() == vec.len() {
        assert_eq!(vec.bytes_total(), 0);
    }
}

#[test]
fn box_writable_region_is_the_whole_slice() {
    let mut boxed: Box<[u8]> = b"....".to_vec().into_boxed_slice();
    assert_eq!(boxed.bytes_total(), 4);
    assert_eq!(boxed.write_ptr().cast_const(), boxed.as_ptr());
    complete_read(&mut boxed, b"ab");
    assert_eq!(&boxed[..], b"ab..", "a read overwrites from the start");
    assert_eq!(boxed.bytes_total(), 4, "and the region stays");
}

#[test]
fn slice_views_a_range_of_initialized_bytes() {
    let buf = b"hello world".to_vec();
    let base = buf.read_ptr();
    let s = buf.slice(6..);
    assert_eq!((s.begin(), s.end()), (6, 11));
    assert_eq!(s.read_ptr(), base.wrapping_add(6));
    assert_eq!(exposed(&s), b"world");
    assert_eq!(s.get_ref().len(), 11);
    assert_eq!(s.into_inner(), b"hello world");
}

#[test]
fn slice_range_forms() {
    let buf = b"0123456789".to_vec();
    let s = buf.slice(..);
    assert_eq!(exposed(&s), b"0123456789");
    let s = s.into_inner().slice(2..=4);
    assert_eq!(exposed(&s), b"234");
    let s = s.into_inner().slice(..3);
    assert_eq!(exposed(&s), b"012");
    let s = s.into_inner().slice(10..);
    assert_eq!(exposed(&s), b"", "an empty slice at the end is allowed");
    let s = s.into_inner().slice(4..4);
    assert_eq!(exposed(&s), b"");
}

#[test]
fn slice_of_a_slice() {
    let s = b"0123456789".to_vec().slice(2..8).slice(1..3);
    assert_eq!(exposed(&s), b"34");
    assert_eq!(s.into_inner().into_inner(), b"0123456789");
}

#[test]
#[should_panic(expected = "IoBuf::slice: range end 5 is out of bounds: bytes_init() is 4")]
fn slice_past_init_panics() {
    // Capacity does not count: only initialized bytes may be sliced.
    let mut buf = Vec::with_capacity(64);
    buf.extend_from_slice(b"abcd");
    let _ = buf.slice(..5);
}

#[test]
#[should_panic(expected = "IoBuf::slice: range starts at 3 but ends at 2")]
fn slice_backwards_panics() {
    let (begin, end) = (3, 2);
    let _ = b"abcd".to_vec().slice(begin..end);
}

#[test]
fn slice_clamps_when_the_buffer_shrinks() {
    let mut s = b"0123456789".to_vec().slice(2..8);
    s.get_mut().truncate(4);
    assert_eq!(exposed(&s), b"23");
    s.get_mut().truncate(1);
    assert_eq!(s.bytes_init(), 0, "never past the buffer's initialized end");
    s.get_mut().clear();
    assert_eq!(s.bytes_init(), 0);
    assert_eq!((s.begin(), s.end()), (2, 8));
}

#[test]
fn slice_advance_stops_at_the_end() {
    let mut s = b"abcdef".to_vec().slice(1..4);
    s.advance(2);
    assert_eq!(exposed(&s), b"d");
    s.advance(usize::MAX);
    assert_eq!(exposed(&s), b"");
    assert_eq!(s.begin(), s.end());
}

#[test]
fn slice_mut_of_a_vec_fills_spare_capacity_then_sets_len() {
    let mut vec = Vec::with_capacity(16);
    vec.extend_from_slice(b"hd:");
    let spare = vec.write_ptr();
    let mut s: SliceMut<Vec<u8>> = vec.slice_mut(..5);
    assert_eq!((s.begin(), s.end(), s.bytes_total()), (0, 5, 5));
    assert_eq!(s.write_ptr(), spare);
    complete_read(&mut s, b"ab");
    assert_eq!(
        s.bytes_total(),
        3,
        "the slice's region moves past written bytes"
    );
    assert_eq!(s.write_ptr(), spare.wrapping_add(2));
    assert_eq!(s.get_ref().len(), 3, "the Vec learns only on into_inner");
    complete_read(&mut s, b"cde");
    assert_eq!(s.bytes_total(), 0);
    assert_eq!(s.into_inner(), b"hd:abcde");
}

#[test]
fn slice_mut_with_nothing_written_leaves_the_buffer() {
    let mut vec = Vec::with_capacity(4);
    vec.push(1);
    assert_eq!(vec.slice_mut(..).into_inner(), [1]);
}

#[test]
fn slice_mut_of_a_box_may_start_anywhere() {
    let boxed: Box<[u8]> = b"........".to_vec().into_boxed_slice();
    let base = boxed.as_ptr();
    let mut s = boxed.slice_mut(2..6);
    assert_eq!(s.write_ptr().cast_const(), base.wrapping_add(2));
    complete_read(&mut s, b"ab");
    complete_read(&mut s, b"c");
    assert_eq!(s.bytes_total(), 1);
    assert_eq!(&s.into_inner()[..], b"..abc...");
    let boxed: Box<[u8]> = b"ab".to_vec().into_boxed_slice();
    assert_eq!(boxed.slice_mut(2..).bytes_total(), 0, "empty at the end");
}

#[test]
#[should_panic(expected = "the first 1 bytes of the writable region are not initialized")]
fn slice_mut_of_a_vec_must_start_at_zero() {
    let mut vec = Vec::with_capacity(8);
    vec.push(0);
    let _ = vec.slice_mut(1..3);
}

#[test]
#[should_panic(expected = "IoBufMut::slice_mut: range end 9 is out of bounds: bytes_total() is 8")]
fn slice_mut_past_the_region_panics() {
    let boxed: Box<[u8]> = vec![0; 8].into_boxed_slice();
    let _ = boxed.slice_mut(..9);
}

#[test]
#[should_panic(expected = "past the writable region")]
fn slice_mut_set_init_past_the_region_panics() {
    let boxed: Box<[u8]> = vec![0; 8].into_boxed_slice();
    let mut s = boxed.slice_mut(..2);
    // SAFETY: not sound to rely on; the call must panic before recording it.
    unsafe { s.set_init(3) };
}

#[test]
fn slice_mut_nested() {
    let mut vec = Vec::with_capacity(8);
    vec.push(b'<');
    let mut outer = SliceMut::whole(vec.slice_mut(..4));
    complete_read(&mut outer, b"xy");
    let inner = outer.into_inner();
    assert_eq!(inner.bytes_total(), 2);
    assert_eq!(inner.into_inner(), b"<xy");
}

#[test]
fn slice_is_an_io_buf_and_slice_mut_an_io_buf_mut() {
    fn io_buf<B: IoBuf>() {}
    fn io_buf_mut<B: IoBufMut>() {}
    io_buf::<Slice<Vec<u8>>>();
    io_buf::<Slice<&'static str>>();
    io_buf_mut::<SliceMut<Vec<u8>>>();
    io_buf_mut::<SliceMut<Box<[u8]>>>();
}

#[cfg(feature = "bytes")]
#[test]
fn bytes_impls() {
    use bytes::{Bytes, BytesMut};
    assert_eq!(exposed(&Bytes::from_static(b"static")), b"static");
    assert_eq!(exposed(&Bytes::from(b"heap".to_vec()).slice(1..)), b"eap");
    let mut buf = BytesMut::with_capacity(8);
    buf.extend_from_slice(b"ab");
    assert_eq!(buf.bytes_total(), buf.capacity() - 2);
    complete_read(&mut buf, b"cd");
    assert_eq!(exposed(&buf), b"abcd");
    assert_eq!(&buf[..], b"abcd");
    let frozen = buf.freeze();
    assert_eq!(exposed(&frozen), b"abcd");
}
