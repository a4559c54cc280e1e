//! Blocking on a future from a plain thread: a [`Waker`] that unparks the
//! thread, for [`Sender::send_blocking`](super::Sender::send_blocking) and
//! friends.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs `fut` to completion on the calling thread, parking it while the
/// future is pending.
///
/// # Panics
/// If called on a thread that runs an aio runtime: parking would stall
/// every task of that core. `what` names the caller in the message.
#[track_caller]
pub(crate) fn block_on_thread<F: Future>(what: &str, fut: F) -> F::Output {
    assert!(
        !crate::runtime::context::in_runtime(),
        "{what} blocks the thread and must not be called from inside an aio runtime; \
         use the async version (`.await`) there"
    );
    let mut fut = pin!(fut);
    let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(v) => return v,
            // A spurious unpark only costs one more poll.
            Poll::Pending => thread::park(),
        }
    }
}
