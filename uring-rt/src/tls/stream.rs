//! [`TlsStream`]: a TLS session over an inner rent stream.

use std::fmt;
use std::io::{self, IoSlice, Write};

use rustls::Connection;

use crate::buf::{init_bytes, no_room, IoBuf, IoBufMut};
use crate::io::{AsyncReadRent, AsyncWriteRent, AsyncWriteRentExt};
use crate::BufResult;

use super::records::{Incoming, Outgoing, WRITE_PLAINTEXT};

/// A TLS session (client or server) over an inner stream `S`, made by
/// [`TlsAcceptor::accept`](super::TlsAcceptor::accept) or
/// [`TlsConnector::connect`](super::TlsConnector::connect) once the
/// handshake is done. It reads and writes plaintext through
/// [`AsyncReadRent`] and [`AsyncWriteRent`], as the stream it wraps.
///
/// # How bytes move
///
/// - Reading: ciphertext is read from `S` into an owned record buffer of the
///   stream (about 18 KiB, a whole record, per read of `S`), handed to
///   rustls, which decrypts it, and the plaintext is copied into the
///   caller's buffer (as much as fits, decrypting further buffered records
///   without I/O). Ciphertext and plaintext not yet asked for stay in the
///   stream for the next read.
/// - Writing: up to 64 KiB of the caller's plaintext is encrypted by rustls
///   per `write`, and the resulting records are written to `S` with one
///   `write_all` from a second owned buffer before `write` returns `Ok(n)`:
///   bytes reported written are on their way to the peer, and
///   [`flush`](AsyncWriteRent::flush) has nothing of the stream's own to
///   send.
///
/// Both record buffers are allocated on first use and reused, so a steady
/// stream allocates nothing per read or write. Dropping a `TlsStream` does
/// not send close_notify; call [`shutdown`](AsyncWriteRent::shutdown).
///
/// # End of stream
///
/// A read returns `Ok(0)` once the peer's close_notify was received, and
/// fails with [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) if `S` ends
/// without one (possible truncation, as rustls and tokio-rustls report it).
/// A buffer with no room is [`InvalidInput`](io::ErrorKind::InvalidInput).
///
/// # Cancel safety
///
/// Reads and writes of `S` are not cancel safe, and TLS records must be
/// decrypted in order, so:
///
/// - A `read` dropped while its read of `S` was in flight loses the
///   ciphertext that read had received. The read direction is then
///   *broken*: every later `read` fails (with an error saying an earlier
///   read was cancelled) rather than decrypting a stream with a hole in it.
///   A `read` dropped while it only copied plaintext already decrypted
///   loses nothing.
/// - A `write`, `flush` or `shutdown` dropped while its records were being
///   written may have sent part of them; the write direction is then broken
///   in the same way.
/// - The directions break independently: after a read timed out the stream
///   can still write (an error response, close_notify) and be shut down.
///
/// Deadlines that cancel instead of dropping keep the stream whole:
/// [`read_timeout`](crate::io::AsyncReadRentExt::read_timeout) and
/// [`cancel_after`](crate::time::cancel_after) ask the inner read to stop
/// and wait for it, so its ciphertext (if the kernel delivered some first)
/// comes back and is kept; the read then fails with `TimedOut` and the
/// stream stays usable. [`timeout`](crate::time::timeout) and `select!`
/// drop the future and break the direction as above.
///
/// # Examples
///
/// What was negotiated, through [`get_ref`](Self::get_ref):
///
/// ```
/// # use std::sync::Arc;
/// # use aio::tls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
/// # use aio::tls::{rustls, TlsAcceptor, TlsConnector};
/// # fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// # let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
/// # let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
/// # let server = rustls::ServerConfig::builder().with_no_client_auth()
/// #     .with_single_cert(vec![cert.cert.der().clone()], key)?;
/// # let mut roots = rustls::RootCertStore::empty();
/// # roots.add(cert.cert.der().clone())?;
/// # let client = rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
/// # let acceptor = TlsAcceptor::from(Arc::new(server));
/// # let connector = TlsConnector::from(Arc::new(client));
/// aio::Runtime::new()?.block_on(async move {
///     let (a, b) = aio::net::UnixStream::pair()?;
///     let server = aio::spawn(acceptor.accept(a));
///     let tls = connector.connect(ServerName::try_from("localhost")?, b).await?;
///     let (_socket, session) = tls.get_ref();
///     assert_eq!(session.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_3));
///     assert!(session.peer_certificates().is_some());
///     server.await??;
///     Ok(())
/// })
/// # }
/// ```
// Design note: every use of `conn`, `incoming` and `outgoing` is a
// synchronous step between awaits (`pull`, `decrypt`, `lend`/`restore`,
// `seal`/`restore`), and each direction has its own record buffer and
// state. The variant that lets one read and one write be in flight at once
// through `&self` (for a duplex trait over an inner stream that has one)
// keeps these three in separate `RefCell`s and runs the same steps; it
// is a separate type, `DuplexTlsStream` (duplex.rs), because `get_ref`
// hands out a plain `&CommonState`, which a `RefCell` cannot.
pub struct TlsStream<S> {
    /// The inner stream: ciphertext.
    pub(super) io: S,
    /// The rustls session, borrowed only between awaits.
    pub(super) conn: Connection,
    /// The read direction: its record buffer and state.
    pub(super) incoming: Incoming,
    /// The write direction: its record buffer and state.
    pub(super) outgoing: Outgoing,
}

impl<S> TlsStream<S> {
    /// A stream whose handshake is still to be driven.
    pub(super) fn new(io: S, conn: Connection) -> TlsStream<S> {
        TlsStream {
            io,
            conn,
            incoming: Incoming::new(),
            outgoing: Outgoing::new(),
        }
    }

    /// The inner stream and the TLS session's state: the negotiated
    /// protocol version, cipher suite and ALPN protocol, the peer's
    /// certificates.
    pub fn get_ref(&self) -> (&S, &rustls::CommonState) {
        (&self.io, &self.conn)
    }

    /// The inner stream and the TLS session's state, mutably. Reading from
    /// or writing to the inner stream directly corrupts the TLS stream.
    pub fn get_mut(&mut self) -> (&mut S, &mut rustls::CommonState) {
        (&mut self.io, &mut self.conn)
    }

    /// The inner stream and the rustls connection (a
    /// `rustls::Connection::Client` or `::Server`, for what only those
    /// offer, such as the server name the client asked for). Ciphertext the
    /// stream had read but not yet handed to rustls is dropped.
    pub fn into_inner(self) -> (S, Connection) {
        (self.io, self.conn)
    }
}

impl<S: AsyncWriteRent> TlsStream<S> {
    /// Writes every record rustls has ready (handshake messages, encrypted
    /// data, alerts) to the inner stream.
    ///
    /// Cancel safety: a drop while records are in flight breaks the write
    /// direction (see [`TlsStream`]).
    pub(super) async fn send_records(&mut self) -> io::Result<()> {
        while let Some(records) = self.outgoing.seal(&mut self.conn)? {
            let (res, records) = self.io.write_all(records).await;
            self.outgoing.restore(records, &res);
            res?;
        }
        Ok(())
    }

    /// After a failure rustls answers with an alert for the peer: send it if
    /// the write direction can, ignoring errors (the failure being reported
    /// matters more than the alert).
    pub(super) async fn send_alert(&mut self) {
        if self.conn.wants_write() && self.outgoing.is_ready() {
            // Best effort: the caller returns the error that caused the alert.
            self.send_records().await.ok();
        }
    }

    /// Encrypts plaintext (at most [`WRITE_PLAINTEXT`] bytes of `parts`)
    /// into records for [`send_records`](Self::send_records); returns how
    /// many plaintext bytes were taken.
    fn encrypt(&mut self, parts: &[IoSlice<'_>]) -> io::Result<usize> {
        self.outgoing.check_writable()?;
        self.conn.writer().write_vectored(parts)
    }
}

impl<S: AsyncReadRent + AsyncWriteRent> TlsStream<S> {
    /// Reads from `S` into the record buffer; `Ok(0)` is `S`'s end.
    ///
    /// Cancel safety: a drop while the read is in flight breaks the read
    /// direction (see [`TlsStream`]).
    pub(super) async fn fill(&mut self) -> io::Result<usize> {
        let buf = self.incoming.lend()?;
        let (res, buf) = self.io.read(buf).await;
        self.incoming.restore(buf);
        res
    }

    /// Copies plaintext into `bufs`, reading and decrypting records until
    /// there is some, close_notify or an error.
    async fn read_into<B: IoBufMut>(&mut self, bufs: &mut [B]) -> io::Result<usize> {
        loop {
            match self.incoming.pull(&mut self.conn, bufs) {
                Ok(Some(n)) => return Ok(n),
                Ok(None) => {}
                Err(e) => {
                    self.send_alert().await;
                    return Err(e);
                }
            }
            if self.fill().await? == 0 {
                // Tell rustls the transport ended: the next `pull` returns
                // Ok(0) after close_notify, `UnexpectedEof` otherwise.
                self.conn.read_tls(&mut &[][..])?;
            }
        }
    }
}

/// The first `WRITE_PLAINTEXT` bytes of `parts`, as slices for rustls.
pub(super) fn plaintext_slices<'a, B: IoBuf>(
    parts: impl IntoIterator<Item = &'a B>,
) -> Vec<IoSlice<'a>> {
    let mut room = WRITE_PLAINTEXT;
    let mut slices = Vec::new();
    for part in parts {
        let bytes = init_bytes(part);
        let take = bytes.len().min(room);
        if take > 0 {
            slices.push(IoSlice::new(&bytes[..take]));
            room -= take;
        }
        if room == 0 {
            break;
        }
    }
    slices
}

impl<S: AsyncReadRent + AsyncWriteRent> AsyncReadRent for TlsStream<S> {
    /// Reads decrypted bytes; `Ok(0)` after the peer's close_notify.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a buffer with no room; `UnexpectedEof` if the
    /// inner stream ended without close_notify; `InvalidData` (with the
    /// rustls error inside) for a record rustls rejects or a fatal alert
    /// from the peer; an error saying so after an earlier read was
    /// cancelled with ciphertext in flight; the inner stream's errors.
    ///
    /// # Cancel safety
    ///
    /// Dropping it while a read of the inner stream is in flight breaks the
    /// read direction: later reads fail (see [`TlsStream`]).
    async fn read<B: IoBufMut>(&mut self, mut buf: B) -> BufResult<usize, B> {
        if buf.bytes_total() == 0 {
            return (Err(no_room()), buf);
        }
        let res = self.read_into(std::slice::from_mut(&mut buf)).await;
        (res, buf)
    }

    /// Reads decrypted bytes into `bufs` in order, as [`read`](Self::read).
    ///
    /// # Cancel safety
    ///
    /// As for [`read`](Self::read).
    async fn readv<B: IoBufMut>(&mut self, mut bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        if bufs.iter().all(|b| b.bytes_total() == 0) {
            return (Err(no_room()), bufs);
        }
        let res = self.read_into(&mut bufs).await;
        (res, bufs)
    }
}

impl<S: AsyncWriteRent> AsyncWriteRent for TlsStream<S> {
    /// Encrypts up to 64 KiB of `buf` and writes the records to the inner
    /// stream before returning how many plaintext bytes they carry.
    ///
    /// # Errors
    ///
    /// `BrokenPipe` after [`shutdown`](Self::shutdown); an error saying so
    /// after an earlier write was cancelled or failed part-way; the inner
    /// stream's errors (which break the write direction).
    ///
    /// # Cancel safety
    ///
    /// Dropping it while records are being written breaks the write
    /// direction (see [`TlsStream`]).
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
        let bytes = init_bytes(&buf);
        let take = bytes.len().min(WRITE_PLAINTEXT);
        if take == 0 {
            return (Ok(0), buf);
        }
        let res = match self.encrypt(&[IoSlice::new(&bytes[..take])]) {
            Ok(n) => self.send_records().await.map(|()| n),
            Err(e) => Err(e),
        };
        (res, buf)
    }

    /// Encrypts up to 64 KiB from `bufs`, in order, into as few records as
    /// fit, as [`write`](Self::write).
    ///
    /// # Cancel safety
    ///
    /// As for [`write`](Self::write).
    async fn writev<B: IoBuf>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        let slices = plaintext_slices(&bufs);
        if slices.is_empty() {
            return (Ok(0), bufs);
        }
        let res = match self.encrypt(&slices) {
            Ok(n) => {
                drop(slices);
                self.send_records().await.map(|()| n)
            }
            Err(e) => Err(e),
        };
        (res, bufs)
    }

    /// Sends any records rustls still holds (none after a completed
    /// `write`), then flushes the inner stream.
    ///
    /// # Cancel safety
    ///
    /// As for [`write`](Self::write).
    async fn flush(&mut self) -> io::Result<()> {
        self.send_records().await?;
        self.io.flush().await
    }

    /// Sends close_notify, then shuts down the inner stream's write side.
    /// Later writes fail with `BrokenPipe`; reading still works (the peer
    /// may answer before its own close_notify). Calling it again repeats
    /// only the inner shutdown.
    ///
    /// # Errors
    ///
    /// Those of writing the alert and of the inner `shutdown`, except
    /// `NotConnected` from the latter (the peer already closed the
    /// connection: nothing left to shut, so `Ok`).
    ///
    /// # Cancel safety
    ///
    /// Dropping it while close_notify is being written breaks the write
    /// direction (see [`TlsStream`]); the inner stream is then not shut
    /// down.
    async fn shutdown(&mut self) -> io::Result<()> {
        self.conn.send_close_notify();
        self.outgoing.close();
        self.send_records().await?;
        super::inner_shutdown_ok(self.io.shutdown().await)
    }
}

impl<S: fmt::Debug> fmt::Debug for TlsStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsStream")
            .field("io", &self.io)
            .field(
                "side",
                &match self.conn {
                    Connection::Client(_) => "client",
                    Connection::Server(_) => "server",
                },
            )
            .field("protocol_version", &self.conn.protocol_version())
            .field("handshaking", &self.conn.is_handshaking())
            .field("read_broken", &self.incoming.is_broken())
            .field("write_broken", &self.outgoing.is_broken())
            .finish_non_exhaustive()
    }
}
