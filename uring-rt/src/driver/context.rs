//! The driver of the runtime running on this thread.
//!
//! The runtime installs its driver here for the span of `block_on` (and of
//! its own shutdown); ops find their driver through it, and an unpark from
//! this thread finds the ring to send its MSG_RING from. Owned by the
//! driver so the driver needs nothing from the layers above it.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use super::{IoDriver, Unparker};

/// The panic message of every runtime-only function called outside one.
pub(crate) const OUTSIDE: &str = "must be called from inside an aio runtime; use \
                                  `#[aio::main]`, `#[aio::test]` or `Runtime::block_on`";

thread_local! {
    static CURRENT: RefCell<Option<Rc<IoDriver>>> = const { RefCell::new(None) };
}

/// Restores the previously installed driver when dropped.
pub(crate) struct DriverGuard {
    prev: Option<Rc<IoDriver>>,
}

impl Drop for DriverGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        // During thread teardown the slot may be gone already; nothing to
        // restore then.
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = prev);
    }
}

/// Makes `driver` this thread's driver until the guard drops.
pub(crate) fn enter(driver: &Rc<IoDriver>) -> DriverGuard {
    let prev = CURRENT.with(|c| c.borrow_mut().replace(driver.clone()));
    DriverGuard { prev }
}

/// This thread's driver.
///
/// # Panics
///
/// Panics outside a runtime, with a message saying how to get one.
#[track_caller]
pub(crate) fn current() -> Rc<IoDriver> {
    match try_with(|d| d.clone()) {
        Some(d) => d,
        None => panic!("{OUTSIDE}"),
    }
}

/// Runs `f` with this thread's driver, or returns `None` outside a runtime.
pub(crate) fn try_with<R>(f: impl FnOnce(&Rc<IoDriver>) -> R) -> Option<R> {
    CURRENT
        .try_with(|c| c.borrow().as_ref().map(f))
        .ok()
        .flatten()
}

/// Queues a MSG_RING waking `target` on this thread's ring, if this thread
/// runs an io_uring runtime other than `target`'s own. False otherwise (the
/// caller signals the eventfd).
pub(super) fn try_msg_ring(target: &Arc<Unparker>) -> bool {
    try_with(|d| !Arc::ptr_eq(d.unparker(), target) && d.msg_ring(target)).unwrap_or(false)
}
