/// A buffer the kernel may write into while an operation is in flight.
///
/// The writable region starts at `write_ptr()` and is `bytes_total()` bytes
/// long. For a `Vec<u8>` that region is `[len, capacity)`: a read appends to
/// what the vector already holds and then sets its length.
///
/// # Safety
///
/// Implementors guarantee that `write_ptr()` points to `bytes_total()`
/// writable bytes, and that the pointer stays valid and stable while the
/// runtime holds the buffer, even if the buffer value is moved.
pub unsafe trait IoBufMut: Unpin + 'static {
    /// Pointer to the start of the writable region.
    fn write_ptr(&mut self) -> *mut u8;
    /// Length of the writable region.
    fn bytes_total(&self) -> usize;
    /// Marks the first `pos` bytes of the writable region as initialized.
    ///
    /// # Safety
    ///
    /// The caller guarantees that those `pos` bytes were written.
    unsafe fn set_init(&mut self, pos: usize);
}

// SAFETY: the region [len, capacity) of the heap allocation is writable and
// does not move while the runtime owns the Vec.
unsafe impl IoBufMut for Vec<u8> {
    fn write_ptr(&mut self) -> *mut u8 {
        // SAFETY: len <= capacity, so the offset stays inside the allocation
        // (or one past its end).
        unsafe { self.as_mut_ptr().add(self.len()) }
    }
    fn bytes_total(&self) -> usize {
        self.capacity() - self.len()
    }
    unsafe fn set_init(&mut self, pos: usize) {
        let len = self.len() + pos;
        debug_assert!(len <= self.capacity());
        // SAFETY: the caller guarantees the `pos` bytes after the old length
        // were written, and they lie within the capacity.
        unsafe { self.set_len(len) }
    }
}
