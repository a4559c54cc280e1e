//! [`Shutdown`]: a token every core can watch to stop taking new work and
//! wait for the work in flight to finish.
//!
//! # State
//!
//! - `triggered`: `false` until the first [`Shutdown::trigger`], then
//!   `true` for ever.
//! - `in_flight`: live [`InFlight`] guards.
//! - `waiters`: wakers of parked [`wait`](Shutdown::wait) and
//!   [`drained`](Shutdown::drained) futures.
//!
//! Every change that can complete a waiter (setting `triggered`, `in_flight`
//! reaching zero after the trigger) is made first and then the waiters are
//! taken under the `waiters` lock; every waiter registers under that lock
//! and then re-checks the state before returning `Pending`. Whichever runs
//! second sees the other, so no wakeup is lost.

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use slab::Slab;

/// A cloneable, `Send + Sync` shutdown token shared by every core.
///
/// One side calls [`trigger`](Self::trigger) (often a signal:
/// [`trigger_on_signal`](Self::trigger_on_signal)); the cores race their
/// accept loops against it with [`until`](Self::until), count the
/// connections they serve with [`track`](Self::track), and wait for those to
/// finish with [`drained`](Self::drained). See the [module
/// docs](super#graceful-shutdown) for the whole pattern.
///
/// Waiting costs no CPU: parked futures are woken through their wakers
/// (for a task on a core, through that core's ring).
#[derive(Clone, Default)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    triggered: AtomicBool,
    in_flight: AtomicUsize,
    waiters: Mutex<Parked>,
}

/// Parked wakers. Slab slots are reused after a wake-all, so each entry
/// carries a unique id and a future's key is `(slot, id)`: a woken future
/// whose slot now holds someone else's entry sees the id differ.
#[derive(Default)]
struct Parked {
    slab: Slab<(u64, Waker)>,
    next_id: u64,
}

impl Parked {
    fn get_mut(&mut self, key: (usize, u64)) -> Option<&mut Waker> {
        match self.slab.get_mut(key.0) {
            Some((id, w)) if *id == key.1 => Some(w),
            _ => None,
        }
    }

    fn insert(&mut self, waker: Waker) -> (usize, u64) {
        let id = self.next_id;
        self.next_id += 1;
        (self.slab.insert((id, waker)), id)
    }

    fn remove(&mut self, key: (usize, u64)) {
        if self.get_mut(key).is_some() {
            self.slab.remove(key.0);
        }
    }
}

impl Shutdown {
    /// A token that has not been triggered.
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    /// Starts the shutdown: every [`wait`](Self::wait) completes, every
    /// [`until`](Self::until) returns `None`, and [`drained`](Self::drained)
    /// completes once no [`InFlight`] guard is left. Triggering again does
    /// nothing. Callable from any thread, inside or outside a runtime.
    pub fn trigger(&self) {
        if !self.inner.triggered.swap(true, SeqCst) {
            self.inner.wake_all();
        }
    }

    /// `true` once [`trigger`](Self::trigger) was called.
    pub fn is_triggered(&self) -> bool {
        self.inner.triggered.load(SeqCst)
    }

    /// Completes once the token is triggered.
    ///
    /// # Cancel safety
    /// Cancel safe: dropping it only removes its registration.
    pub fn wait(&self) -> ShutdownWait<'_> {
        ShutdownWait {
            inner: &self.inner,
            key: None,
            until_drained: false,
        }
    }

    /// Runs `fut` until it completes (`Some(output)`) or the token is
    /// triggered (`None`), whichever comes first. The trigger is checked
    /// first, so once triggered `fut` is not polled again.
    ///
    /// Made for accept loops:
    /// `while let Some(conn) = shutdown.until(listener.accept()).await { .. }`.
    ///
    /// # Cancel safety
    /// As cancel safe as `fut`: when the trigger wins, `fut` is dropped. Do
    /// not race operations whose results must not be lost (a `read` that
    /// may already hold bytes); an accept that is cancelled closes the
    /// connection it may have accepted, which the client sees as refused or
    /// reset before it was served, never in the middle of a message.
    pub async fn until<F: Future>(&self, fut: F) -> Option<F::Output> {
        let mut fut = pin!(fut);
        let mut wait = self.wait();
        poll_fn(|cx| {
            if Pin::new(&mut wait).poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            fut.as_mut().poll(cx).map(Some)
        })
        .await
    }

    /// Counts one unit of work in flight (typically a connection) until the
    /// returned guard is dropped; [`drained`](Self::drained) waits for all
    /// of them. The guard is `Send`, so it may move with the work.
    pub fn track(&self) -> InFlight {
        self.inner.in_flight.fetch_add(1, SeqCst);
        InFlight {
            inner: Arc::clone(&self.inner),
        }
    }

    /// The number of live [`InFlight`] guards.
    pub fn in_flight(&self) -> usize {
        self.inner.in_flight.load(SeqCst)
    }

    /// Completes once the token is triggered and no [`InFlight`] guard is
    /// left (across every core). Bound it with `aio::time::timeout` to give
    /// in-flight work a grace period.
    ///
    /// # Cancel safety
    /// Cancel safe: dropping it only removes its registration.
    pub fn drained(&self) -> ShutdownWait<'_> {
        ShutdownWait {
            inner: &self.inner,
            key: None,
            until_drained: true,
        }
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Parked> {
        // The slab is only inserted into, indexed and drained; a panic in a
        // `Waker::clone` cannot leave it half-updated.
        self.waiters.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wake_all(&self) {
        let wakers: Vec<Waker> = self.lock().slab.drain().map(|(_, w)| w).collect();
        for w in wakers {
            w.wake();
        }
    }

    fn done(&self, until_drained: bool) -> bool {
        self.triggered.load(SeqCst) && (!until_drained || self.in_flight.load(SeqCst) == 0)
    }
}

impl fmt::Debug for Shutdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shutdown")
            .field("triggered", &self.is_triggered())
            .field("in_flight", &self.in_flight())
            .finish()
    }
}

/// The future of [`Shutdown::wait`] and [`Shutdown::drained`].
///
/// # Cancel safety
/// Cancel safe.
#[must_use = "futures do nothing unless awaited"]
pub struct ShutdownWait<'a> {
    inner: &'a Inner,
    /// `(slot, id)` in `inner.waiters` while registered.
    key: Option<(usize, u64)>,
    until_drained: bool,
}

impl Future for ShutdownWait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.inner.done(this.until_drained) {
            this.deregister();
            return Poll::Ready(());
        }
        let mut waiters = this.inner.lock();
        match this.key.and_then(|k| waiters.get_mut(k)) {
            Some(w) => w.clone_from(cx.waker()),
            // Never registered, or woken (its slot was drained): register.
            None => this.key = Some(waiters.insert(cx.waker().clone())),
        }
        // Re-check under the lock (see the module docs).
        if this.inner.done(this.until_drained) {
            if let Some(k) = this.key.take() {
                waiters.remove(k);
            }
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl ShutdownWait<'_> {
    fn deregister(&mut self) {
        if let Some(k) = self.key.take() {
            self.inner.lock().remove(k);
        }
    }
}

impl Drop for ShutdownWait<'_> {
    fn drop(&mut self) {
        self.deregister();
    }
}

impl fmt::Debug for ShutdownWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShutdownWait")
            .field("until_drained", &self.until_drained)
            .finish_non_exhaustive()
    }
}

/// A unit of work counted by [`Shutdown::track`]; dropping it ends the
/// work. `Send`, so it can move into a task or another thread.
pub struct InFlight {
    inner: Arc<Inner>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let left = self.inner.in_flight.fetch_sub(1, SeqCst) - 1;
        if left == 0 && self.inner.triggered.load(SeqCst) {
            self.inner.wake_all();
        }
    }
}

impl fmt::Debug for InFlight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InFlight")
    }
}
