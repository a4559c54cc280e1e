//! [`Mutex`]: an async mutual-exclusion lock for tasks on one core, whose
//! guard may be held across `.await`.

use std::cell::{RefCell, RefMut};
use std::fmt;
use std::ops::{Deref, DerefMut};

use super::semaphore::{Semaphore, SemaphorePermit};

/// An async mutex for tasks on one core.
///
/// Unlike `RefCell`, a `Mutex` can be held across `.await`: a task that
/// calls [`lock`](Self::lock) while another holds the guard waits
/// instead of panicking. Waiters get the lock in the order they asked
/// (FIFO), so none is starved.
///
/// It is built on a one-permit [`Semaphore`]; the value sits in a
/// `RefCell` whose borrow is taken only while the permit is held, so the
/// borrow can never conflict.
///
/// **Core-local.** No atomics; neither `Send` nor `Sync`. Share it
/// between tasks with `Rc<Mutex<T>>`.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::Mutex<u32>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::Mutex<u32>>();
/// ```
pub struct Mutex<T: ?Sized> {
    sem: Semaphore,
    data: RefCell<T>,
}

/// Exclusive access to the value in a [`Mutex`]; unlocks when dropped.
///
/// Neither `Send` nor `Sync`, like the mutex.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::MutexGuard<'static, u32>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::MutexGuard<'static, u32>>();
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    // Field order matters: the borrow ends before the permit is returned,
    // so the next owner's `borrow_mut` cannot conflict.
    data: RefMut<'a, T>,
    _permit: SemaphorePermit<'a>,
}

impl<T> Mutex<T> {
    /// Creates an unlocked mutex holding `value`.
    pub const fn new(value: T) -> Self {
        Mutex {
            sem: Semaphore::new(1),
            data: RefCell::new(value),
        }
    }

    /// Consumes the mutex and returns the value.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock and returns a guard.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, but dropping the future gives up its place in the FIFO
    /// queue. If the lock had already been handed to the dropped future
    /// it passes on to the next waiter; the mutex never stays locked by a
    /// future that no longer exists.
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        match self.sem.acquire().await {
            Ok(permit) => self.guard(permit),
            Err(_) => unreachable!("a Mutex's semaphore is never closed"),
        }
    }

    /// Takes the lock if it is free and nobody is queued for it.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if the lock is held or other tasks wait for it.
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        match self.sem.try_acquire() {
            Ok(permit) => Ok(self.guard(permit)),
            Err(_) => Err(TryLockError(())),
        }
    }

    /// A mutable reference to the value; no locking needed since `&mut
    /// self` proves nobody else can hold a guard.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    fn guard<'a>(&'a self, permit: SemaphorePermit<'a>) -> MutexGuard<'a, T> {
        MutexGuard {
            // Holding the only permit means no other guard, hence no other
            // borrow, exists.
            data: self.data.borrow_mut(),
            _permit: permit,
        }
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.data
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// [`Mutex::try_lock`], [`RwLock::try_read`](super::RwLock::try_read) or
/// [`RwLock::try_write`](super::RwLock::try_write) found the lock taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryLockError(pub(crate) ());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation would block")
    }
}

impl std::error::Error for TryLockError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::test_util::Task;

    #[test]
    fn lock_excludes_and_hands_over_in_fifo_order() {
        let m = Mutex::new(Vec::new());
        let guard = m.try_lock().unwrap();
        let mut tasks: Vec<_> = (0..3)
            .map(|i| {
                let m = &m;
                Task::new(async move { m.lock().await.push(i) })
            })
            .collect();
        for t in &mut tasks {
            t.pending();
        }
        assert!(m.try_lock().is_err());
        drop(guard);
        // Poll in reverse: order must follow queue order, not poll order.
        tasks[2].pending();
        tasks[1].pending();
        tasks[0].ready();
        tasks[2].pending();
        tasks[1].ready();
        tasks[2].ready();
        drop(tasks);
        assert_eq!(m.into_inner(), vec![0, 1, 2]);
    }

    #[test]
    fn cancelled_waiter_passes_the_lock_on() {
        let m = Mutex::new(0);
        let guard = m.try_lock().unwrap();
        let mut a = Task::new(m.lock());
        let mut b = Task::new(m.lock());
        a.pending();
        b.pending();
        drop(guard);
        drop(a); // handed the lock, cancelled before seeing it
        assert_eq!(b.wakes(), 1);
        *b.ready() += 1;
        assert_eq!(*m.try_lock().unwrap(), 1);
    }

    #[test]
    fn get_mut_and_debug() {
        let mut m = Mutex::new(5);
        *m.get_mut() = 6;
        assert_eq!(format!("{m:?}"), "Mutex { data: 6 }");
        let g = m.try_lock().unwrap();
        assert_eq!(format!("{m:?}"), "Mutex { data: <locked> }");
        assert_eq!(format!("{g}"), "6");
    }

    #[test]
    fn unsized_values() {
        let m: Box<Mutex<[u8]>> = Box::new(Mutex::new([1u8, 2, 3]));
        m.try_lock().unwrap()[0] = 9;
        assert_eq!(&*m.try_lock().unwrap(), &[9, 2, 3]);
    }
}
