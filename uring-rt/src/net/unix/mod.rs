//! Unix-domain sockets: streams, listeners and datagrams, on filesystem
//! paths or (Linux) abstract names — a path whose first byte is NUL, e.g.
//! `"\0my-service"`, names an abstract socket. The types are also exported
//! from [`aio::net`](crate::net); this module adds the split halves.

mod addr;
mod datagram;
mod fds;
mod listener;
mod split;
mod stream;
mod ucred;

pub use addr::UnixSocketAddr;
pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use stream::UnixStream;
pub use ucred::UCred;
