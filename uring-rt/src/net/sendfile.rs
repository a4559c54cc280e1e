//! `sendfile`: file bytes to a socket. sendfile(2) on epoll. io_uring has
//! no sendfile opcode: there, ranges up to [`COPY_MAX`] are read into a
//! buffer and sent, and larger ones go through two splices and a pipe
//! (file to pipe, pipe to socket), without copying the bytes through user
//! space.

use std::io;

use crate::buf::IoBuf;
use crate::driver::fd::SharedFd;
use crate::driver::{ops, Op};
use crate::io::splice_fds;
use crate::Driver;

/// Up to this many bytes, io_uring's path copies through a buffer: a
/// page-cached read and a send both complete inline (a cold read is an
/// async buffered read, not a blocked core), while io_uring runs every
/// IORING_OP_SPLICE on its worker threads, a thread hop each, two per
/// call, after making a pipe. `cargo bench --bench sendfile` (2-vCPU VM,
/// Linux 6.18, 7 rounds): the sender's CPU per call by copy over by splice
/// was 0.72 for a 4 KiB file and 0.76 at 64 KiB, every round below 1
/// (epoll's sendfile(2) a little cheaper still). Larger ranges keep the
/// zero-copy splices, whose fixed cost a bigger copy no longer outweighs.
const COPY_MAX: usize = 64 * 1024;

/// The most one sendfile(2) call is asked to send.
const MAX_CHUNK: usize = 1 << 30;

/// The pipe buffer the io_uring path asks for: bigger than the default
/// 64 KiB, so each splice pair moves more (an unprivileged process may get
/// up to `/proc/sys/fs/pipe-max-size`, 1 MiB by default).
const PIPE_BUF: usize = 1 << 20;

/// Sends up to `len` bytes of `file` from `offset` to `socket`: all of
/// them, or until the end of the file. Returns how many were sent.
pub(crate) async fn sendfile(
    socket: &SharedFd,
    file: &SharedFd,
    offset: u64,
    len: usize,
) -> io::Result<usize> {
    if len == 0 {
        return Ok(0);
    }
    if Driver::current() == Driver::Epoll {
        by_sendfile(socket, file, offset, len).await
    } else if len <= COPY_MAX {
        by_copy(socket, file, offset, len).await
    } else {
        by_splice(socket, file, offset, len).await
    }
}

/// Reads the range into one buffer (fewer bytes at the end of the file)
/// and sends it all.
async fn by_copy(socket: &SharedFd, file: &SharedFd, offset: u64, len: usize) -> io::Result<usize> {
    let mut buf: Vec<u8> = Vec::with_capacity(len);
    loop {
        // Reads land in the Vec's spare capacity, after what is there; a
        // regular file's read comes back short only at its end.
        let pos = offset + buf.len() as u64;
        let (res, back) = Op::submit(ops::Read::new(file.clone(), buf, pos)).await;
        buf = back;
        if res? == 0 || buf.len() >= len {
            break;
        }
    }
    // The capacity may exceed `len`: never send past the range.
    buf.truncate(len);
    let mut sent = 0;
    while sent < buf.len() {
        let (res, slice) = Op::submit(ops::Send::new(socket.clone(), buf.slice(sent..))).await;
        buf = slice.into_inner();
        match res? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => sent += n,
        }
    }
    Ok(sent)
}

async fn by_sendfile(
    socket: &SharedFd,
    file: &SharedFd,
    offset: u64,
    len: usize,
) -> io::Result<usize> {
    let mut sent = 0usize;
    while sent < len {
        let chunk = (len - sent).min(MAX_CHUNK) as u32;
        let op = ops::Sendfile::new(socket.clone(), file.clone(), offset + sent as u64, chunk);
        match Op::submit(op).await? {
            0 => break, // end of the file
            n => sent += n,
        }
    }
    Ok(sent)
}

async fn by_splice(
    socket: &SharedFd,
    file: &SharedFd,
    offset: u64,
    len: usize,
) -> io::Result<usize> {
    let (r, w) = crate::sys::pipe::pipe()?;
    let capacity = crate::sys::pipe::set_capacity(&w, len.min(PIPE_BUF));
    let (r, w) = (SharedFd::new(r), SharedFd::new(w));
    let mut sent = 0usize;
    while sent < len {
        let want = (len - sent).min(capacity);
        let filled = splice_fds(file, Some(offset + sent as u64), &w, None, want).await?;
        if filled == 0 {
            break; // end of the file
        }
        // Drain the pipe into the socket before filling it again.
        let mut left = filled;
        while left > 0 {
            match splice_fds(&r, None, socket, None, left).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => left -= n,
            }
        }
        sent += filled;
    }
    Ok(sent)
}
