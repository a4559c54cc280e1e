//! Driving a fresh session's handshake to completion over the inner stream.

use std::io;

use crate::io::{AsyncReadRent, AsyncWriteRent};

use super::TlsStream;

impl<S: AsyncReadRent + AsyncWriteRent> TlsStream<S> {
    /// Sends what rustls has to send and feeds it what the peer sends until
    /// the handshake is done, then sends what follows it (the client's
    /// Finished, the server's session tickets). Ciphertext read past the
    /// handshake (application data the peer sent right after it) stays
    /// buffered for the first read.
    ///
    /// # Errors
    ///
    /// `InvalidData` with the rustls error inside (after rustls's alert was
    /// sent, best effort); `UnexpectedEof` if the peer closes first; the
    /// inner stream's errors.
    pub(super) async fn handshake(&mut self) -> io::Result<()> {
        while self.conn.is_handshaking() {
            if self.conn.wants_write() {
                self.send_records().await?;
            } else if self.incoming.has_ciphertext() {
                if let Err(e) = self.incoming.decrypt(&mut self.conn) {
                    self.send_alert().await;
                    return Err(e);
                }
            } else if self.fill().await? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "aio::tls: the peer closed the connection during the TLS handshake",
                ));
            }
        }
        self.send_records().await
    }
}
