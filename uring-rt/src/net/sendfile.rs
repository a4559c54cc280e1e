//! `sendfile`: file bytes to a socket without copying them through user
//! space. sendfile(2) on epoll; on io_uring, which has no sendfile opcode,
//! two splices through a pipe (file to pipe, pipe to socket), both waiting
//! inside the kernel.

use std::io;

use crate::driver::fd::SharedFd;
use crate::driver::{ops, Op};
use crate::io::splice_fds;
use crate::Driver;

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
    } else {
        by_splice(socket, file, offset, len).await
    }
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
