//! Tasks: spawning, joining, aborting, yielding, and the blocking pool.
//!
//! A task is a `'static` future allocated once, in a single heap cell that
//! also holds its output ([`raw`]). Tasks are not `Send`: each belongs to the
//! runtime that spawned it and is only ever polled or dropped on that
//! runtime's thread. Wakers, though, are `Send + Sync` as the `Waker` contract
//! demands: waking from another thread routes the task to its owner's inbox
//! and signals the owner's ring ([`waker`]).

mod blocking;
mod error;
mod join;
pub(crate) mod raw;
mod spawn;
mod yield_now;

#[cfg(test)]
mod soundness_tests;

pub use blocking::spawn_blocking;
pub(crate) use blocking::BlockingPool;
pub use error::JoinError;
pub use join::JoinHandle;
pub use spawn::spawn;
pub use yield_now::yield_now;
