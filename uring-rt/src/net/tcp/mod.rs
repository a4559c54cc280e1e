//! TCP listeners and streams.

mod listener;
mod split;
mod stream;

pub use listener::{Incoming, TcpListener};
pub use split::{OwnedReadHalf, OwnedWriteHalf};
pub use stream::TcpStream;
