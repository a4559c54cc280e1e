//! Registered ("fixed") buffers: [`FixedBufPool`] and its [`FixedBuf`]s.
//!
//! The pool owns one anonymous mapping holding all its buffers back to
//! back. On io_uring it registers them in a range of the ring's buffer
//! table (see the driver's `fixed` module); every `FixedBuf` holds the pool's
//! shared state, so the mapping outlives the last buffer, including one
//! parked in the driver by a dropped future until the kernel is done with
//! it. The state unregisters the range, then unmaps, when the last pool
//! handle and the last buffer are gone.

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::rc::{Rc, Weak};

use crate::buf::{IoBuf, IoBufMut};
use crate::driver::{context, FixedBuffer, IoDriver, MAX_FIXED_BUFS};

/// The largest buffer io_uring registers (1 GiB).
const MAX_BUF_SIZE: usize = 1 << 30;

/// A pool of equal-size buffers registered with the runtime's io_uring
/// ring, for reads and writes that skip pinning and mapping the buffer's
/// pages on every operation: [`File::read_fixed_at`],
/// [`File::write_fixed_at`], [`TcpStream::read_fixed`] and
/// [`TcpStream::write_fixed`] (IORING_OP_READ_FIXED / WRITE_FIXED).
///
/// On epoll, or where the kernel cannot register buffers, the pool is plain
/// memory with the same API, and those methods are plain reads and writes;
/// [`is_registered`](Self::is_registered) says which. A pool belongs to the
/// runtime that created it; its buffers still work on another runtime of
/// the same thread, as plain memory there.
///
/// `Clone` is a cheap handle (the pool is shared, `!Send`). [`get`] checks
/// a buffer out; dropping the [`FixedBuf`] puts it back, also after every
/// pool handle is gone. The memory is unregistered, then freed, once the
/// last handle and the last buffer are gone (a buffer held by an operation
/// whose future was dropped comes back only when the kernel is done).
///
/// The buffers lie back to back in one page-aligned mapping, so with a
/// `size` that is a multiple of 4096 each is page aligned (as `O_DIRECT`
/// wants). Registered memory is pinned: it counts against
/// `RLIMIT_MEMLOCK` unless the process has `CAP_IPC_LOCK`.
///
/// ```
/// use aio::buf::FixedBufPool;
///
/// # aio::Runtime::new()?.block_on(async {
/// let pool = FixedBufPool::new(2, 4096)?;
/// let mut a = pool.get().expect("a free buffer");
/// let b = pool.get().expect("a free buffer");
/// assert!(pool.get().is_none()); // both are checked out
/// a.extend_from_slice(b"hello");
/// assert_eq!(&a[..], b"hello");
/// drop(b);
/// assert_eq!(pool.available(), 1);
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// The pool and its buffers stay on their thread:
///
/// ```compile_fail
/// fn send<T: Send>(_: T) {}
/// # aio::Runtime::new().unwrap().block_on(async {
/// send(aio::buf::FixedBufPool::new(1, 64).unwrap().get()); // error: `Rc` is not `Send`
/// # });
/// ```
///
/// [`get`]: Self::get
/// [`File::read_fixed_at`]: crate::fs::File::read_fixed_at
/// [`File::write_fixed_at`]: crate::fs::File::write_fixed_at
/// [`TcpStream::read_fixed`]: crate::net::TcpStream::read_fixed
/// [`TcpStream::write_fixed`]: crate::net::TcpStream::write_fixed
#[derive(Clone)]
pub struct FixedBufPool {
    _core: crate::marker::NotSend,
    shared: Rc<Shared>,
}

/// A buffer of a [`FixedBufPool`], checked out with
/// [`get`](FixedBufPool::get) and back in the pool when dropped.
///
/// It works like a `Vec<u8>` whose capacity is the pool's buffer size: it
/// dereferences to its initialized bytes (`len()` of them), a read appends
/// to them (as a read into a `Vec` does), a write sends them, and
/// [`extend_from_slice`](Self::extend_from_slice), [`clear`](Self::clear)
/// and [`truncate`](Self::truncate) change them. Read into it with the
/// fixed methods to use the registration; it is also an ordinary
/// [`IoBuf`]/[`IoBufMut`] for every other operation.
pub struct FixedBuf {
    _core: crate::marker::NotSend,
    shared: Rc<Shared>,
    /// The start of this buffer in the pool's mapping.
    ptr: NonNull<u8>,
    /// Its place in the pool.
    index: u16,
    /// Initialized bytes from `ptr`.
    len: usize,
}

/// A pool's memory and free list, shared by its handles and buffers.
struct Shared {
    /// `count * size` bytes, page aligned, mapped in `Shared::new`.
    base: NonNull<u8>,
    map_len: usize,
    size: usize,
    count: u16,
    /// Indexes of the buffers in the pool, the last one handed out next
    /// (the most recently used, still warm in the cache).
    free: RefCell<Vec<u16>>,
    registration: Option<Registration>,
}

/// Where a pool's buffers are registered.
struct Registration {
    /// The runtime's driver. Weak: a pool does not keep a runtime alive; it
    /// only needs to know whether this is the one running an op, and to
    /// unregister from it while it is there.
    driver: Weak<IoDriver>,
    /// The table slot of buffer 0; buffer `i` is in slot `first + i`.
    first: u16,
}

impl FixedBufPool {
    /// A pool of `count` buffers of `size` bytes, registered with the
    /// current runtime's ring on io_uring.
    ///
    /// # Errors
    ///
    /// - `InvalidInput` if `count` is 0 or over 16384 (io_uring's limit on
    ///   registered buffers per ring), or `size` is 0 or over 1 GiB (its
    ///   limit on one buffer);
    /// - `OutOfMemory` if the ring's table has no room left: the runtime's
    ///   other pools hold 16384 slots in all;
    /// - mmap(2) errors for the memory;
    /// - registration errors: `ENOMEM`/`EPERM` from the locked-memory limit
    ///   come with a message saying which limit to raise.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn new(count: u16, size: usize) -> io::Result<FixedBufPool> {
        let driver = context::current();
        if count == 0 || count > MAX_FIXED_BUFS {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a FixedBufPool holds 1 to {MAX_FIXED_BUFS} buffers (io_uring's limit per \
                     ring), not {count}"
                ),
            ));
        }
        if size == 0 || size > MAX_BUF_SIZE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a FixedBufPool's buffers hold 1 byte to 1 GiB each (io_uring's limit on a \
                     registered buffer), not {size}"
                ),
            ));
        }
        let mut shared = Shared::new(count, size)?;
        let iovecs: Vec<libc::iovec> = (0..count)
            .map(|i| libc::iovec {
                iov_base: shared.buf_ptr(i).as_ptr().cast(),
                iov_len: size,
            })
            .collect();
        // SAFETY: the mapping stays mapped until `Shared`'s Drop, which
        // first unregisters the range (or leaks the mapping if it cannot);
        // its bytes are read and written only through the `FixedBuf` that
        // has checked the buffer out, which operations own while in flight.
        let first = unsafe { driver.register_fixed(&iovecs) }?;
        shared.registration = first.map(|first| Registration {
            driver: Rc::downgrade(&driver),
            first,
        });
        Ok(FixedBufPool {
            _core: std::marker::PhantomData,
            shared: Rc::new(shared),
        })
    }

    /// Checks a buffer out, empty (`len() == 0`); `None` while every buffer
    /// is checked out. The buffer comes back when the [`FixedBuf`] drops.
    pub fn get(&self) -> Option<FixedBuf> {
        let index = self.shared.free.borrow_mut().pop()?;
        Some(FixedBuf {
            _core: std::marker::PhantomData,
            ptr: self.shared.buf_ptr(index),
            shared: self.shared.clone(),
            index,
            len: 0,
        })
    }

    /// The number of buffers in the pool (`count` given to `new`).
    pub fn capacity(&self) -> usize {
        usize::from(self.shared.count)
    }

    /// The size of each buffer in bytes.
    pub fn buf_size(&self) -> usize {
        self.shared.size
    }

    /// The number of buffers in the pool now, not checked out.
    pub fn available(&self) -> usize {
        self.shared.free.borrow().len()
    }

    /// Whether the buffers are registered with the ring of the runtime that
    /// created the pool: the fixed methods then use READ_FIXED/WRITE_FIXED
    /// on that runtime. False on epoll and where the kernel cannot register
    /// buffers (the methods are plain reads and writes there).
    pub fn is_registered(&self) -> bool {
        self.shared.registration.is_some()
    }
}

impl fmt::Debug for FixedBufPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedBufPool")
            .field("capacity", &self.capacity())
            .field("buf_size", &self.buf_size())
            .field("available", &self.available())
            .field("registered", &self.is_registered())
            .finish()
    }
}

impl FixedBuf {
    /// Number of initialized bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The buffer's size, which `len()` never exceeds (the pool's
    /// [`buf_size`](FixedBufPool::buf_size)).
    pub fn capacity(&self) -> usize {
        self.shared.size
    }

    /// Empties it (the memory stays checked out).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Keeps the first `len` bytes; does nothing if it holds fewer.
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Appends `data`.
    ///
    /// # Panics
    ///
    /// If `data` does not fit: `len() + data.len() > capacity()`.
    #[track_caller]
    pub fn extend_from_slice(&mut self, data: &[u8]) {
        let room = self.capacity() - self.len;
        assert!(
            data.len() <= room,
            "FixedBuf::extend_from_slice: {} bytes do not fit in the {room} left of a {}-byte \
             buffer",
            data.len(),
            self.capacity()
        );
        // SAFETY: `[len, len + data.len())` lies inside this buffer (checked
        // above), which this FixedBuf alone uses while it is checked out,
        // and `data` cannot overlap it (that would need a borrow of self).
        unsafe {
            std::ptr::copy_nonoverlapping(
                data.as_ptr(),
                self.ptr.as_ptr().add(self.len),
                data.len(),
            );
        }
        self.len += data.len();
    }

    /// `InvalidInput` if a read has no room to fill: reading 0 bytes would
    /// look like the end of the file or stream.
    pub(crate) fn check_room(&self) -> io::Result<()> {
        if self.len < self.capacity() {
            return Ok(());
        }
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "the FixedBuf is full ({} bytes): a read appends to its bytes, so clear() or \
                 truncate() it first",
                self.len
            ),
        ))
    }
}

impl Deref for FixedBuf {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr` points to `capacity()` bytes of the pool's mapping,
        // which stays mapped while this holds `shared`; all of them are
        // initialized (an anonymous mapping starts zeroed, and only copies
        // and the kernel write it); `len <= capacity()`; and only this
        // FixedBuf uses them while it is checked out.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl DerefMut for FixedBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `deref`, and `&mut self` makes the access unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl fmt::Debug for FixedBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedBuf")
            .field("index", &self.index)
            .field("len", &self.len)
            .field("capacity", &self.capacity())
            .finish()
    }
}

impl Drop for FixedBuf {
    fn drop(&mut self) {
        self.shared.free.borrow_mut().push(self.index);
    }
}

// SAFETY: `ptr` points into the pool's mapping, which never moves and stays
// mapped while this FixedBuf holds `shared`, whatever happens to the
// FixedBuf value; `len` bytes from it are initialized; the buffer is
// checked out to this FixedBuf alone, so nobody else writes it.
unsafe impl IoBuf for FixedBuf {
    fn read_ptr(&self) -> *const u8 {
        self.ptr.as_ptr()
    }

    fn bytes_init(&self) -> usize {
        self.len
    }
}

// SAFETY: the writable region `[len, capacity)` lies in the same memory
// (see `IoBuf`), which only this FixedBuf uses; `set_init` grows `len` over
// exactly the bytes written, within the capacity.
unsafe impl IoBufMut for FixedBuf {
    fn write_ptr(&mut self) -> *mut u8 {
        // SAFETY: `len <= capacity`, so the pointer stays inside this
        // buffer (or one past its end).
        unsafe { self.ptr.as_ptr().add(self.len) }
    }

    fn bytes_total(&self) -> usize {
        self.capacity() - self.len
    }

    unsafe fn set_init(&mut self, pos: usize) {
        debug_assert!(
            pos <= self.bytes_total(),
            "set_init({pos}) past the writable region"
        );
        self.len += pos;
    }
}

impl FixedBuffer for FixedBuf {
    fn fixed_index(&self) -> Option<u16> {
        let reg = self.shared.registration.as_ref()?;
        // The Weak keeps the driver's allocation, so its address cannot
        // belong to a newer driver while the comparison means anything.
        let here = context::try_with(|d| std::ptr::eq(Rc::as_ptr(d), reg.driver.as_ptr()))?;
        here.then_some(reg.first + self.index)
    }
}

impl Shared {
    /// Maps zeroed memory for `count` buffers of `size` bytes.
    fn new(count: u16, size: usize) -> io::Result<Shared> {
        let map_len = usize::from(count)
            .checked_mul(size)
            .ok_or_else(|| io::Error::from(io::ErrorKind::OutOfMemory))?;
        // SAFETY: an anonymous private mapping of `map_len` bytes at an
        // address the kernel chooses; the result is checked.
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
            let e = io::Error::last_os_error();
            return Err(io::Error::new(
                e.kind(),
                format!("mapping {map_len} bytes for a FixedBufPool failed: {e}"),
            ));
        }
        let base = NonNull::new(ptr.cast::<u8>()).expect("mmap returned null");
        Ok(Shared {
            base,
            map_len,
            size,
            count,
            free: RefCell::new((0..count).rev().collect()),
            registration: None,
        })
    }

    /// The start of buffer `index`.
    fn buf_ptr(&self, index: u16) -> NonNull<u8> {
        assert!(index < self.count, "buffer {index} of {}", self.count);
        // SAFETY: `index < count`, so `index * size` is inside the mapping
        // of `count * size` bytes.
        unsafe { self.base.add(usize::from(index) * self.size) }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(reg) = &self.registration {
            // A driver that is gone cannot submit anything any more; its
            // ring closed with the table (the kernel keeps its own hold on
            // pinned pages until it is done with them).
            if let Some(driver) = reg.driver.upgrade() {
                if driver.unregister_fixed(reg.first, self.count).is_err() {
                    // The ring's table may still point here: never unmap.
                    return;
                }
            }
        }
        // SAFETY: the mapping is this pool's (`Shared::new`), and nothing
        // refers to it any more: every FixedBuf and handle held an Rc to
        // this, and the ring's table no longer has it.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.map_len) };
    }
}

#[cfg(test)]
mod tests;
