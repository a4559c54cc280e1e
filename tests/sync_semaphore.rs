//! `aio::sync::Semaphore` between spawned tasks: it bounds concurrency,
//! serves waiters FIFO without starving large requests, returns the
//! permits of cancelled waiters, and fails waiters on close.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use aio::sync::Semaphore;
use aio::task::yield_now;

async fn settle() {
    for _ in 0..16 {
        yield_now().await;
    }
}

#[aio::test]
async fn bounds_the_number_of_concurrent_tasks() {
    let sem = Rc::new(Semaphore::new(3));
    let running = Rc::new(Cell::new(0));
    let peak = Rc::new(Cell::new(0));
    let mut handles = Vec::new();
    for _ in 0..20 {
        let (sem, running, peak) = (Rc::clone(&sem), Rc::clone(&running), Rc::clone(&peak));
        handles.push(aio::spawn(async move {
            let _permit = sem.acquire().await.unwrap();
            running.set(running.get() + 1);
            peak.set(peak.get().max(running.get()));
            yield_now().await;
            yield_now().await;
            running.set(running.get() - 1);
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(peak.get(), 3);
    assert_eq!(sem.available_permits(), 3);
}

#[aio::test]
async fn large_request_is_not_starved_by_small_ones() {
    let sem = Rc::new(Semaphore::new(4));
    let order = Rc::new(RefCell::new(Vec::new()));
    let held = sem.acquire_many(4).await.unwrap();
    let big = {
        let (sem, order) = (Rc::clone(&sem), Rc::clone(&order));
        aio::spawn(async move {
            let _p = sem.acquire_many(4).await.unwrap();
            order.borrow_mut().push("big");
            yield_now().await;
        })
    };
    settle().await;
    let mut small = Vec::new();
    for _ in 0..4 {
        let (sem, order) = (Rc::clone(&sem), Rc::clone(&order));
        small.push(aio::spawn(async move {
            let _p = sem.acquire().await.unwrap();
            order.borrow_mut().push("small");
        }));
    }
    settle().await;
    // Free permits trickle back one at a time; none may go to the small
    // requests queued behind the big one.
    let mut held = held;
    for _ in 0..3 {
        drop(held.split(1).unwrap());
        settle().await;
        assert!(
            order.borrow().is_empty(),
            "small request overtook the big one"
        );
    }
    drop(held);
    big.await.unwrap();
    for s in small {
        s.await.unwrap();
    }
    assert_eq!(*order.borrow(), ["big", "small", "small", "small", "small"]);
}

#[aio::test]
async fn aborted_waiter_returns_its_granted_permits() {
    let sem = Rc::new(Semaphore::new(2));
    let held = sem.acquire_many(2).await.unwrap();
    let waiter = {
        let sem = Rc::clone(&sem);
        aio::spawn(async move {
            let _p = sem.acquire_many(2).await.unwrap();
            unreachable!("aborted before it could run");
        })
    };
    settle().await;
    // Grant the permits to the waiter, then cancel it before it runs.
    drop(held);
    assert_eq!(sem.available_permits(), 0);
    waiter.abort();
    assert!(waiter.await.unwrap_err().is_cancelled());
    assert_eq!(sem.available_permits(), 2);
}

#[aio::test]
async fn aborted_queued_waiter_leaves_the_queue() {
    let sem = Rc::new(Semaphore::new(1));
    let held = sem.acquire().await.unwrap();
    let spawn_acquire = |n: usize| {
        let sem = Rc::clone(&sem);
        aio::spawn(async move { sem.acquire_many(n).await.map(|p| p.num_permits()) })
    };
    let big = spawn_acquire(100);
    settle().await;
    let small = spawn_acquire(1);
    settle().await;
    big.abort();
    assert!(big.await.unwrap_err().is_cancelled());
    drop(held);
    assert_eq!(small.await.unwrap().unwrap(), 1);
    assert_eq!(sem.available_permits(), 1);
}

#[aio::test]
async fn close_fails_waiters_and_later_acquires() {
    let sem = Rc::new(Semaphore::new(0));
    let waiter = {
        let sem = Rc::clone(&sem);
        aio::spawn(async move { sem.acquire().await.is_err() })
    };
    settle().await;
    sem.close();
    assert!(waiter.await.unwrap());
    assert!(sem.acquire().await.is_err());
    assert!(sem.try_acquire().is_err());
    assert!(sem.is_closed());
}

#[aio::test]
async fn owned_permits_bound_spawned_tasks() {
    let sem = Rc::new(Semaphore::new(2));
    let running = Rc::new(Cell::new(0));
    let peak = Rc::new(Cell::new(0));
    let mut handles = Vec::new();
    for _ in 0..10 {
        // The loop itself waits for a free permit before spawning more.
        let permit = Rc::clone(&sem).acquire_owned().await.unwrap();
        let (running, peak) = (Rc::clone(&running), Rc::clone(&peak));
        handles.push(aio::spawn(async move {
            running.set(running.get() + 1);
            peak.set(peak.get().max(running.get()));
            yield_now().await;
            yield_now().await;
            running.set(running.get() - 1);
            drop(permit);
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(peak.get(), 2);
    assert_eq!(sem.available_permits(), 2);
}
