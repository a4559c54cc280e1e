//! Tasks: spawning, joining, aborting (also from other threads, with an
//! [`AbortHandle`]), task [`Id`]s, yielding and the cooperative budget
//! ([`consume_budget`], [`unconstrained`]), and the blocking pool.
//!
//! A task is a `'static` future allocated once, in a single heap cell that
//! also holds its output. Tasks are not `Send`: each belongs to the runtime
//! that spawned it and is only ever polled or dropped on that runtime's
//! thread. Wakers, though, are `Send + Sync` as the `Waker` contract demands:
//! waking from another thread routes the task to its owner's inbox and
//! wakes the owner's ring.

#![forbid(unsafe_code)]

mod blocking;
mod consume_budget;
mod id;
mod join_set;
mod spawn;
mod unconstrained;
mod yield_now;

pub use crate::runtime::task::{AbortHandle, JoinError, JoinHandle};
pub use blocking::spawn_blocking;
pub use consume_budget::consume_budget;
pub use id::{id, try_id, Id};
pub use join_set::JoinSet;
pub use spawn::spawn;
pub use unconstrained::{unconstrained, Unconstrained};
pub use yield_now::yield_now;
