//! The part of a runtime other threads may touch: the inbox for tasks woken
//! remotely, and the driver's unparker that ends the owner's wait.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::task::TaskRef;
use crate::driver::Unparker;

/// A runtime's inbox and the means to wake it.
pub(crate) struct Shared {
    inbox: Mutex<Inbox>,
    unparker: Arc<Unparker>,
    /// `spawn_blocking` jobs of this runtime not finished yet (their
    /// wake-up included): a paused clock waits for them (auto-advance).
    blocking: AtomicUsize,
}

struct Inbox {
    tasks: Vec<TaskRef>,
    closed: bool,
}

impl Shared {
    pub(crate) fn new(unparker: Arc<Unparker>) -> Shared {
        Shared {
            inbox: Mutex::new(Inbox {
                tasks: Vec::new(),
                closed: false,
            }),
            unparker,
            blocking: AtomicUsize::new(0),
        }
    }

    /// Queues a task woken on another thread and wakes the owner. If the
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

    /// Ends the owner's wait (once per drain; see `Unparker`).
    pub(crate) fn notify(&self) {
        self.unparker.unpark();
    }

    /// Whether a remote wake is pending (the owner has not drained it).
    pub(crate) fn notified(&self) -> bool {
        self.unparker.is_notified()
    }

    /// Counts a `spawn_blocking` job started ([`Shared::blocking_done`] when
    /// it has finished and woken its task).
    pub(crate) fn blocking_started(&self) {
        self.blocking.fetch_add(1, Ordering::Relaxed);
    }

    /// See [`Shared::blocking_started`]. Release: the owner that reads the
    /// count lower also sees the wake-up the job made before.
    pub(crate) fn blocking_done(&self) {
        self.blocking.fetch_sub(1, Ordering::Release);
    }

    /// `spawn_blocking` jobs running for this runtime.
    pub(crate) fn blocking_jobs(&self) -> usize {
        self.blocking.load(Ordering::Acquire)
    }

    /// Owner side: if notified, clears the latch and hands every queued task
    /// to `f`. Returns whether it was notified.
    pub(crate) fn drain(&self, mut f: impl FnMut(TaskRef)) -> bool {
        if !self.unparker.take_notified() {
            return false;
        }
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
}
