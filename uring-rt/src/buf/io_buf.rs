use std::ops::RangeBounds;

use super::slice::{self, Slice};

/// A buffer the kernel may read from while an operation is in flight (a
/// write or a send).
///
/// The bytes an operation transmits are the `bytes_init()` bytes starting at
/// `read_ptr()`. Operations take the buffer by value and hand it back with
/// the result ([`BufResult`](crate::BufResult)), so nothing else can touch
/// it meanwhile.
///
/// Implemented for `Vec<u8>`, `Box<[u8]>`, `String`, `&'static [u8]`,
/// `&'static str`, [`Slice<B>`](Slice), and with the `bytes` feature
/// `bytes::Bytes` and `bytes::BytesMut`. An inline array is not a buffer,
/// because its bytes move with the value:
///
/// ```compile_fail
/// fn takes_buf<B: aio::buf::IoBuf>(_: B) {}
/// takes_buf([0u8; 16]); // error: `[u8; 16]` is not `IoBuf`; use a Vec or a Box
/// ```
///
/// # Safety
///
/// Implementors guarantee that:
///
/// - `read_ptr()` points to at least `bytes_init()` initialized bytes;
/// - that memory stays valid, at the same address, and is not written by
///   anyone else for as long as the runtime holds the buffer, even if the
///   buffer value itself is moved (the runtime moves it into its operation
///   table when a future is dropped early);
/// - calling `read_ptr()` and `bytes_init()` again without mutating the
///   buffer gives the same answers.
///
/// Heap-backed types (`Vec<u8>`, `Box<[u8]>`) and `'static` data satisfy
/// this; an inline array (`[u8; N]`) does not.
pub unsafe trait IoBuf: Unpin + 'static {
    /// Pointer to the first initialized byte.
    fn read_ptr(&self) -> *const u8;

    /// Number of initialized bytes starting at `read_ptr()`: what a write or
    /// send transmits.
    fn bytes_init(&self) -> usize;

    /// Returns an owned view of the initialized bytes in `range`, itself an
    /// `IoBuf`: writing the slice transmits only those bytes.
    /// [`Slice::into_inner`] gives the whole buffer back.
    ///
    /// The range is in bytes from `read_ptr()`, like indexing `&buf[range]`.
    ///
    /// # Panics
    ///
    /// If the range ends past `bytes_init()` or starts after it ends.
    ///
    /// # Examples
    ///
    /// ```
    /// use aio::buf::IoBuf;
    ///
    /// let slice = b"hello world".to_vec().slice(6..);
    /// assert_eq!((slice.begin(), slice.end(), slice.bytes_init()), (6, 11, 5));
    /// assert_eq!(slice.into_inner(), b"hello world");
    /// ```
    #[track_caller]
    fn slice(self, range: impl RangeBounds<usize>) -> Slice<Self>
    where
        Self: Sized,
    {
        let (begin, end) = slice::bounds(&range, self.bytes_init(), "IoBuf::slice", "bytes_init()");
        Slice::new(self, begin, end)
    }
}

// SAFETY: a Vec's heap allocation does not move when the Vec value moves, and
// the runtime holds the Vec by value, so nobody can reallocate or write it
// meanwhile. `as_ptr()` points to `len()` initialized elements.
unsafe impl IoBuf for Vec<u8> {
    fn read_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
}

// SAFETY: a boxed slice's heap allocation does not move with the Box, and its
// `len()` bytes are all initialized.
unsafe impl IoBuf for Box<[u8]> {
    fn read_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
}

// SAFETY: a String is a Vec<u8> holding UTF-8; the same argument applies.
unsafe impl IoBuf for String {
    fn read_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
}

// SAFETY: `'static` shared data lives, unmoved and unwritten (it is borrowed
// immutably), for the rest of the program.
unsafe impl IoBuf for &'static [u8] {
    fn read_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
}

// SAFETY: as for `&'static [u8]`: a byte-string literal (`b"ping"`) is
// `'static` shared data, so `write_all(b"ping")` needs no `&..[..]`.
unsafe impl<const N: usize> IoBuf for &'static [u8; N] {
    fn read_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        N
    }
}

// SAFETY: as for `&'static [u8]`; a str's bytes are initialized.
unsafe impl IoBuf for &'static str {
    fn read_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
}
