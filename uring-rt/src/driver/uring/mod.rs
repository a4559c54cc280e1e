//! The io_uring backend: the ring loop. Queues SQEs built by [`sqe`] (one
//! batch per loop turn), enters the kernel, reaps completions, and carries
//! cross-ring wake-ups (MSG_RING) and detached closes (a dropped
//! descriptor's IORING_OP_CLOSE, which nobody awaits).

mod buf_ring;
mod opcodes;
pub(crate) mod sqe;

pub(crate) use opcodes::OPCODES;

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use io_uring::types::{CancelBuilder, Fd, Timespec};
use io_uring::{opcode, squeue, IoUring};
use slab::Slab;

use self::buf_ring::BufRing;
use super::{Call, Completion, Unparker, CURRENT_POS, INTERNAL_KEY};

/// The read armed on the runtime's eventfd (cross-thread wake-ups).
const EVENTFD_KEY: u64 = INTERNAL_KEY;
/// The CQEs of our own ASYNC_CANCEL requests for single ops.
const CANCEL_KEY: u64 = INTERNAL_KEY | 1;
/// A TIMEOUT bounding a wait, on kernels without `IORING_FEAT_EXT_ARG`.
const TIMEOUT_KEY: u64 = INTERNAL_KEY | 2;
/// The CQE another ring's MSG_RING posts into this ring to wake it (the
/// wake itself is in the owner's inbox; the CQE only ends the wait).
const MSG_RING_WAKE_KEY: u64 = INTERNAL_KEY | 3;
/// The shutdown's ASYNC_CANCEL with IORING_ASYNC_CANCEL_ANY.
const CANCEL_ANY_KEY: u64 = INTERNAL_KEY | 4;
/// Our own MSG_RINGs' completions: this bit plus the index of the target
/// in `msg_targets`.
const MSG_SENT_TAG: u64 = INTERNAL_KEY | (1 << 62);
/// Detached closes' completions: this bit plus the index of the close in
/// `closes`.
const CLOSE_TAG: u64 = INTERNAL_KEY | (1 << 61);

/// io_uring_enter(2) flags (from <linux/io_uring.h>).
const ENTER_GETEVENTS: u32 = 1 << 0;
const ENTER_EXT_ARG: u32 = 1 << 3;
const ENTER_REGISTERED_RING: u32 = 1 << 4;
/// io_uring_register(2) opcode registering the ring's own fd (5.18+).
const REGISTER_RING_FDS: libc::c_uint = 20;
const UNREGISTER_RING_FDS: libc::c_uint = 21;

/// Backoff for transient `io_uring_enter` failures (EAGAIN, EBUSY, ENOMEM
/// with nothing to reap): starts here, doubles, capped at `BACKOFF_MAX`...
const BACKOFF_MIN: Duration = Duration::from_micros(50);
const BACKOFF_MAX: Duration = Duration::from_millis(10);
/// ...and gives up, returning the error, after failing for this long.
const TRANSIENT_LIMIT: Duration = Duration::from_secs(5);

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
    /// Set at shutdown: the eventfd read is no longer re-armed and no more
    /// MSG_RINGs are sent from this ring.
    closing: bool,
    ext_arg: bool,
    /// What io_uring_enter is called with: the registered index of the ring
    /// fd (saving the kernel an fd lookup per call) with
    /// `ENTER_REGISTERED_RING`, or the plain fd with no flag.
    enter_fd: libc::c_int,
    enter_flags: u32,
    /// Whether IORING_OP_MSG_RING is supported.
    msg_ring: bool,
    /// Whether the kernel has the 6.0 networking ops (SEND_ZC, multishot
    /// receive; multishot accept came in 5.19): calls that need them are
    /// run as their single-shot, copying equivalents otherwise.
    multishot: bool,
    /// Provided-buffer rings, by buffer group id, and whether each is
    /// consumed incrementally.
    buf_rings: Vec<Option<(BufRing, bool)>>,
    /// Whether multishot receives take bundles of buffers (6.10,
    /// `IORING_FEAT_RECVSEND_BUNDLE`): one completion for all the data
    /// waiting, across as many buffers as it needs, instead of one per
    /// buffer. Off with `AIO_RECV_BUNDLE=0` (for measurements).
    bundles: bool,
    /// Targets of MSG_RINGs sent from this ring whose completion has not
    /// been reaped. Kept so the target's ring fd stays open until the kernel
    /// resolved it, and so a failed MSG_RING can fall back to the target's
    /// eventfd. The slab index is in the SQE's user data.
    msg_targets: Slab<Arc<Unparker>>,
    /// The timespec of the fallback TIMEOUT; the kernel copies it at submit.
    timeout_ts: Box<Timespec>,
    /// Detached closes whose completion has not been reaped. The slab index
    /// is in the SQE's user data. Kept so that shutdown waits for them and
    /// never cancels them, and so that a close the kernel never got (the
    /// ring dropped with it still queued) is done with close(2) instead.
    closes: Slab<DetachedClose>,
    /// SQEs pushed so far. The kernel consumes them in order, so all but
    /// the last `sq.len()` of them have reached it.
    pushed: u64,
    /// `io_uring_enter` calls made, for `aio::metrics`, tests and
    /// measurements.
    enters: u64,
    /// Turns that found the kernel's `IORING_SQ_CQ_OVERFLOW` flag set: the
    /// completion queue was full and the kernel held completions back.
    overflow_turns: u64,
    /// The ring's count of completions the kernel dropped, as of the last
    /// turn.
    dropped_cqes: u32,
    /// Since when every enter has failed with a transient error (EAGAIN,
    /// EBUSY, ENOMEM), across calls: once that has lasted
    /// `TRANSIENT_LIMIT`, later enters (the flush on the way out of
    /// `block_on`, shutdown's cancels) report the error at once instead of
    /// each waiting out a window of its own.
    transient_since: Option<Instant>,
    /// Errors the next enters fail with instead of calling the kernel.
    #[cfg(test)]
    pub(crate) inject: Vec<i32>,
}

impl Uring {
    /// Wraps a ring that `detect` set up and proved working.
    pub(crate) fn new(ring: IoUring, unparker: &Unparker) -> Uring {
        unparker.set_ring(ring.as_raw_fd());
        let ext_arg = ring.params().is_feature_ext_arg();
        let (enter_fd, enter_flags) = match register_ring_fd(ring.as_raw_fd()) {
            Some(index) => (index, ENTER_REGISTERED_RING),
            None => (ring.as_raw_fd(), 0),
        };
        Uring {
            enter_fd,
            enter_flags,
            msg_ring: msg_ring_supported(&ring),
            multishot: opcode_supported(&ring, opcode::SendZc::CODE),
            buf_rings: Vec::new(),
            bundles: ring.params().is_feature_recvsend_bundle()
                && std::env::var_os("AIO_RECV_BUNDLE").is_none_or(|v| v != "0"),
            msg_targets: Slab::new(),
            ring,
            eventfd: unparker.eventfd(),
            eventfd_buf: Box::new(0),
            eventfd_armed: false,
            closing: false,
            ext_arg,
            timeout_ts: Box::new(Timespec::new()),
            closes: Slab::new(),
            pushed: 0,
            enters: 0,
            overflow_turns: 0,
            dropped_cqes: 0,
            transient_since: None,
            #[cfg(test)]
            inject: Vec::new(),
        }
    }

    /// Queues `call`'s SQE; if the submission queue is full, submits what is
    /// queued first (never an error for a full ring). A call io_uring has
    /// no opcode for ([`Call::is_syscall_only`]) is run as its system call
    /// here instead, and its result returned (`EAGAIN` as well: the op
    /// waits for readiness and tries again).
    pub(crate) fn push(
        &mut self,
        key: u64,
        call: Call,
        out: &mut Vec<Completion>,
    ) -> io::Result<Option<(i32, u32)>> {
        if call.is_syscall_only() {
            // Entries still queued go to the kernel first, which issues each
            // as it is submitted: a `send_to_many` must not overtake a
            // `send_to` started before it on the same socket (nor a
            // `recv_from_many` a `recv_from`).
            if !self.ring.submission().is_empty() {
                self.enter(0, None, out)?;
            }
            return Ok(Some((super::syscall::run_restarting(call), 0)));
        }
        let call = if self.multishot {
            call
        } else {
            single_shot(call)
        };
        let sqe = match call {
            // A bundle spans consecutive buffers in ring order, which an
            // incremental ring does not keep.
            Call::RecvMulti { fd, group } if self.bundles && !self.incremental(group) => {
                opcode::RecvMultiBundle::new(Fd(fd), group).build()
            }
            call => sqe::entry(call),
        };
        self.push_entry(sqe.user_data(key), out).map(|_| None)
    }

    /// Registers a provided-buffer ring of `entries` buffers for group
    /// `group`, with incremental consumption (6.12) if `incremental` and
    /// the kernel has it. Returns whether it has.
    pub(crate) fn add_buf_group(
        &mut self,
        group: u16,
        entries: u16,
        incremental: bool,
    ) -> io::Result<bool> {
        let ring = BufRing::new(entries)?;
        let register = |flags| {
            // SAFETY: the ring's memory stays mapped until `remove_buf_group`
            // unregisters it (or the ring is dropped, after `self.ring`).
            unsafe {
                self.ring.submitter().register_buf_ring_with_flags(
                    ring.addr(),
                    entries,
                    group,
                    flags,
                )
            }
        };
        let incremental = incremental
            && match register(PBUF_RING_INC) {
                Ok(()) => true,
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => false,
                Err(e) => return Err(buf_ring_error(e, entries)),
            };
        if !incremental {
            register(0).map_err(|e| match e.raw_os_error() {
                Some(libc::EINVAL) => io::Error::new(
                    io::ErrorKind::Unsupported,
                    "buffer pools need provided-buffer rings (IORING_REGISTER_PBUF_RING, \
                     Linux 5.19); use the epoll driver or plain reads on this kernel",
                ),
                _ => buf_ring_error(e, entries),
            })?;
        }
        let index = usize::from(group);
        if self.buf_rings.len() <= index {
            self.buf_rings.resize_with(index + 1, || None);
        }
        self.buf_rings[index] = Some((ring, incremental));
        Ok(incremental)
    }

    fn incremental(&self, group: u16) -> bool {
        matches!(
            self.buf_rings.get(usize::from(group)),
            Some(Some((_, true)))
        )
    }

    /// Hands buffer `bid` (`len` bytes at `addr`) to group `group`'s ring.
    pub(crate) fn provide_buf(&mut self, group: u16, addr: *mut u8, len: u32, bid: u16) {
        if let Some(Some((ring, _))) = self.buf_rings.get_mut(usize::from(group)) {
            ring.push(addr, len, bid);
            ring.publish();
        }
    }

    /// Unregisters group `group`'s ring and frees it. The buffers' memory
    /// is the caller's; the kernel no longer picks from it.
    pub(crate) fn remove_buf_group(&mut self, group: u16) {
        if let Some(slot) = self.buf_rings.get_mut(usize::from(group)) {
            if slot.take().is_some() {
                // A failure leaves the registration to the ring's teardown.
                let _ = self.ring.submitter().unregister_buf_ring(group);
            }
        }
    }

    /// Queues an SQE, making room by submitting if the queue is full.
    /// Returns the entry's sequence number (see `pushed`).
    fn push_entry(&mut self, sqe: squeue::Entry, out: &mut Vec<Completion>) -> io::Result<u64> {
        loop {
            // SAFETY: every pointer in the SQE stays valid until its CQE is
            // reaped: ops' pointers point into memory owned by their slot in
            // the driver (released only after the completion, or leaked at
            // shutdown), the backend's own (eventfd buffer) live in this
            // struct, which leaks them if dropped with a read in flight.
            if let Some(seq) = unsafe { self.try_push(&sqe) } {
                return Ok(seq);
            }
            // Full: hand the queued entries to the kernel to make room.
            self.enter(0, None, out)?;
        }
    }

    /// Pushes `sqe` if the queue has room, returning its sequence number.
    ///
    /// # Safety
    ///
    /// As for [`sqe::push`].
    unsafe fn try_push(&mut self, sqe: &squeue::Entry) -> Option<u64> {
        // SAFETY: forwarded from the caller.
        unsafe { sqe::push(&mut self.ring.submission(), sqe) }.ok()?;
        self.pushed += 1;
        Some(self.pushed - 1)
    }

    /// Closes `fd` with an IORING_OP_CLOSE that nobody awaits (its
    /// descriptor's last owner was dropped), submitted at once. False if it
    /// could not be queued: `fd` is then still the caller's to close.
    ///
    /// Submitted at once rather than with the turn's batch, so that the
    /// descriptor is gone when the drop returns, as with close(2): a
    /// listener's port can be bound again, a SO_REUSEPORT sibling gets no
    /// more connections, the peer sees the FIN. (The kernel releases a
    /// socket only as the enter that closed it returns; in a batch, ops
    /// after the close would still see it.) A close that has to flush (NFS,
    /// FUSE) goes to an io_uring worker: the enter does not wait for it.
    pub(crate) fn close(&mut self, fd: RawFd, out: &mut Vec<Completion>) -> bool {
        // Reserved before the push, which may reap (and free other slots).
        let index = self.closes.insert(DetachedClose { fd, seq: u64::MAX });
        let sqe = sqe::entry(Call::Close { fd }).user_data(CLOSE_TAG | index as u64);
        let Ok(seq) = self.push_entry(sqe, out) else {
            self.closes.remove(index);
            return false;
        };
        self.closes[index].seq = seq;
        // One attempt, without waiting or reaping (the completion is reaped
        // by a later turn). If it fails, the close stays queued and goes out
        // with the next turn, whose enter retries transient errors and
        // reports the others.
        let queued = self.ring.submission().len() as u32;
        if self.raw_enter(queued, 0, 0, None).is_err() {
            // Left queued, as said.
        }
        true
    }

    /// Whether SQEs are queued that the kernel has not been handed yet.
    pub(crate) fn has_queued(&mut self) -> bool {
        !self.ring.submission().is_empty()
    }

    /// Hands every queued SQE to the kernel without waiting, and reaps what
    /// completed meanwhile.
    /// If that fails, every MSG_RING target not known to be woken gets its
    /// eventfd signalled, so no wake is lost with the error.
    pub(crate) fn flush(&mut self, out: &mut Vec<Completion>) -> io::Result<()> {
        if self.has_queued() {
            if let Err(e) = self.enter(0, None, out) {
                for (_, target) in &self.msg_targets {
                    target.signal_eventfd();
                }
                return Err(e);
            }
            self.reap(out);
        }
        Ok(())
    }

    /// Queues a wake-up for another runtime's ring (IORING_OP_MSG_RING): it
    /// goes out with this ring's next io_uring_enter (at the latest when the
    /// current `block_on` returns), instead of an eventfd write syscall now
    /// plus an eventfd read re-armed on the target. Returns false if it could
    /// not be queued (the caller writes the eventfd instead).
    pub(crate) fn msg_ring(&mut self, target: &Arc<Unparker>, out: &mut Vec<Completion>) -> bool {
        let Some(fd) = target.ring_fd() else {
            return false;
        };
        if self.closing || !self.msg_ring {
            return false;
        }
        let entry = self.msg_targets.vacant_entry();
        let key = MSG_SENT_TAG | entry.key() as u64;
        entry.insert(target.clone());
        let sqe = opcode::MsgRingData::new(Fd(fd), 0, MSG_RING_WAKE_KEY, None)
            .build()
            .user_data(key);
        if self.push_entry(sqe, out).is_err() {
            self.msg_targets.remove((key & !MSG_SENT_TAG) as usize);
            return false;
        }
        true
    }

    /// Asks for the op under `key` to be cancelled. The ASYNC_CANCEL goes
    /// out with the turn's batch, unless `now`.
    ///
    /// `now` is for accepts. Under DEFER_TASKRUN a cancelled request leaves
    /// its wait queue only when deferred work runs at the end of an enter:
    /// if a batch held both the cancel of an accept and a new accept on the
    /// same listener and a connection arrived, the connection's (exclusive)
    /// wake-up went to the dying accept and the new one slept until the next
    /// connection. Everything else batches.
    ///
    /// If the ring is broken, the op still completes on its own or is leaked
    /// at shutdown; its resources stay parked until then, which is the safe
    /// outcome. Nobody else to report to.
    pub(crate) fn cancel(&mut self, key: u64, now: bool, out: &mut Vec<Completion>) {
        let sqe = sqe::entry(Call::Cancel { target: key }).user_data(CANCEL_KEY);
        if self.push_entry(sqe, out).is_ok() && now && self.enter(0, None, out).is_ok() {
            self.reap(out);
        }
    }

    /// Cancels every request in flight on the ring (its own eventfd read
    /// included) with one IORING_ASYNC_CANCEL_ANY (5.19+), or one cancel per
    /// key from `keys` where the kernel does not know that flag. Submits at
    /// once: a runtime dropped with 50,000 connections costs one syscall,
    /// not 50,000.
    ///
    /// Closes are never cancelled (see `Call::cancellable`): while a
    /// detached one is still running (a flush on NFS), or `all` says that
    /// `keys` leave out an op (an awaited close), the cancels go one per
    /// key.
    pub(crate) fn cancel_all(
        &mut self,
        keys: &mut dyn Iterator<Item = u64>,
        all: bool,
        out: &mut Vec<Completion>,
    ) {
        self.closing = true;
        let mut res = None;
        // Detached closes not reaped yet: submit any still queued, and
        // collect those done (nearly all: most complete at submission).
        let mut entered = true;
        if !self.closes.is_empty() {
            entered = self.enter(0, None, out).is_ok();
            self.reap(out);
        }
        if entered && all && self.closes.is_empty() {
            let any = opcode::AsyncCancel2::new(CancelBuilder::any())
                .build()
                .user_data(CANCEL_ANY_KEY);
            if self.push_entry(any, out).is_ok() && self.enter(0, None, out).is_ok() {
                res = self.reap_cancel_any(out);
            }
        }
        match res {
            // Unknown flag (before 5.19), no answer, or closes to spare:
            // one by one, batched.
            Some(libc::EINVAL) | None => {
                for key in keys.chain(self.eventfd_armed.then_some(EVENTFD_KEY)) {
                    let sqe = sqe::entry(Call::Cancel { target: key }).user_data(CANCEL_KEY);
                    if self.push_entry(sqe, out).is_err() {
                        return;
                    }
                }
                if self.enter(0, None, out).is_ok() {
                    self.reap(out);
                }
            }
            Some(_) => {}
        }
    }

    /// Reaps, returning the errno of a CANCEL_ANY's completion (0 when it
    /// succeeded or found nothing to cancel), if one came.
    fn reap_cancel_any(&mut self, out: &mut Vec<Completion>) -> Option<i32> {
        let mut res = None;
        self.reap_with(out, |user_data, r| {
            if user_data == CANCEL_ANY_KEY {
                res = Some(if r < 0 && r != -libc::ENOENT { -r } else { 0 });
            }
        });
        res
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
            self.push_entry(sqe::entry(call).user_data(EVENTFD_KEY), out)?;
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
        // A few atomic loads beside the enter's syscall. The next enter
        // flushes held-back completions; this only counts that the queue
        // was too small.
        if self.ring.submission().cq_overflow() {
            self.overflow_turns += 1;
        }
        self.dropped_cqes = self.ring.completion().overflow();
        Ok(())
    }

    /// One `io_uring_enter`: submits everything queued, runs deferred task
    /// work (GETEVENTS), and if `wait` is set sleeps until a completion or
    /// the timeout. EINTR and ETIME end the wait. EBUSY and EAGAIN (the CQ
    /// overflowed, or the kernel could not allocate) and ENOMEM reap what is
    /// there and retry without sleeping in the kernel, backing off in
    /// between while reaping makes no room; they end the driver only after
    /// `TRANSIENT_LIMIT` without success.
    fn enter(
        &mut self,
        want: u32,
        wait: Option<Option<Duration>>,
        out: &mut Vec<Completion>,
    ) -> io::Result<()> {
        let mut wait = wait;
        let mut backoff = BACKOFF_MIN;
        loop {
            let result = self.enter_once(want, &mut wait);
            match result {
                Ok(()) => {
                    self.transient_since = None;
                    return Ok(());
                }
                Err(e) => match e.raw_os_error() {
                    Some(libc::ETIME) | Some(libc::EINTR) => {
                        self.transient_since = None;
                        return Ok(());
                    }
                    Some(libc::EBUSY) | Some(libc::EAGAIN) | Some(libc::ENOMEM) => {
                        // Make room, then retry without sleeping in the
                        // kernel (there are completions to handle).
                        let before = out.len();
                        self.reap(out);
                        wait = None;
                        if out.len() > before {
                            self.transient_since = None;
                            backoff = BACKOFF_MIN;
                            continue;
                        }
                        let since = *self.transient_since.get_or_insert_with(Instant::now);
                        if since.elapsed() >= TRANSIENT_LIMIT {
                            return Err(e);
                        }
                        std::thread::sleep(backoff);
                        backoff = (backoff * 2).min(BACKOFF_MAX);
                    }
                    _ => return Err(e),
                },
            }
        }
    }

    /// One attempt at `enter`; a full SQ drops the fallback timeout.
    fn enter_once(&mut self, want: u32, wait: &mut Option<Option<Duration>>) -> io::Result<()> {
        let to_submit = self.ring.submission().len() as u32;
        match *wait {
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
                let entry = sqe::entry(Call::Timeout { ts }).user_data(TIMEOUT_KEY);
                // SAFETY: the timespec lives in this struct and is only
                // rewritten by a later wait; the kernel copies it when it
                // consumes the SQE, in this enter.
                if unsafe { self.try_push(&entry) }.is_none() {
                    *wait = None; // full: submit without waiting this time
                    return self.raw_enter(to_submit, 0, ENTER_GETEVENTS, None);
                }
                self.raw_enter(to_submit + 1, want, ENTER_GETEVENTS, None)
            }
        }
    }

    fn raw_enter(
        &mut self,
        to_submit: u32,
        min_complete: u32,
        flags: u32,
        arg: Option<&GeteventsArg>,
    ) -> io::Result<()> {
        self.enters += 1;
        #[cfg(test)]
        if let Some(errno) = self.inject.pop() {
            return Err(io::Error::from_raw_os_error(errno));
        }
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
            Ok(())
        }
    }

    fn reap(&mut self, out: &mut Vec<Completion>) {
        self.reap_with(out, |_, _| {});
    }

    /// Moves op completions to `out` and handles the backend's own;
    /// `internal` sees the backend's own (user data, result) first.
    fn reap_with(&mut self, out: &mut Vec<Completion>, mut internal: impl FnMut(u64, i32)) {
        for cqe in self.ring.completion() {
            let (key, res) = (cqe.user_data(), cqe.result());
            if key & INTERNAL_KEY == 0 {
                out.push(Completion {
                    key,
                    res,
                    flags: cqe.flags(),
                });
                continue;
            }
            internal(key, res);
            match key {
                EVENTFD_KEY => self.eventfd_armed = false,
                CANCEL_KEY | CANCEL_ANY_KEY | TIMEOUT_KEY | MSG_RING_WAKE_KEY => {}
                // Nobody awaits a detached close: its error (a flush that
                // failed) has nowhere to go, and the number is free either
                // way.
                key if key & CLOSE_TAG == CLOSE_TAG => {
                    self.closes.try_remove((key & !CLOSE_TAG) as usize);
                }
                key if key & MSG_SENT_TAG == MSG_SENT_TAG => {
                    let index = (key & !MSG_SENT_TAG) as usize;
                    if let Some(target) = self.msg_targets.try_remove(index) {
                        if res < 0 {
                            // The wake did not reach the target's ring (its
                            // CQ full, out of memory, the ring gone): its
                            // latch is set, so it must still be woken.
                            target.signal_eventfd();
                        }
                    }
                }
                _ => unreachable!("unknown internal completion {key:#x}"),
            }
        }
    }

    /// Whether the backend's own work (the eventfd read, detached closes)
    /// is in flight.
    pub(crate) fn busy(&self) -> bool {
        self.eventfd_armed || !self.closes.is_empty()
    }

    /// Detached closes queued or running.
    #[cfg(test)]
    pub(crate) fn detached_closes(&self) -> usize {
        self.closes.len()
    }

    /// `io_uring_enter` calls made so far.
    pub(crate) fn enters(&self) -> u64 {
        self.enters
    }

    /// Turns that found the completion queue overflowing, plus the
    /// completions the kernel dropped (only kernels without
    /// `IORING_FEAT_NODROP`, before 5.5, drop any).
    pub(crate) fn cq_overflows(&self) -> u64 {
        self.overflow_turns + u64::from(self.dropped_cqes)
    }

    /// Registers an empty table of `size` registered buffers: sparse
    /// (5.19+), or as `size` empty entries where the kernel does not know
    /// that flag (5.13+). `Ok(false)` where neither works: no table.
    pub(crate) fn register_fixed_table(&mut self, size: u32) -> io::Result<bool> {
        let submitter = self.ring.submitter();
        match submitter.register_buffers_sparse(size) {
            Ok(()) => return Ok(true),
            // Unknown flag (EINVAL), or a kernel that ignores it and reads
            // the missing array (EFAULT): try empty entries.
            Err(e) if !matches!(e.raw_os_error(), Some(libc::EINVAL | libc::EFAULT)) => {
                return Err(e)
            }
            Err(_) => {}
        }
        let empty = vec![
            libc::iovec {
                iov_base: std::ptr::null_mut(),
                iov_len: 0,
            };
            size as usize
        ];
        // SAFETY: empty entries point to no memory.
        match unsafe { submitter.register_buffers(&empty) } {
            Ok(()) => Ok(true),
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::EFAULT)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Points the table's slots from `first` at `iovecs`; empty iovecs
    /// clear slots (the kernel drops its pages once no request uses them).
    ///
    /// # Safety
    ///
    /// Each non-empty iovec's memory stays mapped, and is used only by
    /// operations that own it, until its slot is cleared or the ring is
    /// gone.
    pub(crate) unsafe fn update_fixed(
        &mut self,
        first: u16,
        iovecs: &[libc::iovec],
    ) -> io::Result<()> {
        // SAFETY: forwarded from the caller.
        unsafe {
            self.ring
                .submitter()
                .register_buffers_update(u32::from(first), iovecs, None)
        }
    }
}

impl Drop for Uring {
    fn drop(&mut self) {
        // Hand the kernel anything still queued, and reap: a MSG_RING wake
        // for another core must not be lost with this ring.
        let mut out = Vec::new();
        if self.has_queued() {
            let queued = self.ring.submission().len() as u32;
            let _ = self.raw_enter(queued, 0, ENTER_GETEVENTS, None);
        }
        self.reap(&mut out);
        // Detached closes the kernel never got (the enter failed): close
        // them here. Those it got but has not completed (a flush still
        // running past the shutdown's grace period) are left to it.
        let reached = self.pushed - self.ring.submission().len() as u64;
        for close in self.closes.drain() {
            if close.seq >= reached {
                // SAFETY: the descriptor was handed to this close and its
                // SQE never reached the kernel, so it is still open and
                // ours; nothing uses it after.
                unsafe { libc::close(close.fd) };
            }
        }
        // Wakes whose outcome can no longer be learnt: signal the targets'
        // eventfds too (a spurious wake-up costs a turn; a lost one, a hang).
        for target in self.msg_targets.drain() {
            target.signal_eventfd();
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

/// A detached close: the descriptor and its SQE's sequence number.
struct DetachedClose {
    fd: RawFd,
    seq: u64,
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

/// Whether MSG_RING wake-ups can be sent from this ring (5.18).
fn msg_ring_supported(ring: &IoUring) -> bool {
    opcode_supported(ring, opcode::MsgRingData::CODE)
}

fn opcode_supported(ring: &IoUring, code: u8) -> bool {
    let mut probe = io_uring::Probe::new();
    ring.submitter().register_probe(&mut probe).is_ok() && probe.is_supported(code)
}

/// A provided-buffer ring's registration error, naming the locked-memory
/// limit where it is the likely cause: the kernel pins the ring's pages and
/// charges them to RLIMIT_MEMLOCK (without CAP_IPC_LOCK).
fn buf_ring_error(e: io::Error, entries: u16) -> io::Error {
    match e.raw_os_error() {
        Some(libc::ENOMEM) | Some(libc::EPERM) => io::Error::new(
            e.kind(),
            format!(
                "registering a provided-buffer ring of {entries} entries with io_uring failed: \
                 {e}; the ring's pages are pinned in memory and count against the \
                 locked-memory limit: raise RLIMIT_MEMLOCK (`ulimit -l`, `LimitMEMLOCK=` in a \
                 systemd unit, `--ulimit memlock=-1` for docker) or run with CAP_IPC_LOCK"
            ),
        ),
        _ => e,
    }
}

/// `IOU_PBUF_RING_INC`: incremental consumption of provided buffers.
const PBUF_RING_INC: u16 = 2;

/// The single-shot, copying equivalent of a call that needs the 6.0
/// networking ops, for older kernels. The callers treat a completion
/// without `CQE_F_MORE` as the end of a multishot op and re-arm it.
fn single_shot(call: Call) -> Call {
    match call {
        Call::RecvMulti { fd, group } => Call::RecvSelect { fd, group },
        Call::AcceptMulti { fd, flags } => Call::Accept {
            fd,
            addr: std::ptr::null_mut(),
            addrlen: std::ptr::null_mut(),
            flags,
        },
        call => call.copying(),
    }
}
