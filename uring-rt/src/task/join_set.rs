//! `JoinSet`: a collection of spawned tasks, awaited in completion order.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

use slab::Slab;

use super::{spawn, JoinError, JoinHandle};

/// A set of tasks spawned on the current runtime, whose outputs are taken
/// in the order the tasks finish. Dropping the set aborts the tasks still
/// in it.
///
/// ```
/// use aio::task::JoinSet;
///
/// # aio::Runtime::new().unwrap().block_on(async {
/// let mut set = JoinSet::new();
/// for i in 0..10 {
///     set.spawn(async move { i * 2 });
/// }
/// let mut sum = 0;
/// while let Some(res) = set.join_next().await {
///     sum += res.unwrap();
/// }
/// assert_eq!(sum, 90);
/// # });
/// ```
pub struct JoinSet<T> {
    tasks: Slab<JoinHandle<T>>,
    finished: Rc<RefCell<Finished>>,
}

/// Tasks that finished (completed, panicked or were aborted) and are not
/// joined yet, in order, and the task waiting in `join_next`.
#[derive(Default)]
struct Finished {
    ids: VecDeque<usize>,
    waker: Option<Waker>,
}

/// Lives in a task's future: its drop (the future completed, panicked or
/// was dropped by an abort) reports the task finished, so `join_next`
/// polls only tasks that are done, not the whole set.
struct OnFinish {
    id: usize,
    finished: Rc<RefCell<Finished>>,
}

impl Drop for OnFinish {
    fn drop(&mut self) {
        let waker = {
            let mut finished = self.finished.borrow_mut();
            finished.ids.push_back(self.id);
            finished.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T: 'static> JoinSet<T> {
    /// An empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet {
            tasks: Slab::new(),
            finished: Rc::default(),
        }
    }

    /// Spawns `future` on the current runtime as a task of this set.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F)
    where
        F: Future<Output = T> + 'static,
    {
        let entry = self.tasks.vacant_entry();
        let on_finish = OnFinish {
            id: entry.key(),
            finished: self.finished.clone(),
        };
        entry.insert(spawn(async move {
            let _on_finish = on_finish;
            future.await
        }));
    }

    /// Waits for the next task to finish and returns its output (or why it
    /// has none); `None` when the set is empty.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a task whose output was not taken stays in the set.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| {
            if self.tasks.is_empty() {
                return Poll::Ready(None);
            }
            let mut finished = self.finished.borrow_mut();
            loop {
                let Some(&id) = finished.ids.front() else {
                    finished.waker = Some(cx.waker().clone());
                    return Poll::Pending;
                };
                let Some(handle) = self.tasks.get_mut(id) else {
                    finished.ids.pop_front();
                    continue;
                };
                // Its future is gone; the handle is ready once the task is
                // marked complete (a wake-up away at most).
                return match Pin::new(handle).poll(cx) {
                    Poll::Ready(res) => {
                        finished.ids.pop_front();
                        self.tasks.remove(id);
                        Poll::Ready(Some(res))
                    }
                    Poll::Pending => Poll::Pending,
                };
            }
        })
        .await
    }

    /// The number of tasks not joined yet (finished or not).
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Aborts every task in the set. They stay in it: `join_next` yields
    /// each (cancelled, or its output if it had finished).
    pub fn abort_all(&mut self) {
        for (_, handle) in &self.tasks {
            handle.abort();
        }
    }
}

impl<T: 'static> Default for JoinSet<T> {
    fn default() -> JoinSet<T> {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        for (_, handle) in &self.tasks {
            handle.abort();
        }
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet")
            .field("len", &self.tasks.len())
            .finish()
    }
}
