//! [`Semaphore`]: a counting semaphore for tasks on one core, with FIFO
//! hand-out of permits. The [`Mutex`](super::Mutex),
//! [`RwLock`](super::RwLock) and bounded [`mpsc`](super::mpsc) channel are
//! built on it.
//!
//! `mod.rs` holds the semaphore and its queue discipline; `acquire.rs`
//! the waiting future; `permit.rs` the permits handed out; `error.rs`
//! the errors.

mod acquire;
mod error;
mod permit;

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::rc::Rc;
use std::task::Waker;

use super::waiters::{wake_all, WaitList};
use acquire::Acquire;

pub use error::{AcquireError, TryAcquireError};
pub use permit::{OwnedSemaphorePermit, SemaphorePermit};

/// A counting semaphore for tasks on one core.
///
/// A semaphore holds a number of permits. [`acquire`](Self::acquire) waits
/// until a permit is free and takes it; dropping the returned
/// [`SemaphorePermit`] gives it back.
///
/// **Fairness.** Waiters are served strictly first-in, first-out: permits
/// go to the waiter at the head of the queue, and while it waits nobody
/// behind it is served, even if enough permits for a smaller request are
/// free. A large [`acquire_many`](Self::acquire_many) is therefore never
/// starved by a stream of small ones. For the same reason the `try_`
/// methods fail while anyone is queued.
///
/// **Core-local.** A `Semaphore` uses no atomics and is neither `Send` nor
/// `Sync`; share it between tasks of one runtime with `Rc` (or a
/// `'static`/borrowed reference). For cross-core work use
/// `aio::cores::channel`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::Semaphore>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::Semaphore>();
/// ```
pub struct Semaphore {
    pub(super) state: RefCell<State>,
    /// Keeps the type `!Send` and `!Sync`: its waiters are tasks of one
    /// core.
    _not_send: PhantomData<*const ()>,
}

/// Everything behind the semaphore's `RefCell`.
///
/// Invariant: if `waiters` is not empty, its head asks for more than
/// `permits` (otherwise it would have been granted). `closed` only ever
/// goes from `false` to `true`, and when it does `waiters` is emptied.
pub(super) struct State {
    /// Free permits.
    pub(super) permits: usize,
    /// Set by [`Semaphore::close`].
    pub(super) closed: bool,
    /// Parked `acquire` futures; the request is the number of permits.
    pub(super) waiters: WaitList<usize, Outcome>,
}

/// What a parked acquire was told when it left the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// Its permits were taken from the pool for it.
    Granted,
    /// The semaphore was closed.
    Closed,
}

impl Semaphore {
    /// The largest number of permits a semaphore can hold.
    pub const MAX_PERMITS: usize = usize::MAX >> 3;

    /// Creates a semaphore with `permits` free permits.
    ///
    /// # Panics
    ///
    /// Panics if `permits` exceeds [`Semaphore::MAX_PERMITS`].
    #[track_caller]
    pub const fn new(permits: usize) -> Self {
        assert!(
            permits <= Self::MAX_PERMITS,
            "a semaphore holds at most Semaphore::MAX_PERMITS permits"
        );
        Semaphore {
            state: RefCell::new(State {
                permits,
                closed: false,
                waiters: WaitList::new(),
            }),
            _not_send: PhantomData,
        }
    }

    /// The number of free permits right now.
    pub fn available_permits(&self) -> usize {
        self.state.borrow().permits
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.state.borrow().closed
    }

    /// Adds `n` permits and hands them to queued waiters, in order.
    ///
    /// # Panics
    ///
    /// Panics if the number of free permits would exceed
    /// [`Semaphore::MAX_PERMITS`].
    #[track_caller]
    pub fn add_permits(&self, n: usize) {
        let mut state = self.state.borrow_mut();
        let total = state
            .permits
            .checked_add(n)
            .filter(|&t| t <= Self::MAX_PERMITS);
        let Some(total) = total else {
            drop(state);
            panic!("add_permits would exceed Semaphore::MAX_PERMITS free permits");
        };
        state.permits = total;
        let wakers = state.grant();
        drop(state);
        wake_all(wakers);
    }

    /// Returns `n` permits that a permit or a cancelled waiter held. Unlike
    /// [`add_permits`](Self::add_permits) this never panics: the permits
    /// came out of this semaphore, so the count stays far below
    /// `usize::MAX` (free plus held is at most twice `MAX_PERMITS`).
    pub(super) fn release(&self, n: usize) {
        let mut state = self.state.borrow_mut();
        state.permits += n;
        let wakers = state.grant();
        drop(state);
        wake_all(wakers);
    }

    /// Closes the semaphore: every queued and future `acquire` fails with
    /// [`AcquireError`]. Permits already handed out stay valid and may
    /// still be returned. Calling it again does nothing.
    pub fn close(&self) {
        let mut state = self.state.borrow_mut();
        state.closed = true;
        let wakers = state.waiters.complete_all(Outcome::Closed);
        drop(state);
        wake_all(wakers);
    }

    /// Takes one permit without waiting.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::Closed`] if the semaphore is closed;
    /// [`TryAcquireError::NoPermits`] if no permit is free or another task
    /// is queued ahead (see the fairness note on [`Semaphore`]).
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits at once without waiting.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::Closed`] if the semaphore is closed;
    /// [`TryAcquireError::NoPermits`] if fewer than `n` permits are free or
    /// another task is queued ahead.
    pub fn try_acquire_many(&self, n: usize) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        let mut state = self.state.borrow_mut();
        if state.closed {
            return Err(TryAcquireError::Closed);
        }
        if state.waiters.is_empty() && state.permits >= n {
            state.permits -= n;
            Ok(SemaphorePermit::new(self, n))
        } else {
            Err(TryAcquireError::NoPermits)
        }
    }

    /// Waits for one permit and takes it.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed before the permit is
    /// granted.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, but dropping the future gives up its place in the FIFO
    /// queue. If the permit had already been granted to the dropped future
    /// it goes straight back to the semaphore (and on to the next waiter);
    /// no permit is ever lost.
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        Acquire::new(self, 1).await
    }

    /// Waits until `n` permits can be taken at once and takes them.
    ///
    /// Asking for more than the semaphore will ever hold waits forever
    /// (until [`close`](Self::close)), blocking everyone queued behind.
    /// `n == 0` succeeds at once unless the semaphore is closed or others
    /// are queued.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed before the permits are
    /// granted.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, but dropping the future gives up its place in the FIFO
    /// queue. Permits already granted to the dropped future are returned;
    /// no permit is ever lost, and waiters that were stuck behind it are
    /// served.
    pub async fn acquire_many(&self, n: usize) -> Result<SemaphorePermit<'_>, AcquireError> {
        Acquire::new(self, n).await
    }
    /// [`acquire`](Self::acquire) for a semaphore held in an `Rc`: the
    /// permit keeps the semaphore alive and is `'static`, so it can move
    /// into a spawned task.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed before the permit is
    /// granted.
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire`](Self::acquire): the place in the queue is lost,
    /// a permit already granted goes back.
    pub async fn acquire_owned(self: Rc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// [`acquire_many`](Self::acquire_many) for a semaphore held in an
    /// `Rc`; see [`acquire_owned`](Self::acquire_owned).
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed before the permits are
    /// granted.
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire_many`](Self::acquire_many).
    pub async fn acquire_many_owned(
        self: Rc<Self>,
        n: usize,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        // No await between taking the permits and wrapping them, so a
        // cancellation cannot fall in between.
        let count = Acquire::new(&self, n).await?.into_count();
        Ok(OwnedSemaphorePermit::new(self, count))
    }

    /// [`try_acquire`](Self::try_acquire) for a semaphore held in an `Rc`.
    ///
    /// # Errors
    ///
    /// As for [`try_acquire`](Self::try_acquire).
    pub fn try_acquire_owned(self: Rc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// [`try_acquire_many`](Self::try_acquire_many) for a semaphore held
    /// in an `Rc`.
    ///
    /// # Errors
    ///
    /// As for [`try_acquire_many`](Self::try_acquire_many).
    pub fn try_acquire_many_owned(
        self: Rc<Self>,
        n: usize,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        let count = self.try_acquire_many(n)?.into_count();
        Ok(OwnedSemaphorePermit::new(self, count))
    }
}

impl State {
    /// Hands free permits to the head of the queue for as long as the head
    /// can be satisfied; returns the wakers of the waiters served.
    pub(super) fn grant(&mut self) -> Vec<Waker> {
        let mut wakers = Vec::new();
        while let Some(&wanted) = self.waiters.front() {
            if wanted > self.permits {
                break;
            }
            self.permits -= wanted;
            if let Some((waker, _)) = self.waiters.complete_front(Outcome::Granted) {
                wakers.push(waker);
            }
        }
        wakers
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.state.try_borrow() {
            Ok(state) => f
                .debug_struct("Semaphore")
                .field("permits", &state.permits)
                .field("closed", &state.closed)
                .finish_non_exhaustive(),
            Err(_) => f.write_str("Semaphore { <busy> }"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::test_util::Task;
    use std::task::Poll;

    #[test]
    fn fast_path_and_release() {
        let sem = Semaphore::new(2);
        let a = sem.try_acquire().unwrap();
        let b = sem.try_acquire().unwrap();
        assert_eq!(sem.available_permits(), 0);
        assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
        drop(a);
        assert_eq!(sem.available_permits(), 1);
        drop(b);
        assert_eq!(sem.available_permits(), 2);
    }

    #[test]
    fn waiters_are_served_in_fifo_order() {
        let sem = Semaphore::new(1);
        let held = sem.try_acquire().unwrap();
        let mut tasks: Vec<_> = (0..3).map(|_| Task::new(sem.acquire())).collect();
        for t in &mut tasks {
            t.pending();
        }
        drop(held);
        // Only the first waiter is woken and served.
        assert_eq!(tasks[0].wakes(), 1);
        assert_eq!(tasks[1].wakes(), 0);
        let p0 = tasks[0].ready().unwrap();
        tasks[1].pending();
        drop(p0);
        assert_eq!(tasks[1].wakes(), 1);
        assert_eq!(tasks[2].wakes(), 0);
        let p1 = tasks[1].ready().unwrap();
        drop(p1);
        let p2 = tasks[2].ready().unwrap();
        drop(p2);
        assert_eq!(sem.available_permits(), 1);
    }

    #[test]
    fn large_head_is_not_starved_by_small_requests() {
        let sem = Semaphore::new(2);
        let held = sem.try_acquire_many(2).unwrap();
        let mut big = Task::new(sem.acquire_many(3));
        big.pending();
        let mut small = Task::new(sem.acquire());
        small.pending();
        drop(held);
        // Two permits are free, but the head wants three: the small
        // request behind it must not take them, nor may try_acquire.
        assert_eq!(sem.available_permits(), 2);
        small.pending();
        assert_eq!(small.wakes(), 0);
        assert!(sem.try_acquire().is_err());
        sem.add_permits(1);
        let p = big.ready().unwrap();
        assert_eq!(p.num_permits(), 3);
        small.pending();
        drop(p);
        assert_eq!(small.ready().unwrap().num_permits(), 1);
    }

    #[test]
    fn dropped_waiter_returns_granted_permits() {
        let sem = Semaphore::new(1);
        let held = sem.try_acquire().unwrap();
        let mut first = Task::new(sem.acquire());
        let mut second = Task::new(sem.acquire());
        first.pending();
        second.pending();
        drop(held);
        // `first` was granted the permit but is cancelled before it sees it.
        assert_eq!(first.wakes(), 1);
        drop(first);
        assert_eq!(second.wakes(), 1);
        let p = second.ready().unwrap();
        drop(p);
        assert_eq!(sem.available_permits(), 1);
    }

    #[test]
    fn dropped_head_unblocks_those_behind() {
        let sem = Semaphore::new(1);
        let mut big = Task::new(sem.acquire_many(5));
        let mut small = Task::new(sem.acquire());
        big.pending();
        small.pending();
        drop(big);
        assert_eq!(small.wakes(), 1);
        assert!(small.ready().is_ok());
    }

    #[test]
    fn close_fails_waiters_but_keeps_held_permits() {
        let sem = Semaphore::new(1);
        let held = sem.try_acquire().unwrap();
        let mut waiter = Task::new(sem.acquire());
        waiter.pending();
        sem.close();
        assert_eq!(waiter.wakes(), 1);
        assert_eq!(waiter.ready().unwrap_err(), AcquireError(()));
        assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
        drop(held);
        assert_eq!(sem.available_permits(), 1);
        let mut late = Task::new(sem.acquire());
        assert!(late.ready().is_err());
    }

    #[test]
    fn granted_before_close_still_succeeds() {
        let sem = Semaphore::new(0);
        let mut waiter = Task::new(sem.acquire());
        waiter.pending();
        sem.add_permits(1);
        sem.close();
        assert!(waiter.ready().is_ok());
    }

    #[test]
    #[should_panic(expected = "MAX_PERMITS")]
    fn add_permits_overflow_panics() {
        let sem = Semaphore::new(Semaphore::MAX_PERMITS);
        sem.add_permits(1);
    }

    /// Random acquires, polls, cancellations and releases: permits are
    /// never over-granted nor lost, the head of the queue is never left
    /// waiting while enough permits are free, and every granted waiter
    /// has been woken.
    #[test]
    fn random_interleavings_conserve_permits() {
        const TOTAL: usize = 5;
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut rand = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n) as usize
        };
        let sem = Semaphore::new(TOTAL);
        for _round in 0..200 {
            let mut waiting = Vec::new();
            let mut held: Vec<SemaphorePermit<'_>> = Vec::new();
            for _step in 0..60 {
                match rand(4) {
                    0 => {
                        let mut t = Task::new(sem.acquire_many(1 + rand(3)));
                        match t.poll() {
                            Poll::Ready(p) => held.push(p.unwrap()),
                            Poll::Pending => waiting.push(t),
                        }
                    }
                    1 if !waiting.is_empty() => {
                        let i = rand(waiting.len() as u64);
                        let mut t: Task<_> = waiting.remove(i);
                        let woken = t.wakes() > 0;
                        match t.poll() {
                            Poll::Ready(p) => {
                                assert!(woken, "granted without a wake-up");
                                held.push(p.unwrap());
                            }
                            Poll::Pending => waiting.push(t),
                        }
                    }
                    2 if !waiting.is_empty() => {
                        let i = rand(waiting.len() as u64);
                        drop(waiting.remove(i));
                    }
                    _ if !held.is_empty() => {
                        let i = rand(held.len() as u64);
                        drop(held.remove(i));
                    }
                    _ => {}
                }
                let in_hand: usize = held.iter().map(|p| p.num_permits()).sum();
                let state = sem.state.borrow();
                assert!(in_hand + state.permits <= TOTAL, "over-granted");
                if let Some(&head) = state.waiters.front() {
                    assert!(
                        head > state.permits,
                        "head left waiting with enough permits"
                    );
                }
            }
            drop(held);
            drop(waiting);
            assert_eq!(sem.available_permits(), TOTAL, "permits lost");
        }
    }

    #[test]
    fn waker_is_updated_on_repoll() {
        let sem = Semaphore::new(0);
        let mut fut = Box::pin(sem.acquire());
        let w1 = crate::sync::test_util::CountingWaker::new();
        let w2 = crate::sync::test_util::CountingWaker::new();
        use crate::sync::test_util::{poll_once, CountingWakerExt};
        assert!(poll_once(fut.as_mut(), &w1).is_pending());
        assert!(poll_once(fut.as_mut(), &w2).is_pending());
        sem.add_permits(1);
        assert_eq!(w1.count(), 0);
        assert_eq!(w2.count(), 1);
    }
}
