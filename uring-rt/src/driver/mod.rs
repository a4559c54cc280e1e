//! The proactor: one [`Op`] future type for every kernel operation, an
//! in-flight table, and two backends (io_uring and epoll) that run the same
//! op definitions.
//!
//! # Op lifecycle
//!
//! Each submitted op gets a slot in a slab, keyed by `(generation << 32) |
//! index` so that no stale completion can be mistaken for a later op that
//! reuses the index. A slot is:
//!
//! - `Pending(waker)`: in flight, its future alive; a completion stores the
//!   result and wakes the future.
//! - `Completed(res, flags)`: done, waiting for its future to be polled (or
//!   dropped); the future removes the slot.
//! - `Ignored(op)`: its future was dropped while in flight. The op's data
//!   (buffer, fd, sockaddr...) moved into the slot and a cancellation was
//!   requested (except for a close, which is never cancelled: see
//!   [`Call::cancellable`]); the completion, when it comes, runs the op's
//!   `complete` and drops the output (closing an accepted fd, freeing the
//!   buffer) and frees the slot. Nothing the kernel may still touch is
//!   released before that.
//!
//! An op may complete more than once: every completion but its last has
//! `CQE_F_MORE`. A single-shot op with such a first completion (SEND_ZC:
//! the result, then a notification that the kernel is done with the
//! buffer) goes `Pending` -> `Notifying(result)` -> `Completed(result)` at
//! the last one: its future returns, or its orphan is released, only then.
//! A *multishot* op ([`Call::is_multishot`]: multishot receive and accept),
//! driven by a [`MultiOp`] stream, has one slot for all its completions:
//!
//! - `Streaming { cqes, waker, ended }`: completions queue in `cqes` in
//!   arrival order, each waking the stream, which takes them in order;
//!   `ended` once the last one (no `CQE_F_MORE`) arrived. The stream frees
//!   the slot after taking that last one.
//! - `IgnoredStream(op)`: the stream was dropped before the end. A
//!   cancellation was requested; every completion still to come (the
//!   queued ones at once) is handed to the op's `orphaned_cqe`, which
//!   releases what it carries (a provided buffer, an accepted fd), and the
//!   last one frees the slot and the op. As for single-shot ops, nothing
//!   the kernel may still touch is released before that.
//!
//! Shutdown cancels everything still in flight (closes excepted) and waits
//! (boundedly) for the completions; whatever the kernel still owns after
//! that is leaked.
//!
//! # Closing descriptors
//!
//! The last [`fd::SharedFd`] dropped on an io_uring runtime's thread closes
//! its descriptor with a *detached* IORING_OP_CLOSE
//! ([`IoDriver::close_detached`]): submitted at once, its completion reaped
//! and dropped by the backend itself. The kernel runs a close that flushes
//! (NFS, FUSE) on an io_uring worker, so it never blocks the core; any
//! other is done when the drop returns, as with close(2). A close is never
//! cancelled, shutdown waits for running ones, and one the ring never took
//! is done with close(2) when the ring goes away. Elsewhere (epoll, outside
//! a runtime, after shutdown) the close is a plain close(2).

mod call;
pub(crate) mod context;
mod detect;
mod epoll;
pub(crate) mod fd;
mod fixed;
mod kind;
mod multi;
mod op;
pub(crate) mod ops;
mod stats;
mod syscall;
mod unpark;
mod uring;

#[cfg(test)]
mod close_tests;
#[cfg(test)]
mod soundness_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod unpark_tests;

pub(crate) use call::{cqe_flags, Call, CURRENT_POS};
pub(crate) use detect::{available_drivers, env_override};
pub(crate) use fixed::{FixedBuffer, TABLE_SIZE as MAX_FIXED_BUFS};
pub use kind::Driver;
pub(crate) use multi::{MultiCode, MultiOp};
pub(crate) use op::{Op, OpCode};
pub(crate) use stats::DriverStats;
pub(crate) use unpark::Unparker;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::os::fd::RawFd;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use slab::Slab;

/// Keys with this bit set belong to the backends themselves (the eventfd
/// read, cancellations, wait timeouts); op keys never have it.
pub(crate) const INTERNAL_KEY: u64 = 1 << 63;

/// A completion reported by a backend.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Completion {
    pub(crate) key: u64,
    /// The kernel's result: non-negative on success, `-errno` on failure.
    pub(crate) res: i32,
    pub(crate) flags: u32,
}

/// The per-runtime I/O driver.
pub(crate) struct IoDriver {
    kind: Driver,
    unparker: Arc<Unparker>,
    inner: RefCell<Inner>,
}

struct Inner {
    slots: Slab<Slot>,
    next_gen: u32,
    backend: Backend,
    /// Filled by the backend, dispatched by `turn`; kept to reuse its memory.
    completions: Vec<Completion>,
    wakers: Vec<Waker>,
    shut_down: bool,
    /// Ops were submitted since the last turn (their SQEs may sit in the
    /// submission queue until the next enter).
    submitted: bool,
    /// Ops in flight that finish without outside events (file and path
    /// operations, see `Call::finishes_unprompted`).
    finite_ops: usize,
    /// Buffer group ids in use (provided-buffer rings).
    groups: Slab<()>,
    /// The ring's table of registered buffers: which pool has which slots.
    fixed: fixed::FixedTable,
    /// Counters for `aio::metrics` (`syscalls` and `cq_overflows` come
    /// from the backend when read).
    stats: DriverStats,
    /// The closed backend's count of `io_uring_enter` calls.
    #[cfg(test)]
    retired_enters: u64,
}

struct Slot {
    gen: u32,
    /// Whether the op may be cancelled ([`Call::cancellable`]): when its
    /// future is dropped, and at shutdown.
    cancel: bool,
    /// Counted in `Inner::finite_ops` until its last completion.
    finite: bool,
    state: Lifecycle,
}

impl Inner {
    /// The op of the orphaned stream under `key` (`None` while it is out
    /// handling a completion), if that slot still holds it.
    fn stream_orphan(&mut self, key: u64) -> Option<&mut Option<Box<dyn StreamOrphan>>> {
        match self.slots.get_mut(key as u32 as usize) {
            Some(Slot {
                gen,
                state: Lifecycle::IgnoredStream(op),
                ..
            }) if *gen == (key >> 32) as u32 => Some(op),
            _ => None,
        }
    }

    /// The slot of a live op.
    fn slot(&mut self, key: u64) -> &mut Slot {
        match self.slots.get_mut(key as u32 as usize) {
            Some(slot) if slot.gen == (key >> 32) as u32 => slot,
            _ => unreachable!("an op's slot vanished while its future was alive"),
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if self.shut_down {
            return;
        }
        // The driver is going away without a shutdown (a panic cut it
        // short): the kernel may still own any op that has not completed.
        // Leak those rather than free them under it.
        for (_, slot) in self.slots.iter_mut() {
            slot.state.leak_orphan();
        }
    }
}

enum Lifecycle {
    Pending(Option<Waker>),
    /// The result came with `CQE_F_MORE` (SEND_ZC): kept until the last
    /// completion says the kernel is done with the op's memory.
    Notifying(Option<Waker>, i32, u32),
    Completed(i32, u32),
    Ignored(Box<dyn Orphan>),
    Streaming {
        cqes: VecDeque<(i32, u32)>,
        waker: Option<Waker>,
        ended: bool,
    },
    /// `None` only while the op is out handling a completion.
    IgnoredStream(Option<Box<dyn StreamOrphan>>),
}

impl Lifecycle {
    /// Whether the kernel may still hold the op (its last completion has
    /// not arrived).
    fn in_flight(&self) -> bool {
        match self {
            Lifecycle::Completed(..) => false,
            Lifecycle::Streaming { ended, .. } => !ended,
            _ => true,
        }
    }

    /// Leaks an orphaned op's data (the kernel may still own it).
    fn leak_orphan(&mut self) {
        if matches!(self, Lifecycle::Ignored(_) | Lifecycle::IgnoredStream(_)) {
            match std::mem::replace(self, Lifecycle::Pending(None)) {
                Lifecycle::Ignored(op) => std::mem::forget(op),
                Lifecycle::IgnoredStream(op) => std::mem::forget(op),
                _ => {}
            }
        }
    }
}

/// A multishot op whose stream was dropped while in flight.
trait StreamOrphan {
    fn orphaned_cqe(&mut self, res: i32, flags: u32);
}

impl<T: MultiCode> StreamOrphan for T {
    fn orphaned_cqe(&mut self, res: i32, flags: u32) {
        MultiCode::orphaned_cqe(self, res, flags);
    }
}

/// An op whose future was dropped while in flight.
trait Orphan {
    fn complete(self: Box<Self>, res: i32, flags: u32);
}

impl<T: OpCode> Orphan for T {
    fn complete(self: Box<Self>, res: i32, flags: u32) {
        T::orphaned(*self, op::cqe_result(res), flags);
    }
}

/// The backend that runs calls. One per runtime, so the variants' size
/// difference costs nothing, while boxing would put an indirection on every
/// op's path.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Backend {
    Uring(uring::Uring),
    Epoll(epoll::Epoll),
    /// After shutdown.
    Closed,
}

impl Backend {
    /// Starts running `call` under `key`. `Ok(Some((res, flags)))` means it
    /// already completed (with no more completions to come); `Ok(None)` that
    /// its completions will come through `out` or `turn`.
    fn push(
        &mut self,
        key: u64,
        call: Call,
        out: &mut Vec<Completion>,
    ) -> io::Result<Option<(i32, u32)>> {
        match self {
            Backend::Uring(b) => b.push(key, call, out),
            Backend::Epoll(b) => b.push(key, call, out),
            // A close still closes: the descriptor must not leak.
            Backend::Closed if matches!(call, Call::Close { .. }) => {
                Ok(Some((syscall::run_restarting(call), 0)))
            }
            Backend::Closed => Ok(Some((-libc::ECANCELED, 0))),
        }
    }

    /// Asks for the op under `key` to be cancelled; its completion (often
    /// `ECANCELED`) comes through `out` or a later `turn`. `now`: the
    /// request must reach the kernel before anything queued after it
    /// (accepts; see `Uring::cancel`).
    fn cancel(&mut self, key: u64, now: bool, out: &mut Vec<Completion>) {
        match self {
            Backend::Uring(b) => b.cancel(key, now, out),
            Backend::Epoll(b) => b.cancel(key, out),
            Backend::Closed => {}
        }
    }

    /// Submits queued work and reaps completions into `out`, waiting up to
    /// `timeout` (`None`: until something completes) if none are ready.
    fn turn(&mut self, timeout: Option<Duration>, out: &mut Vec<Completion>) -> io::Result<()> {
        match self {
            Backend::Uring(b) => b.turn(timeout, out),
            Backend::Epoll(b) => b.turn(timeout, out),
            Backend::Closed => Ok(()),
        }
    }

    /// Cancels every op in `keys` and the backend's own in-flight work,
    /// before shutdown. `all`: `keys` are all the ops in flight (none of
    /// them a close), so the backend may cancel everything at once.
    fn cancel_all(
        &mut self,
        keys: &mut dyn Iterator<Item = u64>,
        all: bool,
        out: &mut Vec<Completion>,
    ) {
        match self {
            Backend::Uring(b) => b.cancel_all(keys, all, out),
            // Cancels on epoll are bookkeeping: its shutdown completes
            // every waiting op as cancelled in one sweep.
            Backend::Epoll(b) => b.shutdown(out),
            Backend::Closed => {}
        }
    }

    /// Whether the backend's own work (not ops) is still in flight.
    fn busy(&self) -> bool {
        match self {
            Backend::Uring(b) => b.busy(),
            Backend::Epoll(b) => b.busy(),
            Backend::Closed => false,
        }
    }

    /// Registers the ring's empty table of `size` registered buffers.
    /// `Ok(false)` where there is none (epoll, closed, a kernel without
    /// updatable tables).
    fn register_fixed_table(&mut self, size: u16) -> io::Result<bool> {
        match self {
            Backend::Uring(b) => b.register_fixed_table(u32::from(size)),
            Backend::Epoll(_) | Backend::Closed => Ok(false),
        }
    }

    /// Points the table's slots from `first` at `iovecs` (empty iovecs
    /// clear slots).
    ///
    /// # Safety
    ///
    /// As for [`IoDriver::register_fixed`]: each non-empty iovec's memory
    /// stays mapped, and used only by operations that own it, until its
    /// slot is cleared or the ring is gone.
    unsafe fn update_fixed(&mut self, first: u16, iovecs: &[libc::iovec]) -> io::Result<()> {
        match self {
            // SAFETY: forwarded from the caller.
            Backend::Uring(b) => unsafe { b.update_fixed(first, iovecs) },
            // No table: epoll never has one, and a closed backend's went
            // with its ring.
            Backend::Epoll(_) | Backend::Closed => Ok(()),
        }
    }
}

impl IoDriver {
    pub(crate) fn new(kind: Driver, entries: u32) -> io::Result<IoDriver> {
        let unparker = Unparker::new()?;
        let (kind, backend) = detect::start(kind, entries, &unparker)?;
        Ok(IoDriver {
            kind,
            unparker,
            inner: RefCell::new(Inner {
                slots: Slab::with_capacity(256),
                next_gen: 0,
                backend,
                completions: Vec::with_capacity(256),
                wakers: Vec::with_capacity(256),
                shut_down: false,
                submitted: false,
                finite_ops: 0,
                groups: Slab::new(),
                fixed: fixed::FixedTable::default(),
                stats: DriverStats::default(),
                #[cfg(test)]
                retired_enters: 0,
            }),
        })
    }

    /// The backend in use (never `Auto`).
    pub(crate) fn kind(&self) -> Driver {
        self.kind
    }

    /// What other threads use to end this driver's wait.
    pub(crate) fn unparker(&self) -> &Arc<Unparker> {
        &self.unparker
    }

    /// Starts `call` and returns the key of its slot.
    pub(crate) fn submit(&self, call: Call) -> u64 {
        let mut inner = self.inner.borrow_mut();
        let inner = &mut *inner;
        let gen = inner.next_gen;
        inner.next_gen = (gen + 1) & 0x7fff_ffff;
        let entry = inner.slots.vacant_entry();
        let key = (u64::from(gen) << 32) | entry.key() as u64;
        let cancel = call.cancellable();
        let multishot = call.is_multishot();
        let finite = call.finishes_unprompted();
        let done = match inner.backend.push(key, call, &mut inner.completions) {
            Ok(None) => None,
            Ok(Some(done)) => Some(done),
            Err(e) => Some((-e.raw_os_error().unwrap_or(libc::EIO), 0)),
        };
        // An op that finished in `push` (a syscall-only call, an error)
        // left nothing queued for the next turn to submit.
        inner.submitted |= done.is_none();
        let state = match (multishot, done) {
            (false, None) => Lifecycle::Pending(None),
            (false, Some((res, flags))) => Lifecycle::Completed(res, flags),
            (true, done) => Lifecycle::Streaming {
                cqes: done.into_iter().collect(),
                waker: None,
                ended: done.is_some(),
            },
        };
        let finite = finite && matches!(state, Lifecycle::Pending(_));
        inner.finite_ops += usize::from(finite);
        inner.stats.submitted += 1;
        inner.stats.completed += u64::from(done.is_some());
        entry.insert(Slot {
            gen,
            cancel,
            finite,
            state,
        });
        key
    }

    /// Takes a slot for an op that was never handed to the kernel and that
    /// nothing will ever complete or cancel (the slot says it may not be
    /// cancelled, as a close): what the shutdown sees of an op the kernel
    /// never finishes.
    #[cfg(test)]
    pub(crate) fn insert_stuck_op(&self) -> u64 {
        let mut inner = self.inner.borrow_mut();
        let gen = inner.next_gen;
        inner.next_gen = (gen + 1) & 0x7fff_ffff;
        let entry = inner.slots.vacant_entry();
        let key = (u64::from(gen) << 32) | entry.key() as u64;
        entry.insert(Slot {
            gen,
            cancel: false,
            finite: false,
            state: Lifecycle::Pending(None),
        });
        key
    }

    /// Polls the op under `key`: its result once complete (freeing the slot).
    pub(crate) fn poll_op(&self, key: u64, cx: &mut Context<'_>) -> Poll<(i32, u32)> {
        {
            let mut inner = self.inner.borrow_mut();
            let index = key as u32 as usize;
            match &inner.slot(key).state {
                Lifecycle::Completed(res, flags) => {
                    let done = (*res, *flags);
                    inner.slots.remove(index);
                    return Poll::Ready(done);
                }
                Lifecycle::Pending(Some(w)) | Lifecycle::Notifying(Some(w), ..)
                    if w.will_wake(cx.waker()) =>
                {
                    return Poll::Pending
                }
                Lifecycle::Pending(_) | Lifecycle::Notifying(..) => {}
                _ => unreachable!("a live single-shot op's slot is in another state"),
            }
        }
        // Clone the new waker and drop the old one with the driver
        // unborrowed: both may run user code that re-enters the driver.
        let new = cx.waker().clone();
        let old = match &mut self.inner.borrow_mut().slot(key).state {
            Lifecycle::Pending(waker) | Lifecycle::Notifying(waker, ..) => waker.replace(new),
            // Only `dispatch` completes ops, and nothing above can reach it.
            _ => unreachable!("an op's state changed while its future was polled"),
        };
        drop(old);
        Poll::Pending
    }

    /// Polls the multishot op under `key` for its next completion: `None`
    /// after the last one was taken (the slot is then freed).
    pub(crate) fn poll_stream(&self, key: u64, cx: &mut Context<'_>) -> Poll<Option<(i32, u32)>> {
        let old = {
            let mut inner = self.inner.borrow_mut();
            let index = key as u32 as usize;
            let Lifecycle::Streaming { cqes, waker, ended } = &mut inner.slot(key).state else {
                unreachable!("a live stream's slot is in another state")
            };
            if let Some(cqe) = cqes.pop_front() {
                return Poll::Ready(Some(cqe));
            }
            if *ended {
                inner.slots.remove(index);
                return Poll::Ready(None);
            }
            match waker {
                Some(w) if w.will_wake(cx.waker()) => return Poll::Pending,
                _ => waker.replace(cx.waker().clone()),
            }
        };
        // The old waker's drop may run user code: not under the borrow.
        drop(old);
        Poll::Pending
    }

    /// The stream of the multishot op under `key` was dropped: cancels the
    /// op if it goes on, and hands every completion it has left or will
    /// still get to `data`'s `orphaned_cqe`.
    pub(crate) fn drop_stream<T: MultiCode>(&self, key: u64, mut data: T) {
        let mut guard = self.inner.borrow_mut();
        let inner = &mut *guard;
        let index = key as u32 as usize;
        let shut_down = inner.shut_down;
        let cancel = inner.slot(key).cancel;
        let Lifecycle::Streaming { cqes, waker, ended } = &mut inner.slot(key).state else {
            unreachable!("a live stream's slot is in another state")
        };
        let queued = std::mem::take(cqes);
        let waker = waker.take();
        let ended = *ended;
        if ended {
            inner.slots.remove(index);
        } else if shut_down {
            // The kernel may still own the op: leak its data.
            drop(guard);
            drop(waker);
            std::mem::forget(data);
            return;
        } else {
            inner.slot(key).state = Lifecycle::IgnoredStream(None);
            if cancel {
                inner.stats.cancelled += 1;
                inner
                    .backend
                    .cancel(key, T::CANCEL_NOW, &mut inner.completions);
            }
        }
        drop(guard);
        drop(waker);
        // Release what the queued completions carry, with the driver
        // unborrowed (a provided buffer goes back through it).
        for (res, flags) in queued {
            data.orphaned_cqe(res, flags);
        }
        if !ended {
            // The slot is still ours: no turn ran since it was marked.
            if let Lifecycle::IgnoredStream(op) = &mut self.inner.borrow_mut().slot(key).state {
                *op = Some(Box::new(data));
            }
        }
    }

    /// Asks for the live op under `key` to be cancelled while its future
    /// goes on waiting: its completion (`ECANCELED`, or the result it
    /// reached first) comes as usual. Nothing happens to an op that cannot
    /// be cancelled, or has completed or is only waiting for the kernel to
    /// release its memory.
    pub(crate) fn cancel_op(&self, key: u64, now: bool) {
        let mut guard = self.inner.borrow_mut();
        let inner = &mut *guard;
        if inner.shut_down {
            return;
        }
        let slot = inner.slot(key);
        if slot.cancel && matches!(slot.state, Lifecycle::Pending(_)) {
            inner.stats.cancelled += 1;
            inner.backend.cancel(key, now, &mut inner.completions);
        }
    }

    /// The future of the op under `key` was dropped before returning.
    pub(crate) fn drop_op<T: OpCode>(&self, key: u64, data: T) {
        let mut guard = self.inner.borrow_mut();
        let inner = &mut *guard;
        let index = key as u32 as usize;
        let shut_down = inner.shut_down;
        let slot = inner.slot(key);
        let cancel = slot.cancel;
        let state = &mut slot.state;
        match state {
            Lifecycle::Completed(res, flags) => {
                let (res, flags) = (*res, *flags);
                inner.slots.remove(index);
                drop(guard);
                // Release (or hand on) what the completed op produced.
                data.orphaned(op::cqe_result(res), flags);
            }
            Lifecycle::Pending(_) | Lifecycle::Notifying(..) if shut_down => {
                // The kernel may still own this op's memory and nobody is
                // left to wait for it: leak it rather than free it.
                std::mem::forget(data);
            }
            Lifecycle::Notifying(..) => {
                // The op ran; only the kernel's release of its memory is
                // awaited, and there is nothing to cancel.
                let old = std::mem::replace(state, Lifecycle::Ignored(Box::new(data)));
                drop(guard);
                drop(old);
            }
            Lifecycle::Pending(_) => {
                let old = std::mem::replace(state, Lifecycle::Ignored(Box::new(data)));
                if cancel {
                    inner.stats.cancelled += 1;
                    inner
                        .backend
                        .cancel(key, T::CANCEL_NOW, &mut inner.completions);
                }
                drop(guard);
                // The old waker's drop may run user code: not under the borrow.
                drop(old);
            }
            _ => unreachable!("a single-shot op was dropped twice, or is a stream"),
        }
    }

    /// One driver turn: submit, wait up to `timeout` if nothing is ready,
    /// reap and dispatch completions.
    pub(crate) fn turn(&self, timeout: Option<Duration>) -> io::Result<()> {
        let mut inner = self.inner.borrow_mut();
        let inner_ref = &mut *inner;
        inner_ref.submitted = false;
        inner_ref.stats.turns += 1;
        let wait = if inner_ref.completions.is_empty() {
            timeout
        } else {
            Some(Duration::ZERO)
        };
        inner_ref.backend.turn(wait, &mut inner_ref.completions)?;
        drop(inner);
        self.dispatch();
        Ok(())
    }

    /// Hands queued submissions to the kernel now, without waiting: called
    /// when the runtime stops driving this ring (`block_on` returning or
    /// unwinding), so no queued SQE (a MSG_RING waking another core above
    /// all) is left sitting in the submission queue.
    pub(crate) fn flush(&self) -> io::Result<()> {
        let Ok(mut inner) = self.inner.try_borrow_mut() else {
            // Unwinding out of the driver itself: the next turn submits.
            return Ok(());
        };
        let inner = &mut *inner;
        match &mut inner.backend {
            Backend::Uring(b) => {
                inner.submitted = false;
                b.flush(&mut inner.completions)
            }
            _ => Ok(()),
        }
    }

    /// `io_uring_enter` calls made so far (0 on epoll), shutdown included.
    #[cfg(test)]
    pub(crate) fn enters(&self) -> u64 {
        let inner = self.inner.borrow();
        match &inner.backend {
            Backend::Uring(b) => b.enters(),
            _ => inner.retired_enters,
        }
    }

    /// Makes the next enters fail with these errnos (last first).
    #[cfg(test)]
    pub(crate) fn inject_enter_errors(&self, errnos: &[i32]) {
        if let Backend::Uring(b) = &mut self.inner.borrow_mut().backend {
            b.inject.extend_from_slice(errnos);
        }
    }

    /// The counters for `aio::metrics`.
    pub(crate) fn stats(&self) -> DriverStats {
        let inner = self.inner.borrow();
        let mut stats = inner.stats;
        match &inner.backend {
            Backend::Uring(b) => {
                stats.syscalls = b.enters();
                stats.cq_overflows = b.cq_overflows();
            }
            // One `epoll_wait` per turn of the epoll backend.
            Backend::Epoll(_) => stats.syscalls = stats.turns,
            Backend::Closed => {}
        }
        stats
    }

    /// Whether a turn has work to do right away: ops submitted since the
    /// last one, or completions already reaped and not yet dispatched.
    pub(crate) fn needs_turn(&self) -> bool {
        let inner = self.inner.borrow();
        // io_uring SQEs wait in the queue for an enter; epoll ran its
        // syscalls at submission already.
        let queued = inner.submitted && matches!(inner.backend, Backend::Uring(_));
        queued || !inner.completions.is_empty()
    }

    /// Whether work that finishes on its own is in flight: file and path
    /// operations in the kernel, calls on epoll's blocking pool. A paused
    /// clock waits for it before jumping ahead (`Core::auto_advance`).
    pub(crate) fn finishing_work(&self) -> bool {
        let inner = self.inner.borrow();
        inner.finite_ops > 0 || matches!(&inner.backend, Backend::Epoll(b) if b.busy())
    }

    /// Hands completions to their slots, then wakes futures and completes
    /// orphans with the driver unborrowed (both may run arbitrary code).
    fn dispatch(&self) {
        let mut orphans: Vec<(Box<dyn Orphan>, i32, u32)> = Vec::new();
        let mut stream_orphans: Vec<Completion> = Vec::new();
        let mut inner = self.inner.borrow_mut();
        let inner_ref = &mut *inner;
        let mut wakers = std::mem::take(&mut inner_ref.wakers);
        for c in inner_ref.completions.drain(..) {
            let index = c.key as u32 as usize;
            let Some(slot) = inner_ref.slots.get_mut(index) else {
                continue;
            };
            if slot.gen != (c.key >> 32) as u32 {
                continue; // stale: not this slot's op
            }
            let more = c.flags & cqe_flags::MORE != 0;
            // Every op gets exactly one last completion (no MORE flag).
            inner_ref.stats.completed += u64::from(!more);
            if slot.finite && !more {
                slot.finite = false;
                inner_ref.finite_ops -= 1;
            }
            match &mut slot.state {
                Lifecycle::Pending(waker) if more => {
                    slot.state = Lifecycle::Notifying(waker.take(), c.res, c.flags);
                }
                Lifecycle::Pending(waker) => {
                    if let Some(w) = waker.take() {
                        wakers.push(w);
                    }
                    slot.state = Lifecycle::Completed(c.res, c.flags);
                }
                Lifecycle::Notifying(..) if more => {}
                Lifecycle::Notifying(waker, res, flags) => {
                    if let Some(w) = waker.take() {
                        wakers.push(w);
                    }
                    slot.state = Lifecycle::Completed(*res, *flags);
                }
                Lifecycle::Ignored(_) if more => {}
                Lifecycle::Ignored(_) => {
                    if let Lifecycle::Ignored(op) = inner_ref.slots.remove(index).state {
                        orphans.push((op, c.res, c.flags));
                    }
                }
                Lifecycle::Streaming { cqes, waker, ended } => {
                    cqes.push_back((c.res, c.flags));
                    *ended = !more;
                    if let Some(w) = waker.take() {
                        wakers.push(w);
                    }
                }
                Lifecycle::IgnoredStream(_) => stream_orphans.push(c),
                Lifecycle::Completed(..) => unreachable!("an op completed twice"),
            }
        }
        drop(inner);
        // Orphaned streams' completions: each op is taken out of its slot
        // for the call (which may re-enter the driver), put back after, and
        // dropped with its slot after its last completion.
        for c in stream_orphans {
            let op = self
                .inner
                .borrow_mut()
                .stream_orphan(c.key)
                .and_then(Option::take);
            let Some(mut op) = op else { continue };
            op.orphaned_cqe(c.res, c.flags);
            let mut inner = self.inner.borrow_mut();
            if c.flags & cqe_flags::MORE == 0 {
                inner.slots.remove(c.key as u32 as usize);
                drop(inner);
                drop(op);
            } else if let Some(slot) = inner.stream_orphan(c.key) {
                *slot = Some(op);
            }
        }
        // User wakers and buffer destructors run here; one that panics must
        // not cost the others their wake-up or their completion, so finish
        // the round and re-raise the first panic after.
        let mut panic = None;
        for w in wakers.drain(..) {
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| w.wake())) {
                panic.get_or_insert(p);
            }
        }
        self.inner.borrow_mut().wakers = wakers;
        for (op, res, flags) in orphans {
            if let Err(p) = catch_unwind(AssertUnwindSafe(|| op.complete(res, flags))) {
                panic.get_or_insert(p);
            }
        }
        if let Some(p) = panic {
            resume_unwind(p);
        }
    }

    /// Cancels every in-flight op, waits up to `grace` for their
    /// completions, leaks what the kernel still owns, and closes the backend.
    pub(crate) fn shutdown(&self, grace: Duration) {
        {
            let mut inner = self.inner.borrow_mut();
            let inner = &mut *inner;
            let in_flight = |s: &Slot| s.state.in_flight();
            // Closes run to completion (see `Call::cancellable`); the wait
            // below waits for them too.
            let all = inner.slots.iter().all(|(_, s)| s.cancel || !in_flight(s));
            let mut keys = inner
                .slots
                .iter()
                .filter(|(_, s)| s.cancel && in_flight(s))
                .map(|(i, s)| (u64::from(s.gen) << 32) | i as u64);
            inner
                .backend
                .cancel_all(&mut keys, all, &mut inner.completions);
        }
        // An absurd grace (Duration::MAX) waits as long as it takes.
        let deadline = Instant::now().checked_add(grace);
        let mut panic = None;
        loop {
            let in_flight = {
                let inner = self.inner.borrow();
                inner.backend.busy() || inner.slots.iter().any(|(_, s)| s.state.in_flight())
            };
            let now = Instant::now();
            let left = match deadline {
                Some(deadline) => deadline.saturating_duration_since(now),
                None => Duration::MAX,
            };
            if !in_flight || left.is_zero() {
                break;
            }
            let wait = left.min(Duration::from_millis(10));
            match catch_unwind(AssertUnwindSafe(|| self.turn(Some(wait)))) {
                Ok(Ok(())) => {}
                Ok(Err(_)) => break,
                // A buffer's destructor panicked: keep draining, re-raise
                // once the kernel is done with everything.
                Err(p) => {
                    panic.get_or_insert(p);
                }
            }
        }
        let mut inner = self.inner.borrow_mut();
        for (_, slot) in inner.slots.iter_mut() {
            // Still owned by the kernel: never free it.
            slot.state.leak_orphan();
        }
        inner.shut_down = true;
        #[cfg(test)]
        if let Backend::Uring(b) = &inner.backend {
            inner.retired_enters = b.enters();
        }
        let backend = std::mem::replace(&mut inner.backend, Backend::Closed);
        drop(inner);
        drop(backend);
        if let Some(p) = panic {
            resume_unwind(p);
        }
    }

    /// Queues a wake-up for the ring `target` through this runtime's own
    /// ring. False when this runtime cannot (epoll, shut down, busy).
    pub(crate) fn msg_ring(&self, target: &Arc<Unparker>) -> bool {
        let Ok(mut inner) = self.inner.try_borrow_mut() else {
            return false;
        };
        let inner = &mut *inner;
        match &mut inner.backend {
            Backend::Uring(b) => {
                let queued = b.msg_ring(target, &mut inner.completions);
                // The SQE must go out with the next turn, even if this
                // runtime stays busy with compute (`needs_turn`), and before
                // `block_on` returns (`flush`).
                inner.submitted |= queued;
                queued
            }
            _ => false,
        }
    }

    /// Closes `fd` (which the caller owns and gives up) without blocking
    /// this thread on a flush: submits an IORING_OP_CLOSE that nobody
    /// awaits; its error, if any, has nobody to go to. The kernel frees the
    /// number only when the close runs (for a flushing file, on a worker
    /// thread, later), so nothing may assume it free before.
    ///
    /// Returns false, with `fd` still the caller's to close(2), where that
    /// is not possible: on epoll, after shutdown, inside the driver itself,
    /// or if the ring cannot take the entry.
    pub(crate) fn close_detached(&self, fd: RawFd) -> bool {
        let Ok(mut inner) = self.inner.try_borrow_mut() else {
            return false;
        };
        let inner = &mut *inner;
        match &mut inner.backend {
            Backend::Uring(b) => {
                let closing = b.close(fd, &mut inner.completions);
                // Whatever could not be submitted at once goes out with the
                // next turn, even if this core stays busy.
                inner.submitted |= b.has_queued();
                closing
            }
            _ => false,
        }
    }

    /// Detached closes queued or running (0 on epoll).
    #[cfg(test)]
    pub(crate) fn detached_closes(&self) -> usize {
        match &self.inner.borrow().backend {
            Backend::Uring(b) => b.detached_closes(),
            _ => 0,
        }
    }

    /// A socket or file descriptor is about to be closed: the epoll backend
    /// drops its registration (the number may be reused by a new fd).
    /// `fd` leaves this runtime open (`into_std`, `into_raw_fd`): every op
    /// queued for it reaches the kernel now (io_uring resolves the number
    /// at submission, while this runtime still owns it), and the epoll
    /// backend deregisters it.
    pub(crate) fn release_fd(&self, fd: RawFd) -> io::Result<()> {
        let mut inner = self.inner.borrow_mut();
        match &mut inner.backend {
            Backend::Epoll(b) => {
                b.release_fd(fd);
                Ok(())
            }
            Backend::Uring(_) => {
                drop(inner);
                self.flush()
            }
            Backend::Closed => Ok(()),
        }
    }

    pub(crate) fn forget_fd(&self, fd: RawFd) {
        if let Ok(mut inner) = self.inner.try_borrow_mut() {
            if let Backend::Epoll(b) = &mut inner.backend {
                b.forget_fd(fd);
            }
        }
    }
}

/// Buffer groups: io_uring provided-buffer rings (a free list on epoll),
/// which calls such as [`Call::RecvSelect`] pick their buffer from. The
/// buffers' memory belongs to the caller (a `BufPool`), which keeps it
/// alive while any op that may pick from the group is in flight.
impl IoDriver {
    /// Adds an empty buffer group for up to `entries` buffers (a power of
    /// two), with incremental consumption if `incremental` and the kernel
    /// has it. Returns the group id and whether it is incremental.
    pub(crate) fn add_buf_group(&self, entries: u16, incremental: bool) -> io::Result<(u16, bool)> {
        let mut inner = self.inner.borrow_mut();
        let inner = &mut *inner;
        let entry = inner.groups.vacant_entry();
        let Ok(group) = u16::try_from(entry.key()) else {
            return Err(io::Error::new(
                io::ErrorKind::OutOfMemory,
                "too many buffer pools on this runtime (at most 65536)",
            ));
        };
        let incremental = match &mut inner.backend {
            Backend::Uring(b) => b.add_buf_group(group, entries, incremental)?,
            Backend::Epoll(b) => {
                b.add_buf_group(group);
                false
            }
            Backend::Closed => {
                return Err(io::Error::other("the runtime has shut down"));
            }
        };
        entry.insert(());
        Ok((group, incremental))
    }

    /// Gives buffer `bid` (`len` bytes at `addr`) to group `group`. The
    /// memory must stay valid until the group is removed and no op that
    /// may pick from it is in flight.
    pub(crate) fn provide_buf(&self, group: u16, addr: *mut u8, len: u32, bid: u16) {
        let mut inner = self.inner.borrow_mut();
        match &mut inner.backend {
            Backend::Uring(b) => b.provide_buf(group, addr, len, bid),
            Backend::Epoll(b) => b.provide_buf(group, addr, len, bid),
            Backend::Closed => {}
        }
    }

    /// Removes group `group`: nothing picks from it any more.
    pub(crate) fn remove_buf_group(&self, group: u16) {
        let mut inner = self.inner.borrow_mut();
        let inner = &mut *inner;
        match &mut inner.backend {
            Backend::Uring(b) => b.remove_buf_group(group),
            Backend::Epoll(b) => b.remove_buf_group(group),
            Backend::Closed => {}
        }
        inner.groups.try_remove(usize::from(group));
    }
}
