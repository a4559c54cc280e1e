//! Safe byte copies in and out of owned buffers, for code that moves bytes
//! between buffers in memory instead of through the kernel (the buffered
//! readers and writers of [`crate::io`]), so that it needs no `unsafe`.

use super::{IoBuf, IoBufMut};

/// The initialized bytes of `buf`: what a write of it would transmit.
pub(crate) fn init_bytes<B: IoBuf + ?Sized>(buf: &B) -> &[u8] {
    // SAFETY: `IoBuf`'s contract: `read_ptr()` points to `bytes_init()`
    // initialized bytes that nobody writes while `buf` is borrowed (the
    // shared borrow of `buf` forbids its owner's mutations meanwhile).
    unsafe { std::slice::from_raw_parts(buf.read_ptr(), buf.bytes_init()) }
}

/// Copies as much of `src` as fits into `buf`'s writable region, marks it
/// initialized, and returns how many bytes were copied (for a `Vec`, they
/// are appended).
pub(crate) fn put_slice<B: IoBufMut + ?Sized>(buf: &mut B, src: &[u8]) -> usize {
    let n = src.len().min(buf.bytes_total());
    if n == 0 {
        return 0;
    }
    // SAFETY: `IoBufMut`'s contract: `write_ptr()` points to
    // `bytes_total() >= n` writable bytes that only `buf`'s holder (we, by
    // the exclusive borrow) may write. `src` cannot overlap them: it is a
    // shared borrow, and the region is not part of any live shared borrow
    // because only `&mut buf` reaches it.
    unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), buf.write_ptr(), n) };
    // SAFETY: the first `n <= bytes_total()` bytes of the region were just
    // written.
    unsafe { buf.set_init(n) };
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_slice_appends_what_fits() {
        let mut v = Vec::with_capacity(4);
        v.push(1u8);
        let room = v.capacity() - 1;
        assert_eq!(put_slice(&mut v, &[2, 3, 4, 5, 6, 7, 8, 9]), room);
        assert_eq!(&v[..4], &[1, 2, 3, 4]);
        assert_eq!(init_bytes(&v), &v[..]);
        let mut full = vec![0u8; 3];
        full.shrink_to_fit();
        assert_eq!(put_slice(&mut full, b"x"), full.capacity() - 3);
    }
}
