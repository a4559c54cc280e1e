//! Completion-based I/O traits: the buffer is passed by value and comes back
//! with the result ([`BufResult`](crate::BufResult)), on error too.
//!
//! [`AsyncReadRent`] and [`AsyncWriteRent`] are the one-shot operations each
//! stream implements (a single read or write, which may be partial);
//! [`AsyncReadRentExt`] and [`AsyncWriteRentExt`] loop over them
//! (`read_exact`, `write_all`, `writev_all`) for every implementor.
//!
//! On top of them: [`BufReader`] (buffered reads, `read_line`, `read_until`,
//! [`Lines`] as a stream), [`BufWriter`] (coalesced writes) and
//! [`LengthDelimited`] (length-prefixed frames).
//!
//! In memory: [`empty`] and [`sink`]; the traits are implemented for
//! `&[u8]` (reads), `std::io::Cursor<Vec<u8>>` (reads and writes) and
//! `Box<T>` (forwarding).
//!
//! [`AsyncRentDuplex`] is implemented by streams whose reads and writes may
//! be in flight at once through shared references (TCP and Unix streams);
//! the poll-based adapters of `aio::compat` build on it.

mod async_fd;
mod buf_reader;
mod buf_writer;
mod copy;
mod duplex;
mod ext;
mod impls;
mod length_delimited;
mod lines;
#[cfg(test)]
mod mock;
pub(crate) mod pipe;
mod read;
mod ready;
mod splice;
mod util;
mod write;

pub use async_fd::{AsyncFd, AsyncFdReadyGuard, TryIoError};
pub use buf_reader::BufReader;
pub use buf_writer::BufWriter;
pub use copy::copy;
// Used by the compat and TLS layers only.
#[cfg(any(
    feature = "tokio-io",
    feature = "futures-io",
    feature = "hyper",
    feature = "rustls"
))]
pub(crate) use duplex::write_all_shared;
pub use duplex::AsyncRentDuplex;
pub(crate) use ext::timed_out_if_cancelled;
pub use ext::{AsyncReadRentExt, AsyncWriteRentExt};
pub use length_delimited::LengthDelimited;
pub use lines::Lines;
pub use pipe::{pipe, PipeReader, PipeWriter};
pub use read::AsyncReadRent;
pub use ready::{Interest, Ready};
pub use splice::splice;
pub(crate) use splice::splice_fds;
pub use util::{empty, sink, Empty, Sink};
pub use write::AsyncWriteRent;
