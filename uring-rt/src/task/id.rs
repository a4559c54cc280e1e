//! [`id`] and [`try_id`]: which task is running.

pub use crate::runtime::task::Id;

/// The [`Id`] of the task this is called from.
///
/// Inside a spawned task's future, and inside its destructors when the
/// runtime drops it (after an abort, at shutdown, or after a panic), this
/// is the same id as the task's [`JoinHandle::id`](super::JoinHandle::id).
///
/// # Panics
///
/// Panics outside a spawned task: outside a runtime, and in the root
/// future of `block_on`, which is not a task (as tokio's `task::id`
/// panics there). Use [`try_id`] where that can happen.
///
/// # Examples
///
/// ```
/// # aio::Runtime::new().unwrap().block_on(async {
/// let handle = aio::spawn(async { aio::task::id() });
/// assert_eq!(handle.id(), handle.await.unwrap());
/// # });
/// ```
#[track_caller]
pub fn id() -> Id {
    match try_id() {
        Some(id) => id,
        None => panic!(
            "`aio::task::id` must be called from inside a task spawned with `aio::spawn` \
             (the root future of `block_on` is not a task); use `aio::task::try_id` to get \
             `None` there instead"
        ),
    }
}

/// The [`Id`] of the task this is called from, or `None` outside a spawned
/// task (outside a runtime, and in the root future of `block_on`).
///
/// # Examples
///
/// ```
/// assert_eq!(aio::task::try_id(), None);
/// # aio::Runtime::new().unwrap().block_on(async {
/// assert!(aio::spawn(async { aio::task::try_id() }).await.unwrap().is_some());
/// # });
/// ```
pub fn try_id() -> Option<Id> {
    Id::current()
}
