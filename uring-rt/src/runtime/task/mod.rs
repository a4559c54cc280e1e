//! Task cells: the single heap allocation that holds a task's future, its
//! output and its waker state ([`raw`]), and the handle that joins it. The
//! user-facing spawn API is in `crate::task`.
//!
//! A task is not `Send`: it belongs to the runtime that spawned it and is
//! only ever polled or dropped on that runtime's thread. Its wakers are
//! `Send + Sync` as the `Waker` contract demands: waking from another thread
//! routes the task to its owner's inbox and unparks the owner.

mod abort;
mod error;
mod id;
mod join;
pub(crate) mod raw;

#[cfg(test)]
mod soundness_tests;

pub use abort::AbortHandle;
pub use error::JoinError;
pub use id::Id;
pub use join::JoinHandle;
pub(crate) use raw::TaskRef;
