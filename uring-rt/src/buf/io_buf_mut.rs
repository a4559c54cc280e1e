use std::ops::RangeBounds;

use super::slice;
use super::{IoBuf, SliceMut};

/// A buffer the kernel may write into while an operation is in flight (a
/// read or a receive).
///
/// # The writable region
///
/// The kernel writes into the *writable region*: the `bytes_total()` bytes
/// starting at `write_ptr()`. After an operation wrote `n` bytes there, the
/// runtime calls [`set_init(n)`](IoBufMut::set_init) to say that the first
/// `n` bytes of the region are now initialized. What that does depends on
/// the buffer:
///
/// - a growable buffer (`Vec<u8>`, `bytes::BytesMut`) has the region
///   `[len, capacity)`, its spare capacity: a read *appends* to what the
///   buffer already holds, and `set_init(n)` grows its length by `n`, which
///   moves the region past the new bytes. Reserve capacity before a read:
///   a `Vec` with no spare capacity reads nothing (`Ok(0)`);
/// - a fixed buffer (`Box<[u8]>`) has the whole of its memory as region and
///   it is always initialized; a read overwrites it from the start and
///   `set_init` does nothing;
/// - a [`SliceMut`] is a part of another buffer's region that behaves like a
///   growable buffer of fixed capacity (see its docs).
///
/// So after `set_init` the region may or may not have moved: ask
/// `write_ptr()`/`bytes_total()` again rather than assuming either.
///
/// # Safety
///
/// Implementors guarantee that:
///
/// - `write_ptr()` points to `bytes_total()` bytes that may be written (they
///   need not be initialized) and that nobody else reads or writes while the
///   runtime holds the buffer;
/// - that memory stays valid and at the same address while the runtime holds
///   the buffer, even if the buffer value itself is moved;
/// - `write_ptr()` and `bytes_total()` give the same answers each time they
///   are called until `set_init` is called or the buffer is otherwise mutated
///   by its owner;
/// - after `set_init(n)`, the `n` bytes written are part of the buffer's
///   contents (for a buffer that is also [`IoBuf`], they are among its
///   initialized bytes).
pub unsafe trait IoBufMut: Unpin + 'static {
    /// Pointer to the start of the writable region.
    fn write_ptr(&mut self) -> *mut u8;

    /// Length of the writable region in bytes.
    fn bytes_total(&self) -> usize;

    /// Marks the first `pos` bytes of the writable region as initialized.
    ///
    /// # Safety
    ///
    /// The caller guarantees that `pos <= bytes_total()` and that the first
    /// `pos` bytes of the writable region (as `write_ptr()` returned it before
    /// this call) are initialized, usually because the kernel wrote them.
    unsafe fn set_init(&mut self, pos: usize);

    /// Returns an owned view of part of the writable region, itself an
    /// `IoBufMut` whose writable region is `range` (in bytes from
    /// `write_ptr()`). [`SliceMut::into_inner`] gives the whole buffer back
    /// with the bytes written through the slice marked initialized.
    ///
    /// For a `Vec<u8>` the writable region is its spare capacity, so
    /// `vec.slice_mut(..n)` reads at most (with
    /// [`read_exact`](crate::io::AsyncReadRentExt::read_exact), exactly) `n`
    /// more bytes after the ones it holds.
    ///
    /// # Panics
    ///
    /// - If the range ends past `bytes_total()` or starts after it ends.
    /// - If the range starts after 0 and the bytes it skips are not
    ///   initialized bytes of the buffer (as `IoBuf` says), because marking
    ///   the slice's bytes initialized would also mark those. A `Box<[u8]>`
    ///   may be sliced anywhere; a `Vec`'s range must start at 0 (its region
    ///   is uninitialized spare capacity).
    ///
    /// # Examples
    ///
    /// ```
    /// use aio::buf::IoBufMut;
    ///
    /// let mut vec = Vec::with_capacity(64);
    /// vec.extend_from_slice(b"head:");
    /// let slice = vec.slice_mut(..4); // the 4 bytes after "head:"
    /// assert_eq!(slice.bytes_total(), 4);
    /// assert_eq!(slice.into_inner(), b"head:"); // nothing was read
    ///
    /// let boxed: Box<[u8]> = vec![0; 8].into_boxed_slice();
    /// let slice = boxed.slice_mut(2..6); // overwrite bytes 2..6
    /// assert_eq!((slice.begin(), slice.end(), slice.bytes_total()), (2, 6, 4));
    /// ```
    #[track_caller]
    fn slice_mut(mut self, range: impl RangeBounds<usize>) -> SliceMut<Self>
    where
        Self: IoBuf + Sized,
    {
        let (begin, end) = slice::bounds(
            &range,
            self.bytes_total(),
            "IoBufMut::slice_mut",
            "bytes_total()",
        );
        if begin > 0 {
            // Compare addresses only: is [write_ptr, write_ptr + begin) inside
            // [read_ptr, read_ptr + bytes_init)? Nothing is dereferenced.
            let region = self.write_ptr() as usize;
            let init = self.read_ptr() as usize;
            let skipped_init = region
                .checked_sub(init)
                .and_then(|offset| offset.checked_add(begin))
                .is_some_and(|skipped_end| skipped_end <= self.bytes_init());
            assert!(
                skipped_init,
                "IoBufMut::slice_mut: the range starts at {begin}, but the first {begin} bytes of \
                 the writable region are not initialized; start the range at 0 (a Vec's writable \
                 region is its spare capacity, so `vec.slice_mut(..n)` appends up to n bytes)"
            );
        }
        // SAFETY: either `begin == 0`, or the check above showed the `begin`
        // bytes before the slice are initialized bytes of the buffer.
        unsafe { SliceMut::new_unchecked(self, begin, end) }
    }
}

// SAFETY: the region [len, capacity) of the heap allocation is writable, does
// not move with the Vec value, and nobody can reallocate it while the runtime
// owns the Vec. `set_init` grows the length over exactly the written bytes.
unsafe impl IoBufMut for Vec<u8> {
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

// SAFETY: the whole boxed slice is writable and initialized, its allocation
// does not move with the Box, and its length never changes, so `set_init`
// has nothing to record.
unsafe impl IoBufMut for Box<[u8]> {
    fn write_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }
    fn bytes_total(&self) -> usize {
        self.len()
    }
    unsafe fn set_init(&mut self, pos: usize) {
        debug_assert!(
            pos <= self.len(),
            "set_init({pos}) past the writable region"
        );
    }
}
