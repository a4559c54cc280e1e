//! recvmmsg(2) / sendmmsg(2): many datagrams in one system call.
//!
//! io_uring has no opcode for these, so both backends run the system call
//! itself, nonblocking (`MSG_DONTWAIT`, which the op always sets): epoll
//! when the socket is ready (parking the call on `EAGAIN` as for any
//! other), io_uring at submission ([`Call::is_syscall_only`]). On io_uring
//! an `EAGAIN` comes back to [`until_done`], which waits for readiness with
//! a POLL_ADD and submits the call again.
//!
//! So the kernel never holds these calls' memory beyond the system call:
//! a dropped future loses no datagram and leaves nothing in flight but,
//! at most, a readiness wait (which owns no memory).

use std::io;
use std::net::SocketAddr;

use super::PollAdd;
use crate::buf::{IoBuf, IoBufMut};
use crate::driver::fd::SharedFd;
use crate::driver::{Call, Op, OpCode};
use crate::sys::addr::{to_raw, RawAddr};
use crate::BufResult;

/// An op that the io_uring backend runs as a nonblocking system call, and
/// that therefore may complete with `EAGAIN`; its output is its result and
/// itself, so that it can be submitted again.
pub(crate) trait Retry: OpCode<Output = (io::Result<u32>, Self)> + Sized {
    /// The readiness (`POLLIN`/`POLLOUT`) to wait for after `EAGAIN`.
    const READY: u32;

    /// The descriptor the call runs on.
    fn fd(&self) -> &SharedFd;
}

/// Submits `op`, and after each `EAGAIN` waits until its descriptor is
/// ready and submits it again. Returns the first other result, and the op.
pub(crate) async fn until_done<T: Retry>(mut op: T) -> (io::Result<u32>, T) {
    loop {
        let (res, back) = Op::submit(op).await;
        op = back;
        match res {
            Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => {
                let fd = op.fd().clone();
                if let Err(e) = Op::submit(PollAdd::new(fd, T::READY)).await {
                    return (Err(e), op);
                }
            }
            res => return (res, op),
        }
    }
}

/// An all-zero `mmsghdr` (a valid, empty header).
fn zeroed_hdr() -> libc::mmsghdr {
    // SAFETY: mmsghdr is plain data; all-zero is a valid empty header.
    unsafe { std::mem::zeroed() }
}

/// recvmmsg(2) of up to one datagram per buffer, each with its source.
/// The headers, iovecs and address slots are boxed slices, so the pointers
/// between them stay valid when the op moves.
pub(crate) struct RecvMmsg<B> {
    fd: SharedFd,
    bufs: Vec<B>,
    hdrs: Box<[libc::mmsghdr]>,
    _iovecs: Box<[libc::iovec]>,
    addrs: Box<[RawAddr]>,
}

impl<B: IoBufMut> RecvMmsg<B> {
    /// One header per buffer (every buffer should have room: a zero-length
    /// receive would consume a datagram).
    pub(crate) fn new(fd: SharedFd, mut bufs: Vec<B>) -> RecvMmsg<B> {
        let mut iovecs = super::iovecs_mut(&mut bufs);
        let mut addrs: Box<[RawAddr]> = bufs.iter().map(|_| RawAddr::empty()).collect();
        let hdrs = iovecs
            .iter_mut()
            .zip(addrs.iter_mut())
            .map(|(iov, addr)| {
                let mut hdr = zeroed_hdr();
                hdr.msg_hdr.msg_iov = iov;
                hdr.msg_hdr.msg_iovlen = 1;
                hdr.msg_hdr.msg_name = addr.as_mut_ptr().cast();
                hdr
            })
            .collect();
        RecvMmsg {
            fd,
            bufs,
            hdrs,
            _iovecs: iovecs,
            addrs,
        }
    }

    /// Each received datagram's size and source, in buffer order (the
    /// `i`-th for `bufs[i]`, whose initialized length is set to it); the
    /// buffers back, all of them.
    pub(crate) fn finish(
        mut self,
        res: io::Result<u32>,
    ) -> BufResult<Vec<(usize, RawAddr)>, Vec<B>> {
        let res = res.map(|n| {
            let n = n as usize;
            let mut got = Vec::with_capacity(n);
            for ((hdr, buf), addr) in self
                .hdrs
                .iter()
                .zip(&mut self.bufs)
                .zip(&*self.addrs)
                .take(n)
            {
                let len = (hdr.msg_len as usize).min(buf.bytes_total());
                // SAFETY: the kernel wrote this datagram's `msg_len` bytes
                // (never more than the iovec's length, which is the
                // buffer's writable region) at the start of that region.
                unsafe { buf.set_init(len) };
                let mut addr = *addr;
                addr.len = hdr.msg_hdr.msg_namelen;
                got.push((len, addr));
            }
            got
        });
        (res, self.bufs)
    }
}

impl<B: IoBufMut> OpCode for RecvMmsg<B> {
    type Output = (io::Result<u32>, RecvMmsg<B>);

    fn call(&mut self) -> Call {
        // The kernel shrinks each name length to the address it wrote:
        // give every slot its full room again (the op may be resubmitted).
        for hdr in self.hdrs.iter_mut() {
            hdr.msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as _;
        }
        Call::RecvMmsg {
            fd: self.fd.raw(),
            msgs: self.hdrs.as_mut_ptr(),
            vlen: super::len32(self.hdrs.len()),
            flags: libc::MSG_DONTWAIT,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> Self::Output {
        (res, self)
    }
}

impl<B: IoBufMut> Retry for RecvMmsg<B> {
    const READY: u32 = libc::POLLIN as u32;

    fn fd(&self) -> &SharedFd {
        &self.fd
    }
}

/// sendmmsg(2) of one datagram per buffer, each to its own address.
pub(crate) struct SendMmsg<B> {
    fd: SharedFd,
    msgs: Vec<(B, SocketAddr)>,
    hdrs: Box<[libc::mmsghdr]>,
    _iovecs: Box<[libc::iovec]>,
    _addrs: Box<[RawAddr]>,
}

impl<B: IoBuf> SendMmsg<B> {
    pub(crate) fn new(fd: SharedFd, msgs: Vec<(B, SocketAddr)>) -> SendMmsg<B> {
        let mut iovecs: Box<[libc::iovec]> = msgs
            .iter()
            .map(|(b, _)| libc::iovec {
                iov_base: b.read_ptr() as *mut _,
                iov_len: b.bytes_init(),
            })
            .collect();
        let mut addrs: Box<[RawAddr]> = msgs.iter().map(|(_, a)| to_raw(a)).collect();
        let hdrs = iovecs
            .iter_mut()
            .zip(addrs.iter_mut())
            .map(|(iov, addr)| {
                let mut hdr = zeroed_hdr();
                hdr.msg_hdr.msg_iov = iov;
                hdr.msg_hdr.msg_iovlen = 1;
                hdr.msg_hdr.msg_namelen = addr.len;
                hdr.msg_hdr.msg_name = addr.as_mut_ptr().cast();
                hdr
            })
            .collect();
        SendMmsg {
            fd,
            msgs,
            hdrs,
            _iovecs: iovecs,
            _addrs: addrs,
        }
    }

    /// How many datagrams were sent, and the messages back.
    pub(crate) fn finish(self, res: io::Result<u32>) -> BufResult<usize, Vec<(B, SocketAddr)>> {
        (res.map(|n| n as usize), self.msgs)
    }
}

impl<B: IoBuf> OpCode for SendMmsg<B> {
    type Output = (io::Result<u32>, SendMmsg<B>);

    fn call(&mut self) -> Call {
        Call::SendMmsg {
            fd: self.fd.raw(),
            msgs: self.hdrs.as_mut_ptr(),
            vlen: super::len32(self.hdrs.len()),
            // As every socket send: a dead peer is EPIPE, never SIGPIPE.
            flags: libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> Self::Output {
        (res, self)
    }
}

impl<B: IoBuf> Retry for SendMmsg<B> {
    const READY: u32 = libc::POLLOUT as u32;

    fn fd(&self) -> &SharedFd {
        &self.fd
    }
}
