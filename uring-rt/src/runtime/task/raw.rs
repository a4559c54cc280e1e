//! The task cell: one heap allocation holding a task's header, its future
//! and, once it finishes, its output.
//!
//! # State machine
//!
//! `Header::state` holds bit flags, read and written only on the owning
//! runtime's thread (the task is `!Send`, and so are its `JoinHandle` and the
//! runtime; remote wakers only touch `refs` and the owner's inbox):
//!
//! - `SCHEDULED`: the task sits in the run queue (or is on its way there from
//!   the inbox). Set by a wake, cleared when the task is taken off the queue.
//! - `RUNNING`: the future is being polled right now.
//! - `COMPLETE`: the future is gone. The stage holds the output (`Finished`)
//!   until the `JoinHandle` takes it, or is `Consumed`. Never cleared.
//! - `JOIN_INTEREST`: a `JoinHandle` exists. Without one, the output is
//!   dropped as soon as the task completes.
//!
//! `Header::flags` holds the two facts other threads may need, atomically
//! (an `AbortHandle` is `Send + Sync`):
//!
//! - `ABORT`: `abort()` was called, on any thread (the caller then
//!   schedules the task, through the inbox from another thread); the next
//!   run drops the future instead of polling it. Set by any thread, never
//!   cleared.
//! - `DONE`: the mirror of `COMPLETE`, set by the owner when it sets that
//!   bit (`mark_complete`), read by `AbortHandle::is_finished`.
//!
//! # Reference counting
//!
//! `refs` counts the owners of the allocation: the runtime's task registry
//! (until completion), each run-queue or inbox entry, each `Waker`, and the
//! `JoinHandle`. It is atomic because wakers may be cloned and dropped on any
//! thread. The allocation is freed when it reaches zero; by then the stage
//! is `Consumed` or holds a (`Send`) `JoinError`, because the future and any
//! output are always dropped on the owner thread first (completion, the
//! `JoinHandle`, or the runtime's shutdown do it), so a final release on a
//! foreign thread frees memory and nothing else.

use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use super::{Id, JoinError};
use crate::runtime::Shared;
use crate::trace::TaskSpan;

pub(crate) const SCHEDULED: u8 = 1;
pub(crate) const RUNNING: u8 = 2;
pub(crate) const COMPLETE: u8 = 4;
pub(crate) const JOIN_INTEREST: u8 = 16;

/// `Header::flags`: abort requested (any thread).
const ABORT: u8 = 1;
/// `Header::flags`: the task is complete (mirrors `COMPLETE`).
const DONE: u8 = 2;

/// The type-independent part of a task, at offset 0 of every cell.
pub(crate) struct Header {
    refs: AtomicUsize,
    state: Cell<u8>,
    /// `ABORT` and `DONE`: what other threads may read or request.
    flags: AtomicU8,
    id: Id,
    /// Where the task was spawned, for slow-poll reports.
    location: &'static Location<'static>,
    /// The task's `tracing` span (zero-sized without the feature).
    span: TaskSpan,
    /// Index in the owner's task registry while not complete. A `u32`
    /// keeps the header at 64 bytes with `location` in it (4 billion live
    /// tasks would need 256 GiB of cells).
    registry_index: Cell<u32>,
    owner: Arc<Shared>,
    vtable: &'static Vtable,
    /// Woken when the task completes; owner thread only.
    join_waker: UnsafeCell<Option<Waker>>,
}

struct Vtable {
    /// Polls the future (or drops it if cancelled); returns true once the
    /// task is complete and its stage holds the output.
    poll: unsafe fn(NonNull<Header>, &mut Context<'_>) -> bool,
    /// Drops the future and stores a cancellation error.
    cancel: unsafe fn(NonNull<Header>),
    /// Moves the output into `*dst`, a `Poll<Result<T, JoinError>>`.
    read_output: unsafe fn(NonNull<Header>, *mut ()),
    /// Drops whatever the stage holds and leaves it `Consumed`.
    drop_stage: unsafe fn(NonNull<Header>),
    /// Frees the allocation.
    dealloc: unsafe fn(NonNull<Header>),
}

#[repr(C)]
struct TaskCell<F: Future> {
    header: Header,
    stage: UnsafeCell<Stage<F>>,
}

enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

/// An owned reference to a task (one count of `refs`).
pub(crate) struct TaskRef {
    ptr: NonNull<Header>,
}

// SAFETY: a TaskRef crosses threads only through the owner's inbox or inside
// a Waker. Off the owner thread it is used only to reach `refs` (atomic) and
// `owner` (immutable, `Arc<Shared>` is Sync); the future, the output and the
// state cell are only touched on the owner thread (see the module docs), and
// a final release off the owner thread frees memory holding nothing !Send.
unsafe impl Send for TaskRef {}

impl TaskRef {
    /// Allocates a task for `future`, owned by the runtime behind `owner`,
    /// and returns three references: for the registry, the run queue and the
    /// `JoinHandle` (the task starts scheduled, with join interest).
    /// `location`: where it was spawned. Inlined so the cell is built in
    /// its allocation, not on the stack and copied (measured: a memmove
    /// on every spawn otherwise).
    #[inline]
    pub(crate) fn new<F>(
        future: F,
        owner: Arc<Shared>,
        location: &'static Location<'static>,
    ) -> [TaskRef; 3]
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let id = Id::next();
        let cell = Box::new(TaskCell {
            header: Header {
                refs: AtomicUsize::new(3),
                state: Cell::new(SCHEDULED | JOIN_INTEREST),
                flags: AtomicU8::new(0),
                id,
                location,
                span: TaskSpan::new(id.as_u64(), location),
                registry_index: Cell::new(u32::MAX),
                owner,
                vtable: vtable::<F>(),
                join_waker: UnsafeCell::new(None),
            },
            stage: UnsafeCell::new(Stage::Running(future)),
        });
        // TaskCell is repr(C) with the header first, so the cell pointer is a
        // valid header pointer.
        let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
        [TaskRef { ptr }, TaskRef { ptr }, TaskRef { ptr }]
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: we own a reference count, so the allocation is alive.
        unsafe { self.ptr.as_ref() }
    }

    pub(crate) fn owner(&self) -> &Arc<Shared> {
        &self.header().owner
    }

    pub(crate) fn state(&self) -> u8 {
        self.header().state.get()
    }

    pub(crate) fn set_state(&self, state: u8) {
        self.header().state.set(state)
    }

    pub(crate) fn id(&self) -> Id {
        self.header().id
    }

    /// Where the task was spawned.
    pub(crate) fn location(&self) -> &'static Location<'static> {
        self.header().location
    }

    /// Marks the task complete: the owner-side `COMPLETE` bit and the
    /// `DONE` flag other threads read. Owner thread only.
    pub(crate) fn mark_complete(&self) {
        self.set_state(self.state() | COMPLETE);
        self.header().flags.fetch_or(DONE, Ordering::Release);
    }

    /// Whether the task is complete; any thread.
    pub(crate) fn is_done(&self) -> bool {
        self.header().flags.load(Ordering::Acquire) & DONE != 0
    }

    /// Requests that the task be dropped at its next run, and schedules it
    /// (through its owner's inbox from another thread). Any thread. Does
    /// nothing if the task is complete or an abort was already requested.
    pub(crate) fn request_abort(&self) {
        let prev = self.header().flags.fetch_or(ABORT, Ordering::AcqRel);
        if prev & (ABORT | DONE) == 0 {
            crate::runtime::schedule(self.clone_ref());
        }
    }

    pub(crate) fn registry_index(&self) -> usize {
        self.header().registry_index.get() as usize
    }

    /// # Panics
    ///
    /// Panics past `u32::MAX` live tasks (which no memory could hold).
    pub(crate) fn set_registry_index(&self, index: usize) {
        let index = u32::try_from(index).expect("more than 2^32 live tasks on one runtime");
        self.header().registry_index.set(index)
    }

    /// Polls the task once with a waker that borrows this reference.
    /// Returns true if the task completed. Owner thread only.
    pub(crate) fn poll(&self) -> bool {
        let raw = RawWaker::new(self.ptr.as_ptr() as *const (), &WAKER_VTABLE);
        // SAFETY: the vtable's functions uphold the RawWaker contract (see
        // below); ManuallyDrop keeps this borrowed waker from releasing a
        // reference it never took.
        let waker = ManuallyDrop::new(unsafe { Waker::from_raw(raw) });
        let mut cx = Context::from_waker(&waker);
        let _id = self.id().enter();
        let _span = self.header().span.enter();
        // SAFETY: called on the owner thread (the runtime only polls its own
        // tasks), the header's vtable matches the cell's type.
        unsafe { (self.header().vtable.poll)(self.ptr, &mut cx) }
    }

    /// Drops the future, leaving a cancellation error. Owner thread only.
    pub(crate) fn cancel(&self) {
        let _id = self.id().enter();
        // SAFETY: owner thread, matching vtable.
        unsafe { (self.header().vtable.cancel)(self.ptr) }
    }

    /// Drops the stored output (or future). Owner thread only.
    pub(crate) fn drop_stage(&self) {
        let _id = self.id().enter();
        // SAFETY: owner thread, matching vtable.
        unsafe { (self.header().vtable.drop_stage)(self.ptr) }
    }

    /// Takes the join waker, if any. Owner thread only.
    pub(crate) fn take_join_waker(&self) -> Option<Waker> {
        // SAFETY: the join waker is only accessed on the owner thread, and
        // never while another borrow of it is live.
        unsafe { (*self.header().join_waker.get()).take() }
    }

    /// Registers the waker to wake on completion. Owner thread only.
    pub(crate) fn set_join_waker(&self, waker: &Waker) {
        // SAFETY: as for take_join_waker; the shared borrow ends before any
        // user code (the clone, the old waker's drop) runs.
        if let Some(w) = unsafe { &*self.header().join_waker.get() } {
            if w.will_wake(waker) {
                return;
            }
        }
        let new = waker.clone();
        // SAFETY: as above; the exclusive borrow lasts only for the swap, so
        // a re-entrant access from the old waker's drop sees a valid slot.
        let old = unsafe { (*self.header().join_waker.get()).replace(new) };
        drop(old);
    }

    /// Moves the output out of a complete task.
    ///
    /// # Safety
    ///
    /// Owner thread only; `T` must be the task future's output type and the
    /// task must be complete.
    pub(crate) unsafe fn read_output<T>(&self) -> Result<T, JoinError> {
        let mut out: Poll<Result<T, JoinError>> = Poll::Pending;
        // SAFETY: forwarded from the caller: `out` has the type read_output
        // writes for this cell.
        unsafe { (self.header().vtable.read_output)(self.ptr, &mut out as *mut _ as *mut ()) };
        match out {
            Poll::Ready(r) => r,
            Poll::Pending => panic!("`JoinHandle` polled after it returned `Ready`"),
        }
    }

    /// Creates a new owned reference to the same task.
    pub(crate) fn clone_ref(&self) -> TaskRef {
        inc_ref(self.header());
        TaskRef { ptr: self.ptr }
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        let header = self.header();
        if header.refs.fetch_sub(1, Ordering::Release) == 1 {
            // Synchronise with every other release before freeing.
            std::sync::atomic::fence(Ordering::Acquire);
            // SAFETY: that was the last reference; nothing else can reach the
            // allocation. Its stage holds nothing !Send (module docs).
            unsafe { (header.vtable.dealloc)(self.ptr) }
        }
    }
}

fn inc_ref(header: &Header) {
    let prev = header.refs.fetch_add(1, Ordering::Relaxed);
    if prev > isize::MAX as usize {
        // Like Arc: a count this large means wakers are being leaked.
        std::process::abort();
    }
}

// ---- wakers ----------------------------------------------------------------

static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(waker_clone, waker_wake, waker_wake_by_ref, waker_drop);

/// The waker vtable's `clone`: takes a new reference for the new waker.
///
/// # Safety
/// `ptr` is the data pointer of a live waker made from this vtable: a task
/// header the waker holds a reference to.
unsafe fn waker_clone(ptr: *const ()) -> RawWaker {
    // SAFETY: a live waker owns (or borrows) a reference, so the header is alive.
    inc_ref(unsafe { &*(ptr as *const Header) });
    RawWaker::new(ptr, &WAKER_VTABLE)
}

/// The waker vtable's `wake`: schedules the task, handing it the waker's
/// reference.
///
/// # Safety
/// As [`waker_clone`]; the waker is consumed (its reference moves on).
unsafe fn waker_wake(ptr: *const ()) {
    // SAFETY: wake consumes the waker, whose reference moves into the
    // TaskRef; a waker's data pointer is a live, non-null header.
    let ptr = unsafe { NonNull::new_unchecked(ptr as *mut Header) };
    let task = TaskRef { ptr };
    crate::runtime::schedule(task);
}

/// The waker vtable's `wake_by_ref`: schedules the task with a new
/// reference.
///
/// # Safety
/// As [`waker_clone`].
unsafe fn waker_wake_by_ref(ptr: *const ()) {
    // SAFETY: the waker keeps the header alive; we take a new reference.
    let header = unsafe { &*(ptr as *const Header) };
    inc_ref(header);
    crate::runtime::schedule(TaskRef {
        ptr: NonNull::from(header),
    });
}

/// The waker vtable's `drop`: releases the waker's reference.
///
/// # Safety
/// As [`waker_clone`]; the waker is gone after the call.
unsafe fn waker_drop(ptr: *const ()) {
    // SAFETY: dropping the waker releases the reference it owned; its data
    // pointer is a live, non-null header.
    let ptr = unsafe { NonNull::new_unchecked(ptr as *mut Header) };
    drop(TaskRef { ptr });
}

// ---- typed functions ----------------------------------------------------------

fn vtable<F: Future + 'static>() -> &'static Vtable {
    struct Holder<F>(PhantomData<F>);
    impl<F: Future + 'static> Holder<F> {
        const VTABLE: Vtable = Vtable {
            poll: poll::<F>,
            cancel: cancel::<F>,
            read_output: read_output::<F>,
            drop_stage: drop_stage::<F>,
            dealloc: dealloc::<F>,
        };
    }
    &Holder::<F>::VTABLE
}

/// # Safety
/// `ptr` is the header of a live `TaskCell<F>`; owner thread only.
unsafe fn stage<F: Future>(ptr: NonNull<Header>) -> *mut Stage<F> {
    // SAFETY: the header is the first field of a repr(C) TaskCell<F>.
    let cell = unsafe { ptr.cast::<TaskCell<F>>().as_ref() };
    cell.stage.get()
}

/// Replaces the stage in place (the future is pinned there, so it is dropped
/// in place, never moved). Returns the panic of a panicking drop, if any.
///
/// # Safety
/// `stage` is valid and owned by the caller for the duration.
unsafe fn replace_stage<F: Future>(
    stage: *mut Stage<F>,
    new: Stage<F>,
) -> Option<Box<dyn Any + Send>> {
    // SAFETY: the caller guarantees `stage` is valid; after drop_in_place
    // (even one that unwinds) the old value is gone and the slot is rewritten
    // with a valid value before anyone reads it.
    unsafe {
        let res = catch_unwind(AssertUnwindSafe(|| ptr::drop_in_place(stage)));
        ptr::write(stage, new);
        res.err()
    }
}

/// [`Vtable::poll`] for `F`.
///
/// # Safety
/// `ptr` is the header of a live `TaskCell<F>` (the vtable's own `F`), on
/// its owner thread, with no borrow of its stage live.
unsafe fn poll<F: Future + 'static>(ptr: NonNull<Header>, cx: &mut Context<'_>) -> bool {
    // SAFETY: ptr is a live TaskCell<F> (vtable matches), owner thread.
    let header = unsafe { ptr.as_ref() };
    if header.flags.load(Ordering::Acquire) & ABORT != 0 {
        // SAFETY: same cell, owner thread.
        unsafe { cancel::<F>(ptr) };
        return true;
    }
    // SAFETY: as above.
    let stage = unsafe { stage::<F>(ptr) };
    // SAFETY: the stage is only accessed here, on the owner thread, and the
    // runtime never polls a complete task, so it holds the future.
    let fut = match unsafe { &mut *stage } {
        Stage::Running(fut) => fut,
        _ => unreachable!("a complete task was polled"),
    };
    // SAFETY: the future lives in a heap cell that is never moved, and it is
    // only ever dropped in place (replace_stage), so it is pinned.
    let fut = unsafe { Pin::new_unchecked(fut) };
    let result = match catch_unwind(AssertUnwindSafe(|| {
        // A panic in `poll` drops the future during the unwind (as tokio's
        // harness does), so its destructors see `thread::panicking()`.
        let guard = DropOnUnwind(stage);
        let res = fut.poll(cx);
        std::mem::forget(guard);
        res
    })) {
        Ok(Poll::Pending) => return false,
        Ok(Poll::Ready(out)) => Ok(out),
        Err(panic) => Err(JoinError::panic(panic)),
    };
    // Drop the future before publishing the output, as tokio does (after a
    // panic the guard already did: the stage is `Consumed`).
    // SAFETY: the stage is ours for the duration (owner thread, no borrow live).
    let drop_panic = unsafe { replace_stage(stage, Stage::Consumed) };
    let result = match (result, drop_panic) {
        (Ok(out), Some(p)) => {
            // The output's own destructor may panic too; contain it.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(out)));
            Err(JoinError::panic(p))
        }
        (r, _) => r,
    };
    // SAFETY: as above; the stage is Consumed, writing over it drops nothing.
    unsafe { ptr::write(stage, Stage::Finished(result)) };
    true
}

/// Drops the future in place when a poll unwinds; forgotten otherwise.
struct DropOnUnwind<F: Future>(*mut Stage<F>);

impl<F: Future> Drop for DropOnUnwind<F> {
    fn drop(&mut self) {
        // SAFETY: the stage pointer is the cell's (live: the task is being
        // polled). The `&mut` the poll held ended when `poll` unwound, so
        // nothing borrows the stage now. A second panic, from a destructor,
        // is contained by replace_stage (unwinding out of this drop would
        // abort) and lost: the JoinError carries the poll's panic.
        let _ = unsafe { replace_stage(self.0, Stage::Consumed) };
    }
}

/// [`Vtable::cancel`] for `F`.
///
/// # Safety
/// As [`poll`].
unsafe fn cancel<F: Future + 'static>(ptr: NonNull<Header>) {
    // SAFETY: live TaskCell<F>, owner thread, no borrow of the stage live.
    let stage = unsafe { stage::<F>(ptr) };
    // SAFETY: as above.
    let drop_panic = unsafe { replace_stage(stage, Stage::Consumed) };
    let err = match drop_panic {
        Some(p) => JoinError::panic(p),
        None => JoinError::cancelled(),
    };
    // SAFETY: the stage is Consumed; overwriting it drops nothing.
    unsafe { ptr::write(stage, Stage::Finished(Err(err))) };
}

/// [`Vtable::read_output`] for `F`.
///
/// # Safety
/// As [`poll`], and `dst` points to a valid, writable
/// `Poll<Result<F::Output, JoinError>>`.
unsafe fn read_output<F: Future + 'static>(ptr: NonNull<Header>, dst: *mut ()) {
    // SAFETY: live TaskCell<F>, owner thread; the caller passes a
    // Poll<Result<F::Output, JoinError>> (JoinHandle<F::Output> does).
    unsafe {
        let stage = &mut *stage::<F>(ptr);
        if let Stage::Finished(_) = stage {
            // The output is not pinned (only the future is), so moving it
            // out is fine.
            if let Stage::Finished(out) = std::mem::replace(stage, Stage::Consumed) {
                *(dst as *mut Poll<Result<F::Output, JoinError>>) = Poll::Ready(out);
            }
        }
    }
}

/// [`Vtable::drop_stage`] for `F`.
///
/// # Safety
/// As [`poll`].
unsafe fn drop_stage<F: Future + 'static>(ptr: NonNull<Header>) {
    // SAFETY: live TaskCell<F>, owner thread. A panicking output destructor
    // is contained; nobody is left to report it to.
    unsafe {
        let _ = replace_stage(stage::<F>(ptr), Stage::Consumed);
    }
}

/// [`Vtable::dealloc`] for `F`.
///
/// # Safety
/// `ptr` is the header of a `TaskCell<F>` made by `TaskRef::new` with this
/// `F`, and its last reference is gone: nothing can reach it after.
unsafe fn dealloc<F: Future + 'static>(ptr: NonNull<Header>) {
    // SAFETY: the last reference is gone and the cell came from Box::leak in
    // TaskRef::new with this F.
    unsafe { drop(Box::from_raw(ptr.cast::<TaskCell<F>>().as_ptr())) }
}

#[cfg(all(test, not(feature = "tracing")))]
mod layout_tests {
    /// The header is one cache line (measured: a bigger one made every
    /// spawn copy the cell through `memmove`). The `tracing` feature's
    /// span makes it larger, on purpose.
    #[test]
    fn the_task_header_is_64_bytes() {
        assert_eq!(std::mem::size_of::<super::Header>(), 64);
    }
}
