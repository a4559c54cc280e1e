use super::{iovecs_mut, len32, set_init_across};
use crate::buf::IoBufMut;
use crate::driver::fd::SharedFd;
use crate::driver::{Call, OpCode};
use crate::sys::addr::RawAddr;
use crate::BufResult;
use std::io;

/// recv(2) into a buffer's writable region.
pub(crate) struct Recv<B> {
    fd: SharedFd,
    buf: B,
    flags: i32,
}

impl<B: IoBufMut> Recv<B> {
    pub(crate) fn new(fd: SharedFd, buf: B) -> Recv<B> {
        Recv { fd, buf, flags: 0 }
    }

    /// A receive with `MSG_PEEK`: the bytes stay queued for the next one.
    pub(crate) fn peek(fd: SharedFd, buf: B) -> Recv<B> {
        Recv {
            fd,
            buf,
            flags: libc::MSG_PEEK,
        }
    }
}

impl<B: IoBufMut> OpCode for Recv<B> {
    type Output = BufResult<usize, B>;

    fn call(&mut self) -> Call {
        let len = len32(self.buf.bytes_total());
        Call::Recv {
            fd: self.fd.raw(),
            buf: self.buf.write_ptr(),
            len,
            flags: self.flags,
        }
    }

    fn complete(mut self, res: io::Result<u32>, _flags: u32) -> Self::Output {
        let res = res.map(|n| {
            // SAFETY: the kernel wrote `n` bytes at the start of the region.
            unsafe { self.buf.set_init(n as usize) };
            n as usize
        });
        (res, self.buf)
    }
}

/// The pieces of a recvmsg(2)/sendmsg(2) the kernel points into: boxed so
/// their addresses are stable; `msg` points at `iov`-s and `addr`.
pub(crate) struct MsgParts {
    pub(crate) msg: libc::msghdr,
    pub(crate) iovecs: Box<[libc::iovec]>,
    pub(crate) addr: RawAddr,
}

impl MsgParts {
    /// A msghdr over `iovecs`, with room for (or carrying) an address.
    pub(crate) fn new(iovecs: Box<[libc::iovec]>, addr: Option<RawAddr>) -> Box<MsgParts> {
        let has_addr = addr.is_some();
        // SAFETY: msghdr is plain data; all-zero is a valid empty header.
        let msg: libc::msghdr = unsafe { std::mem::zeroed() };
        let mut parts = Box::new(MsgParts {
            msg,
            iovecs,
            addr: addr.unwrap_or_default(),
        });
        parts.msg.msg_iov = parts.iovecs.as_mut_ptr();
        parts.msg.msg_iovlen = parts.iovecs.len();
        parts.msg.msg_name = (&mut parts.addr.storage as *mut libc::sockaddr_storage).cast();
        parts.msg.msg_namelen = if has_addr {
            parts.addr.len
        } else {
            std::mem::size_of::<libc::sockaddr_storage>() as _
        };
        parts
    }
}

/// recvmsg(2) into several buffers (vectored socket read).
pub(crate) struct RecvMsgv<B> {
    fd: SharedFd,
    bufs: Vec<B>,
    parts: Box<MsgParts>,
}

impl<B: IoBufMut> RecvMsgv<B> {
    pub(crate) fn new(fd: SharedFd, mut bufs: Vec<B>) -> RecvMsgv<B> {
        let mut parts = MsgParts::new(iovecs_mut(&mut bufs), None);
        parts.msg.msg_name = std::ptr::null_mut();
        parts.msg.msg_namelen = 0;
        RecvMsgv { fd, bufs, parts }
    }
}

impl<B: IoBufMut> OpCode for RecvMsgv<B> {
    type Output = BufResult<usize, Vec<B>>;

    fn call(&mut self) -> Call {
        Call::RecvMsg {
            fd: self.fd.raw(),
            msg: &mut self.parts.msg,
            flags: 0,
        }
    }

    fn complete(mut self, res: io::Result<u32>, _flags: u32) -> Self::Output {
        if let Ok(n) = res {
            set_init_across(&mut self.bufs, n as usize);
        }
        (res.map(|n| n as usize), self.bufs)
    }
}

/// recvmsg(2) of one datagram and its source address.
pub(crate) struct RecvFrom<B> {
    fd: SharedFd,
    buf: B,
    parts: Box<MsgParts>,
    flags: u32,
}

impl<B: IoBufMut> RecvFrom<B> {
    pub(crate) fn new(fd: SharedFd, mut buf: B) -> RecvFrom<B> {
        let iov = libc::iovec {
            iov_base: buf.write_ptr().cast(),
            iov_len: buf.bytes_total(),
        };
        let parts = MsgParts::new(Box::new([iov]), None);
        RecvFrom {
            fd,
            buf,
            parts,
            flags: 0,
        }
    }

    /// A receive with `MSG_PEEK`: the datagram stays queued for the next
    /// one.
    pub(crate) fn peek(fd: SharedFd, buf: B) -> RecvFrom<B> {
        RecvFrom {
            flags: libc::MSG_PEEK as u32,
            ..RecvFrom::new(fd, buf)
        }
    }
}

impl<B: IoBufMut> OpCode for RecvFrom<B> {
    /// The datagram's length and its source address.
    type Output = BufResult<(usize, RawAddr), B>;

    fn call(&mut self) -> Call {
        Call::RecvMsg {
            fd: self.fd.raw(),
            msg: &mut self.parts.msg,
            flags: self.flags,
        }
    }

    fn complete(mut self, res: io::Result<u32>, _flags: u32) -> Self::Output {
        let res = res.map(|n| {
            // SAFETY: the kernel wrote `n` bytes into the single iovec.
            unsafe { self.buf.set_init(n as usize) };
            let mut addr = self.parts.addr;
            addr.len = self.parts.msg.msg_namelen;
            (n as usize, addr)
        });
        (res, self.buf)
    }
}
