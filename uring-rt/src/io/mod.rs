//! Completion-based I/O traits: the buffer is passed by value and comes back
//! with the result ([`BufResult`](crate::BufResult)).

mod read;
mod write;

pub use read::AsyncReadRent;
pub use write::AsyncWriteRent;
