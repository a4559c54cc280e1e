use std::io;

use super::{iovecs, len32};
use crate::buf::IoBuf;
use crate::driver::fd::SharedFd;
use crate::driver::{Call, OpCode};
use crate::BufResult;

/// write(2)/pwrite(2) from a buffer's initialized bytes.
pub(crate) struct Write<B> {
    fd: SharedFd,
    buf: B,
    offset: u64,
}

impl<B: IoBuf> Write<B> {
    pub(crate) fn new(fd: SharedFd, buf: B, offset: u64) -> Write<B> {
        Write { fd, buf, offset }
    }

    pub(crate) fn buf(&self) -> &B {
        &self.buf
    }
}

impl<B: IoBuf> OpCode for Write<B> {
    type Output = BufResult<usize, B>;

    fn call(&mut self) -> Call {
        let len = len32(self.buf.bytes_init());
        Call::Write {
            fd: self.fd.raw(),
            buf: self.buf.read_ptr(),
            len,
            offset: self.offset,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> Self::Output {
        (res.map(|n| n as usize), self.buf)
    }
}

/// writev(2)/pwritev(2) from several buffers.
pub(crate) struct Writev<B> {
    fd: SharedFd,
    bufs: Vec<B>,
    iovecs: Box<[libc::iovec]>,
    offset: u64,
}

impl<B: IoBuf> Writev<B> {
    pub(crate) fn new(fd: SharedFd, bufs: Vec<B>, offset: u64) -> Writev<B> {
        let iovecs = iovecs(&bufs);
        Writev {
            fd,
            bufs,
            iovecs,
            offset,
        }
    }
}

impl<B: IoBuf> OpCode for Writev<B> {
    type Output = BufResult<usize, Vec<B>>;

    fn call(&mut self) -> Call {
        Call::Writev {
            fd: self.fd.raw(),
            iov: self.iovecs.as_ptr(),
            iovcnt: len32(self.iovecs.len()),
            offset: self.offset,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> Self::Output {
        (res.map(|n| n as usize), self.bufs)
    }
}
