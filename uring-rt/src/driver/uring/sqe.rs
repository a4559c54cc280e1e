//! Building SQEs from `Call`s (safe), and the one place they are pushed
//! onto a submission queue (the unsafe step).

use io_uring::squeue::{self, PushError};
use io_uring::types::{Fd, FsyncFlags};
use io_uring::{opcode, SubmissionQueue};

use crate::driver::Call;

/// Pushes `sqe` onto `sq`; `Err` if the queue is full. Every SQE aio hands
/// the kernel goes through here.
///
/// # Safety
///
/// Every pointer in `sqe` must stay valid (and the memory it points to
/// unmoved, and not written by anyone else where the kernel writes) until
/// the entry's completion has been reaped, or, for the backend's own
/// entries whose completion is never reaped, until the kernel has consumed
/// the entry (timeouts: the kernel copies the timespec at submission).
pub(crate) unsafe fn push(
    sq: &mut SubmissionQueue<'_>,
    sqe: &squeue::Entry,
) -> Result<(), PushError> {
    // SAFETY: the caller's contract is exactly `SubmissionQueue::push`'s.
    unsafe { sq.push(sqe) }
}

/// Builds the SQE for a call. Building is safe; pushing is the unsafe step.
pub(crate) fn entry(call: Call) -> squeue::Entry {
    match call {
        Call::Nop => opcode::Nop::new().build(),
        Call::Read {
            fd,
            buf,
            len,
            offset,
        } => opcode::Read::new(Fd(fd), buf, len).offset(offset).build(),
        Call::Write {
            fd,
            buf,
            len,
            offset,
        } => opcode::Write::new(Fd(fd), buf, len).offset(offset).build(),
        Call::Readv {
            fd,
            iov,
            iovcnt,
            offset,
        } => opcode::Readv::new(Fd(fd), iov, iovcnt)
            .offset(offset)
            .build(),
        Call::Writev {
            fd,
            iov,
            iovcnt,
            offset,
        } => opcode::Writev::new(Fd(fd), iov, iovcnt)
            .offset(offset)
            .build(),
        Call::Recv {
            fd,
            buf,
            len,
            flags,
        } => opcode::Recv::new(Fd(fd), buf, len).flags(flags).build(),
        Call::Send {
            fd,
            buf,
            len,
            flags,
        } => opcode::Send::new(Fd(fd), buf, len).flags(flags).build(),
        Call::RecvMsg { fd, msg, flags } => opcode::RecvMsg::new(Fd(fd), msg).flags(flags).build(),
        Call::SendMsg { fd, msg, flags } => opcode::SendMsg::new(Fd(fd), msg).flags(flags).build(),
        Call::Accept {
            fd,
            addr,
            addrlen,
            flags,
        } => opcode::Accept::new(Fd(fd), addr, addrlen)
            .flags(flags)
            .build(),
        Call::Connect { fd, addr, addrlen } => opcode::Connect::new(Fd(fd), addr, addrlen).build(),
        Call::Shutdown { fd, how } => opcode::Shutdown::new(Fd(fd), how).build(),
        Call::Close { fd } => opcode::Close::new(Fd(fd)).build(),
        Call::PollAdd { fd, mask } => opcode::PollAdd::new(Fd(fd), mask).build(),
        Call::Timeout { ts } => opcode::Timeout::new(ts).build(),
        Call::Cancel { target } => opcode::AsyncCancel::new(target).build(),
        Call::OpenAt {
            dirfd,
            path,
            flags,
            mode,
        } => opcode::OpenAt::new(Fd(dirfd), path)
            .flags(flags)
            .mode(mode)
            .build(),
        Call::Fsync { fd, datasync } => {
            let flags = if datasync {
                FsyncFlags::DATASYNC
            } else {
                FsyncFlags::empty()
            };
            opcode::Fsync::new(Fd(fd)).flags(flags).build()
        }
        Call::Statx {
            dirfd,
            path,
            flags,
            mask,
            buf,
        } => opcode::Statx::new(Fd(dirfd), path, buf.cast())
            .flags(flags)
            .mask(mask)
            .build(),
        Call::UnlinkAt { dirfd, path, flags } => {
            opcode::UnlinkAt::new(Fd(dirfd), path).flags(flags).build()
        }
        Call::RenameAt {
            olddirfd,
            oldpath,
            newdirfd,
            newpath,
            flags,
        } => opcode::RenameAt::new(Fd(olddirfd), oldpath, Fd(newdirfd), newpath)
            .flags(flags)
            .build(),
        Call::MkdirAt { dirfd, path, mode } => {
            opcode::MkDirAt::new(Fd(dirfd), path).mode(mode).build()
        }
        Call::LinkAt {
            olddirfd,
            oldpath,
            newdirfd,
            newpath,
            flags,
        } => opcode::LinkAt::new(Fd(olddirfd), oldpath, Fd(newdirfd), newpath)
            .flags(flags)
            .build(),
        Call::SymlinkAt {
            target,
            newdirfd,
            linkpath,
        } => opcode::SymlinkAt::new(Fd(newdirfd), target, linkpath).build(),
        Call::Splice {
            fd_in,
            off_in,
            fd_out,
            off_out,
            len,
            flags,
        } => opcode::Splice::new(Fd(fd_in), off_in, Fd(fd_out), off_out, len)
            .flags(flags)
            .build(),
        Call::RecvSelect { fd, group } => opcode::Recv::new(Fd(fd), std::ptr::null_mut(), 0)
            .buf_group(group)
            .build()
            .flags(squeue::Flags::BUFFER_SELECT),
        Call::RecvMulti { fd, group } => opcode::RecvMulti::new(Fd(fd), group).build(),
        Call::RecvMsgSelect { fd, msg, group } => opcode::RecvMsg::new(Fd(fd), msg)
            .buf_group(group)
            .build()
            .flags(squeue::Flags::BUFFER_SELECT),
        Call::AcceptMulti { fd, flags } => opcode::AcceptMulti::new(Fd(fd)).flags(flags).build(),
        Call::SendZc {
            fd,
            buf,
            len,
            flags,
        } => opcode::SendZc::new(Fd(fd), buf, len).flags(flags).build(),
        Call::SendMsgZc { fd, msg, flags } => opcode::SendMsgZc::new(Fd(fd), msg)
            .flags(flags as u32)
            .build(),
        Call::RecvMmsg { .. } | Call::SendMmsg { .. } | Call::Sendfile { .. } => {
            unreachable!("io_uring has no opcode for this call: the backend runs it as a syscall")
        }
        Call::ReadFixed {
            fd,
            buf,
            len,
            offset,
            index,
        } => opcode::ReadFixed::new(Fd(fd), buf, len, index)
            .offset(offset)
            .build(),
        Call::WriteFixed {
            fd,
            buf,
            len,
            offset,
            index,
        } => opcode::WriteFixed::new(Fd(fd), buf, len, index)
            .offset(offset)
            .build(),
    }
}
