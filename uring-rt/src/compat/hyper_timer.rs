//! [`HyperTimer`]: hyper's timers on aio's timer wheel (feature `hyper`).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use slab::Slab;

use crate::time;

thread_local! {
    /// The `aio::time::Sleep` behind each live [`HyperSleep`] made on this
    /// thread. hyper requires its sleeps to be `Send + Sync`, which aio's
    /// core-local `Sleep` is not, so a `HyperSleep` holds only a key into
    /// this table (and the thread that owns it), with no unsafe code.
    static SLEEPS: RefCell<Slab<time::Sleep>> = const { RefCell::new(Slab::new()) };
}

/// hyper's [`Timer`](hyper::rt::Timer) on aio's timer wheel: header-read
/// timeouts, HTTP/2 keep-alive pings and the like, armed on the current
/// core. `reset` moves an armed timer in place.
///
/// Pass it to a hyper connection builder's `timer` method.
///
/// # Panics
///
/// The sleeps it makes panic if polled outside an aio runtime, or on
/// another thread than the one that made them (hyper polls them from the
/// connection that asked, which stays on its core).
#[derive(Clone, Copy, Debug, Default)]
pub struct HyperTimer;

impl HyperTimer {
    /// The timer (a unit value: it arms timers on whichever core polls
    /// them).
    pub fn new() -> HyperTimer {
        HyperTimer
    }
}

impl hyper::rt::Timer for HyperTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep_until(self.now() + duration)
    }

    /// The runtime's clock: virtual while it is paused (`aio::time::pause`).
    fn now(&self) -> Instant {
        time::Instant::now().into_std()
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep::new(deadline))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<HyperSleep>() {
            Some(ours) => ours.get_mut().reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// One of hyper's sleeps: a key into this thread's table of aio sleeps.
#[derive(Debug)]
struct HyperSleep {
    key: usize,
    thread: ThreadId,
}

impl HyperSleep {
    fn new(deadline: Instant) -> HyperSleep {
        let key = SLEEPS.with(|s| s.borrow_mut().insert(time::sleep_until(deadline)));
        HyperSleep {
            key,
            thread: thread::current().id(),
        }
    }

    /// Runs `f` on this sleep's aio `Sleep`.
    #[track_caller]
    fn with<R>(&self, f: impl FnOnce(Pin<&mut time::Sleep>) -> R) -> R {
        assert!(
            thread::current().id() == self.thread,
            "a sleep from aio::compat::HyperTimer was used on another thread than the one \
             that made it; hyper connections on aio must stay on their core"
        );
        SLEEPS.with(|s| f(Pin::new(&mut s.borrow_mut()[self.key])))
    }

    fn reset(&mut self, deadline: Instant) {
        self.with(|sleep| sleep.reset(deadline));
    }
}

impl Future for HyperSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.with(|sleep| sleep.poll(cx))
    }
}

impl hyper::rt::Sleep for HyperSleep {}

impl Drop for HyperSleep {
    fn drop(&mut self) {
        if thread::current().id() != self.thread {
            // Dropped elsewhere: its entry stays behind on its own thread
            // (harmless; the timer it may have armed fires into a dead
            // waker list entry and is removed then).
            return;
        }
        // Taken out first, so the aio `Sleep` disarms outside the borrow.
        let sleep = SLEEPS
            .try_with(|s| {
                s.try_borrow_mut()
                    .ok()
                    .and_then(|mut s| s.try_remove(self.key))
            })
            .ok()
            .flatten();
        drop(sleep);
    }
}
