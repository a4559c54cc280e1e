//! [`DuplexTlsStream`]: a TLS session whose read and write directions run at
//! the same time through `&self`, for [`AsyncRentDuplex`] (and so
//! `aio::compat::Compat`, hyper, HTTP/2).

use std::cell::RefCell;
use std::fmt;
use std::io::{self, IoSlice, Write};

use rustls::Connection;

use crate::buf::{init_bytes, no_room, IoBuf, IoBufMut};
use crate::io::{write_all_shared, AsyncReadRent, AsyncRentDuplex, AsyncWriteRent};
use crate::BufResult;

use super::records::{Incoming, Outgoing, WRITE_PLAINTEXT};
use super::stream::plaintext_slices;
use super::turn::SendTurn;
use super::{inner_shutdown_ok, TlsStream};

/// A [`TlsStream`] whose reads and writes take `&self`, so that one read and
/// one write can be in flight at once: it implements
/// [`AsyncRentDuplex`], which `aio::compat::Compat` requires, so hyper can
/// serve HTTPS (HTTP/1.1 and h2) over it. Made by
/// [`TlsStream::into_duplex`] once the handshake is done; it also
/// implements [`AsyncReadRent`] and [`AsyncWriteRent`].
///
/// It moves bytes as [`TlsStream`] does (one owned record buffer per
/// direction, reused; at most 64 KiB of plaintext encrypted per write;
/// `Ok(0)` after the peer's close_notify, `UnexpectedEof` without one) and
/// keeps the rustls session and each direction's record buffer in a
/// `RefCell`, borrowed only in the synchronous steps between awaits. A
/// read waiting for the peer never holds up a write.
///
/// # Writes
///
/// `write_shared` (and `write`) returns `Ok(n)` only once the records
/// carrying those `n` bytes were written to the inner stream, so bytes
/// reported written are on their way to the peer without a flush.
/// [`shutdown_shared`](AsyncRentDuplex::shutdown_shared) sends close_notify,
/// then shuts the inner stream's write side down.
///
/// # What reading makes rustls send
///
/// Decrypting can make rustls want to write: an alert after a bad record,
/// the reply to a TLS 1.3 key update the peer requested. The read side
/// sends those records itself, before returning or waiting for more
/// ciphertext, when the write side is idle; when a write is running, that
/// write sends them after its own records (before it returns). So nothing
/// rustls queues waits for a later call. A failure of such a write is the
/// write direction's (the next write reports it); the read goes on.
///
/// # Cancel safety
///
/// As for [`TlsStream`]: a read dropped while its read of the inner stream
/// was in flight breaks the read direction (every later read fails with an
/// error saying an earlier read was cancelled), and a write or shutdown
/// dropped while its records were being written breaks the write
/// direction, each independently of the other. A read dropped while it was
/// sending records rustls queued breaks the write direction in the same
/// way. `Compat` never drops an operation in flight, so through it neither
/// happens.
///
/// # Examples
///
/// Serving HTTPS with hyper over `aio::compat::Compat` (feature `hyper`;
/// the acceptor's config lists `b"http/1.1"` in `alpn_protocols`, and an
/// h2 server would check for `b"h2"` the same way):
///
/// ```no_run
/// # #[cfg(feature = "hyper")]
/// # async fn serve(acceptor: aio::tls::TlsAcceptor) -> std::io::Result<()> {
/// # let service = hyper::service::service_fn(|_req| async {
/// #     Ok::<_, std::convert::Infallible>(hyper::Response::new(String::from("hi")))
/// # });
/// use aio::compat::{Compat, HyperTimer};
///
/// let listener = aio::net::TcpListener::bind("127.0.0.1:8443")?;
/// let (tcp, _) = listener.accept().await?;
/// let tls = acceptor.accept(tcp).await?.into_duplex();
/// assert_eq!(tls.alpn_protocol().as_deref(), Some(&b"http/1.1"[..]));
/// hyper::server::conn::http1::Builder::new()
///     .timer(HyperTimer::new())
///     .serve_connection(Compat::new(tls), service)
///     .await
///     .map_err(std::io::Error::other)?;
/// # Ok(())
/// # }
/// ```
pub struct DuplexTlsStream<S> {
    /// The inner stream: ciphertext.
    io: S,
    /// The rustls session.
    conn: RefCell<Connection>,
    /// The read direction: its record buffer and state (moved by reads).
    incoming: RefCell<Incoming>,
    /// The write direction: its record buffer and state (moved by the
    /// holder of `turn`).
    outgoing: RefCell<Outgoing>,
    /// Which direction is writing records.
    turn: SendTurn,
}

impl<S> TlsStream<S> {
    /// This stream as a [`DuplexTlsStream`]: same session, same buffered
    /// ciphertext and plaintext, same broken directions, but reads and
    /// writes through `&self` so that both can be in flight at once (as
    /// `aio::compat::Compat` and hyper's HTTP/2 need).
    pub fn into_duplex(self) -> DuplexTlsStream<S> {
        DuplexTlsStream {
            io: self.io,
            conn: RefCell::new(self.conn),
            incoming: RefCell::new(self.incoming),
            outgoing: RefCell::new(self.outgoing),
            turn: SendTurn::default(),
        }
    }
}

impl<S> DuplexTlsStream<S> {
    /// The inner stream. Reading from or writing to it directly corrupts
    /// the TLS stream.
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// Calls `f` with the TLS session's state: the negotiated protocol
    /// version, cipher suite and ALPN protocol, the peer's certificates.
    ///
    /// ```no_run
    /// # fn f(tls: &aio::tls::DuplexTlsStream<aio::net::TcpStream>) {
    /// let version = tls.with_state(|state| state.protocol_version());
    /// # }
    /// ```
    ///
    /// # Panics
    ///
    /// If `f` hands the stream to something that borrows the session
    /// mutably (a read or write cannot run inside `f`: it is synchronous).
    pub fn with_state<R>(&self, f: impl FnOnce(&rustls::CommonState) -> R) -> R {
        f(&self.conn.borrow())
    }

    /// The protocol ALPN settled on (`b"h2"`, `b"http/1.1"`), if any: the
    /// first entry of the server's `alpn_protocols` that the client offered.
    pub fn alpn_protocol(&self) -> Option<Vec<u8>> {
        self.with_state(|state| state.alpn_protocol().map(<[u8]>::to_vec))
    }

    /// The inner stream and the rustls connection. Ciphertext read but not
    /// yet handed to rustls is dropped.
    pub fn into_inner(self) -> (S, Connection) {
        (self.io, self.conn.into_inner())
    }
}

impl<S: AsyncRentDuplex> DuplexTlsStream<S> {
    /// Writes every record rustls has ready to the inner stream, holding
    /// the send turn; loops until rustls has none left, so records queued
    /// meanwhile (by the other direction) go too.
    ///
    /// Cancel safety: a drop while records are in flight breaks the write
    /// direction.
    async fn send_records(&self) -> io::Result<()> {
        loop {
            let sealed = self
                .outgoing
                .borrow_mut()
                .seal(&mut self.conn.borrow_mut())?;
            let Some(records) = sealed else {
                return Ok(());
            };
            let (res, records) = write_all_shared(&self.io, records).await;
            let res = res.map(|()| records.len());
            self.outgoing.borrow_mut().restore(records, &res);
            res?;
        }
    }

    /// The read side's part in writing: sends what decrypting made rustls
    /// queue (an alert, a key update) if the write side is idle and not
    /// shut down. A running write sends them itself; a failure here is
    /// kept by the write direction, which the next write reports.
    async fn send_for_reader(&self) {
        if !self.conn.borrow().wants_write() {
            return;
        }
        let Some(_turn) = self.turn.try_acquire() else {
            return; // the write in flight picks the records up
        };
        let sendable = {
            let outgoing = self.outgoing.borrow();
            outgoing.is_ready() && !outgoing.is_closed()
        };
        if sendable {
            // The error stays in the write direction's state (Broken), and
            // the next write returns it; the read itself is unaffected.
            if let Err(e) = self.send_records().await {
                debug_assert!(self.outgoing.borrow().is_broken(), "unrecorded: {e}");
            }
        }
    }

    /// Encrypts up to [`WRITE_PLAINTEXT`] bytes of `parts` and writes the
    /// records; returns the plaintext bytes taken.
    async fn write_parts(&self, parts: &[IoSlice<'_>]) -> io::Result<usize> {
        let _turn = self.turn.acquire().await;
        self.outgoing.borrow_mut().check_writable()?;
        let n = self.conn.borrow_mut().writer().write_vectored(parts)?;
        self.send_records().await?;
        Ok(n)
    }

    /// Reads from `S` into the read record buffer; `Ok(0)` is `S`'s end.
    async fn fill(&self) -> io::Result<usize> {
        let buf = self.incoming.borrow_mut().lend()?;
        let (res, buf) = self.io.read_shared(buf).await;
        self.incoming.borrow_mut().restore(buf);
        res
    }

    /// Copies plaintext into `bufs`, reading and decrypting records until
    /// there is some, close_notify or an error.
    async fn read_into<B: IoBufMut>(&self, bufs: &mut [B]) -> io::Result<usize> {
        loop {
            let pulled = self
                .incoming
                .borrow_mut()
                .pull(&mut self.conn.borrow_mut(), bufs);
            // Alerts, key-update replies: out before returning or waiting.
            self.send_for_reader().await;
            if let Some(n) = pulled? {
                return Ok(n);
            }
            if self.fill().await? == 0 {
                // Tell rustls the transport ended: the next `pull` returns
                // Ok(0) after close_notify, `UnexpectedEof` otherwise.
                self.conn.borrow_mut().read_tls(&mut &[][..])?;
            }
        }
    }
}

impl<S: AsyncRentDuplex> AsyncRentDuplex for DuplexTlsStream<S> {
    /// Reads decrypted bytes; `Ok(0)` after the peer's close_notify.
    ///
    /// # Errors
    ///
    /// As [`TlsStream`]'s `read`: `InvalidInput` for a buffer with no room;
    /// `UnexpectedEof` if the inner stream ended without close_notify;
    /// `InvalidData` (with the rustls error inside) for a rejected record
    /// or a fatal alert; an error saying so after an earlier read was
    /// cancelled with ciphertext in flight; the inner stream's errors.
    ///
    /// # Cancel safety
    ///
    /// Dropping it while a read of the inner stream is in flight breaks the
    /// read direction; while it sends records rustls queued, the write
    /// direction (see [`DuplexTlsStream`]).
    async fn read_shared<B: IoBufMut>(&self, mut buf: B) -> BufResult<usize, B> {
        if buf.bytes_total() == 0 {
            return (Err(no_room()), buf);
        }
        let res = self.read_into(std::slice::from_mut(&mut buf)).await;
        (res, buf)
    }

    /// Encrypts up to 64 KiB of `buf` and writes the records to the inner
    /// stream before returning how many plaintext bytes they carry. Waits
    /// first if the read side is sending records rustls queued.
    ///
    /// # Errors
    ///
    /// `BrokenPipe` after shutdown; an error saying so after an earlier
    /// write was cancelled or failed part-way; the inner stream's errors
    /// (which break the write direction).
    ///
    /// # Cancel safety
    ///
    /// Dropping it while records are being written breaks the write
    /// direction (see [`DuplexTlsStream`]); dropped while waiting, nothing.
    async fn write_shared<B: IoBuf>(&self, buf: B) -> BufResult<usize, B> {
        let bytes = init_bytes(&buf);
        let take = bytes.len().min(WRITE_PLAINTEXT);
        if take == 0 {
            return (Ok(0), buf);
        }
        let res = self.write_parts(&[IoSlice::new(&bytes[..take])]).await;
        (res, buf)
    }

    /// Sends close_notify, then shuts down the inner stream's write side.
    /// Later writes fail with `BrokenPipe`; reading still works. Calling it
    /// again repeats only the inner shutdown.
    ///
    /// # Errors
    ///
    /// Those of writing the alert and of the inner `shutdown_shared`,
    /// except `NotConnected` from the latter (the peer already closed the
    /// connection: nothing left to shut, so `Ok`).
    ///
    /// # Cancel safety
    ///
    /// Dropping it while close_notify is being written breaks the write
    /// direction; the inner stream is then not shut down.
    async fn shutdown_shared(&self) -> io::Result<()> {
        let _turn = self.turn.acquire().await;
        self.conn.borrow_mut().send_close_notify();
        self.outgoing.borrow_mut().close();
        self.send_records().await?;
        inner_shutdown_ok(self.io.shutdown_shared().await)
    }
}

impl<S: AsyncRentDuplex> AsyncReadRent for DuplexTlsStream<S> {
    /// As [`read_shared`](AsyncRentDuplex::read_shared).
    ///
    /// # Cancel safety
    ///
    /// As for `read_shared`.
    async fn read<B: IoBufMut>(&mut self, buf: B) -> BufResult<usize, B> {
        self.read_shared(buf).await
    }

    /// Reads decrypted bytes into `bufs` in order.
    ///
    /// # Cancel safety
    ///
    /// As for `read_shared`.
    async fn readv<B: IoBufMut>(&mut self, mut bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        if bufs.iter().all(|b| b.bytes_total() == 0) {
            return (Err(no_room()), bufs);
        }
        let res = self.read_into(&mut bufs).await;
        (res, bufs)
    }
}

impl<S: AsyncRentDuplex> AsyncWriteRent for DuplexTlsStream<S> {
    /// As [`write_shared`](AsyncRentDuplex::write_shared).
    ///
    /// # Cancel safety
    ///
    /// As for `write_shared`.
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
        self.write_shared(buf).await
    }

    /// Encrypts up to 64 KiB from `bufs`, in order, as `write_shared`.
    ///
    /// # Cancel safety
    ///
    /// As for `write_shared`.
    async fn writev<B: IoBuf>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        let slices = plaintext_slices(&bufs);
        if slices.is_empty() {
            return (Ok(0), bufs);
        }
        let res = self.write_parts(&slices).await;
        drop(slices);
        (res, bufs)
    }

    /// Nothing to do: every completed write's records were written (the
    /// duplex trait has no flush for the inner stream either).
    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// As [`shutdown_shared`](AsyncRentDuplex::shutdown_shared).
    ///
    /// # Cancel safety
    ///
    /// As for `shutdown_shared`.
    async fn shutdown(&mut self) -> io::Result<()> {
        self.shutdown_shared().await
    }
}

impl<S: fmt::Debug> fmt::Debug for DuplexTlsStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("DuplexTlsStream");
        d.field("io", &self.io);
        // Only between awaits is the session free; during a read or write
        // step (a `Debug` from inside one cannot happen) it would be busy.
        if let Ok(conn) = self.conn.try_borrow() {
            d.field(
                "side",
                &match *conn {
                    Connection::Client(_) => "client",
                    Connection::Server(_) => "server",
                },
            )
            .field("protocol_version", &conn.protocol_version());
        }
        if let Ok(incoming) = self.incoming.try_borrow() {
            d.field("read_broken", &incoming.is_broken());
        }
        if let Ok(outgoing) = self.outgoing.try_borrow() {
            d.field("write_broken", &outgoing.is_broken());
        }
        d.field("sending", &!self.turn.is_free())
            .finish_non_exhaustive()
    }
}
