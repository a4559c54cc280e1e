//! Cancellation scopes: how a deadline reaches the kernel operation a
//! future (however deeply nested) is waiting on, without dropping it.
//!
//! Dropping a future that waits on an `Op` cancels the op too, but the
//! op's buffer then stays with the driver until the kernel lets go, so the
//! caller loses it, and any bytes the kernel delivered meanwhile. A
//! deadline that wants the buffer back polls the future inside
//! [`requesting`] instead: every op polled there asks its driver for a
//! cancellation (once) and goes on waiting for its completion, which then
//! comes back through the future as usual: `ECANCELED`, or the result the
//! kernel reached first.
//!
//! A leaf: `time::cancel_after` opens scopes, the driver's `Op` reads them.

use std::cell::Cell;

thread_local! {
    static REQUESTED: Cell<bool> = const { Cell::new(false) };
}

/// Restores the enclosing scope's state.
struct Restore(bool);

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = REQUESTED.try_with(|r| r.set(self.0));
    }
}

/// Runs `f` (a poll) with cancellation requested for every op it polls.
pub(crate) fn requesting<R>(f: impl FnOnce() -> R) -> R {
    let _restore = Restore(REQUESTED.with(|r| r.replace(true)));
    f()
}

/// Whether the op being polled should cancel itself.
#[inline]
pub(crate) fn requested() -> bool {
    REQUESTED.with(Cell::get)
}
