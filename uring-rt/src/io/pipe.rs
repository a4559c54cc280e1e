//! Anonymous pipes with owned-buffer I/O: [`pipe`], [`PipeReader`],
//! [`PipeWriter`]; and the pipe end that child processes' stdio use.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use crate::buf::{IoBuf, IoBufMut};
use crate::driver::fd::SharedFd;
use crate::driver::{ops, Op, CURRENT_POS};
use crate::io::{AsyncReadRent, AsyncWriteRent};
use crate::{BufResult, Driver};

/// One pipe end, in the blocking mode the current backend wants (blocking
/// on io_uring, which would return `EAGAIN` for a nonblocking one;
/// nonblocking on epoll). Read and written with the driver's read and
/// write ops (IORING_OP_READ/WRITE on io_uring, where a pipe waits inside
/// the kernel without a worker thread; a nonblocking call retried on
/// readiness on epoll), exactly as a socket: an op in flight owns its
/// buffer and a reference to the descriptor until the kernel is done.
pub(crate) struct Pipe {
    pub(crate) fd: SharedFd,
}

impl Pipe {
    /// Adopts `fd`, switching it to the current backend's mode. Another
    /// process's end (a child's) is a separate open file: its mode is
    /// untouched.
    #[track_caller]
    pub(crate) fn new(fd: OwnedFd) -> io::Result<Pipe> {
        crate::sys::socket::set_nonblocking(fd.as_raw_fd(), Driver::current() == Driver::Epoll)?;
        Ok(Pipe {
            fd: SharedFd::new(fd),
        })
    }

    pub(crate) async fn read<B: IoBufMut>(&self, buf: B) -> BufResult<usize, B> {
        // Ok(0) would read as end of stream.
        if buf.bytes_total() == 0 {
            return (Err(crate::buf::no_room()), buf);
        }
        Op::submit(ops::Read::new(self.fd.clone(), buf, CURRENT_POS)).await
    }

    pub(crate) async fn readv<B: IoBufMut>(&self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        if bufs.iter().all(|b| b.bytes_total() == 0) {
            return (Err(crate::buf::no_room()), bufs);
        }
        Op::submit(ops::Readv::new(self.fd.clone(), bufs, CURRENT_POS)).await
    }

    pub(crate) async fn write<B: IoBuf>(&self, buf: B) -> BufResult<usize, B> {
        Op::submit(ops::Write::new(self.fd.clone(), buf, CURRENT_POS)).await
    }

    pub(crate) async fn writev<B: IoBuf>(&self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        Op::submit(ops::Writev::new(self.fd.clone(), bufs, CURRENT_POS)).await
    }
}

/// Opens an anonymous pipe (pipe2(2), close-on-exec): bytes written to the
/// [`PipeWriter`] are read from the [`PipeReader`], in order. Both ends
/// implement the rent traits; either end may be handed to
/// [`io::splice`](super::splice) or, as an `OwnedFd`, to a child process.
///
/// The reader sees end of stream (`Ok(0)`) once every writer is closed;
/// a write after the reader is closed fails with `BrokenPipe` (Rust
/// programs ignore SIGPIPE).
///
/// # Errors
///
/// pipe2(2) failed (`EMFILE`, `ENFILE`).
///
/// # Panics
///
/// Panics outside an aio runtime.
///
/// # Examples
///
/// ```
/// use aio::io::{AsyncReadRentExt, AsyncWriteRentExt};
///
/// aio::Runtime::new().unwrap().block_on(async {
///     let (mut reader, mut writer) = aio::io::pipe().unwrap();
///     writer.write_all(b"through the pipe").await.0.unwrap();
///     drop(writer);
///     let (res, buf) = reader.read_to_end(Vec::new()).await;
///     res.unwrap();
///     assert_eq!(buf, b"through the pipe");
/// });
/// ```
#[track_caller]
pub fn pipe() -> io::Result<(PipeReader, PipeWriter)> {
    crate::runtime::context::assert_in_runtime("aio::io::pipe");
    let (r, w) = crate::sys::pipe::pipe()?;
    Ok((
        PipeReader {
            _core: std::marker::PhantomData,
            pipe: Pipe::new(r)?,
        },
        PipeWriter {
            _core: std::marker::PhantomData,
            pipe: Pipe::new(w)?,
        },
    ))
}

/// The read end of a pipe, from [`pipe`].
pub struct PipeReader {
    _core: crate::marker::NotSend,
    pipe: Pipe,
}

/// The write end of a pipe, from [`pipe`].
pub struct PipeWriter {
    _core: crate::marker::NotSend,
    pipe: Pipe,
}

impl PipeReader {
    /// Adopts a pipe's read end (switching it to the current backend's
    /// mode).
    ///
    /// # Errors
    ///
    /// The mode switch failed (`fd` is not open).
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn from_owned_fd(fd: OwnedFd) -> io::Result<PipeReader> {
        crate::runtime::context::assert_in_runtime("aio::io::PipeReader::from_owned_fd");
        Ok(PipeReader {
            _core: std::marker::PhantomData,
            pipe: Pipe::new(fd)?,
        })
    }

    /// The descriptor, open and in blocking mode, to hand to a child
    /// process (`Stdio::from`) or to std.
    ///
    /// # Errors
    ///
    /// The runtime's driver failed fatally, or the mode switch failed.
    pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
        into_owned(self.pipe)
    }
}

impl PipeWriter {
    /// Adopts a pipe's write end (switching it to the current backend's
    /// mode).
    ///
    /// # Errors
    ///
    /// The mode switch failed (`fd` is not open).
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn from_owned_fd(fd: OwnedFd) -> io::Result<PipeWriter> {
        crate::runtime::context::assert_in_runtime("aio::io::PipeWriter::from_owned_fd");
        Ok(PipeWriter {
            _core: std::marker::PhantomData,
            pipe: Pipe::new(fd)?,
        })
    }

    /// The descriptor, open and in blocking mode, to hand to a child
    /// process (`Stdio::from`) or to std.
    ///
    /// # Errors
    ///
    /// The runtime's driver failed fatally, or the mode switch failed.
    pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
        into_owned(self.pipe)
    }
}

fn into_owned(pipe: Pipe) -> io::Result<OwnedFd> {
    let fd = pipe.fd.into_owned()?;
    crate::sys::socket::set_nonblocking(fd.as_raw_fd(), false)?;
    Ok(fd)
}

impl AsyncReadRent for PipeReader {
    async fn read<B: IoBufMut>(&mut self, buf: B) -> BufResult<usize, B> {
        self.pipe.read(buf).await
    }

    async fn readv<B: IoBufMut>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        self.pipe.readv(bufs).await
    }
}

impl AsyncWriteRent for PipeWriter {
    async fn write<B: IoBuf>(&mut self, buf: B) -> BufResult<usize, B> {
        self.pipe.write(buf).await
    }

    async fn writev<B: IoBuf>(&mut self, bufs: Vec<B>) -> BufResult<usize, Vec<B>> {
        self.pipe.writev(bufs).await
    }

    /// Nothing is buffered: completes at once.
    async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// A pipe has no half-close: completes at once. Drop the writer to
    /// end the reader's stream.
    async fn shutdown(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `AsRawFd`, `AsFd` and `Debug` for a type whose `pipe` field is a
/// [`Pipe`] (the pipe types here, a child's stdout and stderr).
macro_rules! pipe_fd_impls {
    ($ty:ty) => {
        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                self.pipe.fd.raw()
            }
        }

        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.pipe.fd.as_fd()
            }
        }

        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("fd", &self.pipe.fd.raw())
                    .finish()
            }
        }
    };
}

pub(crate) use pipe_fd_impls;

pipe_fd_impls!(PipeReader);
pipe_fd_impls!(PipeWriter);
