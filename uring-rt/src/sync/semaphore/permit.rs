//! Permits taken from a [`Semaphore`]: borrowed ([`SemaphorePermit`])
//! or owning an `Rc` of it ([`OwnedSemaphorePermit`]).

use std::fmt;
use std::rc::Rc;

use super::Semaphore;

/// Permits taken from a [`Semaphore`]; dropping it gives them back.
///
/// Neither `Send` nor `Sync`, like the semaphore.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::SemaphorePermit<'static>>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::SemaphorePermit<'static>>();
/// ```
#[must_use = "dropping the permit returns it to the semaphore at once"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
    permits: usize,
}

impl<'a> SemaphorePermit<'a> {
    pub(super) fn new(sem: &'a Semaphore, permits: usize) -> Self {
        SemaphorePermit { sem, permits }
    }

    /// How many permits this value holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// Gives up ownership of the permits without returning them, for a
    /// caller that moves them into another permit type.
    pub(super) fn into_count(mut self) -> usize {
        std::mem::take(&mut self.permits)
    }

    /// Drops the permits without returning them: the semaphore holds that
    /// many fewer from now on (until [`Semaphore::add_permits`]).
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// Moves the permits of `other` into `self`.
    ///
    /// # Panics
    ///
    /// Panics if the two permits come from different semaphores.
    #[track_caller]
    pub fn merge(&mut self, mut other: Self) {
        assert!(
            std::ptr::eq(self.sem, other.sem),
            "merging permits from different semaphores"
        );
        self.permits += other.permits;
        other.permits = 0;
    }

    /// Splits `n` permits off into a new value.
    ///
    /// Returns `None` (and changes nothing) if `n` exceeds
    /// [`num_permits`](Self::num_permits).
    pub fn split(&mut self, n: usize) -> Option<Self> {
        let rest = self.permits.checked_sub(n)?;
        self.permits = rest;
        Some(SemaphorePermit::new(self.sem, n))
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        if self.permits > 0 {
            self.sem.release(self.permits);
        }
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.permits)
            .finish_non_exhaustive()
    }
}

/// Permits taken from a [`Semaphore`] held through an `Rc`, so the permit
/// is `'static` and can move into a spawned task; dropping it gives them
/// back. Made by [`Semaphore::acquire_owned`] and friends.
///
/// Neither `Send` nor `Sync`, like the semaphore.
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<aio::sync::OwnedSemaphorePermit>();
/// ```
///
/// ```compile_fail
/// fn assert_sync<T: Sync>() {}
/// assert_sync::<aio::sync::OwnedSemaphorePermit>();
/// ```
#[must_use = "dropping the permit returns it to the semaphore at once"]
pub struct OwnedSemaphorePermit {
    sem: Rc<Semaphore>,
    permits: usize,
}

impl OwnedSemaphorePermit {
    pub(super) fn new(sem: Rc<Semaphore>, permits: usize) -> Self {
        OwnedSemaphorePermit { sem, permits }
    }

    /// How many permits this value holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// The semaphore the permits came from.
    pub fn semaphore(&self) -> &Rc<Semaphore> {
        &self.sem
    }

    /// Drops the permits without returning them: the semaphore holds that
    /// many fewer from now on (until [`Semaphore::add_permits`]).
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// Moves the permits of `other` into `self`.
    ///
    /// # Panics
    ///
    /// Panics if the two permits come from different semaphores.
    #[track_caller]
    pub fn merge(&mut self, mut other: Self) {
        assert!(
            Rc::ptr_eq(&self.sem, &other.sem),
            "merging permits from different semaphores"
        );
        self.permits += other.permits;
        other.permits = 0;
    }

    /// Splits `n` permits off into a new value.
    ///
    /// Returns `None` (and changes nothing) if `n` exceeds
    /// [`num_permits`](Self::num_permits).
    pub fn split(&mut self, n: usize) -> Option<Self> {
        let rest = self.permits.checked_sub(n)?;
        self.permits = rest;
        Some(OwnedSemaphorePermit::new(Rc::clone(&self.sem), n))
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        if self.permits > 0 {
            self.sem.release(self.permits);
        }
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.permits)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::test_util::Task;

    #[test]
    fn borrowed_permit_forget_merge_split() {
        let sem = Semaphore::new(4);
        let mut a = sem.try_acquire_many(2).unwrap();
        let b = sem.try_acquire().unwrap();
        a.merge(b);
        assert_eq!(a.num_permits(), 3);
        let c = a.split(2).unwrap();
        assert!(a.split(5).is_none());
        c.forget();
        drop(a);
        assert_eq!(sem.available_permits(), 2);
    }

    #[test]
    fn owned_permits_outlive_the_borrow_and_return_on_drop() {
        let sem = Rc::new(Semaphore::new(3));
        let mut a = Rc::clone(&sem).try_acquire_many_owned(2).unwrap();
        let b = Rc::clone(&sem).try_acquire_owned().unwrap();
        assert_eq!(sem.available_permits(), 0);
        a.merge(b);
        let c = a.split(1).unwrap();
        assert!(Rc::ptr_eq(c.semaphore(), &sem));
        c.forget();
        drop(a);
        assert_eq!(sem.available_permits(), 2);
    }

    #[test]
    fn owned_acquire_waits_and_cancels_like_the_borrowed_one() {
        let sem = Rc::new(Semaphore::new(1));
        let held = Rc::clone(&sem).try_acquire_owned().unwrap();
        let mut first = Task::new(Rc::clone(&sem).acquire_owned());
        let mut second = Task::new(Rc::clone(&sem).acquire_many_owned(1));
        first.pending();
        second.pending();
        drop(held);
        drop(first); // granted, never collected
        assert_eq!(second.wakes(), 1);
        let p = second.ready().unwrap();
        assert_eq!(p.num_permits(), 1);
        drop(p);
        assert_eq!(sem.available_permits(), 1);
    }

    #[test]
    #[should_panic(expected = "different semaphores")]
    fn merging_across_semaphores_panics() {
        let (s1, s2) = (Semaphore::new(1), Semaphore::new(1));
        let mut a = s1.try_acquire().unwrap();
        a.merge(s2.try_acquire().unwrap());
    }
}
