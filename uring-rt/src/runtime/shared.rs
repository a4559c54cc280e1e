//! The part of a runtime other threads may touch: the inbox for tasks woken
//! remotely, and the driver's unparker that ends the owner's wait.

use std::sync::{Arc, Mutex};

use super::task::TaskRef;
use crate::driver::Unparker;

/// A runtime's inbox and the means to wake it.
pub(crate) struct Shared {
    inbox: Mutex<Inbox>,
    unparker: Arc<Unparker>,
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
