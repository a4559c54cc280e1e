//! [`splice`]: bytes from one descriptor to another inside the kernel, one
//! of them a pipe; and the wait for readiness it needs on epoll.

use std::io;
use std::os::fd::AsFd;

use crate::driver::fd::SharedFd;
use crate::driver::{ops, Op};

/// The most one splice is asked to move (the kernel moves at most the
/// pipe's capacity anyway).
const MAX_SPLICE: usize = 1 << 30;

/// Moves up to `len` bytes from `from` to `to` inside the kernel (splice(2);
/// IORING_OP_SPLICE on io_uring). One of them must be a pipe (see
/// [`pipe`](super::pipe)); the other may be a socket, a file (read or
/// written at its current position) or another pipe. Returns how many bytes
/// moved: fewer than `len` when that is all `from` had (or `to` took) at
/// once; `Ok(0)` at the end of `from` (or for `len == 0`).
///
/// Nothing is copied through user space. `from` and `to` are duplicated
/// for the operation, so the kernel never works on a descriptor number
/// that the caller closed and reused meanwhile.
///
/// # Errors
///
/// `EINVAL` if neither side is a pipe (or a side cannot be spliced), and
/// the errors of reading `from` or writing `to` (`EPIPE` when the pipe's
/// reader is gone).
///
/// # Cancel safety
///
/// Dropping the future may leave some bytes moved; none are lost or
/// duplicated (they are in `to`, or still in `from`).
///
/// # Panics
///
/// Polling it outside an aio runtime panics.
///
/// # Examples
///
/// ```
/// use aio::io::{AsyncReadRentExt, AsyncWriteRentExt};
///
/// aio::Runtime::new().unwrap().block_on(async {
///     let (mut r1, mut w1) = aio::io::pipe().unwrap();
///     let (mut r2, w2) = aio::io::pipe().unwrap();
///     w1.write_all(b"hop").await.0.unwrap();
///     assert_eq!(aio::io::splice(&r1, &w2, 64).await.unwrap(), 3);
///     drop(w2);
///     let (res, got) = r2.read_to_end(Vec::new()).await;
///     res.unwrap();
///     assert_eq!(got, b"hop");
///     # drop((r1, w1));
/// });
/// ```
pub async fn splice<A: AsFd, B: AsFd>(from: &A, to: &B, len: usize) -> io::Result<usize> {
    if len == 0 {
        return Ok(0);
    }
    let from = SharedFd::new(crate::sys::pipe::dup(from.as_fd())?);
    let to = SharedFd::new(crate::sys::pipe::dup(to.as_fd())?);
    splice_fds(&from, None, &to, None, len).await
}

/// One splice of up to `len` bytes between the runtime's own descriptors
/// (`None`: the descriptor's own position), waiting for readiness and
/// trying again while it would block.
pub(crate) async fn splice_fds(
    from: &SharedFd,
    off_from: Option<u64>,
    to: &SharedFd,
    off_to: Option<u64>,
    len: usize,
) -> io::Result<usize> {
    let len = len.min(MAX_SPLICE) as u32;
    loop {
        let op = ops::Splice::new(from.clone(), off_from, to.clone(), off_to, len);
        match Op::submit(op).await {
            Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => wait_either(from, to).await?,
            res => return res,
        }
    }
}

/// Waits until the side that would block is ready: `from` readable, else
/// `to` writable. (The epoll backend runs a splice nonblocking; io_uring
/// only returns `EAGAIN` for a descriptor the caller made nonblocking.)
async fn wait_either(from: &SharedFd, to: &SharedFd) -> io::Result<()> {
    let (fd, mask) = if !crate::sys::pipe::ready_now(from.raw(), libc::POLLIN) {
        (from.clone(), libc::POLLIN)
    } else {
        (to.clone(), libc::POLLOUT)
    };
    Op::submit(ops::PollAdd::new(fd, mask as u32))
        .await
        .map(drop)
}
