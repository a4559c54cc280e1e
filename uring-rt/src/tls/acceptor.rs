//! [`TlsAcceptor`]: the server side of a handshake.

use std::future::Future;
use std::io;
use std::sync::Arc;

use rustls::{ServerConfig, ServerConnection};

use crate::io::{AsyncReadRent, AsyncWriteRent};

use super::TlsStream;

/// Makes server-side [`TlsStream`]s from accepted connections with one
/// rustls [`ServerConfig`]. Cheap to clone (an `Arc`), so each connection's
/// task can own one.
///
/// # Examples
///
/// A TLS echo server (the certificate and key come from elsewhere):
///
/// ```no_run
/// use std::sync::Arc;
///
/// use aio::io::{AsyncReadRent, AsyncWriteRent, AsyncWriteRentExt};
/// use aio::net::TcpListener;
/// use aio::tls::{rustls, TlsAcceptor};
/// use rustls::pki_types::{CertificateDer, PrivateKeyDer};
///
/// async fn serve(
///     certs: Vec<CertificateDer<'static>>,
///     key: PrivateKeyDer<'static>,
/// ) -> Result<(), Box<dyn std::error::Error>> {
///     let config = rustls::ServerConfig::builder()
///         .with_no_client_auth()
///         .with_single_cert(certs, key)?;
///     let acceptor = TlsAcceptor::from(Arc::new(config));
///     let listener = TcpListener::bind("0.0.0.0:8443")?;
///     loop {
///         let (tcp, _) = listener.accept().await?;
///         let handshake = acceptor.accept(tcp); // borrows nothing
///         aio::spawn(async move {
///             let Ok(mut tls) = handshake.await else { return };
///             let mut buf = Vec::with_capacity(16 * 1024);
///             loop {
///                 let (res, back) = tls.read(buf).await;
///                 if !matches!(res, Ok(n) if n > 0) {
///                     break;
///                 }
///                 let (res, mut back) = tls.write_all(back).await;
///                 if res.is_err() {
///                     return;
///                 }
///                 back.clear();
///                 buf = back;
///             }
///             tls.shutdown().await.ok(); // close_notify
///         });
///     }
/// }
/// ```
#[derive(Clone, Debug)]
pub struct TlsAcceptor {
    config: Arc<ServerConfig>,
}

impl From<Arc<ServerConfig>> for TlsAcceptor {
    fn from(config: Arc<ServerConfig>) -> TlsAcceptor {
        TlsAcceptor { config }
    }
}

impl TlsAcceptor {
    /// The configuration new sessions use.
    pub fn config(&self) -> &Arc<ServerConfig> {
        &self.config
    }

    /// Runs the server side of a TLS handshake over `stream` (an accepted
    /// connection) and returns the established [`TlsStream`]. The future
    /// does not borrow the acceptor.
    ///
    /// # Errors
    ///
    /// - [`InvalidData`](io::ErrorKind::InvalidData) if the handshake fails
    ///   (the client sent something that is not TLS, offered nothing this
    ///   config accepts, or rejected the certificate with an alert); the
    ///   inner error is the [`rustls::Error`]. rustls's alert is sent to
    ///   the client, best effort.
    /// - [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) if the client
    ///   closes the connection before the handshake is done.
    /// - [`InvalidInput`](io::ErrorKind::InvalidInput) if rustls cannot
    ///   make a session from the config.
    /// - The errors of `stream`'s reads and writes.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops `stream` (closing the connection)
    /// mid-handshake; nothing else is affected. Wrap it in a timeout to
    /// bound slow clients.
    pub fn accept<S: AsyncReadRent + AsyncWriteRent>(
        &self,
        stream: S,
    ) -> impl Future<Output = io::Result<TlsStream<S>>> {
        let config = Arc::clone(&self.config);
        async move {
            let conn = ServerConnection::new(config)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            let mut tls = TlsStream::new(stream, conn.into());
            tls.handshake().await?;
            Ok(tls)
        }
    }
}
