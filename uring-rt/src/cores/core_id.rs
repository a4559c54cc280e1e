//! [`CoreId`]: which core of a [`Cores`](super::Cores) set a thread runs.

use std::fmt;

/// One core of a launched [`Cores`](super::Cores) set: the CPU it runs on
/// and its position in the set.
///
/// Ordering, equality and hashing compare the position first, then the CPU,
/// so sorting `CoreId`s of one set gives core order (the order of
/// [`Cores::run`](super::Cores::run)'s results).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CoreId {
    index: usize,
    cpu: usize,
}

impl CoreId {
    pub(crate) fn new(index: usize, cpu: usize) -> CoreId {
        CoreId { index, cpu }
    }

    /// The CPU number (as the kernel numbers CPUs, e.g. for
    /// `sched_getcpu()`) this core runs on.
    pub fn id(self) -> usize {
        self.cpu
    }

    /// The position of this core in its set: `0..n` for a set of `n` cores,
    /// handy for indexing per-core tables (shards, channels).
    pub fn index(self) -> usize {
        self.index
    }
}

impl fmt::Debug for CoreId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoreId")
            .field("index", &self.index)
            .field("cpu", &self.cpu)
            .finish()
    }
}

impl fmt::Display for CoreId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "core {} (cpu {})", self.index, self.cpu)
    }
}
