//! Errors of the cross-core [`broadcast`](crate::cores::broadcast()): the
//! same types as the core-local [`aio::sync::broadcast`](crate::sync::broadcast)
//! channel's (tokio's names and shapes, `tokio::sync::broadcast::error`),
//! so code handling one handles the other.

pub use crate::sync::broadcast::error::{RecvError, SendError, TryRecvError};
