//! `aio::sync::Mutex` between spawned tasks: exclusion across `.await`,
//! FIFO hand-over, and that an aborted waiter never keeps the lock.

use std::cell::RefCell;
use std::rc::Rc;

use aio::sync::Mutex;
use aio::task::yield_now;

/// Lets every spawned task run until it blocks.
async fn settle() {
    for _ in 0..16 {
        yield_now().await;
    }
}

#[aio::test]
async fn guard_held_across_await_excludes_other_tasks() {
    let lock = Rc::new(Mutex::new(()));
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut handles = Vec::new();
    for i in 0..8 {
        let (lock, log) = (Rc::clone(&lock), Rc::clone(&log));
        handles.push(aio::spawn(async move {
            let _guard = lock.lock().await;
            log.borrow_mut().push(("enter", i));
            for _ in 0..3 {
                yield_now().await;
            }
            log.borrow_mut().push(("leave", i));
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let log = log.borrow();
    assert_eq!(log.len(), 16);
    for pair in log.chunks(2) {
        assert_eq!(pair[0].0, "enter");
        assert_eq!(
            pair[1],
            ("leave", pair[0].1),
            "critical sections overlapped: {log:?}"
        );
    }
}

#[aio::test]
async fn waiters_get_the_lock_in_arrival_order() {
    let lock = Rc::new(Mutex::new(Vec::new()));
    let guard = lock.lock().await;
    let mut handles = Vec::new();
    for i in 0..10 {
        let lock = Rc::clone(&lock);
        handles.push(aio::spawn(async move { lock.lock().await.push(i) }));
        // Each task queues before the next is spawned.
        settle().await;
    }
    drop(guard);
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(*lock.lock().await, (0..10).collect::<Vec<_>>());
}

#[aio::test]
async fn aborted_waiter_does_not_keep_the_lock() {
    let lock = Rc::new(Mutex::new(0));
    let guard = lock.lock().await;
    let first = {
        let lock = Rc::clone(&lock);
        aio::spawn(async move { *lock.lock().await += 1 })
    };
    settle().await;
    let second = {
        let lock = Rc::clone(&lock);
        aio::spawn(async move { *lock.lock().await += 10 })
    };
    settle().await;
    // The lock is handed to `first`, which is aborted before it runs.
    drop(guard);
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    second.await.unwrap();
    assert_eq!(*lock.try_lock().unwrap(), 10);
}

#[aio::test]
async fn try_lock_fails_while_held_or_contended() {
    let lock = Rc::new(Mutex::new(1));
    let guard = lock.try_lock().unwrap();
    assert!(lock.try_lock().is_err());
    let waiter = {
        let lock = Rc::clone(&lock);
        aio::spawn(async move { *lock.lock().await })
    };
    settle().await;
    drop(guard);
    // The queued task goes first, so try_lock may not barge in.
    assert!(lock.try_lock().is_err());
    assert_eq!(waiter.await.unwrap(), 1);
    assert!(lock.try_lock().is_ok());
    let lock = Rc::try_unwrap(lock).unwrap();
    assert_eq!(lock.into_inner(), 1);
}
