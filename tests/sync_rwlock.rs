//! `aio::sync::RwLock` between spawned tasks: shared readers, exclusive
//! writers, and a writer that is not starved by readers arriving later.

use std::cell::RefCell;
use std::rc::Rc;

use aio::sync::RwLock;
use aio::task::yield_now;

async fn settle() {
    for _ in 0..16 {
        yield_now().await;
    }
}

#[aio::test]
async fn readers_share_and_writers_exclude() {
    let lock = Rc::new(RwLock::new(0));
    let r1 = lock.read().await;
    let r2 = lock.read().await;
    assert_eq!(*r1 + *r2, 0);
    assert!(lock.try_write().is_err());
    let writer = {
        let lock = Rc::clone(&lock);
        aio::spawn(async move { *lock.write().await = 7 })
    };
    settle().await;
    assert!(!writer.is_finished());
    drop(r1);
    settle().await;
    assert!(!writer.is_finished());
    drop(r2);
    writer.await.unwrap();
    assert_eq!(*lock.read().await, 7);
}

#[aio::test]
async fn writer_is_not_starved_by_a_stream_of_readers() {
    let lock = Rc::new(RwLock::new(()));
    let log = Rc::new(RefCell::new(Vec::new()));
    let first_reader = lock.read().await;

    let writer = {
        let (lock, log) = (Rc::clone(&lock), Rc::clone(&log));
        aio::spawn(async move {
            let _w = lock.write().await;
            log.borrow_mut().push("writer");
        })
    };
    settle().await;
    // Readers keep arriving while the first one still holds the lock.
    let mut readers = Vec::new();
    for _ in 0..5 {
        let (lock, log) = (Rc::clone(&lock), Rc::clone(&log));
        readers.push(aio::spawn(async move {
            let _r = lock.read().await;
            log.borrow_mut().push("reader");
        }));
        settle().await;
    }
    assert!(
        log.borrow().is_empty(),
        "late readers jumped the queued writer"
    );
    drop(first_reader);
    writer.await.unwrap();
    for r in readers {
        r.await.unwrap();
    }
    assert_eq!(log.borrow()[0], "writer");
    assert_eq!(log.borrow().len(), 6);
}

#[aio::test]
async fn aborted_writer_lets_queued_readers_in() {
    let lock = Rc::new(RwLock::new(()));
    let held = lock.read().await;
    let writer = {
        let lock = Rc::clone(&lock);
        aio::spawn(async move {
            let _w = lock.write().await;
        })
    };
    settle().await;
    let reader = {
        let lock = Rc::clone(&lock);
        aio::spawn(async move {
            let _r = lock.read().await;
        })
    };
    settle().await;
    assert!(!reader.is_finished());
    writer.abort();
    assert!(writer.await.unwrap_err().is_cancelled());
    reader.await.unwrap();
    drop(held);
    assert!(lock.try_write().is_ok());
}
