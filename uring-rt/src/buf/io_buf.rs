/// A buffer the kernel may read from while an operation is in flight.
///
/// # Safety
///
/// Implementors guarantee that `read_ptr()` points to at least
/// `bytes_init()` initialized bytes, and that this pointer stays valid and
/// stable (the same address, the memory neither freed nor reallocated) for as
/// long as the runtime holds the buffer, even if the buffer value itself is
/// moved. Heap-backed types (`Vec<u8>`, `Box<[u8]>`) satisfy this; an inline
/// array (`[u8; N]`) does not.
pub unsafe trait IoBuf: Unpin + 'static {
    /// Pointer to the first initialized byte.
    fn read_ptr(&self) -> *const u8;
    /// Number of initialized bytes starting at `read_ptr()`: what a write or
    /// send transmits.
    fn bytes_init(&self) -> usize;
}

// SAFETY: a Vec's heap allocation does not move when the Vec value moves, and
// the runtime holds the Vec by value so nobody can reallocate it meanwhile.
unsafe impl IoBuf for Vec<u8> {
    fn read_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
}
