//! Running a readiness call without blocking: which direction it waits in,
//! the flags that make it nonblocking, and the small socket queries the
//! backend needs (connect completion, socket type, `O_NONBLOCK`).

use std::os::fd::RawFd;

use super::fds::{Dir, Kind};
use super::groups::GroupBuf;
use crate::driver::syscall;
use crate::driver::syscall::errno;
use crate::driver::{Call, CURRENT_POS};

/// The descriptor a call waits on and in which direction; `None` for calls
/// that never wait for readiness.
pub(super) fn interest(call: &Call) -> Option<(RawFd, Dir)> {
    match *call {
        Call::Read {
            fd,
            offset: CURRENT_POS,
            ..
        }
        | Call::Readv {
            fd,
            offset: CURRENT_POS,
            ..
        }
        | Call::Recv { fd, .. }
        | Call::RecvMsg { fd, .. }
        | Call::RecvSelect { fd, .. }
        | Call::RecvMulti { fd, .. }
        | Call::RecvMsgSelect { fd, .. }
        | Call::RecvMmsg { fd, .. }
        | Call::AcceptMulti { fd, .. }
        | Call::Accept { fd, .. } => Some((fd, Dir::Read)),
        // Waiting for both directions parks with the readers; the backend
        // retries readers' polls on write events too.
        Call::PollAdd { fd, mask } if mask & libc::POLLIN as u32 != 0 => Some((fd, Dir::Read)),
        Call::PollAdd { fd, .. } => Some((fd, Dir::Write)),
        Call::Write {
            fd,
            offset: CURRENT_POS,
            ..
        }
        | Call::Writev {
            fd,
            offset: CURRENT_POS,
            ..
        }
        | Call::Send { fd, .. }
        | Call::SendMsg { fd, .. }
        | Call::SendZc { fd, .. }
        | Call::SendMsgZc { fd, .. }
        | Call::SendMmsg { fd, .. }
        | Call::Sendfile { out_fd: fd, .. }
        | Call::Connect { fd, .. } => Some((fd, Dir::Write)),
        _ => None,
    }
}

/// The call with the flags that keep it from blocking whatever the
/// descriptor's mode (`MSG_DONTWAIT`), and that make an accepted socket
/// nonblocking from birth (`SOCK_NONBLOCK`).
pub(super) fn adjust(call: Call) -> Call {
    // There is no zero-copy send here: a plain one, done when it returns
    // (a single completion, which ends the op).
    match call.copying() {
        Call::Recv {
            fd,
            buf,
            len,
            flags,
        } => Call::Recv {
            fd,
            buf,
            len,
            flags: flags | libc::MSG_DONTWAIT,
        },
        Call::Send {
            fd,
            buf,
            len,
            flags,
        } => Call::Send {
            fd,
            buf,
            len,
            flags: flags | libc::MSG_DONTWAIT,
        },
        Call::RecvMsg { fd, msg, flags } => Call::RecvMsg {
            fd,
            msg,
            flags: flags | libc::MSG_DONTWAIT as u32,
        },
        Call::SendMsg { fd, msg, flags } => Call::SendMsg {
            fd,
            msg,
            flags: flags | libc::MSG_DONTWAIT as u32,
        },
        Call::RecvMmsg {
            fd,
            msgs,
            vlen,
            flags,
        } => Call::RecvMmsg {
            fd,
            msgs,
            vlen,
            flags: flags | libc::MSG_DONTWAIT,
        },
        Call::SendMmsg {
            fd,
            msgs,
            vlen,
            flags,
        } => Call::SendMmsg {
            fd,
            msgs,
            vlen,
            flags: flags | libc::MSG_DONTWAIT,
        },
        Call::Accept {
            fd,
            addr,
            addrlen,
            flags,
        } => Call::Accept {
            fd,
            addr,
            addrlen,
            flags: flags | libc::SOCK_NONBLOCK,
        },
        Call::AcceptMulti { fd, flags } => Call::AcceptMulti {
            fd,
            flags: flags | libc::SOCK_NONBLOCK,
        },
        other => other,
    }
}

/// Whether the call only stays nonblocking if the descriptor is
/// `O_NONBLOCK` (it has no per-call flag for that).
pub(super) fn needs_nonblocking_fd(call: &Call) -> bool {
    matches!(
        call,
        Call::Read { .. }
            | Call::Write { .. }
            | Call::Readv { .. }
            | Call::Writev { .. }
            | Call::Accept { .. }
            | Call::AcceptMulti { .. }
            | Call::Connect { .. }
    )
}

/// The buffer group a call picks its buffer from, if it does.
pub(super) fn buffer_group(call: &Call) -> Option<u16> {
    match *call {
        Call::RecvSelect { group, .. }
        | Call::RecvMulti { group, .. }
        | Call::RecvMsgSelect { group, .. } => Some(group),
        _ => None,
    }
}

/// Runs a call that picks its buffer with `buf` as that buffer (never
/// blocking). Returns the result and the plain call that was made, for the
/// caller's bookkeeping of short transfers.
pub(super) fn run_with_buffer(call: Call, buf: GroupBuf) -> (i32, Call) {
    match call {
        Call::RecvSelect { fd, .. } | Call::RecvMulti { fd, .. } => {
            let recv = Call::Recv {
                fd,
                buf: buf.addr,
                len: buf.len,
                flags: libc::MSG_DONTWAIT,
            };
            (syscall::run_restarting(recv), recv)
        }
        Call::RecvMsgSelect { fd, msg, .. } => {
            let mut iov = libc::iovec {
                iov_base: buf.addr.cast(),
                iov_len: buf.len as usize,
            };
            // SAFETY: by `Call`'s contract `msg` points to the op's live
            // msghdr, which nothing else touches while the call runs.
            let mut local = unsafe { *msg };
            local.msg_iov = &mut iov;
            local.msg_iovlen = 1;
            let recv = Call::RecvMsg {
                fd,
                msg: &mut local,
                flags: libc::MSG_DONTWAIT as u32,
            };
            let res = syscall::run_restarting(recv);
            // SAFETY: as above; the op reads the source address's length
            // and the message flags back from its own msghdr.
            unsafe {
                (*msg).msg_namelen = local.msg_namelen;
                (*msg).msg_flags = local.msg_flags;
            }
            // Nothing may keep pointers into `local`: report the call as
            // a plain recv of that length.
            let made = Call::Recv {
                fd,
                buf: buf.addr,
                len: buf.len,
                flags: 0,
            };
            (res, made)
        }
        _ => unreachable!("not a call that picks its buffer"),
    }
}

/// Whether a successful result `res` moved fewer bytes than asked, which on
/// a stream socket means the receive buffer is now empty (or the send
/// buffer full). Peeks and out-of-band reads drain nothing.
pub(super) fn short_transfer(call: &Call, res: i32) -> bool {
    if res <= 0 {
        return false; // 0 is end of stream: it stays "readable"
    }
    match *call {
        Call::Recv { len, flags, .. } | Call::Send { len, flags, .. } => {
            flags & (libc::MSG_PEEK | libc::MSG_OOB) == 0 && (res as u32) < len
        }
        Call::Read { len, .. } | Call::Write { len, .. } => (res as u32) < len,
        _ => false,
    }
}

/// Sets `O_NONBLOCK` on `fd` if it is not set. aio's sockets are created
/// nonblocking when the runtime is on epoll; this catches a descriptor that
/// came from elsewhere, which would otherwise stall the whole runtime.
pub(super) fn set_nonblocking(fd: RawFd) -> Result<(), i32> {
    // SAFETY: fcntl(F_GETFL) takes no memory.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(-errno());
    }
    if flags & libc::O_NONBLOCK == 0 {
        // SAFETY: fcntl(F_SETFL) takes an int.
        if unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
            return Err(-errno());
        }
    }
    Ok(())
}

/// The outcome of a nonblocking connect that was started: `Some(res)` once
/// it finished (0 or `-errno`), `None` while it is still in progress.
pub(super) fn connect_result(fd: RawFd) -> Option<i32> {
    let mut err: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `err` and `len` are live and `len` is the size of `err`.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut err as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if r < 0 {
        return Some(-errno());
    }
    if err != 0 {
        return Some(-err);
    }
    // No error yet: connected, or still connecting (a writable edge can
    // precede the end of the handshake only spuriously, but check).
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `addr` has room for `len` bytes; both are live.
    let r = unsafe {
        libc::getpeername(
            fd,
            (&mut addr as *mut libc::sockaddr_storage).cast(),
            &mut len,
        )
    };
    match r {
        0 => Some(0),
        _ => match errno() {
            libc::ENOTCONN => None,
            e => Some(-e),
        },
    }
}

/// Whether `fd` is a stream socket (see [`Kind`]).
pub(super) fn kind_of(fd: RawFd) -> Kind {
    let mut ty: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `ty` and `len` are live and `len` is the size of `ty`.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_TYPE,
            (&mut ty as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if r == 0 && ty == libc::SOCK_STREAM {
        Kind::Stream
    } else {
        Kind::Other
    }
}
