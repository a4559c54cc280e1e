//! The epoll readiness backend: runs the same [`Call`]s as the io_uring
//! backend where io_uring is unavailable.
//!
//! # Readiness model
//!
//! io_uring completes operations; epoll only says when a descriptor may make
//! progress. The backend bridges the two per call:
//!
//! - **Optimistic first attempt.** A socket or pipe call is tried right away
//!   as a nonblocking syscall (`MSG_DONTWAIT`, `SOCK_NONBLOCK`, or an
//!   `O_NONBLOCK` descriptor). Most calls on a busy connection succeed here
//!   and complete inside `push`, with no epoll involvement at all.
//! - **Park on `EAGAIN`.** Otherwise the call is parked, FIFO, as a reader
//!   or writer of its descriptor. The descriptor is added to the epoll set
//!   the first time that happens, once, for both directions and
//!   **edge-triggered** (as mio and tokio do): no `epoll_ctl` per op, and
//!   the kernel reports each new readiness once. On an event the parked
//!   calls of that direction are retried in order until one meets `EAGAIN`
//!   again (then the next edge will come) or none is left.
//! - **Known drained.** After `EAGAIN`, or a short transfer on a stream
//!   socket (which leaves the receive buffer empty or the send buffer full,
//!   as tokio also assumes), a new call in that direction parks without
//!   trying a syscall bound to fail, until the next event. Final events
//!   (end of stream, error) switch this shortcut off for the descriptor.
//! - **Connect** is started nonblocking; `EINPROGRESS` parks it as a writer,
//!   and writability finishes it with `SO_ERROR`.
//! - **Files and paths go to the blocking pool.** A regular file is always
//!   "ready" to epoll and then blocks in the read, and path calls (open,
//!   stat, rename...) have no descriptor to poll at all; so these calls
//!   ([`Call::is_blocking`]) run on the process-wide blocking pool, which
//!   posts the result back and signals the runtime's eventfd. Such a call
//!   cannot be interrupted: cancelling it does nothing, and its completion
//!   still arrives before the driver frees its memory.
//! - **Timeouts** are kept in a deadline heap that bounds the epoll wait;
//!   **cancellations** are answered from the backend's own tables.
//!
//! Closing a descriptor removes it from the epoll set, so a closed number
//! needs no `epoll_ctl`: the driver calls [`Epoll::forget_fd`] before
//! closing and the table entry is reset. (A registration that outlives its
//! number through a `dup` only yields spurious events, which the retry
//! model tolerates.) Descriptors given to the backend are its to configure:
//! one that lacks `O_NONBLOCK` gets it.

mod fds;
mod groups;
mod nonblock;
mod places;
mod pool;
mod timers;

#[cfg(test)]
mod tests;

use std::io;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use self::fds::{Dir, FdTable, Kind, Waiter};
use self::groups::{GroupBuf, Groups};
use self::places::{Place, Places};
use self::pool::Pool;
use self::timers::Deadlines;
use super::call::cqe_flags;
use super::Unparker;
use super::{syscall, Call, Completion};
use crate::sys::epoll::{self as poller, Poller};

/// The epoll token of the runtime's eventfd (descriptors are below 2^31).
const EVENTFD_TOKEN: u64 = u64::MAX;

/// How many completions a multishot call produces in one go before the
/// backend moves on to other descriptors (and comes back next turn).
const MULTI_BATCH: usize = 64;

/// Event bits after which a direction will see no further edge.
const FINAL: u32 = (libc::EPOLLRDHUP | libc::EPOLLHUP | libc::EPOLLERR) as u32;

/// The epoll backend of one runtime.
pub(crate) struct Epoll {
    unparker: Arc<Unparker>,
    poller: Poller,
    fds: FdTable,
    /// Where each parked, pooled or timed op waits, by key.
    places: Places,
    deadlines: Deadlines,
    pool: Pool,
    /// Completions produced where no output vector was at hand
    /// (`forget_fd`); handed out by the next `turn`.
    deferred: Vec<Completion>,
    /// Buffer groups for the calls that pick their buffer.
    groups: Groups,
    /// Directions whose multishot call stopped at `MULTI_BATCH` with data
    /// left: no new edge will come for them, so the next turn retries them.
    rearm: Vec<(RawFd, Dir)>,
}

impl Epoll {
    /// Creates the epoll instance and registers the runtime's eventfd
    /// (level-triggered: it stays reported until cleared).
    pub(crate) fn new(unparker: &Arc<Unparker>) -> io::Result<Epoll> {
        let poller = Poller::new()?;
        poller
            .add(unparker.eventfd(), libc::EPOLLIN as u32, EVENTFD_TOKEN)
            .map_err(|e| io::Error::from_raw_os_error(-e))?;
        Ok(Epoll {
            pool: Pool::new(unparker.clone()),
            unparker: unparker.clone(),
            poller,
            fds: FdTable::default(),
            places: Places::default(),
            deadlines: Deadlines::default(),
            deferred: Vec::new(),
            groups: Groups::default(),
            rearm: Vec::new(),
        })
    }

    /// Starts `call` under `key`: `Ok(Some((res, flags)))` if it completed
    /// now, `Ok(None)` if its completions come through `out` or a later
    /// [`Epoll::turn`] (always, for a multishot call).
    pub(crate) fn push(
        &mut self,
        key: u64,
        call: Call,
        out: &mut Vec<Completion>,
    ) -> io::Result<Option<(i32, u32)>> {
        // No buffer table here: a fixed-buffer read or write is the plain
        // one on the same memory, from here on (readiness, pool, retries).
        let call = call.unfixed();
        let res = match call {
            Call::Nop => 0,
            Call::Timeout { ts } => {
                // SAFETY: by `Call`'s contract `ts` points to the op's live
                // timespec.
                let d = unsafe { timers::duration(ts) };
                let now = Instant::now();
                // An unrepresentable deadline is as good as never.
                let deadline = now
                    .checked_add(d)
                    .unwrap_or(now + Duration::from_secs(1 << 32));
                self.deadlines.push(deadline, key);
                self.places.set(key, Place::Timer);
                return Ok(None);
            }
            Call::Cancel { target } => self.cancel_target(target, out),
            Call::Close { fd } => {
                self.forget_fd(fd);
                syscall::run(call)
            }
            Call::Shutdown { .. } => syscall::run_restarting(call),
            // Two descriptors, one of them a pipe: there is no one
            // readiness to park on, so it runs now and an `EAGAIN` goes back
            // to the caller, which waits for the side that is not ready
            // (`io::splice`).
            Call::Splice {
                fd_in,
                off_in,
                fd_out,
                off_out,
                len,
                flags,
            } => syscall::run_restarting(Call::Splice {
                fd_in,
                off_in,
                fd_out,
                off_out,
                len,
                flags: flags | libc::SPLICE_F_NONBLOCK,
            }),
            call if call.is_blocking() => {
                self.places.set(key, Place::Pool);
                self.pool.execute(key, call);
                return Ok(None);
            }
            call => return Ok(self.start(key, call, out)),
        };
        Ok(Some((res, 0)))
    }

    /// Adds an empty buffer group (io_uring's provided-buffer ring).
    pub(crate) fn add_buf_group(&mut self, group: u16) {
        self.groups.add(group);
    }

    /// Hands buffer `bid` (`len` bytes at `addr`) to group `group`.
    pub(crate) fn provide_buf(&mut self, group: u16, addr: *mut u8, len: u32, bid: u16) {
        self.groups.provide(group, GroupBuf { addr, len, bid });
    }

    pub(crate) fn remove_buf_group(&mut self, group: u16) {
        self.groups.remove(group);
    }

    /// Runs a readiness call: tries it now unless it would queue behind
    /// others or is known to fail, parks it otherwise.
    fn start(&mut self, key: u64, call: Call, out: &mut Vec<Completion>) -> Option<(i32, u32)> {
        let Some((fd, dir)) = nonblock::interest(&call) else {
            unreachable!("every call is a readiness call, a pool call or handled by push")
        };
        if fd < 0 {
            return Some((-libc::EBADF, 0));
        }
        let call = nonblock::adjust(call);
        if let Call::PollAdd { .. } = call {
            return self.start_poll(fd, dir, key, call);
        }
        let state = self.fds.get(fd);
        let connect = matches!(call, Call::Connect { .. });
        // A connect must really be started; it is the first op on its
        // socket anyway.
        if !connect && (!state.queue(dir).is_empty() || !state.ready(dir)) {
            return self
                .park(fd, dir, Waiter { key, call })
                .err()
                .map(|e| (e, 0));
        }
        if nonblock::needs_nonblocking_fd(&call) && !state.nonblocking {
            if let Err(e) = nonblock::set_nonblocking(fd) {
                return Some((e, 0));
            }
            state.nonblocking = true;
        }
        if call.is_multishot() {
            if self.run_multi(fd, dir, key, call, out) {
                return None;
            }
            return self
                .park(fd, dir, Waiter { key, call })
                .err()
                .map(|e| (e, 0));
        }
        let res = if connect {
            match syscall::run(call) {
                // The handshake goes on; writability will tell.
                r if r == -libc::EINPROGRESS || r == -libc::EINTR => None,
                // (A unix socket whose listener's backlog is full says
                // EAGAIN: reported as is, as mio does.)
                r => Some((r, 0)),
            }
        } else {
            self.attempt(fd, dir, call, out)
        };
        match res {
            Some(res) => Some(res),
            None => self
                .park(fd, dir, Waiter { key, call })
                .err()
                .map(|e| (e, 0)),
        }
    }

    /// Starts a readiness call: answered at once if an event is pending (a
    /// zero-timeout poll(2), which tells exactly, so the drained shortcut is
    /// not consulted or changed), parked otherwise (behind earlier ops of
    /// its direction, which may consume the readiness first).
    fn start_poll(&mut self, fd: RawFd, dir: Dir, key: u64, call: Call) -> Option<(i32, u32)> {
        if self.fds.get(fd).queue(dir).is_empty() {
            let res = syscall::run(call);
            if res != -libc::EAGAIN {
                return Some((res, 0));
            }
        }
        self.park(fd, dir, Waiter { key, call })
            .err()
            .map(|e| (e, 0))
    }

    /// Runs a multishot call while its direction has data, each result a
    /// completion with `CQE_F_MORE`, until a final one (end of stream, an
    /// error, no buffer left: as io_uring ends a multishot op). True once
    /// that final completion is out; false if the call waits for the next
    /// edge, or for the next turn after `MULTI_BATCH` completions.
    fn run_multi(
        &mut self,
        fd: RawFd,
        dir: Dir,
        key: u64,
        call: Call,
        out: &mut Vec<Completion>,
    ) -> bool {
        for _ in 0..MULTI_BATCH {
            if !self.fds.get(fd).ready(dir) {
                return false;
            }
            let Some((res, flags)) = self.attempt(fd, dir, call, out) else {
                return false;
            };
            let more = match call {
                Call::AcceptMulti { .. } => res >= 0,
                _ => res > 0,
            };
            if !more {
                out.push(Completion { key, res, flags });
                return true;
            }
            out.push(Completion {
                key,
                res,
                flags: flags | cqe_flags::MORE,
            });
        }
        self.rearm.push((fd, dir));
        false
    }

    /// One nonblocking try of `call`: `Some((res, flags))` if it completed,
    /// `None` on `EAGAIN` (the direction is then known drained). A call
    /// that picks its buffer gets one from its group for the try, and keeps
    /// it only if data came (reported in `flags`, as io_uring does).
    fn attempt(
        &mut self,
        fd: RawFd,
        dir: Dir,
        call: Call,
        out: &mut Vec<Completion>,
    ) -> Option<(i32, u32)> {
        let mut flags = 0;
        let (res, call) = match nonblock::buffer_group(&call) {
            Some(group) => {
                let buf = match self.groups.take(group) {
                    Ok(buf) => buf,
                    Err(e) => return Some((e, 0)),
                };
                let (res, concrete) = nonblock::run_with_buffer(call, buf);
                if res > 0 {
                    flags = cqe_flags::BUFFER | u32::from(buf.bid) << cqe_flags::BUFFER_SHIFT;
                } else {
                    self.groups.provide(group, buf);
                }
                (res, concrete)
            }
            None => (syscall::run_restarting(call), call),
        };
        if res == -libc::EAGAIN {
            self.fds.get(fd).mark_drained(dir);
            return None;
        }
        if nonblock::short_transfer(&call, res) {
            let state = self.fds.get(fd);
            if state.kind == Kind::Unknown {
                state.kind = nonblock::kind_of(fd);
            }
            if state.kind == Kind::Stream {
                state.mark_drained(dir);
            }
        }
        if let (Call::Accept { .. }, true) = (call, res >= 0) {
            self.accepted(res, out);
        }
        Some((res, flags))
    }

    /// A new descriptor from accept: whatever the table says about its
    /// number belongs to a closed predecessor. It starts nonblocking
    /// (`SOCK_NONBLOCK`).
    fn accepted(&mut self, fd: RawFd, out: &mut Vec<Completion>) {
        self.forget_into(fd, out);
        self.fds.get(fd).nonblocking = true;
    }

    /// Parks `waiter` on `fd`, registering the descriptor on first use.
    /// Fails with `-errno` if the descriptor cannot be polled.
    fn park(&mut self, fd: RawFd, dir: Dir, waiter: Waiter) -> Result<(), i32> {
        let state = self.fds.get(fd);
        if !state.registered {
            self.poller.add(fd, poller::INTEREST, fd as u64)?;
            state.registered = true;
        }
        state.queue(dir).push_back(waiter);
        self.places.set(waiter.key, Place::Fd(fd));
        Ok(())
    }

    /// Retries the calls parked on `fd` in direction `dir`, in order, until
    /// one meets `EAGAIN` or the direction is known drained.
    fn retry(&mut self, fd: RawFd, dir: Dir, out: &mut Vec<Completion>) {
        loop {
            let state = self.fds.get(fd);
            let Some(&waiter) = state.queue(dir).front() else {
                return;
            };
            if waiter.call.is_multishot() {
                if !self.run_multi(fd, dir, waiter.key, waiter.call, out) {
                    return;
                }
                self.fds.get(fd).queue(dir).pop_front();
                self.places.clear(waiter.key);
                continue;
            }
            let res = match waiter.call {
                Call::Connect { .. } => nonblock::connect_result(fd).map(|r| (r, 0)),
                call @ Call::PollAdd { .. } => match syscall::run(call) {
                    r if r == -libc::EAGAIN => None,
                    r => Some((r, 0)),
                },
                _ if !state.ready(dir) => None,
                call => self.attempt(fd, dir, call, out),
            };
            let Some((res, flags)) = res else { return };
            self.fds.get(fd).queue(dir).pop_front();
            self.places.clear(waiter.key);
            out.push(Completion {
                key: waiter.key,
                res,
                flags,
            });
        }
    }

    /// Cancels the op under `key` if it waits for readiness or a deadline
    /// (completing it with `-ECANCELED`). An op on the blocking pool cannot
    /// be stopped; its real completion follows.
    pub(crate) fn cancel(&mut self, key: u64, out: &mut Vec<Completion>) {
        self.cancel_target(key, out);
    }

    /// What `Call::Cancel` completes with, io_uring-style: 0 if the target
    /// was cancelled, `-EALREADY` if it is running and cannot be, `-ENOENT`
    /// if no such op waits.
    fn cancel_target(&mut self, key: u64, out: &mut Vec<Completion>) -> i32 {
        match self.places.get(key) {
            Some(Place::Fd(fd)) => {
                let state = self.fds.get(fd);
                for dir in [Dir::Read, Dir::Write] {
                    let queue = state.queue(dir);
                    if let Some(i) = queue.iter().position(|w| w.key == key) {
                        queue.remove(i);
                        break;
                    }
                }
            }
            // The heap entry is skipped when it comes due.
            Some(Place::Timer) => {}
            Some(Place::Pool) => return -libc::EALREADY,
            None => return -libc::ENOENT,
        }
        self.places.clear(key);
        out.push(Completion {
            key,
            res: -libc::ECANCELED,
            flags: 0,
        });
        0
    }

    /// Waits for readiness (up to `timeout`; `None`: indefinitely, zero:
    /// not at all), retries what became ready, fires due timeouts and
    /// collects the blocking pool's results, all into `out`.
    pub(crate) fn turn(
        &mut self,
        timeout: Option<Duration>,
        out: &mut Vec<Completion>,
    ) -> io::Result<()> {
        self.pool.collect(out);
        out.append(&mut self.deferred);
        for (fd, dir) in std::mem::take(&mut self.rearm) {
            self.retry(fd, dir, out);
        }
        let mut timeout = if out.is_empty() && self.rearm.is_empty() {
            timeout
        } else {
            Some(Duration::ZERO)
        };
        if let Some(deadline) = self.deadlines.next() {
            let until = deadline.saturating_duration_since(Instant::now());
            timeout = Some(timeout.map_or(until, |t| t.min(until)));
        }
        let n = self.poller.wait(timeout)?;
        for i in 0..n {
            let (token, events) = self.poller.event(i);
            if token == EVENTFD_TOKEN {
                self.unparker.clear_eventfd();
                continue;
            }
            let fd = token as RawFd;
            let Some(state) = self.fds.get_existing(fd) else {
                continue;
            };
            let closed = events & FINAL != 0;
            let (read, write) = (
                events & poller::READABLE != 0,
                events & poller::WRITABLE != 0,
            );
            if read {
                state.mark_ready(Dir::Read, closed);
            }
            if write {
                state.mark_ready(Dir::Write, closed);
            }
            // A readiness call for both directions parks with the readers
            // (see `nonblock::interest`): a write event retries them too.
            if read || write {
                self.retry(fd, Dir::Read, out);
            }
            if write {
                self.retry(fd, Dir::Write, out);
            }
        }
        if self.deadlines.next().is_some() {
            let now = Instant::now();
            while let Some(key) = self.deadlines.pop_due(now) {
                if self.places.get(key) == Some(Place::Timer) {
                    self.places.clear(key);
                    out.push(Completion {
                        key,
                        res: -libc::ETIME,
                        flags: 0,
                    });
                }
            }
        }
        self.pool.collect(out);
        Ok(())
    }

    /// Cancels every parked op and pending timeout. Calls on the blocking
    /// pool run to completion; `busy` reports them until collected.
    pub(crate) fn shutdown(&mut self, out: &mut Vec<Completion>) {
        for (_, state) in self.fds.iter_mut() {
            for waiter in state.readers.drain(..).chain(state.writers.drain(..)) {
                self.places.clear(waiter.key);
                out.push(Completion {
                    key: waiter.key,
                    res: -libc::ECANCELED,
                    flags: 0,
                });
            }
        }
        for key in self.deadlines.drain() {
            if self.places.get(key) == Some(Place::Timer) {
                self.places.clear(key);
                out.push(Completion {
                    key,
                    res: -libc::ECANCELED,
                    flags: 0,
                });
            }
        }
        out.append(&mut self.deferred);
    }

    /// Whether calls are still running on the blocking pool.
    pub(crate) fn busy(&self) -> bool {
        self.pool.busy()
    }

    /// `fd` is about to be closed (and its number reused): forgets its
    /// state. Ops still parked on it (there should be none: ops keep their
    /// descriptor open) complete with `-ECANCELED` at the next turn.
    /// `fd` leaves this runtime open (handed to std or another core):
    /// takes it out of the epoll set, so its events stop coming here, and
    /// forgets it.
    pub(crate) fn release_fd(&mut self, fd: RawFd) {
        if fd >= 0 && self.fds.get_existing(fd).is_some_and(|s| s.registered) {
            self.poller.delete(fd);
        }
        self.forget_fd(fd);
    }

    pub(crate) fn forget_fd(&mut self, fd: RawFd) {
        let mut deferred = std::mem::take(&mut self.deferred);
        self.forget_into(fd, &mut deferred);
        self.deferred = deferred;
    }

    fn forget_into(&mut self, fd: RawFd, out: &mut Vec<Completion>) {
        if fd < 0 {
            return;
        }
        let Some(state) = self.fds.get_existing(fd) else {
            return;
        };
        for waiter in state.readers.drain(..).chain(state.writers.drain(..)) {
            self.places.clear(waiter.key);
            out.push(Completion {
                key: waiter.key,
                res: -libc::ECANCELED,
                flags: 0,
            });
        }
        state.reset();
    }
}
