use std::ops::{Bound, RangeBounds};

use super::IoBuf;

/// An owned view of the initialized bytes `[begin, end)` of a buffer; itself
/// an [`IoBuf`], so writing it transmits just those bytes.
///
/// Made by [`IoBuf::slice`]; [`into_inner`](Slice::into_inner) gives the
/// whole buffer back. This is how
/// [`write_all`](crate::io::AsyncWriteRentExt::write_all) retries the rest
/// of a buffer after a partial write without copying it.
///
/// The view is re-derived from the buffer each time it is used, so changing
/// the buffer through [`get_mut`](Slice::get_mut) never makes the slice
/// expose bytes past the buffer's initialized end: if the buffer shrank, the
/// slice shrinks with it.
#[derive(Debug)]
pub struct Slice<B> {
    buf: B,
    begin: usize,
    end: usize,
}

impl<B> Slice<B> {
    /// Wraps `buf`; the caller has checked `begin <= end <= buf.bytes_init()`
    /// (not needed for soundness: the `IoBuf` impl clamps).
    pub(super) fn new(buf: B, begin: usize, end: usize) -> Self {
        debug_assert!(begin <= end);
        Slice { buf, begin, end }
    }

    /// Offset in the buffer's initialized bytes at which the slice starts.
    pub fn begin(&self) -> usize {
        self.begin
    }

    /// Offset in the buffer's initialized bytes at which the slice ends
    /// (exclusive).
    pub fn end(&self) -> usize {
        self.end
    }

    /// The whole underlying buffer.
    pub fn get_ref(&self) -> &B {
        &self.buf
    }

    /// The whole underlying buffer, mutably. The slice keeps its offsets.
    pub fn get_mut(&mut self) -> &mut B {
        &mut self.buf
    }

    /// Gives back the whole buffer, including the bytes outside the slice.
    pub fn into_inner(self) -> B {
        self.buf
    }

    /// Drops the first `n` bytes from the view (at most down to empty).
    pub(crate) fn advance(&mut self, n: usize) {
        self.begin = self.begin.saturating_add(n).min(self.end);
    }
}

// SAFETY: the view is clamped to the inner buffer's initialized bytes on every
// call: `read_ptr()` is the inner pointer plus at most `bytes_init()` (still
// inside, or one past, the inner buffer's initialized bytes), and
// `bytes_init()` counts only bytes before the inner `bytes_init()`. So the
// inner buffer's guarantees (initialized, valid, stable when moved) carry
// over; moving the Slice moves the inner buffer by value, which it permits.
unsafe impl<B: IoBuf> IoBuf for Slice<B> {
    fn read_ptr(&self) -> *const u8 {
        let begin = self.begin.min(self.buf.bytes_init());
        self.buf.read_ptr().wrapping_add(begin)
    }

    fn bytes_init(&self) -> usize {
        self.end
            .min(self.buf.bytes_init())
            .saturating_sub(self.begin)
    }
}

/// Resolves `range` against a length of `len`, panicking with a message that
/// names the method (`what`) and the limit (`limit`) if it does not fit.
#[track_caller]
pub(super) fn bounds(
    range: &impl RangeBounds<usize>,
    len: usize,
    what: &str,
    limit: &str,
) -> (usize, usize) {
    let begin = match range.start_bound() {
        Bound::Included(&b) => b,
        Bound::Excluded(&b) => b
            .checked_add(1)
            .unwrap_or_else(|| panic!("{what}: range start overflows usize")),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(&e) => e
            .checked_add(1)
            .unwrap_or_else(|| panic!("{what}: range end overflows usize")),
        Bound::Excluded(&e) => e,
        Bound::Unbounded => len,
    };
    assert!(
        begin <= end,
        "{what}: range starts at {begin} but ends at {end}"
    );
    assert!(
        end <= len,
        "{what}: range end {end} is out of bounds: {limit} is {len}"
    );
    (begin, end)
}
