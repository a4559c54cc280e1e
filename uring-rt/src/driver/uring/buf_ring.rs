//! A provided-buffer ring (`IORING_REGISTER_PBUF_RING`, 5.19): a ring of
//! buffer descriptors in memory shared with the kernel, from which a
//! receive with buffer selection takes the buffer it fills. User space
//! hands buffers back by writing descriptors at the tail and publishing
//! the tail; the kernel consumes from the head. No syscall either way.

use std::io;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::types::BufRingEntry;

/// The ring's memory and its tail; registering it is the driver's job.
pub(crate) struct BufRing {
    /// `entries` descriptors, page aligned (mmap), shared with the kernel.
    base: NonNull<BufRingEntry>,
    map_len: usize,
    entries: u16,
    /// Our copy of the tail: where the next descriptor goes.
    tail: u16,
}

impl BufRing {
    /// Maps memory for `entries` descriptors (a power of two, at most
    /// 32768).
    pub(crate) fn new(entries: u16) -> io::Result<BufRing> {
        if !entries.is_power_of_two() || entries > 32768 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a provided-buffer ring needs a power-of-two size up to 32768, not {entries}"
                ),
            ));
        }
        let map_len = usize::from(entries) * std::mem::size_of::<BufRingEntry>();
        // SAFETY: an anonymous private mapping of `map_len` bytes; the
        // result is checked. Anonymous memory is zeroed, so the tail (the
        // first entry's `resv` field) starts at 0.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(ptr.cast::<BufRingEntry>()).expect("mmap returned null");
        Ok(BufRing {
            base,
            map_len,
            entries,
            tail: 0,
        })
    }

    /// The ring's address, for registration.
    pub(crate) fn addr(&self) -> u64 {
        self.base.as_ptr() as u64
    }

    /// Writes a descriptor for buffer `bid` (`len` bytes at `addr`) at the
    /// tail; the kernel sees it after [`publish`](Self::publish).
    pub(crate) fn push(&mut self, addr: *mut u8, len: u32, bid: u16) {
        let index = usize::from(self.tail & (self.entries - 1));
        // SAFETY: `index` is below `entries`, so the entry lies inside the
        // mapping; the kernel only reads entries between its head and the
        // published tail, and this one is past the published tail.
        let entry = unsafe { &mut *self.base.as_ptr().add(index) };
        entry.set_addr(addr as u64);
        entry.set_len(len);
        entry.set_bid(bid);
        self.tail = self.tail.wrapping_add(1);
    }

    /// Makes every descriptor pushed so far visible to the kernel.
    pub(crate) fn publish(&self) {
        // SAFETY: the tail field overlays the first entry's `resv`, inside
        // the mapping and suitably aligned for a u16; the kernel reads it
        // with an acquire load, which this release store pairs with, so the
        // descriptors written before are visible first.
        let tail = unsafe { &*BufRingEntry::tail(self.base.as_ptr()).cast::<AtomicU16>() };
        tail.store(self.tail, Ordering::Release);
    }
}

impl Drop for BufRing {
    fn drop(&mut self) {
        // The kernel pins the ring's pages while it is registered, so even
        // unmapping before the ring is torn down leaves it valid memory.
        // SAFETY: unmaps exactly the mapping made in `new`, used by nobody
        // else in this process any more.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.map_len) };
    }
}
