//! The thread-local pointer to the runtime running on this thread, and the
//! accessors runtime-only functions use to reach it.

use std::cell::Cell;
use std::ptr::{self, NonNull};
use std::rc::Rc;
use std::sync::Arc;

use super::core::Core;
use super::task::TaskRef;
use super::time::Timers;
use super::Shared;
use crate::driver::context::{DriverGuard, OUTSIDE};

thread_local! {
    static CURRENT: Cell<Option<NonNull<Core>>> = const { Cell::new(None) };
}

/// Restores the previous runtime pointer when dropped.
pub(crate) struct EnterGuard {
    prev: Option<NonNull<Core>>,
    _driver: DriverGuard,
    // Keeps the core alive while it is reachable through CURRENT.
    core: Rc<Core>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        self.core.entered(false);
        CURRENT.with(|c| c.set(self.prev));
    }
}

/// Makes `core` the current runtime for the guard's lifetime.
///
/// # Panics
///
/// Panics if a runtime is already running on this thread (`block_on` inside
/// `block_on` would block the outer runtime's tasks).
#[track_caller]
pub(crate) fn enter(core: &Rc<Core>) -> EnterGuard {
    let prev = CURRENT.with(|c| c.get());
    if prev.is_some() {
        panic!(
            "cannot start an aio runtime from inside another one (`block_on` would block \
             the running runtime's thread); spawn the future with `aio::spawn` instead"
        );
    }
    CURRENT.with(|c| c.set(Some(NonNull::from(&**core))));
    core.entered(true);
    EnterGuard {
        prev,
        _driver: crate::driver::context::enter(core.driver()),
        core: core.clone(),
    }
}

/// Like `enter`, for dropping a runtime (which may happen while another
/// runtime is current, e.g. a runtime built and dropped inside a task).
pub(crate) fn enter_for_shutdown(core: &Rc<Core>) -> EnterGuard {
    let prev = CURRENT.with(|c| c.replace(Some(NonNull::from(&**core))));
    core.entered(true);
    EnterGuard {
        prev,
        _driver: crate::driver::context::enter(core.driver()),
        core: core.clone(),
    }
}

/// Runs `f` with the current runtime, or returns `None` outside one.
pub(crate) fn try_with_core<R>(f: impl FnOnce(&Core) -> R) -> Option<R> {
    let ptr = CURRENT.try_with(|c| c.get()).ok().flatten()?;
    // SAFETY: CURRENT is only set by an EnterGuard, which holds an Rc to the
    // core for as long as the pointer is installed, and the core is only
    // used on this thread.
    Some(f(unsafe { ptr.as_ref() }))
}

/// Runs `f` with the current runtime.
///
/// # Panics
///
/// Panics outside a runtime, with a message saying how to get one.
#[track_caller]
pub(crate) fn with_core<R>(f: impl FnOnce(&Core) -> R) -> R {
    match CURRENT.try_with(|c| c.get()).ok().flatten() {
        // SAFETY: as in try_with_core.
        Some(ptr) => f(unsafe { ptr.as_ref() }),
        None => panic!("{OUTSIDE}"),
    }
}

/// Whether a runtime is running on this thread.
pub(crate) fn in_runtime() -> bool {
    try_with_core(|_| ()).is_some()
}

/// Panics unless a runtime is running on this thread, naming `function`
/// (a path such as `aio::time::sleep`) and the caller's line.
#[track_caller]
pub(crate) fn assert_in_runtime(function: &str) {
    if !in_runtime() {
        panic!("`{function}` {OUTSIDE}");
    }
}

/// Runs `f` on the current runtime's timers.
///
/// # Panics
///
/// Panics outside a runtime.
#[track_caller]
pub(crate) fn with_timers<R>(f: impl FnOnce(&mut Timers) -> R) -> R {
    with_core(|core| f(&mut core.timers().borrow_mut()))
}

/// Runs `f` on the current runtime's timers, or returns `None` outside a
/// runtime (for `Drop` impls).
pub(crate) fn try_with_timers<R>(f: impl FnOnce(&mut Timers) -> R) -> Option<R> {
    try_with_core(|core| core.timers().try_borrow_mut().ok().map(|mut t| f(&mut t))).flatten()
}

/// Whether the runtime behind `shared` is the one running on this thread.
pub(crate) fn is_owner(shared: &Arc<Shared>) -> bool {
    try_with_core(|core| ptr::eq(Arc::as_ptr(core.shared()), Arc::as_ptr(shared))).unwrap_or(false)
}

/// Schedules a woken task: straight onto the run queue when its runtime is
/// the one on this thread, through its owner's inbox otherwise.
pub(crate) fn schedule(task: TaskRef) {
    if let Some(ptr) = CURRENT.try_with(|c| c.get()).ok().flatten() {
        // SAFETY: as in try_with_core.
        let core = unsafe { ptr.as_ref() };
        if ptr::eq(Arc::as_ptr(core.shared()), Arc::as_ptr(task.owner())) {
            core.schedule_local(task);
            return;
        }
    }
    // Keep the owner alive across the push: if the runtime is gone, the push
    // releases the task, which may be the last owner of `Shared`.
    let owner = task.owner().clone();
    owner.push_remote(task);
}

/// The current runtime's counters, or `None` outside a runtime.
pub(crate) fn try_counts() -> Option<super::metrics::Counts> {
    try_with_core(Core::counts)
}
