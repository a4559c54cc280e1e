use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::task::raw::TaskRef;

/// The part of a runtime other threads may touch: the inbox for tasks woken
/// remotely and the eventfd that interrupts the owner's wait.
pub(crate) struct Shared {
    inbox: Mutex<Inbox>,
    /// Set when the inbox may hold tasks (or the root was woken) and the
    /// eventfd has been signalled; cleared by the owner before it drains.
    notified: AtomicBool,
    eventfd: OwnedFd,
    /// A duplicate of the owner's io_uring fd, when it runs on io_uring, so
    /// other cores can wake it with IORING_OP_MSG_RING. Owned here (not
    /// borrowed from the ring) so the number stays valid for as long as a
    /// sender can reach this struct; the ring file lives until then too.
    ring: OnceLock<OwnedFd>,
}

struct Inbox {
    tasks: Vec<TaskRef>,
    closed: bool,
}

impl Shared {
    pub(crate) fn new() -> io::Result<Shared> {
        // SAFETY: plain syscall; the result is checked.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Shared {
            inbox: Mutex::new(Inbox {
                tasks: Vec::new(),
                closed: false,
            }),
            notified: AtomicBool::new(false),
            // SAFETY: eventfd returned a fresh descriptor that we own.
            eventfd: unsafe { OwnedFd::from_raw_fd(fd) },
            ring: OnceLock::new(),
        })
    }

    /// The eventfd the driver keeps a read (or readiness wait) armed on.
    pub(crate) fn eventfd(&self) -> RawFd {
        self.eventfd.as_raw_fd()
    }

    /// Records the owner's ring so other cores can wake it through their own
    /// rings. Without a duplicate (out of descriptors) the eventfd is used.
    pub(crate) fn set_ring(&self, ring_fd: RawFd) {
        // SAFETY: F_DUPFD_CLOEXEC returns a new descriptor we own, or -1.
        let dup = unsafe { libc::fcntl(ring_fd, libc::F_DUPFD_CLOEXEC, 0) };
        if dup >= 0 {
            // SAFETY: a fresh descriptor from fcntl.
            let _ = self.ring.set(unsafe { OwnedFd::from_raw_fd(dup) });
        }
    }

    /// Queues a task woken on another thread and signals the owner. If the
    /// runtime is gone, the reference is just released.
    pub(crate) fn push_remote(self: &Arc<Self>, task: TaskRef) {
        let mut inbox = self.inbox.lock().unwrap_or_else(|e| e.into_inner());
        if inbox.closed {
            drop(inbox);
            drop(task);
            return;
        }
        inbox.tasks.push(task);
        drop(inbox);
        self.notify();
    }

    /// Interrupts the owner's wait, once per drain.
    ///
    /// Two ways to reach the owner's ring, measured against each other
    /// with a two-core ping-pong on raw rings (6.18, DEFER_TASKRUN, median
    /// of 6 runs): an eventfd write that completes the read the owner keeps
    /// armed, about 63 µs per round trip; an IORING_OP_MSG_RING from the
    /// waking core's own ring, about 58 µs (8% less), and no syscall on the
    /// waking side: the message rides on that core's next io_uring_enter.
    /// So a wake from a thread running an io_uring runtime goes by
    /// MSG_RING; from anywhere else (plain threads, epoll) by the eventfd.
    pub(crate) fn notify(self: &Arc<Self>) {
        if !self.notified.swap(true, Ordering::AcqRel) {
            if self.ring.get().is_some() && crate::runtime::context::try_msg_ring(self) {
                return;
            }
            let one: u64 = 1;
            // SAFETY: writes 8 bytes from a live u64 to our eventfd.
            let n = unsafe { libc::write(self.eventfd(), &one as *const u64 as *const _, 8) };
            // The only possible failure is EAGAIN, when the counter is
            // already at its maximum: the owner is signalled either way.
            debug_assert!(n == 8 || io::Error::last_os_error().kind() == io::ErrorKind::WouldBlock);
        }
    }

    /// The owner's ring, for MSG_RING.
    pub(crate) fn ring_fd(&self) -> Option<RawFd> {
        self.ring.get().map(|fd| fd.as_raw_fd())
    }

    /// Owner side: if notified, clears the flag and hands every queued task
    /// to `f`. Returns whether it was notified.
    pub(crate) fn drain(&self, mut f: impl FnMut(TaskRef)) -> bool {
        if !self.notified.load(Ordering::Acquire) {
            return false;
        }
        self.notified.store(false, Ordering::Release);
        let mut inbox = self.inbox.lock().unwrap_or_else(|e| e.into_inner());
        let tasks = std::mem::take(&mut inbox.tasks);
        drop(inbox);
        for task in tasks {
            f(task);
        }
        true
    }

    /// Owner side, at shutdown: refuse further remote wakes and release the
    /// queued ones.
    pub(crate) fn close(&self) {
        let mut inbox = self.inbox.lock().unwrap_or_else(|e| e.into_inner());
        inbox.closed = true;
        let tasks = std::mem::take(&mut inbox.tasks);
        drop(inbox);
        drop(tasks);
    }

    /// Clears the eventfd counter (the epoll backend calls this when it
    /// reports readable; the io_uring backend reads it with an op instead).
    pub(crate) fn clear_eventfd(&self) {
        let mut buf: u64 = 0;
        // SAFETY: reads 8 bytes into a live u64; a nonblocking eventfd
        // returns EAGAIN when already clear, which is fine.
        unsafe { libc::read(self.eventfd(), &mut buf as *mut u64 as *mut _, 8) };
    }
}
