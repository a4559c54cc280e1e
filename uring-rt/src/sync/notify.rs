//! [`Notify`]: wakes one task, or every waiting task, on one core —
//! a building block for hand-written synchronisation.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::waiters::{wake_all, Key, Removed, WaitList};

/// Notifies one waiting task, or all of them.
///
/// - [`notify_one`](Self::notify_one) wakes the task that has waited
///   longest. If nobody waits it stores **one** permit (further calls do
///   not stack), and the next [`notified`](Self::notified) completes at
///   once by consuming it.
/// - [`notify_waiters`](Self::notify_waiters) wakes every waiting task and
///   stores nothing. A [`Notified`] future counts as waiting from the
///   moment [`notified`](Self::notified) returns it, even before it is
///   polled, so the pattern "create `notified()`, check a condition,
///   await" never misses a wakeup.
///
/// **Core-local.** No atomics; neither `Send` nor `Sync`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::Notify>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::Notify>();
/// ```
pub struct Notify {
    state: RefCell<State>,
    /// Keeps the type `!Send` and `!Sync`.
    _not_send: PhantomData<*const ()>,
}

/// Everything behind the `RefCell`. Invariant: `permit` is only set while
/// `waiters` is empty (a `notify_one` with a waiter wakes it instead).
struct State {
    /// A stored `notify_one` that nobody has consumed yet.
    permit: bool,
    /// How many times `notify_waiters` ran; a `Notified` created before a
    /// call sees the count move and completes.
    waiters_calls: u64,
    /// Parked `Notified` futures.
    waiters: WaitList<(), Kind>,
}

/// How a parked waiter was notified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// By `notify_one`: if the waiter is dropped without seeing it, the
    /// notification passes to the next waiter.
    One,
    /// By `notify_waiters`: nothing to pass on.
    All,
}

impl Notify {
    /// Creates a `Notify` with no stored permit.
    pub const fn new() -> Self {
        Notify {
            state: RefCell::new(State {
                permit: false,
                waiters_calls: 0,
                waiters: WaitList::new(),
            }),
            _not_send: PhantomData,
        }
    }

    /// Returns a future that completes when this `Notify` is notified.
    ///
    /// The future takes part in [`notify_waiters`](Self::notify_waiters)
    /// calls made after this returns. It joins the queue for
    /// [`notify_one`](Self::notify_one) when first polled (or
    /// [`enable`](Notified::enable)d); a stored permit is consumed then.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping a `Notified` that had been chosen by
    /// `notify_one` but had not completed passes the notification on to
    /// the next waiter (or stores it as the permit), so it is never lost.
    pub fn notified(&self) -> Notified<'_> {
        Notified {
            notify: self,
            waiters_calls: self.state.borrow().waiters_calls,
            phase: Phase::Idle,
        }
    }

    /// Wakes the longest-waiting task, or stores a permit for the next
    /// [`notified`](Self::notified) if none waits.
    pub fn notify_one(&self) {
        let mut state = self.state.borrow_mut();
        match state.waiters.complete_front(Kind::One) {
            Some((waker, ())) => {
                drop(state);
                waker.wake();
            }
            None => state.permit = true,
        }
    }

    /// Wakes every task waiting now (including [`Notified`] futures not
    /// yet polled); stores no permit.
    pub fn notify_waiters(&self) {
        let mut state = self.state.borrow_mut();
        state.waiters_calls += 1;
        let wakers = state.waiters.complete_all(Kind::All);
        drop(state);
        wake_all(wakers);
    }
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.state.try_borrow() {
            Ok(state) => f
                .debug_struct("Notify")
                .field("permit", &state.permit)
                .finish_non_exhaustive(),
            Err(_) => f.write_str("Notify { <busy> }"),
        }
    }
}

/// The future returned by [`Notify::notified`].
///
/// States: `Idle` (not queued; still sees `notify_waiters` through the
/// call count captured at creation) → `Queued(key)` (in the wait list,
/// may be chosen by `notify_one`) → `Done`. Only `Queued` owns anything —
/// a place in the queue, or an uncollected `notify_one` that `Drop`
/// passes on.
///
/// Neither `Send` nor `Sync`, like the `Notify`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::Notified<'static>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::Notified<'static>>();
/// ```
///
/// # Cancel safety
///
/// See [`Notify::notified`].
#[must_use = "futures do nothing unless polled"]
pub struct Notified<'a> {
    notify: &'a Notify,
    waiters_calls: u64,
    phase: Phase,
}

/// See [`Notified`].
#[derive(Debug, Clone, Copy)]
enum Phase {
    Idle,
    Queued(Key),
    Done,
}

impl Notified<'_> {
    /// Joins the queue for [`Notify::notify_one`] without waiting,
    /// consuming a stored permit if there is one. Returns `true` if the
    /// future is already notified (its next poll is `Ready`).
    ///
    /// Use this to register before checking a condition when the
    /// notifier may call `notify_one` rather than `notify_waiters`.
    pub fn enable(self: Pin<&mut Self>) -> bool {
        self.get_mut().advance(Waker::noop()).is_ready()
    }

    fn advance(&mut self, waker: &Waker) -> Poll<()> {
        let mut state = self.notify.state.borrow_mut();
        match self.phase {
            Phase::Idle => {
                if state.waiters_calls != self.waiters_calls || state.permit {
                    if state.waiters_calls == self.waiters_calls {
                        state.permit = false;
                    }
                    self.phase = Phase::Done;
                    return Poll::Ready(());
                }
                self.phase = Phase::Queued(state.waiters.push(waker, ()));
                Poll::Pending
            }
            Phase::Queued(key) => {
                if state.waiters.take_outcome(key).is_some() {
                    self.phase = Phase::Done;
                    return Poll::Ready(());
                }
                state.waiters.update_waker(key, waker);
                Poll::Pending
            }
            Phase::Done => Poll::Ready(()),
        }
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().advance(cx.waker())
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let Phase::Queued(key) = self.phase else {
            return;
        };
        let removed = self.notify.state.borrow_mut().waiters.remove(key);
        if let Removed::Done(Kind::One) = removed {
            self.notify.notify_one();
        }
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::test_util::Task;

    #[test]
    fn notify_one_stores_a_single_permit() {
        let n = Notify::new();
        n.notify_one();
        n.notify_one();
        let mut a = Task::new(n.notified());
        a.ready();
        let mut b = Task::new(n.notified());
        b.pending();
    }

    #[test]
    fn notify_one_wakes_in_fifo_order() {
        let n = Notify::new();
        let mut a = Task::new(n.notified());
        let mut b = Task::new(n.notified());
        a.pending();
        b.pending();
        n.notify_one();
        assert_eq!((a.wakes(), b.wakes()), (1, 0));
        b.pending();
        a.ready();
        n.notify_one();
        b.ready();
        // Nobody waits now and both notifications were consumed.
        let mut c = Task::new(n.notified());
        c.pending();
    }

    #[test]
    fn notify_waiters_reaches_unpolled_futures_but_stores_nothing() {
        let n = Notify::new();
        let mut polled = Task::new(n.notified());
        polled.pending();
        let mut unpolled = Task::new(n.notified());
        n.notify_waiters();
        assert_eq!(polled.wakes(), 1);
        polled.ready();
        unpolled.ready();
        let mut later = Task::new(n.notified());
        later.pending();
    }

    #[test]
    fn dropped_waiter_passes_notify_one_on() {
        let n = Notify::new();
        let mut a = Task::new(n.notified());
        let mut b = Task::new(n.notified());
        a.pending();
        b.pending();
        n.notify_one();
        drop(a);
        assert_eq!(b.wakes(), 1);
        b.ready();
    }

    #[test]
    fn dropped_sole_waiter_turns_notification_into_permit() {
        let n = Notify::new();
        let mut a = Task::new(n.notified());
        a.pending();
        n.notify_one();
        drop(a);
        let mut b = Task::new(n.notified());
        b.ready();
    }

    #[test]
    fn dropped_unnotified_waiter_leaves_no_trace() {
        let n = Notify::new();
        let mut a = Task::new(n.notified());
        a.pending();
        drop(a);
        assert!(n.state.borrow().waiters.is_empty());
        n.notify_one();
        assert!(n.state.borrow().permit);
    }

    #[test]
    fn enable_registers_for_notify_one() {
        let n = Notify::new();
        let mut fut = Box::pin(n.notified());
        assert!(!fut.as_mut().enable());
        n.notify_one();
        let mut t = Task::new(fut);
        t.ready();
        assert!(!n.state.borrow().permit);
    }

    #[test]
    fn notify_waiters_does_not_consume_the_permit() {
        let n = Notify::new();
        let mut a = Task::new(n.notified());
        n.notify_one();
        n.notify_waiters();
        a.ready();
        // `a` completed through notify_waiters; the permit is still there.
        let mut b = Task::new(n.notified());
        b.ready();
    }
}
