//! A std-only harness for driving `sync` futures by hand in unit tests:
//! a waker that counts its wakes, and a one-shot poll.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// Counts how many times its wakers were woken.
#[derive(Debug, Default)]
pub(crate) struct CountingWaker {
    wakes: AtomicUsize,
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

impl CountingWaker {
    /// A fresh counter.
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(CountingWaker::default())
    }
}

/// Helpers on `Arc<CountingWaker>`.
pub(crate) trait CountingWakerExt {
    /// A waker that bumps this counter.
    fn waker(&self) -> Waker;
    /// How many wakes so far.
    fn count(&self) -> usize;
}

impl CountingWakerExt for Arc<CountingWaker> {
    fn waker(&self) -> Waker {
        Waker::from(Arc::clone(self))
    }

    fn count(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }
}

/// Polls `fut` once with `w`'s waker.
pub(crate) fn poll_once<F: Future + ?Sized>(
    fut: Pin<&mut F>,
    w: &Arc<CountingWaker>,
) -> Poll<F::Output> {
    let waker = w.waker();
    let mut cx = Context::from_waker(&waker);
    fut.poll(&mut cx)
}

/// A future pinned on the heap together with its own wake counter, for
/// tests that juggle several waiters.
pub(crate) struct Task<F: Future> {
    fut: Pin<Box<F>>,
    /// The wake counter this task's polls register.
    pub(crate) waker: Arc<CountingWaker>,
}

impl<F: Future> Task<F> {
    /// Wraps `fut`.
    pub(crate) fn new(fut: F) -> Self {
        Task {
            fut: Box::pin(fut),
            waker: CountingWaker::new(),
        }
    }

    /// Polls once.
    pub(crate) fn poll(&mut self) -> Poll<F::Output> {
        poll_once(self.fut.as_mut(), &self.waker)
    }

    /// How often this task was woken.
    pub(crate) fn wakes(&self) -> usize {
        self.waker.count()
    }

    /// Polls once and expects `Pending`.
    #[track_caller]
    pub(crate) fn pending(&mut self) {
        assert!(
            self.poll().is_pending(),
            "expected the future to be pending"
        );
    }

    /// Polls once and expects `Ready`, returning the output.
    #[track_caller]
    pub(crate) fn ready(&mut self) -> F::Output {
        match self.poll() {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("expected the future to be ready"),
        }
    }
}
