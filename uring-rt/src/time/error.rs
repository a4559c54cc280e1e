//! [`Elapsed`], the error of a [`Timeout`](super::Timeout) that ran out.

use std::fmt;
use std::io;

/// The deadline of a [`timeout`](super::timeout) passed before its future
/// completed.
///
/// Converts into an [`io::Error`] of kind [`io::ErrorKind::TimedOut`], so
/// `?` works in functions returning `io::Result`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elapsed(());

impl Elapsed {
    pub(crate) fn new() -> Self {
        Elapsed(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for io::Error {
    fn from(err: Elapsed) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, err)
    }
}
