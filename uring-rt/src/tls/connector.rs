//! [`TlsConnector`]: the client side of a handshake.

use std::future::Future;
use std::io;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection};

use crate::io::{AsyncReadRent, AsyncWriteRent};

use super::TlsStream;

/// Makes client-side [`TlsStream`]s over connected streams with one rustls
/// [`ClientConfig`]. Cheap to clone (an `Arc`); reusing one connector lets
/// rustls resume sessions.
///
/// # Examples
///
/// ```no_run
/// use std::sync::Arc;
///
/// use aio::io::{AsyncReadRentExt, AsyncWriteRentExt};
/// use aio::net::TcpStream;
/// use aio::tls::{rustls, TlsConnector};
/// use rustls::pki_types::ServerName;
///
/// async fn fetch(roots: rustls::RootCertStore) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
///     // `roots`: the trust anchors, e.g. from the webpki-roots or
///     // rustls-native-certs crates.
///     let config = rustls::ClientConfig::builder()
///         .with_root_certificates(roots)
///         .with_no_client_auth();
///     let connector = TlsConnector::from(Arc::new(config));
///     let tcp = TcpStream::connect("example.com:443").await?;
///     let name = ServerName::try_from("example.com")?;
///     let mut tls = connector.connect(name, tcp).await?;
///     let request = &b"GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n"[..];
///     tls.write_all(request).await.0?;
///     let (res, head) = tls.read_exact(Vec::with_capacity(12)).await;
///     res?;
///     Ok(head) // "HTTP/1.1 200"
/// }
/// ```
#[derive(Clone, Debug)]
pub struct TlsConnector {
    config: Arc<ClientConfig>,
}

impl From<Arc<ClientConfig>> for TlsConnector {
    fn from(config: Arc<ClientConfig>) -> TlsConnector {
        TlsConnector { config }
    }
}

impl TlsConnector {
    /// The configuration new sessions use.
    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// Runs the client side of a TLS handshake over `stream` (a connected
    /// stream), verifying that the server's certificate is valid for
    /// `server_name` (also sent as SNI when it is a DNS name), and returns
    /// the established [`TlsStream`]. The future does not borrow the
    /// connector.
    ///
    /// # Errors
    ///
    /// - [`InvalidData`](io::ErrorKind::InvalidData) if the handshake fails:
    ///   the certificate is not trusted or not valid for `server_name`, the
    ///   server answered with something that is not TLS or with an alert;
    ///   the inner error is the [`rustls::Error`] (for example
    ///   `rustls::Error::InvalidCertificate(..)`). rustls's alert is sent to
    ///   the server, best effort.
    /// - [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) if the server
    ///   closes the connection before the handshake is done.
    /// - [`InvalidInput`](io::ErrorKind::InvalidInput) if rustls cannot
    ///   make a session from the config.
    /// - The errors of `stream`'s reads and writes.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops `stream` (closing the connection)
    /// mid-handshake; nothing else is affected.
    pub fn connect<S: AsyncReadRent + AsyncWriteRent>(
        &self,
        server_name: ServerName<'static>,
        stream: S,
    ) -> impl Future<Output = io::Result<TlsStream<S>>> {
        let config = Arc::clone(&self.config);
        async move {
            let conn = ClientConnection::new(config, server_name)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            let mut tls = TlsStream::new(stream, conn.into());
            tls.handshake().await?;
            Ok(tls)
        }
    }
}
