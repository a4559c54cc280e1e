//! Descriptors passed over Unix sockets: sendmsg(2)/recvmsg(2) with an
//! `SCM_RIGHTS` control message.
//!
//! Descriptors the kernel installs for a receive belong to the process from
//! that moment, whether or not anybody still awaits the receive: the op
//! wraps every one it finds in the control buffer in an `OwnedFd` in
//! `complete`, which also runs for an op whose future was dropped (see
//! `OpCode::orphaned`), so each is closed or handed out, never leaked.

use std::io;
use std::os::fd::{BorrowedFd, FromRawFd, OwnedFd, RawFd};

use super::recv::MsgParts;
use crate::buf::{IoBuf, IoBufMut};
use crate::driver::fd::SharedFd;
use crate::driver::{Call, OpCode};
use crate::BufResult;

/// The most descriptors one message may carry (`SCM_MAX_FD`).
pub(crate) const MAX_FDS: usize = 253;

const FD_SIZE: usize = std::mem::size_of::<RawFd>();

/// Control buffer room for `n` descriptors, in `u64`s so that it is
/// aligned for `cmsghdr`.
fn control_buf(n: usize) -> (Box<[u64]>, usize) {
    // SAFETY: CMSG_SPACE only computes a size (`n * 4` is at most 1012).
    let space = unsafe { libc::CMSG_SPACE((n * FD_SIZE) as u32) } as usize;
    (vec![0u64; space.div_ceil(8)].into_boxed_slice(), space)
}

/// A msghdr over `buf`'s single iovec, with no address.
fn msg_over(iov: libc::iovec) -> Box<MsgParts> {
    let mut parts = MsgParts::new(Box::new([iov]), None);
    parts.msg.msg_name = std::ptr::null_mut();
    parts.msg.msg_namelen = 0;
    parts
}

/// sendmsg(2) of a buffer's initialized bytes with descriptors attached.
pub(crate) struct SendFds<B> {
    fd: SharedFd,
    buf: B,
    parts: Box<MsgParts>,
    _control: Box<[u64]>,
    /// Duplicates of the descriptors sent, whose numbers are in the control
    /// message: the kernel resolves the numbers when the send runs, which
    /// on io_uring may be after the caller's borrows ended (a dropped
    /// future), so the op keeps numbers of its own open until then.
    _dups: Vec<OwnedFd>,
}

impl<B: IoBuf> SendFds<B> {
    /// Duplicates `fds` (close-on-exec) for the op; fails as dup(2) does,
    /// handing `buf` back.
    pub(crate) fn new(
        fd: SharedFd,
        buf: B,
        fds: &[BorrowedFd<'_>],
    ) -> Result<SendFds<B>, (io::Error, B)> {
        let dups = match fds
            .iter()
            .map(|f| f.try_clone_to_owned())
            .collect::<io::Result<Vec<OwnedFd>>>()
        {
            Ok(dups) => dups,
            Err(e) => return Err((e, buf)),
        };
        let iov = libc::iovec {
            iov_base: buf.read_ptr() as *mut _,
            iov_len: buf.bytes_init(),
        };
        let mut parts = msg_over(iov);
        let (mut control, space) = control_buf(dups.len());
        if !dups.is_empty() {
            parts.msg.msg_control = control.as_mut_ptr().cast();
            parts.msg.msg_controllen = space as _;
            // SAFETY: `msg_control` points at `space` zeroed, aligned bytes,
            // room for one header and `dups.len()` descriptors (CMSG_SPACE),
            // so CMSG_FIRSTHDR returns a header inside it and CMSG_DATA the
            // `dups.len() * 4` bytes after it, which the copy fills.
            unsafe {
                let cmsg = libc::CMSG_FIRSTHDR(&parts.msg);
                (*cmsg).cmsg_level = libc::SOL_SOCKET;
                (*cmsg).cmsg_type = libc::SCM_RIGHTS;
                (*cmsg).cmsg_len = libc::CMSG_LEN((dups.len() * FD_SIZE) as u32) as _;
                let data = libc::CMSG_DATA(cmsg).cast::<RawFd>();
                for (i, d) in dups.iter().enumerate() {
                    data.add(i)
                        .write_unaligned(std::os::fd::AsRawFd::as_raw_fd(d));
                }
            }
        }
        Ok(SendFds {
            fd,
            buf,
            parts,
            _control: control,
            _dups: dups,
        })
    }
}

impl<B: IoBuf> OpCode for SendFds<B> {
    type Output = BufResult<usize, B>;

    fn call(&mut self) -> Call {
        Call::SendMsg {
            fd: self.fd.raw(),
            msg: &self.parts.msg,
            flags: libc::MSG_NOSIGNAL as u32,
        }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> Self::Output {
        (res.map(|n| n as usize), self.buf)
    }
}

/// recvmsg(2) into a buffer with room for up to `max` descriptors; they
/// arrive close-on-exec (`MSG_CMSG_CLOEXEC`).
pub(crate) struct RecvFds<B> {
    fd: SharedFd,
    buf: B,
    parts: Box<MsgParts>,
    control: Box<[u64]>,
    /// The control length offered: room for exactly the `max` asked for.
    space: usize,
}

impl<B: IoBufMut> RecvFds<B> {
    /// `max` is capped at [`MAX_FDS`].
    pub(crate) fn new(fd: SharedFd, mut buf: B, max: usize) -> RecvFds<B> {
        let iov = libc::iovec {
            iov_base: buf.write_ptr().cast(),
            iov_len: buf.bytes_total(),
        };
        let max = max.min(MAX_FDS);
        let (control, space) = if max == 0 {
            (Box::default(), 0)
        } else {
            // The kernel fills as many descriptors as the control length
            // has room for, and CMSG_SPACE rounds up (to 8 bytes: room for
            // 2 where 1 was asked): offer exactly CMSG_LEN(max) bytes of
            // the (CMSG_SPACE-sized) buffer, so at most `max` arrive.
            let (control, _) = control_buf(max);
            // SAFETY: CMSG_LEN only computes a size.
            (control, unsafe { libc::CMSG_LEN((max * FD_SIZE) as u32) }
                as usize)
        };
        RecvFds {
            fd,
            buf,
            parts: msg_over(iov),
            control,
            space,
        }
    }

    /// Takes ownership of every descriptor in the received control data.
    fn take_fds(&mut self) -> Vec<OwnedFd> {
        let mut fds = Vec::new();
        if self.space == 0 || self.parts.msg.msg_controllen == 0 {
            return fds;
        }
        // SAFETY: after a successful recvmsg the kernel has written
        // `msg_controllen` bytes of well-formed control messages at
        // `msg_control` (our aligned buffer of `space` bytes), and the
        // CMSG_* walk stays inside that length. Each SCM_RIGHTS payload is
        // descriptors the kernel just installed in this process for us:
        // nobody else owns them, so wrapping each in an `OwnedFd` (once:
        // the walk visits each header once) is sound.
        unsafe {
            let mut cmsg = libc::CMSG_FIRSTHDR(&self.parts.msg);
            while !cmsg.is_null() {
                if (*cmsg).cmsg_level == libc::SOL_SOCKET && (*cmsg).cmsg_type == libc::SCM_RIGHTS {
                    let data = libc::CMSG_DATA(cmsg).cast::<RawFd>();
                    let header = data.cast::<u8>().offset_from(cmsg.cast::<u8>()) as usize;
                    let n = ((*cmsg).cmsg_len as usize).saturating_sub(header) / FD_SIZE;
                    for i in 0..n {
                        fds.push(OwnedFd::from_raw_fd(data.add(i).read_unaligned()));
                    }
                }
                cmsg = libc::CMSG_NXTHDR(&self.parts.msg, cmsg);
            }
        }
        fds
    }
}

impl<B: IoBufMut> OpCode for RecvFds<B> {
    /// The bytes received and the descriptors that came with them.
    type Output = BufResult<(usize, Vec<OwnedFd>), B>;

    fn call(&mut self) -> Call {
        if self.space > 0 {
            self.parts.msg.msg_control = self.control.as_mut_ptr().cast();
        }
        self.parts.msg.msg_controllen = self.space as _;
        Call::RecvMsg {
            fd: self.fd.raw(),
            msg: &mut self.parts.msg,
            flags: libc::MSG_CMSG_CLOEXEC as u32,
        }
    }

    /// Also run for an orphan (whose output is dropped): descriptors that
    /// arrived after the future was dropped are closed here.
    fn complete(mut self, res: io::Result<u32>, _flags: u32) -> Self::Output {
        let res = res.map(|n| {
            let fds = self.take_fds();
            // SAFETY: the kernel wrote `n` bytes into the single iovec.
            unsafe { self.buf.set_init(n as usize) };
            (n as usize, fds)
        });
        (res, self.buf)
    }
}
