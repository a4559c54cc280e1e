//! The io_uring backend: turns `Call`s into SQEs, submits them in one batch
//! per loop turn, and reaps completions.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

use io_uring::types::{Fd, FsyncFlags, Timespec};
use io_uring::{opcode, squeue, IoUring};

use crate::runtime::Shared;

use super::{Call, Completion, CURRENT_POS, INTERNAL_KEY};

/// The read armed on the runtime's eventfd (cross-thread wake-ups).
const EVENTFD_KEY: u64 = INTERNAL_KEY;
/// The CQEs of our own ASYNC_CANCEL requests.
const CANCEL_KEY: u64 = INTERNAL_KEY | 1;
/// A TIMEOUT bounding a wait, on kernels without `IORING_FEAT_EXT_ARG`.
const TIMEOUT_KEY: u64 = INTERNAL_KEY | 2;
/// The CQE another core's MSG_RING posts into this ring to wake it (the
/// wake itself is in the inbox; the CQE only ends the wait).
const MSG_RING_WAKE_KEY: u64 = INTERNAL_KEY | 3;
/// Our own MSG_RING's completion, if it failed (success is skipped).
const MSG_RING_SENT_KEY: u64 = INTERNAL_KEY | 4;

/// io_uring_enter(2) flags (from <linux/io_uring.h>).
const ENTER_GETEVENTS: u32 = 1 << 0;
const ENTER_EXT_ARG: u32 = 1 << 3;
const ENTER_REGISTERED_RING: u32 = 1 << 4;
/// io_uring_register(2) opcode registering the ring's own fd (5.18+).
const REGISTER_RING_FDS: libc::c_uint = 20;
const UNREGISTER_RING_FDS: libc::c_uint = 21;

/// `struct io_uring_rsrc_update` from <linux/io_uring.h>.
#[repr(C)]
struct RsrcUpdate {
    offset: u32,
    resv: u32,
    data: u64,
}

/// `struct io_uring_getevents_arg` from <linux/io_uring.h>.
#[repr(C)]
struct GeteventsArg {
    sigmask: u64,
    sigmask_sz: u32,
    min_wait_usec: u32,
    ts: u64,
}

/// `struct __kernel_timespec`.
#[repr(C)]
struct KernelTimespec {
    tv_sec: i64,
    tv_nsec: i64,
}

pub(crate) struct Uring {
    ring: IoUring,
    eventfd: RawFd,
    /// Where the eventfd read lands; boxed so its address is stable. Freed
    /// only once no read is in flight (see Drop).
    eventfd_buf: Box<u64>,
    eventfd_armed: bool,
    /// Set at shutdown: the eventfd read is no longer re-armed.
    closing: bool,
    ext_arg: bool,
    /// What io_uring_enter is called with: the registered index of the ring
    /// fd (saving the kernel an fd lookup per call) with
    /// `ENTER_REGISTERED_RING`, or the plain fd with no flag.
    enter_fd: libc::c_int,
    enter_flags: u32,
    /// Whether IORING_OP_MSG_RING and CQE_SKIP_SUCCESS are supported.
    msg_ring: bool,
    /// Runtimes woken by MSG_RING SQEs not yet consumed by the kernel.
    msg_targets: Vec<Arc<Shared>>,
    /// The timespec of the fallback TIMEOUT; the kernel copies it at submit.
    timeout_ts: Box<Timespec>,
}

impl Uring {
    /// Wraps a ring that `detect` set up and proved working.
    pub(crate) fn new(ring: IoUring, shared: &Shared) -> Uring {
        let eventfd = shared.eventfd();
        shared.set_ring(ring.as_raw_fd());
        let ext_arg = ring.params().is_feature_ext_arg();
        let (enter_fd, enter_flags) = match register_ring_fd(ring.as_raw_fd()) {
            Some(index) => (index, ENTER_REGISTERED_RING),
            None => (ring.as_raw_fd(), 0),
        };
        Uring {
            enter_fd,
            enter_flags,
            msg_ring: msg_ring_supported(&ring),
            msg_targets: Vec::new(),
            ring,
            eventfd,
            eventfd_buf: Box::new(0),
            eventfd_armed: false,
            closing: false,
            ext_arg,
            timeout_ts: Box::new(Timespec::new()),
        }
    }

    /// Queues `call`'s SQE; if the submission queue is full, submits what is
    /// queued first (never an error for a full ring).
    pub(crate) fn push(
        &mut self,
        key: u64,
        call: Call,
        out: &mut Vec<Completion>,
    ) -> io::Result<()> {
        self.push_entry(entry(call).user_data(key), out)
    }

    /// The one place SQEs are pushed.
    fn push_entry(&mut self, sqe: squeue::Entry, out: &mut Vec<Completion>) -> io::Result<()> {
        loop {
            // SAFETY: every pointer in the SQE stays valid until its CQE is
            // reaped: ops' pointers point into memory owned by their slot in
            // the driver (released only after the completion, or leaked at
            // shutdown), the backend's own (eventfd buffer, timespec) live
            // in this struct, which leaks them if dropped with a read in
            // flight.
            if unsafe { self.ring.submission().push(&sqe) }.is_ok() {
                return Ok(());
            }
            // Full: hand the queued entries to the kernel to make room.
            self.enter(0, None, out)?;
        }
    }

    /// Queues a wake-up for another runtime's ring (IORING_OP_MSG_RING): it
    /// goes out with this loop turn's single io_uring_enter, instead of an
    /// eventfd write syscall now plus an eventfd read re-armed on the target.
    /// Returns false if it could not be queued (the caller writes the
    /// eventfd instead).
    pub(crate) fn msg_ring(&mut self, target: &Arc<Shared>, out: &mut Vec<Completion>) -> bool {
        let Some(fd) = target.ring_fd() else {
            return false;
        };
        if self.closing || !self.msg_ring {
            return false;
        }
        let sqe = opcode::MsgRingData::new(Fd(fd), 0, MSG_RING_WAKE_KEY, None)
            .build()
            .flags(squeue::Flags::SKIP_SUCCESS)
            .user_data(MSG_RING_SENT_KEY);
        if self.push_entry(sqe, out).is_err() {
            return false;
        }
        // The kernel resolves the target fd when it consumes the SQE, at our
        // next enter: keep the target (and so its ring fd) alive until then.
        self.msg_targets.push(target.clone());
        true
    }

    pub(crate) fn cancel(&mut self, key: u64, out: &mut Vec<Completion>) {
        let sqe = entry(Call::Cancel { target: key }).user_data(CANCEL_KEY);
        // Submit the cancellation now rather than with the turn's batch.
        // Under DEFER_TASKRUN a cancelled request leaves its wait queue only
        // when deferred work runs at the end of an enter: if the batch also
        // held a new accept on the same listener and a connection arrived,
        // the connection's (exclusive) wake-up went to the dying accept and
        // the new one slept until the next connection. Cancels are rare, so
        // one extra enter for each is cheap.
        //
        // If even that fails (the ring is broken), the op still completes on
        // its own or is leaked at shutdown; its resources stay parked until
        // then, which is the safe outcome. Nobody else to report to.
        if self.push_entry(sqe, out).is_ok() && self.enter(0, None, out).is_ok() {
            self.reap(out);
        }
    }

    pub(crate) fn turn(
        &mut self,
        timeout: Option<Duration>,
        out: &mut Vec<Completion>,
    ) -> io::Result<()> {
        if !self.eventfd_armed && !self.closing {
            let buf: *mut u64 = &mut *self.eventfd_buf;
            let call = Call::Read {
                fd: self.eventfd,
                buf: buf.cast(),
                len: 8,
                offset: CURRENT_POS,
            };
            self.push_entry(entry(call).user_data(EVENTFD_KEY), out)?;
            self.eventfd_armed = true;
        }
        let wait = match timeout {
            Some(d) if d.is_zero() => None,
            Some(d) => Some(Some(d)),
            None => Some(None),
        };
        // Don't sleep if completions are already waiting in the CQ.
        let wait = if self.ring.completion().is_empty() {
            wait
        } else {
            None
        };
        self.enter(1, wait, out)?;
        self.reap(out);
        Ok(())
    }

    /// One `io_uring_enter`: submits everything queued, runs deferred task
    /// work (GETEVENTS), and if `wait` is set sleeps until a completion or
    /// the timeout. EINTR and ETIME end the wait; EBUSY/EAGAIN (completion
    /// queue overflow) reap and retry.
    fn enter(
        &mut self,
        want: u32,
        wait: Option<Option<Duration>>,
        out: &mut Vec<Completion>,
    ) -> io::Result<()> {
        let mut wait = wait;
        loop {
            let to_submit = self.ring.submission().len() as u32;
            let result = match wait {
                None => self.raw_enter(to_submit, 0, ENTER_GETEVENTS, None),
                Some(None) => self.raw_enter(to_submit, want, ENTER_GETEVENTS, None),
                Some(Some(d)) if self.ext_arg => {
                    let ts = KernelTimespec {
                        tv_sec: d.as_secs().min(i64::MAX as u64) as i64,
                        tv_nsec: i64::from(d.subsec_nanos()),
                    };
                    let arg = GeteventsArg {
                        sigmask: 0,
                        sigmask_sz: 0,
                        min_wait_usec: 0,
                        ts: &ts as *const KernelTimespec as u64,
                    };
                    self.raw_enter(to_submit, want, ENTER_GETEVENTS | ENTER_EXT_ARG, Some(&arg))
                }
                Some(Some(d)) => {
                    *self.timeout_ts = Timespec::new().sec(d.as_secs()).nsec(d.subsec_nanos());
                    let ts: *const Timespec = &*self.timeout_ts;
                    let sqe = entry(Call::Timeout { ts }).user_data(TIMEOUT_KEY);
                    // SAFETY: as in push_entry; the kernel copies the
                    // timespec when it consumes the SQE, in this enter.
                    if unsafe { self.ring.submission().push(&sqe) }.is_err() {
                        wait = None; // full: submit without waiting this time
                        continue;
                    }
                    self.raw_enter(to_submit + 1, want, ENTER_GETEVENTS, None)
                }
            };
            match result {
                Ok(_) => {
                    if !self.msg_targets.is_empty() && self.ring.submission().is_empty() {
                        self.msg_targets.clear();
                    }
                    return Ok(());
                }
                Err(e) => match e.raw_os_error() {
                    Some(libc::ETIME) | Some(libc::EINTR) => return Ok(()),
                    Some(libc::EBUSY) | Some(libc::EAGAIN) => {
                        // The CQ overflowed: make room, then retry without
                        // sleeping (there are completions to handle).
                        self.reap(out);
                        wait = None;
                    }
                    _ => return Err(e),
                },
            }
        }
    }

    fn raw_enter(
        &self,
        to_submit: u32,
        min_complete: u32,
        flags: u32,
        arg: Option<&GeteventsArg>,
    ) -> io::Result<usize> {
        let (arg_ptr, arg_size) = match arg {
            Some(a) => (
                a as *const GeteventsArg as *const libc::c_void,
                std::mem::size_of::<GeteventsArg>(),
            ),
            None => (std::ptr::null(), 0),
        };
        // SAFETY: io_uring_enter(2) with our ring (by registered index or
        // fd); `arg` is only passed with EXT_ARG and points to a live
        // io_uring_getevents_arg whose timespec outlives the call.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_io_uring_enter,
                self.enter_fd,
                to_submit,
                min_complete,
                flags | self.enter_flags,
                arg_ptr,
                arg_size,
            )
        };
        if ret < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(ret as usize)
        }
    }

    fn reap(&mut self, out: &mut Vec<Completion>) {
        for cqe in self.ring.completion() {
            match cqe.user_data() {
                EVENTFD_KEY => self.eventfd_armed = false,
                CANCEL_KEY | TIMEOUT_KEY | MSG_RING_WAKE_KEY | MSG_RING_SENT_KEY => {}
                key => out.push(Completion {
                    key,
                    res: cqe.result(),
                    flags: cqe.flags(),
                }),
            }
        }
    }

    /// Cancels the eventfd read so the backend can be dropped cleanly.
    pub(crate) fn shutdown(&mut self, out: &mut Vec<Completion>) {
        if self.eventfd_armed {
            self.cancel(EVENTFD_KEY, out);
            // Submit now: turn() would re-arm the read.
            if self.enter(0, None, out).is_ok() {
                self.reap(out);
            }
        }
        self.closing = true;
    }

    pub(crate) fn busy(&self) -> bool {
        self.eventfd_armed
    }
}

impl Drop for Uring {
    fn drop(&mut self) {
        // Hand the kernel anything still queued: a MSG_RING wake-up for
        // another core must not be lost with this ring.
        let queued = self.ring.submission().len() as u32;
        if queued > 0 {
            let _ = self.raw_enter(queued, 0, 0, None);
        }
        if self.enter_flags & ENTER_REGISTERED_RING != 0 {
            // The registration holds a reference to the ring file and takes
            // one of the thread's 16 slots: give both back.
            let mut update = RsrcUpdate {
                offset: self.enter_fd as u32,
                resv: 0,
                data: 0,
            };
            // SAFETY: io_uring_register(2) reads one rsrc_update through a
            // valid pointer. A failure only leaves the slot to thread exit.
            unsafe {
                libc::syscall(
                    libc::SYS_io_uring_register,
                    self.ring.as_raw_fd(),
                    UNREGISTER_RING_FDS,
                    &mut update as *mut RsrcUpdate,
                    1,
                )
            };
        }
        if self.eventfd_armed {
            // The kernel may still write into the buffer: leak it.
            std::mem::forget(std::mem::replace(&mut self.eventfd_buf, Box::new(0)));
        }
    }
}

/// Registers the ring's fd with the ring itself, so io_uring_enter can skip
/// the fd table lookup. Returns the registered index, or `None` where the
/// kernel does not support it (before 5.18): the plain fd is used then.
fn register_ring_fd(ring_fd: RawFd) -> Option<libc::c_int> {
    let mut update = RsrcUpdate {
        offset: u32::MAX,
        resv: 0,
        data: ring_fd as u64,
    };
    // SAFETY: io_uring_register(2) reads and writes one rsrc_update through
    // a valid pointer.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_io_uring_register,
            ring_fd,
            REGISTER_RING_FDS,
            &mut update as *mut RsrcUpdate,
            1,
        )
    };
    (ret == 1).then_some(update.offset as libc::c_int)
}

/// Whether MSG_RING wake-ups can be sent from this ring: the opcode exists
/// (5.18) and its success CQE can be skipped (5.17).
fn msg_ring_supported(ring: &IoUring) -> bool {
    if !ring.params().is_feature_skip_cqe_on_success() {
        return false;
    }
    let mut probe = io_uring::Probe::new();
    ring.submitter().register_probe(&mut probe).is_ok()
        && probe.is_supported(opcode::MsgRingData::CODE)
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
    }
}

/// The opcodes aio uses; `detect` checks the kernel supports all of them.
pub(crate) const OPCODES: &[(u8, &str)] = &[
    (opcode::Nop::CODE, "NOP"),
    (opcode::Read::CODE, "READ"),
    (opcode::Write::CODE, "WRITE"),
    (opcode::Readv::CODE, "READV"),
    (opcode::Writev::CODE, "WRITEV"),
    (opcode::Recv::CODE, "RECV"),
    (opcode::Send::CODE, "SEND"),
    (opcode::RecvMsg::CODE, "RECVMSG"),
    (opcode::SendMsg::CODE, "SENDMSG"),
    (opcode::Accept::CODE, "ACCEPT"),
    (opcode::Connect::CODE, "CONNECT"),
    (opcode::Shutdown::CODE, "SHUTDOWN"),
    (opcode::Close::CODE, "CLOSE"),
    (opcode::Timeout::CODE, "TIMEOUT"),
    (opcode::AsyncCancel::CODE, "ASYNC_CANCEL"),
    (opcode::OpenAt::CODE, "OPENAT"),
    (opcode::Fsync::CODE, "FSYNC"),
    (opcode::Statx::CODE, "STATX"),
    (opcode::UnlinkAt::CODE, "UNLINKAT"),
    (opcode::RenameAt::CODE, "RENAMEAT"),
    (opcode::MkDirAt::CODE, "MKDIRAT"),
];
