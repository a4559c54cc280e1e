//! Networking: TCP, UDP and Unix-domain sockets on owned-buffer I/O.
//!
//! Every socket type is `!Send`: it belongs to the runtime (core) that
//! created it. For one listener per core, bind each with
//! [`NetConfig::reuse_port`] and let the kernel spread connections.

#![forbid(unsafe_code)]

pub(crate) mod addr;
mod config;
mod incoming;
mod lookup;
pub(crate) mod socket;
mod tcp;
mod udp;
pub mod unix;

pub use config::NetConfig;
pub use incoming::Incoming;
pub use lookup::{lookup_host, ToSocketAddrs};
pub use tcp::{OwnedReadHalf, OwnedWriteHalf, TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixSocketAddr, UnixStream};
