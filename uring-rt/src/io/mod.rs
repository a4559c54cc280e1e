//! Completion-based I/O traits: the buffer is passed by value and comes back
//! with the result ([`BufResult`](crate::BufResult)), on error too.
//!
//! [`AsyncReadRent`] and [`AsyncWriteRent`] are the one-shot operations each
//! stream implements (a single read or write, which may be partial);
//! [`AsyncReadRentExt`] and [`AsyncWriteRentExt`] loop over them
//! (`read_exact`, `write_all`, `writev_all`) for every implementor.

mod ext;
#[cfg(test)]
mod mock;
mod read;
mod write;

pub(crate) use ext::timed_out_if_cancelled;
pub use ext::{AsyncReadRentExt, AsyncWriteRentExt};
pub use read::AsyncReadRent;
pub use write::AsyncWriteRent;
