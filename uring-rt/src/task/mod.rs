//! Tasks: spawning, joining, aborting, yielding, and the blocking pool.
//!
//! A task is a `'static` future allocated once, in a single heap cell that
//! also holds its output. Tasks are not `Send`: each belongs to the runtime
//! that spawned it and is only ever polled or dropped on that runtime's
//! thread. Wakers, though, are `Send + Sync` as the `Waker` contract demands:
//! waking from another thread routes the task to its owner's inbox and
//! wakes the owner's ring.

#![forbid(unsafe_code)]

mod blocking;
mod join_set;
mod spawn;
mod yield_now;

pub use crate::runtime::task::{JoinError, JoinHandle};
pub use blocking::spawn_blocking;
pub use join_set::JoinSet;
pub use spawn::spawn;
pub use yield_now::yield_now;
