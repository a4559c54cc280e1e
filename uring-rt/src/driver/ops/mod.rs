//! Operation definitions, one per file. Each says how to describe itself as
//! a [`Call`](super::Call) and how to turn the result into its output; both
//! backends run them unchanged.

mod accept;
mod close;
mod connect;
mod fds;
mod fixed;
mod fs;
mod mmsg;
#[cfg(test)]
mod nop;
mod poll;
mod read;
mod recv;
mod send;
mod shutdown;
mod splice;
#[cfg(test)]
mod timeout;
mod write;

pub(crate) use accept::{AcceptMulti, Stash};
pub(crate) use close::Close;
pub(crate) use connect::Connect;
pub(crate) use fds::{RecvFds, SendFds, MAX_FDS};
pub(crate) use fixed::{ReadFixed, WriteFixed};
pub(crate) use fs::{Fsync, LinkAt, MkdirAt, OpenAt, RenameAt, Statx, SymlinkAt, UnlinkAt};
pub(crate) use mmsg::{until_done, RecvMmsg, SendMmsg};
#[cfg(test)]
pub(crate) use nop::Nop;
pub(crate) use poll::PollAdd;
pub(crate) use read::{Read, Readv};
pub(crate) use recv::{MsgParts, Recv, RecvFrom, RecvMsgv};
pub(crate) use send::{Send, SendMsgv, SendTo, SendToZc, SendZc};
pub(crate) use shutdown::Shutdown;
pub(crate) use splice::{Sendfile, Splice};
#[cfg(test)]
pub(crate) use timeout::Timeout;
pub(crate) use write::{Write, Writev};

/// Kernel lengths are u32: longer buffers are transferred partially, which
/// every read and write already allows.
pub(crate) fn len32(len: usize) -> u32 {
    len.min(u32::MAX as usize) as u32
}

/// iovecs for the writable regions of `bufs`.
pub(crate) fn iovecs_mut<B: crate::buf::IoBufMut>(bufs: &mut [B]) -> Box<[libc::iovec]> {
    bufs.iter_mut()
        .map(|b| libc::iovec {
            iov_base: b.write_ptr().cast(),
            iov_len: b.bytes_total(),
        })
        .collect()
}

/// iovecs for the initialized bytes of `bufs`.
pub(crate) fn iovecs<B: crate::buf::IoBuf>(bufs: &[B]) -> Box<[libc::iovec]> {
    bufs.iter()
        .map(|b| libc::iovec {
            iov_base: b.read_ptr() as *mut _,
            iov_len: b.bytes_init(),
        })
        .collect()
}

/// Marks `n` bytes as initialized across `bufs`, filling each in order.
pub(crate) fn set_init_across<B: crate::buf::IoBufMut>(bufs: &mut [B], mut n: usize) {
    for b in bufs {
        if n == 0 {
            break;
        }
        let take = n.min(b.bytes_total());
        // SAFETY: the kernel filled the iovecs in order, so the first
        // `take` bytes of this buffer's writable region were written.
        unsafe { b.set_init(take) };
        n -= take;
    }
}
