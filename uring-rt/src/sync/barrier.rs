//! [`Barrier`]: `n` tasks on one core wait for each other, then all go on.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::waiters::{wake_all, Key, Removed, WaitList};

/// Makes `n` tasks wait until all `n` have called [`wait`](Self::wait),
/// then releases them together. Exactly one of each round (the last to
/// arrive) is the *leader*. The barrier is reusable: the next `n` calls
/// form the next round (generation).
///
/// Share it between tasks with `Rc`.
///
/// ```
/// use std::rc::Rc;
/// use aio::sync::Barrier;
///
/// # aio::Runtime::new().unwrap().block_on(async {
/// let barrier = Rc::new(Barrier::new(3));
/// let tasks: Vec<_> = (0..3)
///     .map(|_| {
///         let barrier = Rc::clone(&barrier);
///         aio::spawn(async move { barrier.wait().await.is_leader() })
///     })
///     .collect();
/// let mut leaders = 0;
/// for task in tasks {
///     leaders += task.await.unwrap() as usize;
/// }
/// assert_eq!(leaders, 1);
/// # });
/// ```
///
/// **Core-local.** No atomics; neither `Send` nor `Sync`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::Barrier>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::Barrier>();
/// ```
pub struct Barrier {
    /// Tasks per round (at least 1).
    n: usize,
    /// The current round.
    round: RefCell<Round>,
    /// Keeps the type `!Send` and `!Sync`.
    _not_send: PhantomData<*const ()>,
}

/// The current round: the tasks that arrived and wait for the rest.
/// Invariant: `arrived == waiters` queued count `< n`. The `n`th arrival
/// completes every queued waiter (their outcome waits in the list until
/// they collect it) and starts an empty round.
struct Round {
    arrived: usize,
    waiters: WaitList<(), ()>,
}

/// What [`Barrier::wait`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// Whether this task was the round's leader: exactly one task of
    /// each round (the last to arrive) gets `true`.
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    /// A barrier for rounds of `n` tasks. `n == 0` behaves as `n == 1`
    /// (every `wait` returns at once as leader), like tokio's and std's.
    pub fn new(n: usize) -> Self {
        Barrier {
            n: n.max(1),
            round: RefCell::new(Round {
                arrived: 0,
                waiters: WaitList::new(),
            }),
            _not_send: PhantomData,
        }
    }

    /// Waits until `n` tasks (this one included) are waiting, then
    /// returns in all of them. The task whose call completes the round
    /// returns at once as the leader; the others are released in the
    /// order they arrived. A task arrives when the future is first polled.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before its round is complete takes its arrival
    /// back: the round then needs another task (unlike tokio's, where a
    /// dropped wait still counts). Dropping it after the round completed
    /// changes nothing for the others.
    pub async fn wait(&self) -> BarrierWaitResult {
        Wait {
            barrier: self,
            key: None,
        }
        .await
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Barrier");
        d.field("n", &self.n);
        if let Ok(round) = self.round.try_borrow() {
            d.field("arrived", &round.arrived);
        }
        d.finish_non_exhaustive()
    }
}

/// The future inside [`Barrier::wait`]: not arrived (`key` is `None`) →
/// arrived and waiting (`Some`) → returned. Only the waiting state owns
/// something: an arrival in the round, which `Drop` takes back.
struct Wait<'a> {
    barrier: &'a Barrier,
    key: Option<Key>,
}

impl Future for Wait<'_> {
    type Output = BarrierWaitResult;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let this = self.get_mut();
        let mut round = this.barrier.round.borrow_mut();
        match this.key {
            None if round.arrived + 1 == this.barrier.n => {
                round.arrived = 0;
                let wakers = round.waiters.complete_all(());
                drop(round);
                wake_all(wakers);
                Poll::Ready(BarrierWaitResult(true))
            }
            None => {
                round.arrived += 1;
                this.key = Some(round.waiters.push(cx.waker(), ()));
                Poll::Pending
            }
            Some(key) => {
                if round.waiters.take_outcome(key).is_some() {
                    this.key = None;
                    return Poll::Ready(BarrierWaitResult(false));
                }
                round.waiters.update_waker(key, cx.waker());
                Poll::Pending
            }
        }
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key else {
            return;
        };
        let mut round = self.barrier.round.borrow_mut();
        if let Removed::Queued(()) = round.waiters.remove(key) {
            round.arrived -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::test_util::Task;

    #[test]
    fn last_arrival_leads_and_releases_the_rest() {
        let barrier = Barrier::new(3);
        let mut a = Task::new(barrier.wait());
        let mut b = Task::new(barrier.wait());
        a.pending();
        b.pending();
        assert!(Task::new(barrier.wait()).ready().is_leader());
        assert_eq!((a.wakes(), b.wakes()), (1, 1));
        assert!(!a.ready().is_leader());
        assert!(!b.ready().is_leader());
    }

    #[test]
    fn dropped_waiter_takes_its_arrival_back() {
        let barrier = Barrier::new(2);
        let mut a = Task::new(barrier.wait());
        a.pending();
        drop(a);
        let mut b = Task::new(barrier.wait());
        b.pending();
        assert!(Task::new(barrier.wait()).ready().is_leader());
        assert!(!b.ready().is_leader());
    }

    #[test]
    fn released_waiter_dropped_before_collecting_does_not_count_later() {
        let barrier = Barrier::new(2);
        let mut a = Task::new(barrier.wait());
        a.pending();
        assert!(Task::new(barrier.wait()).ready().is_leader());
        drop(a); // released, never polled again
        let mut b = Task::new(barrier.wait());
        b.pending();
        assert!(Task::new(barrier.wait()).ready().is_leader());
        b.ready();
    }

    #[test]
    fn zero_behaves_as_one() {
        let barrier = Barrier::new(0);
        for _ in 0..3 {
            assert!(Task::new(barrier.wait()).ready().is_leader());
        }
    }
}
