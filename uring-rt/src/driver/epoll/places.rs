//! Where each op that has not completed yet is waiting, by key, so that a
//! cancellation finds it in O(1).
//!
//! Keys are the driver's slab keys, `(generation << 32) | index`; indexes
//! are dense, so the table is a `Vec` indexed by the low 32 bits that also
//! stores the whole key (a slot reused by a later op never matches).

use std::os::fd::RawFd;

use crate::driver::INTERNAL_KEY;

/// Where an op waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// Parked on a descriptor, as a reader or writer.
    Fd(RawFd),
    /// Running on the blocking pool (cannot be interrupted).
    Pool,
    /// A `Timeout` in the deadline heap.
    Timer,
}

#[derive(Debug, Default)]
pub(super) struct Places {
    slots: Vec<Option<(u64, Place)>>,
}

impl Places {
    pub(super) fn set(&mut self, key: u64, place: Place) {
        debug_assert!(key & INTERNAL_KEY == 0, "internal keys are never parked");
        let i = key as u32 as usize;
        if i >= self.slots.len() {
            self.slots.resize((i + 1).next_power_of_two().max(64), None);
        }
        self.slots[i] = Some((key, place));
    }

    pub(super) fn get(&self, key: u64) -> Option<Place> {
        match self.slots.get(key as u32 as usize) {
            Some(Some((k, place))) if *k == key => Some(*place),
            _ => None,
        }
    }

    /// Forgets `key` (it completed or was cancelled).
    pub(super) fn clear(&mut self, key: u64) {
        if let Some(slot) = self.slots.get_mut(key as u32 as usize) {
            if matches!(slot, Some((k, _)) if *k == key) {
                *slot = None;
            }
        }
    }
}
