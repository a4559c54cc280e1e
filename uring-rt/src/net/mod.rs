//! Networking: TCP, UDP and Unix-domain sockets on owned-buffer I/O.
//!
//! Every socket type is `!Send`: it belongs to the runtime (core) that
//! created it. For one listener per core, bind each with
//! [`NetConfig::reuse_port`] and let the kernel spread connections.
//!
//! Dropping a socket closes it once the operations still using it are
//! done: on io_uring with a close submitted to the ring at once, on epoll
//! with close(2). Either way it is closed when the drop returns (a
//! listener's port can be bound again at once), unless an operation still
//! holds it.

// `deny`, not `forbid`: `raw_fd` alone allows it, for the `unsafe fn`
// that `FromRawFd` requires (its body is one argued block).
#![deny(unsafe_code)]

pub(crate) mod addr;
mod config;
mod incoming;
mod lookup;
mod raw_fd;
mod readiness;
mod reuse_port;
mod sendfile;
pub(crate) mod socket;
mod split;
mod tcp;
mod udp;
pub mod unix;

pub use config::NetConfig;
pub use incoming::Incoming;
pub use lookup::{lookup_host, ToSocketAddrs};
pub use tcp::{
    OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, TcpListener, TcpSocket, TcpStream,
    WriteHalf,
};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixSocketAddr, UnixStream};
