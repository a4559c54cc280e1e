//! Registered ("fixed") buffers, the driver's side: the ring's one table
//! of registered buffers and which pool holds which of its slots.
//!
//! io_uring keeps a single table of registered buffers per ring. A read or
//! write that names a slot (READ_FIXED / WRITE_FIXED) uses the pages the
//! kernel pinned and mapped once, at registration, instead of pinning and
//! mapping the buffer's pages on every operation.
//!
//! The table is registered once per ring, empty ("sparse"), when the first
//! [`FixedBufPool`](crate::pool::FixedBufPool) of the runtime asks for it,
//! with [`TABLE_SIZE`] slots (the kernel's limit: the table cannot grow
//! later without unregistering every pool). Each pool then gets a
//! contiguous range of slots, filled with its buffers
//! (IORING_REGISTER_BUFFERS_UPDATE) and emptied again when the pool goes,
//! before its memory is unmapped. The kernel keeps its own reference to a
//! slot's pages for any operation still using them, so emptying a slot
//! never pulls memory from under a request.
//!
//! On epoll there is no table: pools are plain memory and their reads and
//! writes plain ones. The pool layer sits above the driver, so ops see a
//! pool's buffer only through [`FixedBuffer`].

use std::io;

use super::{Backend, IoDriver};
use crate::buf::{IoBuf, IoBufMut};

/// Slots in a ring's buffer table: IORING_MAX_REG_BUFFERS. The table costs
/// the kernel a pointer or two per slot (about 128-256 KiB), paid only by
/// runtimes that create a fixed pool; pinned memory is charged per buffer
/// registered, not per slot.
pub(crate) const TABLE_SIZE: u16 = 1 << 14;

/// A buffer whose memory may be a registered buffer of the ring: the pool
/// layer's `FixedBuf`, seen through a trait so that ops need nothing from
/// the layer above the driver.
pub(crate) trait FixedBuffer: IoBuf + IoBufMut {
    /// The table slot holding this buffer's memory on the ring of the
    /// runtime running on this thread (the one an op is submitted to);
    /// `None` where it is not registered there (epoll, another runtime's
    /// pool, a kernel without updatable tables). A wrong slot is caught by
    /// the kernel (EFAULT: the address is not inside that slot's buffer).
    fn fixed_index(&self) -> Option<u16>;
}

/// Which slots of the ring's table are handed out.
#[derive(Debug, Default)]
pub(super) struct FixedTable {
    state: TableState,
    /// `(first, count)` of each pool's range, sorted by `first`.
    ranges: Vec<(u16, u16)>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum TableState {
    /// Nobody asked yet.
    #[default]
    Unregistered,
    /// The empty table is registered with the ring.
    Registered,
    /// This backend registers no buffers (epoll, or a kernel without
    /// updatable tables): pools are plain memory.
    Unavailable,
}

impl FixedTable {
    /// Whether the ring has a table, registering it with `register` on the
    /// first call (`Ok(false)` from it: no table here, for good).
    fn ensure(&mut self, register: impl FnOnce(u16) -> io::Result<bool>) -> io::Result<bool> {
        if self.state == TableState::Unregistered {
            self.state = if register(TABLE_SIZE)? {
                TableState::Registered
            } else {
                TableState::Unavailable
            };
        }
        Ok(self.state == TableState::Registered)
    }

    /// The first slot of a free range of `count` slots, now held (first fit).
    fn reserve(&mut self, count: u16) -> Option<u16> {
        let mut start = 0u32;
        let mut at = self.ranges.len();
        for (i, &(first, n)) in self.ranges.iter().enumerate() {
            if u32::from(first) - start >= u32::from(count) {
                at = i;
                break;
            }
            start = u32::from(first) + u32::from(n);
        }
        if at == self.ranges.len() && u32::from(TABLE_SIZE) - start < u32::from(count) {
            return None;
        }
        let first = start as u16;
        self.ranges.insert(at, (first, count));
        Some(first)
    }

    /// Frees the range that starts at `first`.
    fn release(&mut self, first: u16) {
        match self.ranges.binary_search_by_key(&first, |&(f, _)| f) {
            Ok(i) => {
                self.ranges.remove(i);
            }
            Err(_) => unreachable!("slot {first} was released but never reserved"),
        }
    }

    /// Slots held by pools.
    fn held(&self) -> u32 {
        self.ranges.iter().map(|&(_, n)| u32::from(n)).sum()
    }
}

impl IoDriver {
    /// Registers `iovecs` (a pool's buffers, in order) in a free range of
    /// the ring's table, registering the table itself first if no pool did
    /// yet. Returns the range's first slot, or `None` where this runtime
    /// registers no buffers (epoll, after shutdown, a kernel without
    /// updatable tables): the memory is then used as plain memory.
    ///
    /// # Errors
    ///
    /// `OutOfMemory` when no free range is long enough (the other pools of
    /// this runtime hold the slots); the kernel's error otherwise, ENOMEM and
    /// EPERM with a message saying which limit to raise.
    ///
    /// # Safety
    ///
    /// Each iovec's memory must stay mapped, and be read or written only
    /// through operations that own it, until [`unregister_fixed`] for the
    /// range has returned `Ok`, or until this driver's ring is gone.
    ///
    /// [`unregister_fixed`]: IoDriver::unregister_fixed
    pub(crate) unsafe fn register_fixed(&self, iovecs: &[libc::iovec]) -> io::Result<Option<u16>> {
        let count = match u16::try_from(iovecs.len()) {
            Ok(n) if (1..=TABLE_SIZE).contains(&n) => n,
            _ => unreachable!("the pool checks its size against TABLE_SIZE"),
        };
        let mut inner = self.inner.borrow_mut();
        let inner = &mut *inner;
        if !matches!(inner.backend, Backend::Uring(_)) {
            return Ok(None);
        }
        let backend = &mut inner.backend;
        if !inner
            .fixed
            .ensure(|size| backend.register_fixed_table(size))?
        {
            return Ok(None);
        }
        let Some(first) = inner.fixed.reserve(count) else {
            return Err(no_room(count, inner.fixed.held()));
        };
        // SAFETY: forwarded from the caller.
        match unsafe { inner.backend.update_fixed(first, iovecs) } {
            Ok(()) => Ok(Some(first)),
            Err(e) => {
                inner.fixed.release(first);
                Err(explain(e, iovecs))
            }
        }
    }

    /// Empties the `count` slots from `first` that [`register_fixed`]
    /// filled, and frees the range. Once this returns `Ok`, no new
    /// operation can reach the memory through the table (operations still
    /// running keep the kernel's own reference to the pages until they
    /// complete). A driver that has shut down has no ring, hence no table:
    /// `Ok` at once.
    ///
    /// # Errors
    ///
    /// The kernel refused, or the driver is busy (called from inside
    /// itself): the slots may still point at the memory, which the caller
    /// must then leak. The range stays held.
    ///
    /// [`register_fixed`]: IoDriver::register_fixed
    pub(crate) fn unregister_fixed(&self, first: u16, count: u16) -> io::Result<()> {
        let Ok(mut inner) = self.inner.try_borrow_mut() else {
            return Err(io::Error::other(
                "the driver is busy: registered buffers cannot be unregistered from inside it",
            ));
        };
        let inner = &mut *inner;
        let empty = vec![
            libc::iovec {
                iov_base: std::ptr::null_mut(),
                iov_len: 0,
            };
            usize::from(count)
        ];
        // SAFETY: empty iovecs point to no memory; they clear the slots.
        unsafe { inner.backend.update_fixed(first, &empty) }?;
        inner.fixed.release(first);
        Ok(())
    }
}

/// The error for a pool that finds no free range of slots.
fn no_room(count: u16, held: u32) -> io::Error {
    io::Error::new(
        io::ErrorKind::OutOfMemory,
        format!(
            "no room to register {count} more fixed buffers: the ring's table has {TABLE_SIZE} \
             slots and this runtime's other FixedBufPools hold {held} of them (the free ones may \
             also be scattered); drop a pool or ask for fewer buffers"
        ),
    )
}

/// Wraps a registration error of `iovecs` with what most likely caused it.
fn explain(e: io::Error, iovecs: &[libc::iovec]) -> io::Error {
    let bytes: u64 = iovecs.iter().map(|v| v.iov_len as u64).sum();
    let hint = match e.raw_os_error() {
        Some(libc::ENOMEM) | Some(libc::EPERM) => format!(
            "registered buffers are pinned in memory and count against the locked-memory limit: \
             raise RLIMIT_MEMLOCK (`ulimit -l`, `LimitMEMLOCK=` in a systemd unit, `--ulimit \
             memlock=-1` for docker) by up to {} bytes, the pages these buffers span (the kernel \
             charges memory in huge pages less), or run with CAP_IPC_LOCK, or make the pool \
             smaller",
            pinned_bytes(iovecs)
        ),
        Some(libc::EFAULT) => {
            "the kernel could not pin the pool's memory (a buffer over 1 GiB?)".to_string()
        }
        _ => "unexpected error".to_string(),
    };
    io::Error::new(
        e.kind(),
        format!(
            "registering {} fixed buffers ({bytes} bytes) with io_uring failed: {e}; {hint}",
            iovecs.len()
        ),
    )
}

/// The bytes of the whole pages `iovecs` span, each buffer on its own: what
/// the kernel pins and charges for them (before huge-page discounts).
fn pinned_bytes(iovecs: &[libc::iovec]) -> u64 {
    let page = page_size();
    iovecs
        .iter()
        .map(|v| {
            let start = v.iov_base as u64;
            let end = start + v.iov_len as u64;
            (end.div_ceil(page) - start / page) * page
        })
        .sum()
}

fn page_size() -> u64 {
    // SAFETY: sysconf reads a system constant and touches no memory.
    match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        n if n > 0 => n as u64,
        _ => 4096,
    }
}

#[cfg(test)]
mod tests {
    use super::{explain, page_size, pinned_bytes, FixedTable, TABLE_SIZE};

    fn table() -> FixedTable {
        let mut t = FixedTable::default();
        assert!(t.ensure(|_| Ok(true)).unwrap());
        t
    }

    #[test]
    fn ranges_are_first_fit_and_reused() {
        let mut t = table();
        assert_eq!(t.reserve(10), Some(0));
        assert_eq!(t.reserve(5), Some(10));
        assert_eq!(t.reserve(1), Some(15));
        t.release(10);
        // Too big for the hole: after the last range.
        assert_eq!(t.reserve(6), Some(16));
        // Fits the hole exactly.
        assert_eq!(t.reserve(5), Some(10));
        assert_eq!(t.held(), 10 + 5 + 1 + 6);
        t.release(0);
        t.release(10);
        t.release(15);
        t.release(16);
        assert_eq!(t.held(), 0);
        assert_eq!(t.reserve(TABLE_SIZE), Some(0));
    }

    #[test]
    fn a_full_table_has_no_room() {
        let mut t = table();
        assert_eq!(t.reserve(TABLE_SIZE - 1), Some(0));
        assert_eq!(t.reserve(2), None);
        assert_eq!(t.reserve(1), Some(TABLE_SIZE - 1));
        assert_eq!(t.reserve(1), None);
        assert_eq!(t.held(), u32::from(TABLE_SIZE));
    }

    #[test]
    fn the_table_is_registered_once() {
        let mut t = FixedTable::default();
        let mut calls = 0;
        assert!(!t
            .ensure(|size| {
                calls += 1;
                assert_eq!(size, TABLE_SIZE);
                Ok(false)
            })
            .unwrap());
        assert!(!t.ensure(|_| unreachable!("asked twice")).unwrap());
        assert_eq!(calls, 1);
        // An error leaves it to the next pool to try again.
        let mut t = FixedTable::default();
        assert!(t.ensure(|_| Err(std::io::Error::other("x"))).is_err());
        assert!(t.ensure(|_| Ok(true)).unwrap());
    }

    fn iovec(addr: usize, len: usize) -> libc::iovec {
        libc::iovec {
            iov_base: addr as *mut libc::c_void,
            iov_len: len,
        }
    }

    #[test]
    fn memlock_errors_say_what_to_raise() {
        // Two 512 KiB buffers, page aligned.
        let iovecs = [iovec(1 << 20, 1 << 19), iovec(3 << 19, 1 << 19)];
        for errno in [libc::ENOMEM, libc::EPERM] {
            let e = explain(std::io::Error::from_raw_os_error(errno), &iovecs);
            let msg = e.to_string();
            assert!(
                msg.contains("registering 2 fixed buffers (1048576 bytes)"),
                "{msg}"
            );
            assert!(
                msg.contains("RLIMIT_MEMLOCK") && msg.contains("ulimit -l"),
                "{msg}"
            );
            assert!(msg.contains("by up to 1048576 bytes"), "{msg}");
            assert_eq!(
                e.kind(),
                std::io::Error::from_raw_os_error(errno).kind(),
                "{msg}"
            );
        }
    }

    #[test]
    fn small_buffers_are_charged_whole_pages() {
        let page = page_size() as usize;
        // Two 100-byte buffers in one page: one page each.
        let two = [iovec(page, 100), iovec(page + 100, 100)];
        assert_eq!(pinned_bytes(&two), 2 * page as u64);
        // A page-sized buffer off the page boundary spans two.
        assert_eq!(pinned_bytes(&[iovec(page + 8, page)]), 2 * page as u64);
    }
}
