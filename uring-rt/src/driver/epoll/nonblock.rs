//! Running a readiness call without blocking: which direction it waits in,
//! the flags that make it nonblocking, and the small socket queries the
//! backend needs (connect completion, socket type, `O_NONBLOCK`).

use std::os::fd::RawFd;

use super::fds::{Dir, Kind};
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
        | Call::Accept { fd, .. } => Some((fd, Dir::Read)),
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
        | Call::Connect { fd, .. } => Some((fd, Dir::Write)),
        _ => None,
    }
}

/// The call with the flags that keep it from blocking whatever the
/// descriptor's mode (`MSG_DONTWAIT`), and that make an accepted socket
/// nonblocking from birth (`SOCK_NONBLOCK`).
pub(super) fn adjust(call: Call) -> Call {
    match call {
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
            | Call::Connect { .. }
    )
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
