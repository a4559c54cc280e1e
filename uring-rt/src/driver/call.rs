//! A kernel operation described as plain data.
//!
//! Every op turns itself into a [`Call`] once, on the runtime thread, when it
//! is submitted. Both backends run the same `Call`: io_uring turns it into an
//! SQE; epoll runs the equivalent nonblocking syscall (waiting for readiness
//! on `EAGAIN`) or sends it to the blocking pool. So an op is defined once,
//! and only the backends contain the unsafe code that hands pointers to the
//! kernel.

use std::os::fd::RawFd;

use io_uring::types::Timespec;

/// `offset` value meaning "the file's current position" (sockets, pipes).
pub(crate) const CURRENT_POS: u64 = u64::MAX;

/// One kernel operation. Pointers point into memory owned by the op (its
/// buffer, or boxed parts of the op such as a sockaddr), which the driver
/// keeps alive until the operation's completion has been reaped.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Call {
    Nop,
    Read {
        fd: RawFd,
        buf: *mut u8,
        len: u32,
        offset: u64,
    },
    Write {
        fd: RawFd,
        buf: *const u8,
        len: u32,
        offset: u64,
    },
    Readv {
        fd: RawFd,
        iov: *const libc::iovec,
        iovcnt: u32,
        offset: u64,
    },
    Writev {
        fd: RawFd,
        iov: *const libc::iovec,
        iovcnt: u32,
        offset: u64,
    },
    Recv {
        fd: RawFd,
        buf: *mut u8,
        len: u32,
        flags: i32,
    },
    Send {
        fd: RawFd,
        buf: *const u8,
        len: u32,
        flags: i32,
    },
    RecvMsg {
        fd: RawFd,
        msg: *mut libc::msghdr,
        flags: u32,
    },
    SendMsg {
        fd: RawFd,
        msg: *const libc::msghdr,
        flags: u32,
    },
    /// recvmmsg(2): up to `vlen` datagrams into the `mmsghdr`s at `msgs`,
    /// each header's `msg_len` set to its datagram's size; the result is how
    /// many arrived. io_uring has no such opcode: both backends run it as
    /// the system call (the op puts `MSG_DONTWAIT` in `flags`), epoll when
    /// the socket is readable, io_uring at once, `EAGAIN` included (the op
    /// then waits for readiness itself; see `driver/ops/mmsg.rs`).
    RecvMmsg {
        fd: RawFd,
        msgs: *mut libc::mmsghdr,
        vlen: u32,
        flags: i32,
    },
    /// sendmmsg(2) of the `vlen` datagrams at `msgs` (each header's
    /// `msg_len` set to the bytes sent); the result is how many were sent.
    /// Run as [`Call::RecvMmsg`] is, when writable.
    SendMmsg {
        fd: RawFd,
        msgs: *mut libc::mmsghdr,
        vlen: u32,
        flags: i32,
    },
    Accept {
        fd: RawFd,
        addr: *mut libc::sockaddr,
        addrlen: *mut libc::socklen_t,
        flags: i32,
    },
    Connect {
        fd: RawFd,
        addr: *const libc::sockaddr,
        addrlen: libc::socklen_t,
    },
    Shutdown {
        fd: RawFd,
        how: i32,
    },
    /// Single-shot readiness (IORING_OP_POLL_ADD): completes with the
    /// `POLL*` event mask once any event in `mask` (or an error or hangup)
    /// is pending on `fd`.
    PollAdd {
        fd: RawFd,
        mask: u32,
    },
    Close {
        fd: RawFd,
    },
    /// Completes with `ETIME` after the duration.
    Timeout {
        ts: *const Timespec,
    },
    /// Cancels the in-flight op whose key is `target`.
    Cancel {
        target: u64,
    },
    OpenAt {
        dirfd: RawFd,
        path: *const libc::c_char,
        flags: i32,
        mode: u32,
    },
    Fsync {
        fd: RawFd,
        datasync: bool,
    },
    Statx {
        dirfd: RawFd,
        path: *const libc::c_char,
        flags: i32,
        mask: u32,
        buf: *mut libc::statx,
    },
    UnlinkAt {
        dirfd: RawFd,
        path: *const libc::c_char,
        flags: i32,
    },
    RenameAt {
        olddirfd: RawFd,
        oldpath: *const libc::c_char,
        newdirfd: RawFd,
        newpath: *const libc::c_char,
        flags: u32,
    },
    MkdirAt {
        dirfd: RawFd,
        path: *const libc::c_char,
        mode: u32,
    },
    /// linkat(2): a hard link `newpath` to `oldpath`.
    LinkAt {
        olddirfd: RawFd,
        oldpath: *const libc::c_char,
        newdirfd: RawFd,
        newpath: *const libc::c_char,
        flags: i32,
    },
    /// symlinkat(2): a symbolic link `linkpath` whose content is `target`.
    SymlinkAt {
        target: *const libc::c_char,
        newdirfd: RawFd,
        linkpath: *const libc::c_char,
    },
    /// splice(2): up to `len` bytes from `fd_in` to `fd_out`, one of them a
    /// pipe. An offset of `-1` means the descriptor's own position (always
    /// for a pipe). The epoll backend runs it at once with
    /// `SPLICE_F_NONBLOCK`, so it may complete with `EAGAIN` (the caller
    /// waits for readiness); io_uring waits inside the kernel.
    Splice {
        fd_in: RawFd,
        off_in: i64,
        fd_out: RawFd,
        off_out: i64,
        len: u32,
        flags: u32,
    },
    /// sendfile(2) of up to `len` bytes of `in_fd` from `*offset` (which it
    /// advances) to the socket `out_fd`. Only the epoll backend runs it (a
    /// readiness call waiting for `out_fd` to be writable); io_uring has no
    /// opcode, and `TcpStream::sendfile` splices through a pipe there.
    Sendfile {
        out_fd: RawFd,
        in_fd: RawFd,
        offset: *mut libc::off64_t,
        len: u32,
    },
    /// recv(2) into a buffer that the backend picks from buffer group
    /// `group` (IOSQE_BUFFER_SELECT); the completion's flags carry
    /// `CQE_F_BUFFER` and the buffer id (`flags >> 16`).
    RecvSelect {
        fd: RawFd,
        group: u16,
    },
    /// A multishot recv with buffer selection: one completion per arrival,
    /// each with `CQE_F_MORE` while the op goes on. (A single-shot
    /// `RecvSelect` where the kernel has no multishot receive.)
    RecvMulti {
        fd: RawFd,
        group: u16,
    },
    /// recvmsg(2) with buffer selection; `msg` has no iovec (the buffer is
    /// the picked one) and room for the source address.
    RecvMsgSelect {
        fd: RawFd,
        msg: *mut libc::msghdr,
        group: u16,
    },
    /// A multishot accept4(2): one completion per connection (a new
    /// descriptor) with `CQE_F_MORE` while it goes on. No peer address.
    AcceptMulti {
        fd: RawFd,
        flags: i32,
    },
    /// A zero-copy send: the result completion has `CQE_F_MORE`, and the
    /// buffer is the kernel's until a second, `CQE_F_NOTIF` completion.
    /// A plain send where the kernel has no SEND_ZC.
    SendZc {
        fd: RawFd,
        buf: *const u8,
        len: u32,
        flags: i32,
    },
    /// sendmsg(2), zero-copy (as `SendZc`).
    SendMsgZc {
        fd: RawFd,
        msg: *const libc::msghdr,
        flags: i32,
    },
    /// A `Read` whose `len` bytes at `buf` lie inside the buffer registered
    /// at `index` in the ring's table (see `driver/fixed.rs`). Only built
    /// for a ring that has it registered; epoll runs it as the `Read`.
    ReadFixed {
        fd: RawFd,
        buf: *mut u8,
        len: u32,
        offset: u64,
        index: u16,
    },
    /// A `Write` from inside the registered buffer `index`, as `ReadFixed`.
    WriteFixed {
        fd: RawFd,
        buf: *const u8,
        len: u32,
        offset: u64,
        index: u16,
    },
}

/// Completion flags (`IORING_CQE_F_*` from <linux/io_uring.h>); the epoll
/// backend sets the same ones.
pub(crate) mod cqe_flags {
    /// The upper 16 bits are the id of the buffer the op picked.
    pub(crate) const BUFFER: u32 = 1 << 0;
    /// More completions will follow for this op (multishot, SEND_ZC).
    pub(crate) const MORE: u32 = 1 << 1;
    /// With incremental buffer consumption: the kernel keeps the buffer
    /// for more data after this completion.
    pub(crate) const BUF_MORE: u32 = 1 << 4;
    /// Where the buffer id starts.
    pub(crate) const BUFFER_SHIFT: u32 = 16;
}

// SAFETY: a Call is plain data. The epoll backend sends calls that have no
// readiness (files) to the blocking pool; the memory their pointers refer to
// belongs to the op's slot in the driver, which is not released until the
// pool thread has posted the result (exactly as for the kernel with io_uring).
unsafe impl Send for Call {}

impl Call {
    /// Whether the op may be cancelled once started. A close may not: on a
    /// file with a flush method (NFS, FUSE) io_uring runs it on a worker
    /// thread, and a cancellation that reaches it before it starts there
    /// leaves the descriptor open with nobody left to close it.
    pub(crate) fn cancellable(&self) -> bool {
        !matches!(self, Call::Close { .. })
    }

    /// Whether the op completes without anything happening outside the
    /// process: a file or path operation (positional reads and writes are
    /// on seekable files), not one that waits for a peer, a pipe, a
    /// timeout or readiness. A paused clock waits for these (see
    /// `aio::time::pause`).
    pub(crate) fn finishes_unprompted(&self) -> bool {
        self.is_blocking() || matches!(self, Call::Nop | Call::Close { .. })
    }

    /// The plain, copying send a zero-copy send stands for (where the
    /// kernel has no SEND_ZC, and on epoll): a single completion. Any other
    /// call is returned unchanged.
    pub(crate) fn copying(self) -> Call {
        match self {
            Call::SendZc {
                fd,
                buf,
                len,
                flags,
            } => Call::Send {
                fd,
                buf,
                len,
                flags,
            },
            Call::SendMsgZc { fd, msg, flags } => Call::SendMsg {
                fd,
                msg,
                flags: flags as u32,
            },
            call => call,
        }
    }

    /// Whether io_uring has no opcode for the call, so that its backend
    /// runs it as the (nonblocking) system call at submission.
    pub(crate) fn is_syscall_only(&self) -> bool {
        matches!(
            self,
            Call::RecvMmsg { .. } | Call::SendMmsg { .. } | Call::Sendfile { .. }
        )
    }

    /// Whether the op may complete many times (each completion but the last
    /// with `CQE_F_MORE`), to be driven as a stream.
    pub(crate) fn is_multishot(&self) -> bool {
        matches!(self, Call::RecvMulti { .. } | Call::AcceptMulti { .. })
    }

    /// Whether the epoll backend runs this call on the blocking pool rather
    /// than as a nonblocking syscall with readiness: positional file I/O and
    /// path/metadata calls, which regular files cannot poll for.
    pub(crate) fn is_blocking(&self) -> bool {
        match *self {
            Call::Read { offset, .. }
            | Call::Write { offset, .. }
            | Call::Readv { offset, .. }
            | Call::Writev { offset, .. }
            | Call::ReadFixed { offset, .. }
            | Call::WriteFixed { offset, .. } => offset != CURRENT_POS,
            Call::OpenAt { .. }
            | Call::Fsync { .. }
            | Call::Statx { .. }
            | Call::UnlinkAt { .. }
            | Call::RenameAt { .. }
            | Call::MkdirAt { .. }
            | Call::LinkAt { .. }
            | Call::SymlinkAt { .. } => true,
            _ => false,
        }
    }

    /// The same read or write, from inside the buffer registered at `index`
    /// (READ_FIXED / WRITE_FIXED). The caller knows that the call's memory
    /// lies inside that registered buffer on the ring it submits to.
    pub(crate) fn into_fixed(self, index: u16) -> Call {
        match self {
            Call::Read {
                fd,
                buf,
                len,
                offset,
            } => Call::ReadFixed {
                fd,
                buf,
                len,
                offset,
                index,
            },
            Call::Write {
                fd,
                buf,
                len,
                offset,
            } => Call::WriteFixed {
                fd,
                buf,
                len,
                offset,
                index,
            },
            other => unreachable!("only Read and Write have a fixed-buffer form, not {other:?}"),
        }
    }

    /// The plain read or write a fixed-buffer call is (the same memory,
    /// found through its address rather than the ring's table); any other
    /// call unchanged. How backends without a buffer table run them.
    pub(crate) fn unfixed(self) -> Call {
        match self {
            Call::ReadFixed {
                fd,
                buf,
                len,
                offset,
                ..
            } => Call::Read {
                fd,
                buf,
                len,
                offset,
            },
            Call::WriteFixed {
                fd,
                buf,
                len,
                offset,
                ..
            } => Call::Write {
                fd,
                buf,
                len,
                offset,
            },
            other => other,
        }
    }
}
