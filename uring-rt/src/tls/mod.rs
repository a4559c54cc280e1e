//! TLS over any rent stream with [rustls](https://docs.rs/rustls) (feature
//! `rustls`): [`TlsAcceptor`] for servers, [`TlsConnector`] for clients,
//! and the [`TlsStream`] both produce, itself [`AsyncReadRent`] +
//! [`AsyncWriteRent`]. [`TlsStream::into_duplex`] turns it into a
//! [`DuplexTlsStream`], which reads and writes at the same time through
//! `&self` ([`AsyncRentDuplex`]), as `aio::compat::Compat` needs to run
//! hyper (HTTPS, HTTP/1.1 and h2) over TLS.
//!
//! # ALPN
//!
//! The application protocol is negotiated by rustls from the configs: a
//! server lists what it speaks in `ServerConfig::alpn_protocols` (for
//! hyper, `vec![b"h2".to_vec(), b"http/1.1".to_vec()]`, preferred first), a
//! client what it offers in `ClientConfig::alpn_protocols`. After the
//! handshake, `tls.get_ref().1.alpn_protocol()` (or
//! [`DuplexTlsStream::alpn_protocol`]) says which was chosen; a client
//! offering only protocols the server does not list fails the handshake
//! (`InvalidData`, rustls's `NoApplicationProtocol`).
//!
//! rustls is a sans-I/O library: it turns ciphertext into plaintext and back
//! in memory. This module drives it directly over the inner stream's
//! owned-buffer reads and writes (there is no tokio underneath and no
//! poll-based adapter). The rustls version this module is built against is
//! re-exported as [`aio::tls::rustls`](rustls), so configurations always
//! match.
//!
//! # Example
//!
//! A server and a client on one runtime, over a socket pair, with a
//! self-signed certificate (made with the `rcgen` crate) that the client
//! trusts:
//!
//! ```
//! use std::sync::Arc;
//!
//! use aio::io::{AsyncReadRentExt, AsyncWriteRent, AsyncWriteRentExt};
//! use aio::net::UnixStream;
//! use aio::tls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
//! use aio::tls::{rustls, TlsAcceptor, TlsConnector};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
//! let key = PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der());
//! let server_config = rustls::ServerConfig::builder()
//!     .with_no_client_auth()
//!     .with_single_cert(vec![cert.cert.der().clone()], PrivateKeyDer::Pkcs8(key))?;
//! let mut roots = rustls::RootCertStore::empty();
//! roots.add(cert.cert.der().clone())?;
//! let client_config = rustls::ClientConfig::builder()
//!     .with_root_certificates(roots)
//!     .with_no_client_auth();
//! let acceptor = TlsAcceptor::from(Arc::new(server_config));
//! let connector = TlsConnector::from(Arc::new(client_config));
//!
//! aio::Runtime::new()?.block_on(async move {
//!     let (server_io, client_io) = UnixStream::pair()?;
//!     let server = aio::spawn(async move {
//!         let mut tls = acceptor.accept(server_io).await?;
//!         let (res, ping) = tls.read_exact(Vec::with_capacity(4)).await;
//!         res?;
//!         tls.write_all(ping).await.0?;
//!         tls.shutdown().await // close_notify, then the socket's write side
//!     });
//!     let name = ServerName::try_from("localhost")?;
//!     let mut tls = connector.connect(name, client_io).await?;
//!     tls.write_all(&b"ping"[..]).await.0?;
//!     let (res, echoed) = tls.read_exact(Vec::with_capacity(4)).await;
//!     res?;
//!     assert_eq!(echoed, b"ping");
//!     server.await??;
//!     Ok(())
//! })
//! # }
//! ```
//!
//! # End of stream
//!
//! A peer ends a TLS stream by sending a `close_notify` alert
//! ([`shutdown`](crate::io::AsyncWriteRent::shutdown) does that) before closing the
//! connection. A read after a received `close_notify` returns `Ok(0)`. If
//! the connection ends *without* one, the read fails with
//! [`UnexpectedEof`](std::io::ErrorKind::UnexpectedEof): the data may have
//! been truncated by an attacker (as rustls and tokio-rustls report it).
//! Many HTTPS peers skip `close_notify` when the application protocol
//! delimits its messages itself; such callers may treat `UnexpectedEof`
//! after a complete message as the end.
//!
//! # Errors
//!
//! A failed handshake or a corrupt record is an [`std::io::Error`]
//! of kind [`InvalidData`](std::io::ErrorKind::InvalidData) whose inner error
//! is the [`rustls::Error`] (`err.get_ref()` downcasts to it). rustls's
//! alert for the failure is sent to the peer on a best-effort basis.
//!
//! # Cancel safety
//!
//! A TLS stream is a sequence of records that must be decrypted in order,
//! and the inner stream's reads and writes are not cancel safe (a dropped
//! read may have consumed bytes). So a [`TlsStream`] future dropped while an
//! inner read was in flight (a `read` dropped by a timeout, say) loses the
//! ciphertext that read delivered: the read direction is then *broken*, and
//! every later read fails with an error saying so instead of returning
//! garbage or desynchronising silently. Likewise a dropped `write`, `flush`
//! or `shutdown` whose records were in flight breaks the write direction.
//! The two directions break independently: after a timed-out read the
//! stream can still write (an error response, a `close_notify`). A dropped
//! read that was only copying already-decrypted bytes loses nothing.
//! Deadlines through [`read_timeout`](crate::io::AsyncReadRentExt::read_timeout)
//! or [`cancel_after`](crate::time::cancel_after) cancel the inner read and
//! wait for it instead of dropping it, so they lose nothing and leave the
//! stream usable. See [`TlsStream`] for the details.
//!
//! [`AsyncReadRent`]: crate::io::AsyncReadRent
//! [`AsyncWriteRent`]: crate::io::AsyncWriteRent
//! [`AsyncRentDuplex`]: crate::io::AsyncRentDuplex

#![forbid(unsafe_code)]

mod acceptor;
mod connector;
mod duplex;
mod handshake;
mod records;
mod stream;
#[cfg(test)]
mod tests;
mod turn;

pub use acceptor::TlsAcceptor;
pub use connector::TlsConnector;
pub use duplex::DuplexTlsStream;
pub use stream::TlsStream;

/// The rustls crate this module is built against, so that configurations
/// and names (`rustls::ServerConfig`, `rustls::pki_types::ServerName`) come
/// from the same version.
pub use rustls;

use std::io;

/// A rustls error as the `io::Error` the rent traits return: `InvalidData`
/// with the rustls error inside.
fn invalid_data(err: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, err)
}

/// The inner stream's `shutdown` result as a TLS shutdown reports it:
/// `NotConnected` is success. The peer is gone already (typically it closed
/// right after its own close_notify, so our close_notify met a closed
/// socket and the kernel reset the connection): a connection with no write
/// side left has nothing to shut. tokio's `TcpStream::poll_shutdown` makes
/// the same exception; without it, hyper reports an error at the end of
/// most HTTPS connections. aio's own streams already report `Ok` (their
/// shutdown op treats `ENOTCONN` as success); this keeps the promise for
/// any other inner stream.
fn inner_shutdown_ok(res: io::Result<()>) -> io::Result<()> {
    match res {
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
        res => res,
    }
}
