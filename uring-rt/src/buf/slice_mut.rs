use super::IoBufMut;

/// An owned view of part of a buffer's writable region; itself an
/// [`IoBufMut`].
///
/// Made by [`IoBufMut::slice_mut`]: `buf.slice_mut(begin..end)` covers the
/// bytes `[begin, end)` counted from the buffer's `write_ptr()` (for a
/// `Vec<u8>`, from its length: the spare capacity). [`into_inner`] gives the
/// whole buffer back.
///
/// # Semantics
///
/// A `SliceMut` behaves like a growable buffer of capacity `end - begin`,
/// as a `Vec` does with its spare capacity:
///
/// - its writable region is the part of `[begin, end)` not yet written:
///   `bytes_total()` starts at `end - begin` and shrinks as operations
///   report bytes through `set_init`, so successive reads fill the slice one
///   after another instead of overwriting its start;
/// - the inner buffer is not told about those bytes until [`into_inner`],
///   which calls the inner `set_init(begin + written)` once (and nothing
///   when no byte was written). For a `Vec` this is when its length grows;
///   for a `Box<[u8]>` the bytes are simply there.
///
/// Deferring the inner `set_init` keeps the inner region where it was while
/// the slice is in use, whichever kind of buffer is inside. This is how
/// [`read_exact`](crate::io::AsyncReadRentExt::read_exact) fills any
/// `IoBufMut`.
///
/// There is no `get_mut`: changing the inner buffer (a `Vec::push`) while the
/// slice holds written-but-unrecorded bytes would make `into_inner` mark the
/// wrong bytes initialized.
///
/// [`into_inner`]: SliceMut::into_inner
#[derive(Debug)]
pub struct SliceMut<B> {
    buf: B,
    /// Start of the slice, in bytes from the inner `write_ptr()`.
    begin: usize,
    /// End of the slice (exclusive), `begin <= end <= inner bytes_total()`.
    end: usize,
    /// Bytes written through the slice and reported with `set_init`:
    /// `[begin, begin + written)` of the inner region is initialized, and
    /// `written <= end - begin`.
    written: usize,
}

impl<B: IoBufMut> SliceMut<B> {
    /// Wraps `buf` with no further checks.
    ///
    /// # Safety
    ///
    /// The caller guarantees `begin <= end <= buf.bytes_total()` and that the
    /// first `begin` bytes of `buf`'s writable region are initialized (so
    /// that `into_inner` may mark `begin + written` bytes initialized).
    pub(crate) unsafe fn new_unchecked(buf: B, begin: usize, end: usize) -> Self {
        debug_assert!(begin <= end && end <= buf.bytes_total());
        SliceMut {
            buf,
            begin,
            end,
            written: 0,
        }
    }

    /// A slice over the whole writable region of `buf`.
    pub(crate) fn whole(buf: B) -> Self {
        let end = buf.bytes_total();
        // SAFETY: `0 <= end == bytes_total()`, and no byte is skipped.
        unsafe { Self::new_unchecked(buf, 0, end) }
    }

    /// Gives back the whole buffer, with the bytes written through the slice
    /// marked initialized (for a `Vec`, its length grows by
    /// `begin() + written`; `begin()` is 0 for a `Vec`).
    pub fn into_inner(mut self) -> B {
        if self.written > 0 {
            // SAFETY: the first `begin` bytes of the inner region were
            // initialized at construction (`new_unchecked`'s contract) and the
            // inner buffer has not been mutated since (the slice owns it and
            // offers no `get_mut`); `[begin, begin + written)` was initialized
            // by whoever called our `set_init`; and
            // `begin + written <= end <= bytes_total()`.
            unsafe { self.buf.set_init(self.begin + self.written) };
        }
        self.buf
    }
}

impl<B> SliceMut<B> {
    /// Start of the slice, in bytes from the buffer's `write_ptr()`.
    pub fn begin(&self) -> usize {
        self.begin
    }

    /// End of the slice (exclusive), in bytes from the buffer's
    /// `write_ptr()`.
    pub fn end(&self) -> usize {
        self.end
    }

    /// The whole underlying buffer. Bytes written through the slice are not
    /// yet part of its initialized contents; see
    /// [`into_inner`](SliceMut::into_inner).
    pub fn get_ref(&self) -> &B {
        &self.buf
    }
}

// SAFETY: the slice's region is `[begin + written, end)` of the inner region,
// inside it because `end <= inner bytes_total()`; the inner buffer's region
// does not move while the slice owns it, because the slice never calls the
// inner `set_init` before giving the buffer back and offers no `get_mut`; so
// the inner guarantees (writable, exclusive, stable when moved) carry over.
// `set_init` only records the count, which `into_inner` forwards.
unsafe impl<B: IoBufMut> IoBufMut for SliceMut<B> {
    fn write_ptr(&mut self) -> *mut u8 {
        self.buf.write_ptr().wrapping_add(self.begin + self.written)
    }

    fn bytes_total(&self) -> usize {
        self.end - self.begin - self.written
    }

    unsafe fn set_init(&mut self, pos: usize) {
        assert!(
            pos <= self.bytes_total(),
            "SliceMut::set_init({pos}) past the writable region ({} bytes)",
            self.bytes_total()
        );
        self.written += pos;
    }
}
