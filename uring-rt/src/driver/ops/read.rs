use std::io;

use super::{iovecs_mut, len32, set_init_across};
use crate::buf::IoBufMut;
use crate::driver::fd::SharedFd;
use crate::driver::{Call, OpCode};
use crate::BufResult;

/// read(2)/pread(2) into a buffer's writable region.
pub(crate) struct Read<B> {
    fd: SharedFd,
    buf: B,
    offset: u64,
}

impl<B: IoBufMut> Read<B> {
    /// `offset` is a file position, or `CURRENT_POS` for streams.
    pub(crate) fn new(fd: SharedFd, buf: B, offset: u64) -> Read<B> {
        Read { fd, buf, offset }
    }

    pub(crate) fn buf(&self) -> &B {
        &self.buf
    }
}

impl<B: IoBufMut> OpCode for Read<B> {
    type Output = BufResult<usize, B>;

    fn call(&mut self) -> Call {
        let len = len32(self.buf.bytes_total());
        Call::Read {
            fd: self.fd.raw(),
            buf: self.buf.write_ptr(),
            len,
            offset: self.offset,
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

/// readv(2)/preadv(2) into several buffers.
pub(crate) struct Readv<B> {
    fd: SharedFd,
    bufs: Vec<B>,
    iovecs: Box<[libc::iovec]>,
    offset: u64,
}

impl<B: IoBufMut> Readv<B> {
    pub(crate) fn new(fd: SharedFd, mut bufs: Vec<B>, offset: u64) -> Readv<B> {
        let iovecs = iovecs_mut(&mut bufs);
        Readv {
            fd,
            bufs,
            iovecs,
            offset,
        }
    }
}

impl<B: IoBufMut> OpCode for Readv<B> {
    type Output = BufResult<usize, Vec<B>>;

    fn call(&mut self) -> Call {
        Call::Readv {
            fd: self.fd.raw(),
            iov: self.iovecs.as_ptr(),
            iovcnt: len32(self.iovecs.len()),
            offset: self.offset,
        }
    }

    fn complete(mut self, res: io::Result<u32>, _flags: u32) -> Self::Output {
        if let Ok(n) = res {
            set_init_across(&mut self.bufs, n as usize);
        }
        (res.map(|n| n as usize), self.bufs)
    }
}
