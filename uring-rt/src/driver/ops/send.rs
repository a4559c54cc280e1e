use std::io;

use super::recv::MsgParts;
use super::{iovecs, len32};
use crate::buf::IoBuf;
use crate::driver::fd::SharedFd;
use crate::driver::{Call, OpCode};
use crate::sys::addr::RawAddr;
use crate::BufResult;

/// Sockets never raise SIGPIPE: a dead peer is an `EPIPE` error instead.
const FLAGS: i32 = libc::MSG_NOSIGNAL;

/// send(2) of a buffer's initialized bytes.
pub(crate) struct Send<B> {
    fd: SharedFd,
    buf: B,
}

impl<B: IoBuf> Send<B> {
    pub(crate) fn new(fd: SharedFd, buf: B) -> Send<B> {
        Send { fd, buf }
    }
}

impl<B: IoBuf> OpCode for Send<B> {
    type Output = BufResult<usize, B>;

    fn call(&mut self) -> Call {
        let len = len32(self.buf.bytes_init());
        Call::Send {
            fd: self.fd.raw(),
            buf: self.buf.read_ptr(),
            len,
            flags: FLAGS,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> Self::Output {
        (res.map(|n| n as usize), self.buf)
    }
}

/// sendmsg(2) of several buffers (vectored socket write, no SIGPIPE).
pub(crate) struct SendMsgv<B> {
    fd: SharedFd,
    bufs: Vec<B>,
    parts: Box<MsgParts>,
}

impl<B: IoBuf> SendMsgv<B> {
    pub(crate) fn new(fd: SharedFd, bufs: Vec<B>) -> SendMsgv<B> {
        let mut parts = MsgParts::new(iovecs(&bufs), None);
        parts.msg.msg_name = std::ptr::null_mut();
        parts.msg.msg_namelen = 0;
        SendMsgv { fd, bufs, parts }
    }
}

impl<B: IoBuf> OpCode for SendMsgv<B> {
    type Output = BufResult<usize, Vec<B>>;

    fn call(&mut self) -> Call {
        Call::SendMsg {
            fd: self.fd.raw(),
            msg: &self.parts.msg,
            flags: FLAGS as u32,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> Self::Output {
        (res.map(|n| n as usize), self.bufs)
    }
}

/// sendmsg(2) of one datagram to an address.
pub(crate) struct SendTo<B> {
    fd: SharedFd,
    buf: B,
    parts: Box<MsgParts>,
}

impl<B: IoBuf> SendTo<B> {
    pub(crate) fn new(fd: SharedFd, buf: B, addr: RawAddr) -> SendTo<B> {
        let iov = libc::iovec {
            iov_base: buf.read_ptr() as *mut _,
            iov_len: buf.bytes_init(),
        };
        let parts = MsgParts::new(Box::new([iov]), Some(addr));
        SendTo { fd, buf, parts }
    }
}

impl<B: IoBuf> OpCode for SendTo<B> {
    type Output = BufResult<usize, B>;

    fn call(&mut self) -> Call {
        Call::SendMsg {
            fd: self.fd.raw(),
            msg: &self.parts.msg,
            flags: FLAGS as u32,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> Self::Output {
        (res.map(|n| n as usize), self.buf)
    }
}

/// A zero-copy send(2) (IORING_OP_SEND_ZC): the kernel transmits straight
/// from the buffer, so the op holds it until the kernel's notification
/// that it no longer references it (the driver completes the op only at
/// that last completion), not just until the send's result. A plain send
/// where the kernel has none, and on epoll.
pub(crate) struct SendZc<B> {
    fd: SharedFd,
    buf: B,
}

impl<B: IoBuf> SendZc<B> {
    pub(crate) fn new(fd: SharedFd, buf: B) -> SendZc<B> {
        SendZc { fd, buf }
    }
}

impl<B: IoBuf> OpCode for SendZc<B> {
    type Output = BufResult<usize, B>;

    fn call(&mut self) -> Call {
        Call::SendZc {
            fd: self.fd.raw(),
            buf: self.buf.read_ptr(),
            len: len32(self.buf.bytes_init()),
            flags: FLAGS,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> Self::Output {
        (res.map(|n| n as usize), self.buf)
    }
}

/// A zero-copy sendmsg(2) of one datagram to an address (as `SendZc`).
pub(crate) struct SendToZc<B> {
    fd: SharedFd,
    buf: B,
    parts: Box<MsgParts>,
}

impl<B: IoBuf> SendToZc<B> {
    pub(crate) fn new(fd: SharedFd, buf: B, addr: RawAddr) -> SendToZc<B> {
        let iov = libc::iovec {
            iov_base: buf.read_ptr() as *mut _,
            iov_len: buf.bytes_init(),
        };
        let parts = MsgParts::new(Box::new([iov]), Some(addr));
        SendToZc { fd, buf, parts }
    }
}

impl<B: IoBuf> OpCode for SendToZc<B> {
    type Output = BufResult<usize, B>;

    fn call(&mut self) -> Call {
        Call::SendMsgZc {
            fd: self.fd.raw(),
            msg: &self.parts.msg,
            flags: FLAGS,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> Self::Output {
        (res.map(|n| n as usize), self.buf)
    }
}
