//! The timer wheel's entry slab: entries in one `Vec`, free ones chained
//! through `next`, each with a generation that changes whenever it is freed.

use std::task::Waker;

/// "No entry" in an index link.
pub(super) const NIL: u32 = u32::MAX;
/// `Entry::list` of a free entry.
pub(super) const FREE: u16 = u16::MAX;
/// `Entry::list` of an entry found due during `Timers::expire`, on no list
/// and about to be freed.
pub(super) const DUE: u16 = u16::MAX - 1;

/// One timer.
///
/// States, by `list`: a slot or expired list id (pending, linked through
/// `prev`/`next`), [`DUE`] (fired, only inside `Timers::expire`), or
/// [`FREE`] (on the free list through `next`, `waker` is `None`). Only the
/// wheel moves an entry between them.
#[derive(Debug)]
pub(super) struct Entry {
    /// Exact deadline, in nanoseconds since the wheel's origin.
    pub(super) deadline: u64,
    /// Arming order, to break deadline ties.
    pub(super) seq: u64,
    /// Woken when the timer fires; `None` only while free.
    waker: Option<Waker>,
    /// Previous entry on the same list, or [`NIL`].
    pub(super) prev: u32,
    /// Next entry on the same list (or the free list), or [`NIL`].
    pub(super) next: u32,
    /// Bumped each time the entry is freed; keys carry the value they saw.
    pub(super) generation: u32,
    /// Which list holds the entry (see the type docs).
    pub(super) list: u16,
}

impl Entry {
    /// Stores `waker` unless the current one would wake the same task.
    pub(super) fn set_waker(&mut self, waker: &Waker) {
        match &mut self.waker {
            Some(current) if current.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
    }
}

/// Entries plus a free list; indices stay valid until freed, and freed
/// entries are reused before the `Vec` grows.
#[derive(Debug)]
pub(super) struct Slab {
    entries: Vec<Entry>,
    free_head: u32,
}

impl Slab {
    pub(super) fn new() -> Self {
        Slab {
            entries: Vec::new(),
            free_head: NIL,
        }
    }

    /// Entries allocated so far, live or free.
    pub(super) fn capacity(&self) -> usize {
        self.entries.len()
    }

    /// Stores a new free-standing entry (on no list yet); returns its index
    /// and generation.
    pub(super) fn alloc(&mut self, deadline: u64, seq: u64, waker: Waker) -> (u32, u32) {
        if self.free_head != NIL {
            let index = self.free_head;
            let entry = &mut self.entries[index as usize];
            self.free_head = entry.next;
            entry.deadline = deadline;
            entry.seq = seq;
            entry.waker = Some(waker);
            entry.prev = NIL;
            entry.next = NIL;
            entry.list = DUE;
            return (index, entry.generation);
        }
        let index = u32::try_from(self.entries.len())
            .ok()
            .filter(|&i| i != NIL)
            .expect("more than u32::MAX - 1 timers pending at once");
        self.entries.push(Entry {
            deadline,
            seq,
            waker: Some(waker),
            prev: NIL,
            next: NIL,
            generation: 0,
            list: DUE,
        });
        (index, 0)
    }

    /// Frees an entry that is on no list; returns its waker.
    pub(super) fn free(&mut self, index: u32) -> Waker {
        let entry = &mut self.entries[index as usize];
        debug_assert_ne!(entry.list, FREE, "double free of timer entry {index}");
        entry.generation = entry.generation.wrapping_add(1);
        entry.list = FREE;
        entry.prev = NIL;
        entry.next = self.free_head;
        self.free_head = index;
        match entry.waker.take() {
            Some(waker) => waker,
            None => unreachable!("a pending timer entry always holds a waker"),
        }
    }

    pub(super) fn get(&self, index: u32) -> &Entry {
        &self.entries[index as usize]
    }

    pub(super) fn get_mut(&mut self, index: u32) -> &mut Entry {
        &mut self.entries[index as usize]
    }

    pub(super) fn try_get(&self, index: u32) -> Option<&Entry> {
        self.entries.get(index as usize)
    }
}
