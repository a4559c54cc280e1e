//! Errors of the cross-core [`broadcast`](crate::cores::broadcast()), with tokio's
//! names and shapes (`tokio::sync::broadcast::error`).

use std::error::Error;
use std::fmt;

/// There was no receiver; the value comes back in `.0`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

/// Why [`Receiver::recv`](super::Receiver::recv) returned no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvError {
    /// Every sender is gone and the receiver saw every value.
    Closed,
    /// The receiver fell more than the capacity behind: this many values
    /// were overwritten before it saw them. The next receive returns the
    /// oldest value still held.
    Lagged(u64),
}

/// Why [`Receiver::try_recv`](super::Receiver::try_recv) returned no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing new right now; senders still exist.
    Empty,
    /// Nothing new and every sender is gone.
    Closed,
    /// As [`RecvError::Lagged`].
    Lagged(u64),
}

impl<T> SendError<T> {
    /// The value that could not be sent.
    pub fn into_inner(self) -> T {
        self.0
    }
}

// Debug and Display do not require `T: Debug`, so `?` and `unwrap()` work
// for any value type (the value itself is not printed).
impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("broadcasting with no receiver")
    }
}

impl<T> Error for SendError<T> {}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Closed => f.write_str("broadcast channel closed: every sender is gone"),
            RecvError::Lagged(n) => write!(f, "receiver lagged behind and missed {n} values"),
        }
    }
}

impl Error for RecvError {}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("no new value in the broadcast channel"),
            TryRecvError::Closed => f.write_str("broadcast channel closed: every sender is gone"),
            TryRecvError::Lagged(n) => write!(f, "receiver lagged behind and missed {n} values"),
        }
    }
}

impl Error for TryRecvError {}
