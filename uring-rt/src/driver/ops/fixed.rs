//! READ_FIXED / WRITE_FIXED: a read or write whose buffer is a registered
//! buffer of the ring, so the kernel uses the pages it pinned and mapped at
//! registration instead of doing both for every operation.
//!
//! Each is the plain [`Read`] / [`Write`] op with its call turned into the
//! fixed form when the buffer is registered on the ring it is submitted
//! to; otherwise (epoll, another runtime's pool, a kernel without buffer
//! tables) it stays the plain call. Completion is the plain op's.

use std::io;

use super::{Read, Write};
use crate::driver::fd::SharedFd;
use crate::driver::{Call, FixedBuffer, OpCode};
use crate::BufResult;

/// read(2)/pread(2) into a registered buffer's writable region.
pub(crate) struct ReadFixed<B>(Read<B>);

impl<B: FixedBuffer> ReadFixed<B> {
    /// `offset` is a file position, or `CURRENT_POS` for streams.
    pub(crate) fn new(fd: SharedFd, buf: B, offset: u64) -> ReadFixed<B> {
        ReadFixed(Read::new(fd, buf, offset))
    }
}

impl<B: FixedBuffer> OpCode for ReadFixed<B> {
    type Output = BufResult<usize, B>;

    fn call(&mut self) -> Call {
        // Asked at submission, on the thread of the driver that runs it.
        let index = self.0.buf().fixed_index();
        let call = self.0.call();
        match index {
            Some(index) => call.into_fixed(index),
            None => call,
        }
    }

    fn complete(self, res: io::Result<u32>, flags: u32) -> Self::Output {
        self.0.complete(res, flags)
    }
}

/// write(2)/pwrite(2) from a registered buffer's initialized bytes.
pub(crate) struct WriteFixed<B>(Write<B>);

impl<B: FixedBuffer> WriteFixed<B> {
    /// `offset` is a file position, or `CURRENT_POS` for streams.
    pub(crate) fn new(fd: SharedFd, buf: B, offset: u64) -> WriteFixed<B> {
        WriteFixed(Write::new(fd, buf, offset))
    }
}

impl<B: FixedBuffer> OpCode for WriteFixed<B> {
    type Output = BufResult<usize, B>;

    fn call(&mut self) -> Call {
        let index = self.0.buf().fixed_index();
        let call = self.0.call();
        match index {
            Some(index) => call.into_fixed(index),
            None => call,
        }
    }

    fn complete(self, res: io::Result<u32>, flags: u32) -> Self::Output {
        self.0.complete(res, flags)
    }
}
