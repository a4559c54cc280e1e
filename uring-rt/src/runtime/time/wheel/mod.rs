//! The runtime's one timer structure: a hashed hierarchical timing wheel.
//!
//! Each runtime owns a single [`Timers`] (behind a `RefCell`, reached through
//! `runtime::context::with_timers`). The user-facing futures in `time/`
//! (`Sleep`, `Timeout`, `Interval`) register a deadline and a waker here; the
//! runtime calls [`Timers::fire`] once per loop turn and bounds its ring wait
//! by [`Timers::next_deadline`]. No timer costs a syscall.
//!
//! # Layout
//!
//! Time is counted in ticks of [`TICK`] (1 ms) since `origin`, the instant the
//! wheel was made. A deadline is rounded **up** to a whole tick, so an entry
//! filed under tick `t` may fire once `now >= origin + t ms`, which is never
//! before its deadline; [`Timers::fire`] still compares the exact deadline
//! before waking anything.
//!
//! There are [`NUM_LEVELS`] levels of [`SLOTS`] slots. A slot on level `k`
//! covers `64^k` ticks, so the wheel spans `64^6` ms (about 795 days) ahead
//! of `elapsed`, the last tick processed; a deadline beyond that is parked on
//! the top level and re-filed each time its slot comes round, until it is in
//! range. An entry is filed on the level of the highest base-64 digit in which
//! its tick differs from `elapsed` (the same rule as tokio's wheel), which
//! keeps this invariant: every entry on level `k` lies in the same
//! level-`k+1` window as `elapsed`, so all of level `k` expires before
//! anything on level `k+1`, and the nearest deadline is found from one
//! 64-bit occupancy mask per level. When a slot above level 0 comes due its
//! entries are re-filed relative to the new `elapsed` ("cascade"); an entry
//! whose tick is already `<= elapsed` goes to the *expired* list, which
//! `fire` drains.
//!
//! Entries live in a slab (`Vec<Entry>` plus a free list), each slot is an
//! index-linked doubly linked list, and every entry records which list holds
//! it, so insert, re-arm and remove are O(1) and allocation-free once the
//! slab has grown to the peak number of live timers. Freed entries bump a
//! generation counter, so a stale [`TimerKey`] (for a timer that has fired or
//! was removed) is recognised and ignored.

mod entry;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicU32, Ordering};
use std::task::Waker;
use std::time::{Duration, Instant};

use entry::{Slab, NIL};

/// Wheel resolution.
pub(crate) const TICK: Duration = Duration::from_millis(1);
const NANOS_PER_TICK: u64 = TICK.as_nanos() as u64;
/// log2 of [`SLOTS`].
const LEVEL_BITS: u32 = 6;
/// Slots per level.
const SLOTS: usize = 1 << LEVEL_BITS;
/// Levels in the wheel.
const NUM_LEVELS: usize = 6;
/// Ticks the wheel spans ahead of `elapsed` before clamping to the top level.
const MAX_TICKS: u64 = 1 << (LEVEL_BITS as usize * NUM_LEVELS);
/// List id of the expired list (the slot lists are `level * SLOTS + slot`).
const EXPIRED: u16 = (NUM_LEVELS * SLOTS) as u16;
/// Number of lists: every slot, plus the expired list.
const LISTS: usize = NUM_LEVELS * SLOTS + 1;

/// Hands every wheel a distinct id, so a key from another runtime's wheel is
/// treated as stale instead of naming an unrelated entry.
static NEXT_WHEEL_ID: AtomicU32 = AtomicU32::new(0);

/// Names one timer in a [`Timers`]. Cheap to copy; once the timer has fired
/// or been removed the key is stale and every operation on it is a no-op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerKey {
    index: u32,
    generation: u32,
    wheel: u32,
}

/// The runtime's timer wheel. See the module docs for the layout.
pub(crate) struct Timers {
    /// Distinguishes this wheel's keys from other wheels'.
    id: u32,
    /// Tick 0.
    origin: Instant,
    /// The last tick processed: every slot for ticks `<= elapsed` is empty.
    elapsed: u64,
    /// The entries and their free list.
    slab: Slab,
    /// Head entry of each list (`NIL` when empty).
    heads: [u32; LISTS],
    /// Bit `s` of `occupied[k]` is set when slot `s` of level `k` is non-empty.
    occupied: [u64; NUM_LEVELS],
    /// Pending (armed, not yet fired) timers.
    len: usize,
    /// Insertion counter: orders timers with equal deadlines.
    next_seq: u64,
    /// Reused by `expire`: the timers found due, before sorting.
    due: Vec<(u64, u64, u32)>,
}

impl std::fmt::Debug for Timers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timers")
            .field("origin", &self.origin)
            .field("elapsed_ticks", &self.elapsed)
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish()
    }
}

impl Default for Timers {
    fn default() -> Self {
        Timers::new()
    }
}

impl Timers {
    /// An empty wheel whose tick 0 is now.
    pub(crate) fn new() -> Self {
        Timers::with_origin(Instant::now())
    }

    /// An empty wheel whose tick 0 is `origin`.
    pub(crate) fn with_origin(origin: Instant) -> Self {
        Timers {
            id: NEXT_WHEEL_ID.fetch_add(1, Ordering::Relaxed),
            origin,
            elapsed: 0,
            slab: Slab::new(),
            heads: [NIL; LISTS],
            occupied: [0; NUM_LEVELS],
            len: 0,
            next_seq: 0,
            due: Vec::new(),
        }
    }

    /// Tick 0: deadlines are rounded up to `origin + k * TICK`.
    pub(crate) fn origin(&self) -> Instant {
        self.origin
    }

    /// Number of pending timers (armed and not yet fired or removed).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether no timer is pending.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Entries the slab holds, live or free: the peak number of timers that
    /// were pending at once. Never shrinks; used to check memory stays flat.
    pub(crate) fn capacity(&self) -> usize {
        self.slab.capacity()
    }

    /// Arms a timer that wakes `waker` once `now >= deadline`. A deadline in
    /// the past fires on the next [`fire`](Self::fire).
    pub(crate) fn insert(&mut self, deadline: Instant, waker: &Waker) -> TimerKey {
        let deadline = self.nanos_since_origin(deadline);
        let seq = self.next_seq;
        self.next_seq += 1;
        let (index, generation) = self.slab.alloc(deadline, seq, waker.clone());
        self.link(index);
        self.len += 1;
        TimerKey {
            index,
            generation,
            wheel: self.id,
        }
    }

    /// Whether `key` names a timer that is still pending (not fired, not
    /// removed, and from this wheel). The futures learn the same from the
    /// return value of [`update_waker`](Self::update_waker).
    #[cfg(test)]
    pub(crate) fn is_pending(&self, key: TimerKey) -> bool {
        self.live(key).is_some()
    }

    /// Replaces the waker of a pending timer (no clone when the stored one
    /// would wake the same task). Returns whether `key` was pending; on
    /// `false` nothing was stored.
    pub(crate) fn update_waker(&mut self, key: TimerKey, waker: &Waker) -> bool {
        match self.live(key) {
            Some(index) => {
                self.slab.get_mut(index).set_waker(waker);
                true
            }
            None => false,
        }
    }

    /// Moves a pending timer to a new deadline, keeping its waker and key.
    /// Returns whether `key` was pending; on `false` nothing changed.
    pub(crate) fn reset(&mut self, key: TimerKey, deadline: Instant) -> bool {
        let Some(index) = self.live(key) else {
            return false;
        };
        self.unlink(index);
        let deadline = self.nanos_since_origin(deadline);
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = self.slab.get_mut(index);
        entry.deadline = deadline;
        entry.seq = seq;
        self.link(index);
        true
    }

    /// Disarms a timer and frees its entry. A no-op for a stale key (the
    /// timer fired or was already removed) or a key from another wheel.
    pub(crate) fn remove(&mut self, key: TimerKey) {
        if let Some(index) = self.live(key) {
            self.unlink(index);
            // Dropping the waker here is fine: it is only a handle.
            drop(self.slab.free(index));
            self.len -= 1;
        }
    }

    /// The instant at which the next [`fire`](Self::fire) may wake something,
    /// or `None` when nothing is pending. It may be earlier than the nearest
    /// deadline (when a far slot must be cascaded) but never later than the
    /// instant at which that deadline would fire. Already due timers give an
    /// instant in the past: the runtime should not block.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        if self.heads[EXPIRED as usize] != NIL {
            let mut earliest = u64::MAX;
            let mut index = self.heads[EXPIRED as usize];
            while index != NIL {
                let entry = self.slab.get(index);
                earliest = earliest.min(entry.deadline);
                index = entry.next;
            }
            return Some(self.instant_at_nanos(earliest));
        }
        self.next_expiration()
            .map(|(_, tick)| self.instant_at_nanos(tick.saturating_mul(NANOS_PER_TICK)))
    }

    /// Wakes, in deadline order (ties in arming order), every timer whose
    /// deadline is `<= now`, and frees their entries. Returns how many.
    ///
    /// Test helper: the runtime uses [`expire`](Self::expire) and wakes
    /// with the timers unborrowed, since a waker may reach back into them.
    #[cfg(test)]
    pub(crate) fn fire(&mut self, now: Instant) -> usize {
        let mut wakers = Vec::new();
        let fired = self.expire(now, &mut wakers);
        for waker in wakers {
            waker.wake();
        }
        fired
    }

    /// Like [`fire`](Self::fire), but appends the due wakers to `out` (in
    /// deadline order) instead of waking them. Returns how many.
    pub(crate) fn expire(&mut self, now: Instant, out: &mut Vec<Waker>) -> usize {
        let now_nanos = self.nanos_since_origin(now);
        let now_tick = now_nanos / NANOS_PER_TICK;
        let mut due = std::mem::take(&mut self.due);
        loop {
            self.collect_expired(now_nanos, &mut due);
            match self.next_expiration() {
                Some((list, tick)) if tick <= now_tick => self.cascade(list, tick),
                _ => break,
            }
        }
        self.elapsed = self.elapsed.max(now_tick);

        due.sort_unstable();
        let fired = due.len();
        out.reserve(fired);
        for &(_, _, index) in &due {
            out.push(self.slab.free(index));
        }
        self.len -= fired;
        due.clear();
        self.due = due;
        fired
    }

    /// The slab index of `key`'s entry if it is pending in this wheel.
    fn live(&self, key: TimerKey) -> Option<u32> {
        if key.wheel != self.id {
            return None;
        }
        let entry = self.slab.try_get(key.index)?;
        (entry.generation == key.generation && entry.list != entry::FREE).then_some(key.index)
    }

    /// Nanoseconds from `origin` to `t`, 0 if `t` is earlier, saturating.
    fn nanos_since_origin(&self, t: Instant) -> u64 {
        let nanos = t.saturating_duration_since(self.origin).as_nanos();
        u64::try_from(nanos).unwrap_or(u64::MAX)
    }

    fn instant_at_nanos(&self, nanos: u64) -> Instant {
        self.origin + Duration::from_nanos(nanos)
    }

    /// The list an entry due at `tick` belongs on, relative to `elapsed`.
    fn list_for(&self, tick: u64) -> u16 {
        if tick <= self.elapsed {
            return EXPIRED;
        }
        let mut masked = (self.elapsed ^ tick) | (SLOTS as u64 - 1);
        if masked >= MAX_TICKS {
            // Beyond the wheel's span: park on the top level; re-filed each
            // time that slot comes round until it is in range.
            masked = MAX_TICKS - 1;
        }
        let level = ((63 - masked.leading_zeros()) / LEVEL_BITS) as usize;
        let slot = ((tick >> (level as u32 * LEVEL_BITS)) as usize) & (SLOTS - 1);
        (level * SLOTS + slot) as u16
    }

    /// Files a free-standing entry on the list its deadline calls for.
    fn link(&mut self, index: u32) {
        let tick = self.slab.get(index).deadline.div_ceil(NANOS_PER_TICK);
        let list = self.list_for(tick);
        let head = self.heads[list as usize];
        {
            let entry = self.slab.get_mut(index);
            entry.list = list;
            entry.prev = NIL;
            entry.next = head;
        }
        if head != NIL {
            self.slab.get_mut(head).prev = index;
        }
        self.heads[list as usize] = index;
        if list != EXPIRED {
            self.occupied[list as usize / SLOTS] |= 1 << (list as usize % SLOTS);
        }
    }

    /// Takes an entry off its list, leaving it free-standing.
    fn unlink(&mut self, index: u32) {
        let (list, prev, next) = {
            let entry = self.slab.get(index);
            (entry.list, entry.prev, entry.next)
        };
        if prev == NIL {
            self.heads[list as usize] = next;
            if next == NIL && list != EXPIRED {
                self.occupied[list as usize / SLOTS] &= !(1 << (list as usize % SLOTS));
            }
        } else {
            self.slab.get_mut(prev).next = next;
        }
        if next != NIL {
            self.slab.get_mut(next).prev = prev;
        }
        let entry = self.slab.get_mut(index);
        entry.prev = NIL;
        entry.next = NIL;
    }

    /// The nearest non-empty slot, as `(list, tick at which it is due)`.
    fn next_expiration(&self) -> Option<(u16, u64)> {
        for level in 0..NUM_LEVELS {
            let occupied = self.occupied[level];
            if occupied == 0 {
                continue;
            }
            let shift = level as u32 * LEVEL_BITS;
            let slot_range = 1u64 << shift;
            let level_range = slot_range << LEVEL_BITS;
            let now_slot = ((self.elapsed >> shift) as u32) & (SLOTS as u32 - 1);
            // First occupied slot after `now_slot`, wrapping round to
            // `now_slot` itself last. In-range entries always sit after it;
            // only entries parked beyond the wheel's span (top level) can
            // sit at or behind it, and they are due a whole turn later.
            let first = (now_slot + 1) % SLOTS as u32;
            let slot = (occupied.rotate_right(first).trailing_zeros() + first) % SLOTS as u32;
            let level_start = self.elapsed & !(level_range - 1);
            let mut tick = level_start + u64::from(slot) * slot_range;
            if tick <= self.elapsed {
                tick += level_range;
            }
            return Some(((level * SLOTS) as u16 + slot as u16, tick));
        }
        None
    }

    /// Empties a due slot: `elapsed` moves to `tick` and each entry is
    /// re-filed (onto a lower level, or onto the expired list).
    fn cascade(&mut self, list: u16, tick: u64) {
        debug_assert!(tick > self.elapsed);
        self.elapsed = tick;
        let mut index = self.heads[list as usize];
        self.heads[list as usize] = NIL;
        self.occupied[list as usize / SLOTS] &= !(1 << (list as usize % SLOTS));
        while index != NIL {
            let next = self.slab.get(index).next;
            self.link(index);
            index = next;
        }
    }

    /// Moves every entry on the expired list whose exact deadline is
    /// `<= now_nanos` into `due`. (With a monotonic `now` that is all of
    /// them; a `now` earlier than a previous call's leaves some behind.)
    fn collect_expired(&mut self, now_nanos: u64, due: &mut Vec<(u64, u64, u32)>) {
        let mut index = self.heads[EXPIRED as usize];
        while index != NIL {
            let (deadline, seq, next) = {
                let entry = self.slab.get(index);
                (entry.deadline, entry.seq, entry.next)
            };
            if deadline <= now_nanos {
                self.unlink(index);
                // Still allocated, but on no list until `expire` frees it.
                self.slab.get_mut(index).list = entry::DUE;
                due.push((deadline, seq, index));
            }
            index = next;
        }
    }
}
