//! Receives into pool buffers: one at a time (`recv_pooled`), as a
//! multishot stream (`recv_multi`), and datagrams with their source
//! (`recv_from_pooled`). The ops are defined here, once, and run by both
//! backends.

use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{ready, Context, Poll};

use futures_core::Stream;

use super::provided::{PooledBuf, Shared};
use super::BufPool;
use crate::driver::fd::SharedFd;
use crate::driver::ops::MsgParts;
use crate::driver::{Call, MultiCode, MultiOp, Op, OpCode};
use crate::sys::addr::RawAddr;

/// What a completion carries: the filled buffer, `None` for no data (end
/// of stream; a buffer it came with goes straight back), or its error. A
/// success whose buffer is missing (never expected) is an error rather
/// than lost data.
fn claimed(pool: &Rc<Shared>, res: io::Result<u32>, flags: u32) -> io::Result<Option<PooledBuf>> {
    let n = res?;
    let buf = pool.claim(n, flags);
    if n == 0 {
        return Ok(None);
    }
    buf.map(Some)
        .ok_or_else(|| io::Error::other("a receive completed without its buffer"))
}

fn is_enobufs(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ENOBUFS)
}

/// recv(2) into a buffer the pool's group picks.
struct RecvPooled {
    fd: SharedFd,
    pool: Rc<Shared>,
}

impl OpCode for RecvPooled {
    /// The filled buffer; `None` at end of stream.
    type Output = io::Result<Option<PooledBuf>>;

    fn call(&mut self) -> Call {
        Call::RecvSelect {
            fd: self.fd.raw(),
            group: self.pool.group(),
        }
    }

    fn complete(self, res: io::Result<u32>, flags: u32) -> Self::Output {
        claimed(&self.pool, res, flags)
    }
}

/// One receive into a buffer of `pool`: `None` at end of stream. Waits
/// for a buffer to come back when the pool has none.
pub(crate) async fn recv_pooled(fd: &SharedFd, pool: &BufPool) -> io::Result<Option<PooledBuf>> {
    pool.shared.check_current()?;
    loop {
        poll_fn(|cx| pool.shared.poll_available(cx)).await;
        let op = RecvPooled {
            fd: fd.clone(),
            pool: pool.shared.clone(),
        };
        match Op::submit(op).await {
            // Others took the last buffers first: wait for one again.
            Err(e) if is_enobufs(&e) => continue,
            res => return res,
        }
    }
}

/// The multishot receive behind [`RecvMulti`].
struct RecvMultiCode {
    fd: SharedFd,
    pool: Rc<Shared>,
}

impl MultiCode for RecvMultiCode {
    fn call(&mut self) -> Call {
        Call::RecvMulti {
            fd: self.fd.raw(),
            group: self.pool.group(),
        }
    }

    fn orphaned_cqe(&mut self, res: i32, flags: u32) {
        // Back to the pool.
        self.pool.claim_each(res.max(0) as u32, flags, drop);
    }
}

/// The stream returned by `recv_multi`: every arrival on the connection,
/// in order, as [`PooledBuf`]s of its pool, ending at end of stream.
///
/// Backed by one multishot receive (io_uring, Linux 6.0+): no submission
/// per message, and no buffer held while the connection is idle. The
/// runtime re-arms it when the kernel ends it; when the pool has no buffer
/// left the stream waits for one to come back (a consumer that holds every
/// buffer stalls only itself). On older kernels each arrival is a
/// single-shot receive; on epoll, a nonblocking recv into a pool buffer.
///
/// An error ends the stream after it is yielded. Dropping the stream
/// cancels the receive and returns every buffer it still had to the pool;
/// data that had arrived but was not yet taken is dropped with it.
#[must_use = "streams do nothing unless polled"]
pub struct RecvMulti<'a> {
    fd: SharedFd,
    pool: BufPool,
    op: Option<MultiOp<RecvMultiCode>>,
    /// Buffers of a bundle (one completion, several buffers) not yet
    /// yielded.
    ready: VecDeque<PooledBuf>,
    /// The kernel ended the receive for want of buffers: wait for one.
    starved: bool,
    done: bool,
    /// Borrows the socket (or read half) mutably, as a read does.
    _socket: PhantomData<&'a mut ()>,
}

impl RecvMulti<'_> {
    pub(crate) fn new(fd: &SharedFd, pool: &BufPool) -> RecvMulti<'static> {
        RecvMulti {
            fd: fd.clone(),
            pool: pool.clone(),
            op: None,
            ready: VecDeque::new(),
            starved: false,
            done: false,
            _socket: PhantomData,
        }
    }
}

impl Stream for RecvMulti<'_> {
    type Item = io::Result<PooledBuf>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(buf) = this.ready.pop_front() {
                return Poll::Ready(Some(Ok(buf)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            if this.starved {
                ready!(this.pool.shared.poll_available(cx));
                this.starved = false;
            }
            if this.op.is_none() {
                if let Err(e) = this.pool.shared.check_current() {
                    this.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
            }
            let op = this.op.get_or_insert_with(|| {
                MultiOp::submit(RecvMultiCode {
                    fd: this.fd.clone(),
                    pool: this.pool.shared.clone(),
                })
            });
            let Some((res, flags)) = ready!(op.poll_next(cx)) else {
                // The kernel ended the receive (it does now and then, or it
                // is single-shot here): arm a new one.
                this.op = None;
                continue;
            };
            if res > 0 {
                let ready = &mut this.ready;
                this.pool
                    .shared
                    .claim_each(res as u32, flags, |buf| ready.push_back(buf));
                if this.ready.is_empty() {
                    this.done = true;
                    this.op = None;
                    let e = io::Error::other("a receive completed without its buffer");
                    return Poll::Ready(Some(Err(e)));
                }
                continue;
            }
            // End of stream (a buffer it came with goes straight back).
            this.pool.shared.claim_each(0, flags, drop);
            let e = io::Error::from_raw_os_error(-res);
            if res < 0 && is_enobufs(&e) {
                this.starved = true;
                continue;
            }
            this.done = true;
            this.op = None;
            if res == 0 {
                return Poll::Ready(None);
            }
            return Poll::Ready(Some(Err(e)));
        }
    }
}

impl fmt::Debug for RecvMulti<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvMulti")
            .field("fd", &self.fd.raw())
            .field("pool", &self.pool)
            .field("armed", &self.op.is_some())
            .field("done", &self.done)
            .finish()
    }
}

/// recvmsg(2) of one datagram into a buffer the pool's group picks.
struct RecvFromPooled {
    fd: SharedFd,
    pool: Rc<Shared>,
    parts: Box<MsgParts>,
}

impl OpCode for RecvFromPooled {
    type Output = io::Result<(PooledBuf, RawAddr)>;

    fn call(&mut self) -> Call {
        Call::RecvMsgSelect {
            fd: self.fd.raw(),
            msg: &mut self.parts.msg,
            group: self.pool.group(),
        }
    }

    fn complete(self, res: io::Result<u32>, flags: u32) -> Self::Output {
        // An empty datagram may come without a buffer.
        let buf = claimed(&self.pool, res, flags)?.unwrap_or_else(|| self.pool.empty());
        let mut addr = self.parts.addr;
        addr.len = self.parts.msg.msg_namelen;
        Ok((buf, addr))
    }
}

/// One datagram into a buffer of `pool`, with its source address.
pub(crate) async fn recv_from_pooled(
    fd: &SharedFd,
    pool: &BufPool,
) -> io::Result<(PooledBuf, RawAddr)> {
    pool.shared.check_current()?;
    loop {
        poll_fn(|cx| pool.shared.poll_available(cx)).await;
        // No iovec: the buffer the group picks is the one.
        let op = RecvFromPooled {
            fd: fd.clone(),
            pool: pool.shared.clone(),
            parts: MsgParts::new(Vec::new().into_boxed_slice(), None),
        };
        match Op::submit(op).await {
            Err(e) if is_enobufs(&e) => continue,
            res => return res,
        }
    }
}
