//! The parent's ends of a child's piped stdio: [`ChildStdin`],
//! [`ChildStdout`] and [`ChildStderr`], with owned-buffer I/O.
//!
//! Each is a pipe end as `aio::io::pipe` makes them (`io::pipe::Pipe`):
//! read and written with the driver's ops, exactly as a socket is.

use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use crate::buf::{IoBuf, IoBufMut};
use crate::io::pipe::Pipe;
use crate::io::{AsyncReadRent, AsyncWriteRent};
use crate::BufResult;

/// The error of using a [`ChildStdin`] after its `shutdown`.
fn closed() -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        "the child's stdin was closed by shutdown()",
    )
}

/// The parent's end of a child's stdin ([`Stdio::piped`](super::Stdio::piped)),
/// from [`Child::stdin`](super::Child::stdin).
///
/// Writes go to the child's standard input. The child reads end of file
/// once this is dropped or [`shutdown`](AsyncWriteRent::shutdown) (and no
/// write is in flight). Writing after the child closed its end fails with
/// `BrokenPipe` (Rust programs ignore SIGPIPE; a program that restored its
/// default action is ended by it, as with std).
pub struct ChildStdin {
    pipe: Option<Pipe>,
}

/// The parent's end of a child's stdout ([`Stdio::piped`](super::Stdio::piped)),
/// from [`Child::stdout`](super::Child::stdout). `read` returns `Ok(0)`
/// once the child (and any process it passed the pipe to) closed it.
pub struct ChildStdout {
    pipe: Pipe,
}

/// The parent's end of a child's stderr ([`Stdio::piped`](super::Stdio::piped)),
/// from [`Child::stderr`](super::Child::stderr). As [`ChildStdout`].
pub struct ChildStderr {
    pipe: Pipe,
}

impl ChildStdin {
    /// Adopts std's handle (switching it to the current backend's mode).
    ///
    /// # Errors
    ///
    /// The mode switch failed.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn from_std(stdin: std::process::ChildStdin) -> io::Result<ChildStdin> {
        Ok(ChildStdin {
            pipe: Some(Pipe::new(OwnedFd::from(stdin))?),
        })
    }

    fn pipe(&self) -> io::Result<&Pipe> {
        self.pipe.as_ref().ok_or_else(closed)
    }
}

impl ChildStdout {
    /// Adopts std's handle (switching it to the current backend's mode).
    ///
    /// # Errors
    ///
    /// The mode switch failed.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn from_std(stdout: std::process::ChildStdout) -> io::Result<ChildStdout> {
        Ok(ChildStdout {
            pipe: Pipe::new(OwnedFd::from(stdout))?,
        })
    }
}

impl ChildStderr {
    /// Adopts std's handle (switching it to the current backend's mode).
    ///
    /// # Errors
    ///
    /// The mode switch failed.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn from_std(stderr: std::process::ChildStderr) -> io::Result<ChildStderr> {
        Ok(ChildStderr {
            pipe: Pipe::new(OwnedFd::from(stderr))?,
        })
    }
}

impl AsyncWriteRent for ChildStdin {
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
        match self.pipe() {
            Ok(pipe) => pipe.write(buf).await,
            Err(e) => (Err(e), buf),
        }
    }

    async fn writev<B: IoBuf>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        match self.pipe() {
            Ok(pipe) => pipe.writev(bufs).await,
            Err(e) => (Err(e), bufs),
        }
    }

    /// Nothing is buffered: completes at once.
    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Closes the pipe (a pipe has no half-close): the child reads end of
    /// file once no write is in flight. Later writes fail with
    /// `BrokenPipe`; a second shutdown does nothing.
    async fn shutdown(&mut self) -> io::Result<()> {
        drop(self.pipe.take());
        Ok(())
    }
}

macro_rules! read_impl {
    ($ty:ty) => {
        impl AsyncReadRent for $ty {
            async fn read<B: IoBufMut>(&mut self, buf: B) -> BufResult<usize, B> {
                self.pipe.read(buf).await
            }

            async fn readv<B: IoBufMut>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
                self.pipe.readv(bufs).await
            }
        }

        crate::io::pipe::pipe_fd_impls!($ty);
    };
}

read_impl!(ChildStdout);
read_impl!(ChildStderr);

impl AsRawFd for ChildStdin {
    /// The descriptor, or -1 after `shutdown`.
    fn as_raw_fd(&self) -> RawFd {
        self.pipe.as_ref().map_or(-1, |p| p.fd.raw())
    }
}

impl fmt::Debug for ChildStdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildStdin")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
