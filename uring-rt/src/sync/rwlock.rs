//! [`RwLock`]: an async reader-writer lock for tasks on one core, fair
//! between readers and writers.

use std::cell::{Ref, RefCell, RefMut};
use std::fmt;
use std::ops::{Deref, DerefMut};

use super::mutex::TryLockError;
use super::semaphore::{Semaphore, SemaphorePermit};

/// The default (and largest) number of concurrent readers.
const MAX_READS: usize = (u32::MAX >> 3) as usize;

/// An async reader-writer lock for tasks on one core.
///
/// Any number of readers, or one writer, may hold the lock; guards may be
/// held across `.await`.
///
/// **Fairness.** Requests are served first-in, first-out: once a writer
/// waits, readers that arrive after it queue behind it, so a steady
/// stream of readers cannot starve a writer (and a writer at the head
/// does not let later readers jump it).
///
/// It is built on a [`Semaphore`] with one permit per reader; a writer
/// takes all of them. The value sits in a `RefCell` whose borrows are
/// taken only while the matching permits are held, so they never
/// conflict.
///
/// **Core-local.** No atomics; neither `Send` nor `Sync`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::RwLock<u32>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::RwLock<u32>>();
/// ```
pub struct RwLock<T: ?Sized> {
    max_readers: usize,
    sem: Semaphore,
    data: RefCell<T>,
}

/// Shared access to the value in a [`RwLock`]; releases it when dropped.
///
/// Neither `Send` nor `Sync`, like the lock.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::RwLockReadGuard<'static, u32>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::RwLockReadGuard<'static, u32>>();
/// ```
#[must_use = "the read lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    // The borrow ends before the permit is returned.
    data: Ref<'a, T>,
    _permit: SemaphorePermit<'a>,
}

/// Exclusive access to the value in a [`RwLock`]; releases it when
/// dropped.
///
/// Neither `Send` nor `Sync`, like the lock.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::RwLockWriteGuard<'static, u32>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::RwLockWriteGuard<'static, u32>>();
/// ```
#[must_use = "the write lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    // The borrow ends before the permits are returned.
    data: RefMut<'a, T>,
    permit: SemaphorePermit<'a>,
    /// For [`downgrade`](Self::downgrade), to borrow again shared.
    cell: &'a RefCell<T>,
}

impl<T> RwLock<T> {
    /// Creates an unlocked lock holding `value`.
    pub const fn new(value: T) -> Self {
        RwLock {
            max_readers: MAX_READS,
            sem: Semaphore::new(MAX_READS),
            data: RefCell::new(value),
        }
    }

    /// Creates an unlocked lock that lets at most `max_readers` readers in
    /// at once; further readers wait.
    ///
    /// # Panics
    ///
    /// Panics if `max_readers` is 0 or above `u32::MAX >> 3`.
    #[track_caller]
    pub fn with_max_readers(value: T, max_readers: u32) -> Self {
        let max_readers = max_readers as usize;
        assert!(
            (1..=MAX_READS).contains(&max_readers),
            "max_readers must be between 1 and u32::MAX >> 3"
        );
        RwLock {
            max_readers,
            sem: Semaphore::new(max_readers),
            data: RefCell::new(value),
        }
    }

    /// Consumes the lock and returns the value.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits for shared access.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, but dropping the future gives up its place in the FIFO
    /// queue; access already granted to it is released at once.
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        match self.sem.acquire().await {
            Ok(permit) => self.read_guard(permit),
            Err(_) => unreachable!("an RwLock's semaphore is never closed"),
        }
    }

    /// Waits for exclusive access.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, but dropping the future gives up its place in the FIFO
    /// queue (letting readers queued behind it in); access already granted
    /// to it is released at once.
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        match self.sem.acquire_many(self.max_readers).await {
            Ok(permit) => self.write_guard(permit),
            Err(_) => unreachable!("an RwLock's semaphore is never closed"),
        }
    }

    /// Takes shared access if it is free now and nobody is queued.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if a writer holds the lock, the reader limit is
    /// reached, or tasks are queued for it.
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        match self.sem.try_acquire() {
            Ok(permit) => Ok(self.read_guard(permit)),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Takes exclusive access if it is free now and nobody is queued.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if any reader or writer holds the lock, or tasks
    /// are queued for it.
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        match self.sem.try_acquire_many(self.max_readers) {
            Ok(permit) => Ok(self.write_guard(permit)),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// A mutable reference to the value; `&mut self` proves no guard
    /// exists.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    fn read_guard<'a>(&'a self, permit: SemaphorePermit<'a>) -> RwLockReadGuard<'a, T> {
        RwLockReadGuard {
            // A read permit means no writer holds all permits, so no
            // mutable borrow exists.
            data: self.data.borrow(),
            _permit: permit,
        }
    }

    fn write_guard<'a>(&'a self, permit: SemaphorePermit<'a>) -> RwLockWriteGuard<'a, T> {
        RwLockWriteGuard {
            // Holding every permit means no other guard, hence no borrow,
            // exists.
            data: self.data.borrow_mut(),
            permit,
            cell: &self.data,
        }
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.data
    }
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Turns exclusive access into shared access without letting a writer
    /// in between; readers queued behind this writer are let in at once.
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        let RwLockWriteGuard {
            data,
            mut permit,
            cell,
        } = self;
        drop(data);
        // Nothing runs between the two borrows: no other task can get in.
        let data = cell.borrow();
        // Keep one reader permit and give back the rest, which wakes the
        // readers queued next (a queued writer still needs them all).
        let rest = permit.num_permits() - 1;
        drop(permit.split(rest));
        RwLockReadGuard {
            data,
            _permit: permit,
        }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.data
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::test_util::Task;

    #[test]
    fn many_readers_or_one_writer() {
        let l = RwLock::new(1);
        let r1 = l.try_read().unwrap();
        let r2 = l.try_read().unwrap();
        assert_eq!(*r1 + *r2, 2);
        assert!(l.try_write().is_err());
        drop((r1, r2));
        let mut w = l.try_write().unwrap();
        *w = 2;
        assert!(l.try_read().is_err());
        drop(w);
        assert_eq!(*l.try_read().unwrap(), 2);
    }

    #[test]
    fn writer_is_not_starved_by_later_readers() {
        let l = RwLock::new(0);
        let r = l.try_read().unwrap();
        let mut writer = Task::new(async {
            *l.write().await += 1;
        });
        writer.pending();
        // A reader arriving after the writer must wait behind it.
        let mut late_reader = Task::new(async { *l.read().await });
        late_reader.pending();
        assert!(l.try_read().is_err());
        drop(r);
        assert_eq!(writer.wakes(), 1);
        assert_eq!(late_reader.wakes(), 0);
        writer.ready();
        assert_eq!(late_reader.wakes(), 1);
        assert_eq!(late_reader.ready(), 1);
    }

    #[test]
    fn queued_readers_enter_together() {
        let l = RwLock::new(());
        let w = l.try_write().unwrap();
        let mut readers: Vec<_> = (0..3).map(|_| Task::new(l.read())).collect();
        for r in &mut readers {
            r.pending();
        }
        drop(w);
        let guards: Vec<_> = readers.iter_mut().map(|r| r.ready()).collect();
        assert_eq!(guards.len(), 3);
    }

    #[test]
    fn cancelled_writer_lets_readers_in() {
        let l = RwLock::new(());
        let r = l.try_read().unwrap();
        let mut writer = Task::new(l.write());
        writer.pending();
        let mut reader = Task::new(l.read());
        reader.pending();
        drop(writer);
        assert_eq!(reader.wakes(), 1);
        let _r2 = reader.ready();
        drop(r);
    }

    #[test]
    fn downgrade_keeps_writers_out_and_lets_readers_in() {
        let l = RwLock::new(1);
        let mut w = l.try_write().unwrap();
        let mut reader = Task::new(async { *l.read().await });
        let mut writer = Task::new(async { *l.write().await = 3 });
        reader.pending();
        writer.pending();
        *w = 2;
        let r = w.downgrade();
        assert_eq!(*r, 2);
        assert_eq!(reader.wakes(), 1);
        assert_eq!(reader.ready(), 2);
        writer.pending();
        assert!(l.try_write().is_err());
        drop(r);
        writer.ready();
        assert_eq!(*l.try_read().unwrap(), 3);
    }

    #[test]
    fn max_readers_limits_concurrency() {
        let l = RwLock::with_max_readers(0u8, 2);
        let a = l.try_read().unwrap();
        let _b = l.try_read().unwrap();
        let mut c = Task::new(l.read());
        c.pending();
        drop(a);
        let _c = c.ready();
        assert!(l.try_write().is_err());
    }
}
