//! `IoBuf`/`IoBufMut` for the `bytes` crate's buffers (the `bytes` feature).

use bytes::{Bytes, BytesMut};

use super::{IoBuf, IoBufMut};

// SAFETY: a `Bytes` is an immutable view of shared memory (heap or static)
// that is never written while any handle exists and does not move when the
// handle moves; `as_ptr()` points to `len()` initialized bytes.
unsafe impl IoBuf for Bytes {
    fn read_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
}

// SAFETY: a `BytesMut` uniquely owns the memory its view covers, which does not
// move when the handle moves and is reallocated only by methods that need
// `&mut self` (`reserve`, `extend`, ...), which nobody can call while the
// runtime holds it; `as_ptr()` points to `len()` initialized bytes.
unsafe impl IoBuf for BytesMut {
    fn read_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
}

// SAFETY: as for `IoBuf`; the writable region is the spare capacity
// `[len, capacity)`, which the `BytesMut` uniquely owns, and `set_init` grows
// the length over exactly the written bytes.
unsafe impl IoBufMut for BytesMut {
    fn write_ptr(&mut self) -> *mut u8 {
        self.spare_capacity_mut().as_mut_ptr().cast()
    }
    fn bytes_total(&self) -> usize {
        self.capacity() - self.len()
    }
    unsafe fn set_init(&mut self, pos: usize) {
        debug_assert!(
            pos <= self.bytes_total(),
            "set_init({pos}) past the writable region"
        );
        let len = self.len() + pos;
        // SAFETY: the caller guarantees the `pos` bytes after the old length
        // were initialized and lie within the capacity.
        unsafe { self.set_len(len) }
    }
}
