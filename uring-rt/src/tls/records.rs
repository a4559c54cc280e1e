//! The two record buffers of a TLS stream, one per direction, and the state
//! machine that tells whether a direction can still be used.
//!
//! Each buffer is a `Vec<u8>` owned by the stream and lent by value to one
//! inner read or write at a time (`lend` before the await, `restore` after
//! it), so that the rustls session and the buffers are only ever borrowed
//! between awaits. Steady-state traffic allocates nothing: both buffers keep
//! their capacity from one operation to the next.

use std::io;
use std::mem;

use rustls::Connection;

use crate::buf::{put_slice, IoBufMut};

use super::invalid_data;

/// How much ciphertext one read of the inner stream asks for: a whole
/// record (16 KiB of plaintext plus header, padding and tag, at most
/// 18,437 bytes on the wire), so one read usually brings whole records.
pub(super) const READ_SIZE: usize = 18 * 1024 + 512;

/// At most this much plaintext is encrypted by one `write`: four full
/// records, sent with one `write_all` of the inner stream. A larger buffer
/// is written in several calls, as any partial write (`write_all` loops).
pub(super) const WRITE_PLAINTEXT: usize = 64 * 1024;

/// The state of one direction (read or write) of a TLS stream.
///
/// ```text
///   Ready --lend--> InFlight --restore--> Ready
///                      |                    \--(inner write failed)--> Broken(Io)
///                      \--(future dropped; seen by the next call)--> Broken(Cancelled)
///   Ready --(rustls rejected a record)--> Broken(Tls)
/// ```
///
/// Only the stream's own methods move it. `Broken` is final.
///
/// A [`DuplexTlsStream`](super::DuplexTlsStream) runs the same steps
/// through `RefCell`s, one read and one write at a time in flight: the read
/// state is moved only by its reads, and the write state only by whichever
/// direction holds the stream's send turn (`super::turn`), so `InFlight`
/// seen by the holder still means a dropped future.
#[derive(Debug)]
pub(super) enum State {
    /// The record buffer is here; the direction can be used.
    Ready,
    /// The record buffer is lent to an inner read or write. Seen at the start
    /// of a call, it means the future that lent it was dropped before the
    /// operation completed, so its records are lost (or partly sent).
    InFlight,
    /// The direction cannot be used any more; each call says why.
    Broken(Broken),
}

/// Why a direction was given up.
#[derive(Debug)]
pub(super) enum Broken {
    /// A future was dropped while its records were in flight.
    Cancelled,
    /// rustls rejected what the peer sent (read side).
    Tls(rustls::Error),
    /// The inner stream failed part-way through writing records.
    Io(io::ErrorKind, String),
}

impl State {
    /// `Ok` if the direction can be used; otherwise the error to return (and
    /// a dropped in-flight operation becomes `Broken(Cancelled)` for good).
    fn check(&mut self, dir: &'static str) -> io::Result<()> {
        if let State::InFlight = self {
            *self = State::Broken(Broken::Cancelled);
        }
        match self {
            State::Ready => Ok(()),
            State::InFlight => unreachable!("an in-flight direction was just marked broken"),
            State::Broken(why) => Err(why.error(dir)),
        }
    }
}

impl Broken {
    /// The error each call on a direction broken this way returns.
    fn error(&self, dir: &'static str) -> io::Error {
        match self {
            Broken::Cancelled => io::Error::other(format!(
                "aio::tls: an earlier {dir} on this TLS stream was cancelled (its future \
                 dropped, e.g. by a timeout) while TLS records were in flight; they are lost, \
                 so this stream cannot {dir} any more: close it"
            )),
            Broken::Tls(e) => invalid_data(e.clone()),
            Broken::Io(kind, msg) => io::Error::new(
                *kind,
                format!(
                    "aio::tls: an earlier {dir} of TLS records failed ({msg}); the records may \
                     be partly sent, so this stream cannot {dir} any more"
                ),
            ),
        }
    }
}

/// Ciphertext read from the inner stream and not yet handed to rustls:
/// `buf[pos..]`.
#[derive(Debug)]
pub(super) struct Incoming {
    buf: Vec<u8>,
    pos: usize,
    state: State,
}

impl Incoming {
    /// The record buffer's address and capacity, to check it is reused.
    #[cfg(test)]
    pub(super) fn buf_identity(&self) -> (usize, usize) {
        (self.buf.as_ptr() as usize, self.buf.capacity())
    }

    pub(super) fn new() -> Incoming {
        Incoming {
            buf: Vec::new(),
            pos: 0,
            state: State::Ready,
        }
    }

    /// Whether ciphertext is buffered that rustls has not seen yet.
    pub(super) fn has_ciphertext(&self) -> bool {
        self.pos < self.buf.len()
    }

    /// Whether the read direction was given up (for `Debug`).
    pub(super) fn is_broken(&self) -> bool {
        matches!(self.state, State::Broken(_))
    }

    /// Hands the next bytes of buffered ciphertext to rustls (at most what
    /// one `read_tls` takes, 4 KiB or a record) and processes them.
    ///
    /// # Errors
    ///
    /// A rustls error (`InvalidData`), after which the read direction is
    /// broken; the error of an earlier failure or cancellation.
    pub(super) fn decrypt(&mut self, conn: &mut Connection) -> io::Result<()> {
        self.state.check("read")?;
        let mut rest = &self.buf[self.pos..];
        match conn.read_tls(&mut rest) {
            // rustls takes nothing once it has seen close_notify: what
            // follows is past the end of the TLS stream and is dropped.
            Ok(0) => self.pos = self.buf.len(),
            Ok(n) => self.pos += n,
            // Back-pressure errors ("buffer full"): impossible, since the
            // stream decrypts only once the plaintext is consumed; treat one
            // as the end of this direction rather than spin.
            Err(e) => {
                self.state = State::Broken(Broken::Io(e.kind(), e.to_string()));
                return Err(e);
            }
        }
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        if let Err(e) = conn.process_new_packets() {
            self.state = State::Broken(Broken::Tls(e.clone()));
            return Err(invalid_data(e));
        }
        Ok(())
    }

    /// Copies decrypted plaintext into `bufs` in order, decrypting buffered
    /// ciphertext as needed, without any I/O. Returns `Some(n)` with the
    /// bytes copied (`Some(0)`: the peer's close_notify, a clean end), or
    /// `None` if nothing could be copied until more ciphertext is read.
    ///
    /// # Errors
    ///
    /// The peer's unclean end (`UnexpectedEof`) or a rustls error, reported
    /// only when no byte was copied (otherwise the next call reports it).
    pub(super) fn pull<B: IoBufMut>(
        &mut self,
        conn: &mut Connection,
        bufs: &mut [B],
    ) -> io::Result<Option<usize>> {
        let mut total = 0;
        // What to return when the plaintext runs out with `err` (or none).
        let done = |total: usize, err: Option<io::Error>| match err {
            Some(e) if total == 0 => Err(e),
            _ => Ok((total > 0).then_some(total)),
        };
        for buf in bufs.iter_mut() {
            while buf.bytes_total() > 0 {
                let mut reader = conn.reader();
                let copied = match std::io::BufRead::fill_buf(&mut reader) {
                    // Empty: rustls saw close_notify and everything before it
                    // was read.
                    Ok([]) => return Ok(Some(total)),
                    Ok(chunk) => put_slice(buf, chunk),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        if !self.has_ciphertext() {
                            return done(total, None);
                        }
                        if let Err(e) = self.decrypt(conn) {
                            return done(total, Some(e));
                        }
                        continue;
                    }
                    // The inner stream ended without close_notify.
                    Err(e) => return done(total, Some(e)),
                };
                std::io::BufRead::consume(&mut reader, copied);
                total += copied;
            }
        }
        Ok(Some(total))
    }

    /// Lends the (empty) record buffer, with room for [`READ_SIZE`] bytes, to
    /// an inner read; [`restore`](Self::restore) takes it back.
    ///
    /// # Errors
    ///
    /// The read direction is broken.
    pub(super) fn lend(&mut self) -> io::Result<Vec<u8>> {
        self.state.check("read")?;
        debug_assert!(!self.has_ciphertext(), "lent with ciphertext unread");
        let mut buf = mem::take(&mut self.buf);
        buf.clear();
        buf.reserve(READ_SIZE);
        self.pos = 0;
        self.state = State::InFlight;
        Ok(buf)
    }

    /// Takes the record buffer back from the inner read, with the ciphertext
    /// it brought.
    pub(super) fn restore(&mut self, buf: Vec<u8>) {
        self.buf = buf;
        self.pos = 0;
        self.state = State::Ready;
    }
}

/// TLS records rustls produced, on their way to the inner stream.
#[derive(Debug)]
pub(super) struct Outgoing {
    buf: Vec<u8>,
    state: State,
    /// `shutdown` queued close_notify: no more application data.
    closed: bool,
}

impl Outgoing {
    /// The record buffer's address and capacity, to check it is reused.
    #[cfg(test)]
    pub(super) fn buf_identity(&self) -> (usize, usize) {
        (self.buf.as_ptr() as usize, self.buf.capacity())
    }

    pub(super) fn new() -> Outgoing {
        Outgoing {
            buf: Vec::new(),
            state: State::Ready,
            closed: false,
        }
    }

    /// Whether the write direction was given up (for `Debug`).
    pub(super) fn is_broken(&self) -> bool {
        matches!(self.state, State::Broken(_))
    }

    /// Whether records can be sent now: the buffer is here and the
    /// direction is not broken. (`InFlight` here is either a dropped write,
    /// which the next write reports, or, for a stream driven from both
    /// directions at once, a write still running.)
    pub(super) fn is_ready(&self) -> bool {
        matches!(self.state, State::Ready)
    }

    /// `Ok` if application data may be written.
    ///
    /// # Errors
    ///
    /// `BrokenPipe` after `shutdown`; the write direction is broken.
    pub(super) fn check_writable(&mut self) -> io::Result<()> {
        self.state.check("write")?;
        if self.closed {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "aio::tls: write after shutdown (close_notify was sent)",
            ));
        }
        Ok(())
    }

    /// Whether `shutdown` queued close_notify (nothing more may be sent on
    /// the inner stream's write side).
    pub(super) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Marks the stream as shut down (close_notify queued).
    pub(super) fn close(&mut self) {
        self.closed = true;
    }

    /// Moves every record rustls has ready into the record buffer and lends
    /// it to an inner `write_all`; `None` if there is nothing to send.
    /// [`restore`](Self::restore) takes it back.
    ///
    /// # Errors
    ///
    /// The write direction is broken.
    pub(super) fn seal(&mut self, conn: &mut Connection) -> io::Result<Option<Vec<u8>>> {
        self.state.check("write")?;
        if !conn.wants_write() {
            return Ok(None);
        }
        let mut buf = mem::take(&mut self.buf);
        buf.clear();
        while conn.wants_write() {
            // Writing into a `Vec` cannot fail.
            if let Err(e) = conn.write_tls(&mut buf) {
                self.buf = buf;
                return Err(e);
            }
        }
        self.state = State::InFlight;
        Ok(Some(buf))
    }

    /// Takes the record buffer back from the inner `write_all`; a failed
    /// write (which may have sent part of a record) breaks the direction.
    pub(super) fn restore(&mut self, buf: Vec<u8>, res: &io::Result<usize>) {
        self.buf = buf;
        self.state = match res {
            Ok(_) => State::Ready,
            Err(e) => State::Broken(Broken::Io(e.kind(), e.to_string())),
        };
    }
}
