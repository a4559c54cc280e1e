//! [`current()`]: the core the calling thread was launched for.

use std::cell::Cell;

use super::CoreId;

thread_local! {
    static CURRENT: Cell<Option<CoreId>> = const { Cell::new(None) };
}

/// The core this thread runs, when it is one of the threads started by
/// [`Cores::run`](super::Cores::run); `None` on any other thread (the main
/// thread, a plain `std::thread`, the blocking pool).
///
/// ```
/// assert_eq!(aio::cores::current(), None);
/// ```
pub fn current() -> Option<CoreId> {
    CURRENT.with(Cell::get)
}

/// Marks the calling thread as running `core` for the rest of its life.
pub(crate) fn set_current(core: CoreId) {
    CURRENT.with(|c| c.set(Some(core)));
}
