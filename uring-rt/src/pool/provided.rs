//! `BufPool` and `PooledBuf`: equal-size buffers that the kernel picks from
//! as data arrives (an io_uring provided-buffer ring; a free list in the
//! epoll backend).
//!
//! # Who owns a buffer
//!
//! Each buffer is, at any time, either *provided* (in the ring: the kernel
//! may pick it and write into it) or *out* (handed to user space by a
//! completion, as one or more `PooledBuf`s). A completion that carries
//! `CQE_F_BUFFER` moves its buffer out; when the last `PooledBuf` of it is
//! dropped the buffer is provided again. With incremental consumption
//! (`IOU_PBUF_RING_INC`, Linux 6.12) the kernel fills one buffer across
//! several completions: while they carry `CQE_F_BUF_MORE` the buffer stays
//! provided (the kernel appends the next data after what it reported), and
//! the `PooledBuf`s are disjoint slices of it; it is provided afresh only
//! once the kernel let go of it *and* every slice was dropped.
//!
//! # Memory safety
//!
//! The memory is one allocation owned by the pool's shared state, which
//! every `BufPool` handle, every `PooledBuf`, and every in-flight op that
//! may pick from the pool holds (an op whose future was dropped keeps it,
//! parked in the driver, until its last completion). So the memory, and the
//! group's registration, go only when nothing can use them: no handle, no
//! buffer, and no op the kernel may still fill.

use std::alloc::{self, Layout};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::ops::Deref;
use std::ptr::NonNull;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::buf::IoBuf;
use crate::driver::{context, cqe_flags, IoDriver};
use crate::Driver;

/// Buffers smaller than this are consumed whole even where the kernel can
/// consume them incrementally: a small buffer rarely holds more than one
/// arrival, and whole buffers cost less bookkeeping.
const INCREMENTAL_FROM: usize = 16 * 1024;

/// The `bid` of a `PooledBuf` that holds no buffer (buffer ids are below
/// 32768).
const NO_BUFFER: u16 = u16::MAX;

/// A pool of equal-size buffers that receives pick from as data arrives,
/// so a connection waiting for data holds no buffer.
///
/// On io_uring this is a provided-buffer ring (`IORING_REGISTER_PBUF_RING`,
/// Linux 5.19), consumed incrementally (`IOU_PBUF_RING_INC`, Linux 6.12)
/// where the kernel can and buffers are at least 16 KiB. On epoll it is a
/// free list of the same buffers, with the same behaviour. A pool belongs
/// to the runtime it was created on; clones are cheap handles to the same
/// pool, and several pools may coexist on one runtime.
///
/// Received data comes as [`PooledBuf`]s, which go back to the pool when
/// dropped. When every buffer is out, receives wait for one to come back
/// (they never fail for it).
///
/// ```no_run
/// use aio::buf::BufPool;
/// use aio::io::AsyncWriteRentExt;
/// use aio::net::TcpListener;
///
/// # aio::Runtime::new()?.block_on(async {
/// let pool = BufPool::new(1024, 4096)?;
/// let listener = TcpListener::bind("127.0.0.1:8080")?;
/// let (mut stream, _) = listener.accept().await?;
/// // Echo: each buffer the kernel filled is written back without a copy.
/// while let Some(buf) = stream.recv_pooled(&pool).await? {
///     stream.write_all(buf).await.0?;
/// }
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct BufPool {
    _core: crate::marker::NotSend,
    pub(crate) shared: Rc<Shared>,
}

/// The pool's state, shared by its handles, its buffers and the ops that
/// may pick from it.
pub(crate) struct Shared {
    driver: Rc<IoDriver>,
    group: u16,
    size: usize,
    count: u16,
    incremental: bool,
    /// `count * size` bytes, page aligned.
    mem: NonNull<u8>,
    layout: Layout,
    bufs: RefCell<Vec<BufState>>,
    /// Buffers the kernel may pick from now.
    provided: Cell<usize>,
    /// Whether the backend takes buffers in the order they were provided
    /// (an io_uring ring; the epoll free list does not), so that
    /// `ring_order` says which buffers a bundle filled.
    ordered: bool,
    /// The provided buffers' ids in ring order (when `ordered`).
    ring_order: RefCell<VecDeque<u16>>,
    /// Receives waiting for a buffer to be provided again.
    waiters: RefCell<Vec<Waker>>,
}

#[derive(Clone, Copy, Default)]
struct BufState {
    /// In the ring: the kernel may pick it (or, incrementally, go on
    /// filling it).
    provided: bool,
    /// `PooledBuf`s of it alive.
    refs: u32,
    /// Incremental consumption: where the kernel's next data in it goes.
    filled: u32,
}

impl BufPool {
    /// Creates a pool of `count` buffers of `size` bytes on the current
    /// runtime. `count` must be a power of two up to 32768. The memory is
    /// reserved at once but only touched as data arrives.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a bad `count` or `size` (0, too large);
    /// `Unsupported` on an io_uring runtime whose kernel has no
    /// provided-buffer rings (before Linux 5.19); `OutOfMemory` if the
    /// memory cannot be had, with a message naming RLIMIT_MEMLOCK when the
    /// kernel refuses to pin the ring for the locked-memory limit.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn new(count: u16, size: usize) -> io::Result<BufPool> {
        let driver = context::current();
        if count == 0 || !count.is_power_of_two() || count > 32768 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a BufPool's count must be a power of two from 1 to 32768, not {count}"),
            ));
        }
        if size == 0 || size > u32::MAX as usize {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a BufPool's buffer size must be from 1 byte to 4 GiB, not {size}"),
            ));
        }
        let layout = usize::from(count)
            .checked_mul(size)
            .and_then(|total| Layout::from_size_align(total, 4096).ok())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("a BufPool of {count} buffers of {size} bytes is too large"),
                )
            })?;
        // SAFETY: `layout` has a non-zero size (count and size are >= 1).
        let mem = NonNull::new(unsafe { alloc::alloc(layout) }).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::OutOfMemory,
                format!("no memory for {} bytes of pooled buffers", layout.size()),
            )
        })?;
        let (group, incremental) = match driver.add_buf_group(count, size >= INCREMENTAL_FROM) {
            Ok(added) => added,
            Err(e) => {
                // SAFETY: allocated above with `layout`, never shared.
                unsafe { alloc::dealloc(mem.as_ptr(), layout) };
                return Err(e);
            }
        };
        let shared = Rc::new(Shared {
            ordered: driver.kind() == Driver::IoUring,
            driver,
            group,
            size,
            count,
            incremental,
            mem,
            layout,
            bufs: RefCell::new(vec![BufState::default(); usize::from(count)]),
            provided: Cell::new(0),
            ring_order: RefCell::new(VecDeque::with_capacity(usize::from(count))),
            waiters: RefCell::new(Vec::new()),
        });
        for bid in 0..count {
            shared.provide(bid);
        }
        Ok(BufPool {
            _core: std::marker::PhantomData,
            shared,
        })
    }

    /// The number of buffers.
    pub fn count(&self) -> usize {
        usize::from(self.shared.count)
    }

    /// The size of each buffer.
    pub fn buf_size(&self) -> usize {
        self.shared.size
    }

    /// How many buffers receives can pick from now (the others hold data
    /// not yet dropped).
    pub fn available(&self) -> usize {
        self.shared.provided.get()
    }

    /// Whether the kernel consumes the buffers incrementally (several
    /// arrivals packed into one buffer; io_uring on Linux 6.12+, buffers of
    /// at least 16 KiB).
    pub fn is_incremental(&self) -> bool {
        self.shared.incremental
    }
}

impl fmt::Debug for BufPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufPool")
            .field("count", &self.shared.count)
            .field("buf_size", &self.shared.size)
            .field("available", &self.available())
            .field("incremental", &self.shared.incremental)
            .finish()
    }
}

impl Shared {
    pub(crate) fn group(&self) -> u16 {
        self.group
    }

    /// An error unless the pool belongs to the runtime running on this
    /// thread (another runtime's ring does not know its buffer group).
    pub(crate) fn check_current(&self) -> io::Result<()> {
        match context::try_with(|d| Rc::ptr_eq(d, &self.driver)) {
            Some(true) => Ok(()),
            Some(false) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "this BufPool belongs to another runtime: create a pool on each runtime",
            )),
            None => Err(io::Error::other("no aio runtime on this thread")),
        }
    }

    /// Puts buffer `bid` (back) in the ring and wakes receives waiting for
    /// one.
    fn provide(&self, bid: u16) {
        {
            let mut bufs = self.bufs.borrow_mut();
            let state = &mut bufs[usize::from(bid)];
            debug_assert!(!state.provided && state.refs == 0);
            *state = BufState {
                provided: true,
                refs: 0,
                filled: 0,
            };
        }
        if self.ordered {
            self.ring_order.borrow_mut().push_back(bid);
        }
        self.driver
            .provide_buf(self.group, self.addr(bid, 0), self.size as u32, bid);
        self.provided.set(self.provided.get() + 1);
        let waiters = std::mem::take(&mut *self.waiters.borrow_mut());
        for w in waiters {
            w.wake();
        }
    }

    fn addr(&self, bid: u16, offset: u32) -> *mut u8 {
        // SAFETY: `bid < count` and `offset <= size`, so the result lies in
        // (or one past the end of) the allocation.
        unsafe {
            self.mem
                .as_ptr()
                .add(usize::from(bid) * self.size + offset as usize)
        }
    }

    /// Takes what a completion `(res, flags)` carries, if it has
    /// `CQE_F_BUFFER`: the buffer it filled with `len` bytes (none for an
    /// error). For a completion that took a bundle, only the first buffer:
    /// use [`claim_each`](Self::claim_each) where bundles may come.
    pub(crate) fn claim(self: &Rc<Self>, len: u32, flags: u32) -> Option<PooledBuf> {
        let mut first = None;
        self.claim_each(len, flags, |buf| {
            first.get_or_insert(buf);
        });
        first
    }

    /// Takes what a completion carries, handing each buffer it filled to
    /// `f` in order: one, or for a bundle (a receive of more than one
    /// buffer's worth), the consecutive buffers of the ring from the one
    /// the completion names, all full but the last.
    pub(crate) fn claim_each(self: &Rc<Self>, len: u32, flags: u32, mut f: impl FnMut(PooledBuf)) {
        if flags & cqe_flags::BUFFER == 0 {
            return;
        }
        let mut bid = (flags >> cqe_flags::BUFFER_SHIFT) as u16;
        if bid >= self.count {
            return; // not ours: never handed to this group
        }
        let size = self.size as u32;
        let mut left = len;
        loop {
            let piece = if self.incremental {
                left
            } else {
                left.min(size)
            };
            f(self.take(bid, piece, flags));
            left -= piece;
            if left == 0 {
                return;
            }
            // A bundle: the kernel went on into the next buffers of its
            // ring, in the order they were provided.
            match self.ring_order.borrow().front() {
                Some(&next) => bid = next,
                None => return,
            }
        }
    }

    /// Moves buffer `bid` out of the ring (unless the kernel keeps filling
    /// it incrementally) as a `PooledBuf` of its next `len` bytes.
    fn take(self: &Rc<Self>, bid: u16, len: u32, flags: u32) -> PooledBuf {
        let kernel_keeps = self.incremental && flags & cqe_flags::BUF_MORE != 0;
        let offset = {
            let mut bufs = self.bufs.borrow_mut();
            let state = &mut bufs[usize::from(bid)];
            let offset = state.filled;
            if kernel_keeps {
                state.filled += len;
            } else {
                state.provided = false;
                state.filled = 0;
                self.provided.set(self.provided.get() - 1);
                if self.ordered {
                    let mut order = self.ring_order.borrow_mut();
                    if order.front() == Some(&bid) {
                        order.pop_front();
                    } else if let Some(i) = order.iter().position(|&b| b == bid) {
                        order.remove(i);
                    }
                }
            }
            state.refs += 1;
            offset
        };
        PooledBuf {
            _core: std::marker::PhantomData,
            shared: self.clone(),
            bid,
            ptr: self.addr(bid, offset),
            len: len as usize,
        }
    }

    /// A `PooledBuf` of no bytes and no buffer (an empty datagram that took
    /// none).
    pub(crate) fn empty(self: &Rc<Self>) -> PooledBuf {
        PooledBuf {
            _core: std::marker::PhantomData,
            shared: self.clone(),
            bid: NO_BUFFER,
            ptr: self.mem.as_ptr(),
            len: 0,
        }
    }

    fn release(&self, bid: u16) {
        if bid == NO_BUFFER {
            return;
        }
        let again = {
            let mut bufs = self.bufs.borrow_mut();
            let state = &mut bufs[usize::from(bid)];
            state.refs -= 1;
            state.refs == 0 && !state.provided
        };
        if again {
            self.provide(bid);
        }
    }

    /// Ready once a buffer is provided; registers `cx` to be woken then.
    pub(crate) fn poll_available(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.provided.get() > 0 {
            return Poll::Ready(());
        }
        let mut waiters = self.waiters.borrow_mut();
        if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
            waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Nothing can pick from the group any more: every op that could
        // held this state.
        self.driver.remove_buf_group(self.group);
        // SAFETY: allocated in `BufPool::new` with `layout`; no `PooledBuf`
        // (each holds this state) and no op the kernel may fill is left.
        unsafe { alloc::dealloc(self.mem.as_ptr(), self.layout) };
    }
}

/// Bytes received into a [`BufPool`] buffer, which goes back to its pool
/// when this is dropped (also after every handle to the pool is gone).
///
/// Derefs to the received bytes, and is an [`IoBuf`], so it can be written
/// out (echoed, forwarded) without a copy.
pub struct PooledBuf {
    _core: crate::marker::NotSend,
    shared: Rc<Shared>,
    bid: u16,
    ptr: *const u8,
    len: usize,
}

impl PooledBuf {
    /// The number of bytes received.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no bytes were received.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Deref for PooledBuf {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: the kernel (or the epoll backend) wrote `len` bytes at
        // `ptr`, inside the pool's allocation, which `shared` keeps alive;
        // the buffer is out of the ring until every `PooledBuf` of it is
        // dropped, and incremental fills never touch bytes already
        // reported, so nothing writes them meanwhile.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl AsRef<[u8]> for PooledBuf {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

// SAFETY: `read_ptr` points at `len` initialized bytes in the pool's
// allocation, which stays at the same address while this value (and so its
// `Rc` to the pool) lives, wherever the value moves, and which nothing
// writes while the buffer is out of the ring (see `Deref`).
unsafe impl IoBuf for PooledBuf {
    fn read_ptr(&self) -> *const u8 {
        self.ptr
    }

    fn bytes_init(&self) -> usize {
        self.len
    }
}

impl Drop for PooledBuf {
    fn drop(&mut self) {
        self.shared.release(self.bid);
    }
}

impl fmt::Debug for PooledBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledBuf")
            .field("len", &self.len)
            .field("bid", &self.bid)
            .finish()
    }
}
