//! `aio::sync::watch` between spawned tasks: several sends make one
//! change showing the latest value, seen-marking, the end when the senders
//! go, `Sender::closed`, cancelled waits that lose no change, FIFO wakes.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use aio::sync::watch;
use aio::task::yield_now;

async fn settle() {
    for _ in 0..16 {
        yield_now().await;
    }
}

#[aio::test]
async fn several_sends_wake_a_watcher_once_with_the_latest_value() {
    let (tx, mut rx) = watch::channel(0);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let watcher = {
        let seen = Rc::clone(&seen);
        aio::spawn(async move {
            while rx.changed().await.is_ok() {
                seen.borrow_mut().push(*rx.borrow_and_update());
            }
        })
    };
    settle().await;
    assert!(seen.borrow().is_empty(), "the initial value counts as seen");
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    tx.send(3).unwrap();
    settle().await;
    assert_eq!(*seen.borrow(), [3]);
    tx.send_modify(|v| *v += 1);
    settle().await;
    assert_eq!(*seen.borrow(), [3, 4]);
    drop(tx);
    watcher.await.unwrap();
    assert_eq!(*seen.borrow(), [3, 4]);
}

#[aio::test]
async fn borrow_reads_and_borrow_and_update_marks_seen() {
    let (tx, mut rx) = watch::channel("a");
    assert_eq!(rx.has_changed(), Ok(false));
    tx.send("b").unwrap();
    assert_eq!(rx.has_changed(), Ok(true));
    {
        let value = rx.borrow();
        assert_eq!(*value, "b");
        assert!(value.has_changed());
    }
    assert_eq!(rx.has_changed(), Ok(true), "borrow marks nothing seen");
    {
        let value = rx.borrow_and_update();
        assert_eq!(*value, "b");
        assert!(value.has_changed());
    }
    assert_eq!(rx.has_changed(), Ok(false));
    assert!(!rx.borrow_and_update().has_changed());
    // A clone starts where the original is; a new subscriber has seen all.
    tx.send("c").unwrap();
    let clone = rx.clone();
    let subscriber = tx.subscribe();
    assert_eq!(clone.has_changed(), Ok(true));
    assert_eq!(subscriber.has_changed(), Ok(false));
    assert_eq!(*subscriber.borrow(), "c");
    assert_eq!(tx.receiver_count(), 3);
}

#[aio::test]
async fn changed_fails_once_every_sender_is_gone() {
    let (tx, mut rx) = watch::channel(0);
    let tx2 = tx.clone();
    let done = Rc::new(Cell::new(false));
    let watcher = {
        let done = Rc::clone(&done);
        aio::spawn(async move {
            let res = rx.changed().await;
            done.set(true);
            (res, rx)
        })
    };
    settle().await;
    drop(tx);
    settle().await;
    assert!(!done.get(), "a sender is still alive");
    drop(tx2);
    let (res, mut rx) = watcher.await.unwrap();
    assert!(res.is_err());
    assert!(rx.has_changed().is_err());
    assert!(rx.changed().await.is_err());
    assert_eq!(*rx.borrow(), 0, "the last value stays readable");
}

#[aio::test]
async fn an_unseen_value_is_still_reported_after_the_sender_goes() {
    let (tx, mut rx) = watch::channel(0);
    tx.send(9).unwrap();
    drop(tx);
    assert_eq!(rx.changed().await, Ok(()));
    assert_eq!(*rx.borrow_and_update(), 9);
    assert!(rx.changed().await.is_err());
}

#[aio::test]
async fn closed_resolves_when_every_receiver_is_gone() {
    let (tx, rx) = watch::channel(0);
    let rx2 = rx.clone();
    let tx = Rc::new(tx);
    let done = Rc::new(Cell::new(false));
    let waiter = {
        let (tx, done) = (Rc::clone(&tx), Rc::clone(&done));
        aio::spawn(async move {
            tx.closed().await;
            done.set(true);
        })
    };
    settle().await;
    drop(rx);
    settle().await;
    assert!(!done.get(), "a receiver is still alive");
    assert!(!tx.is_closed());
    drop(rx2);
    waiter.await.unwrap();
    assert!(tx.is_closed());
    assert_eq!(tx.send(1).unwrap_err().0, 1);
    assert_eq!(*tx.borrow(), 0, "a failed send stores nothing");
    assert_eq!(tx.send_replace(2), 0);
    assert_eq!(*tx.subscribe().borrow(), 2);
}

#[aio::test]
async fn a_timed_out_changed_loses_no_change() {
    let (tx, mut rx) = watch::channel(0);
    let timed_out = aio::time::timeout(Duration::from_millis(5), rx.changed()).await;
    assert!(timed_out.is_err());
    // Pending, woken by a send, then dropped before it runs.
    let mut pending = Box::pin(rx.changed());
    poll_fn(|cx| {
        assert!(pending.as_mut().poll(cx).is_pending());
        Poll::Ready(())
    })
    .await;
    tx.send(1).unwrap();
    drop(pending);
    assert_eq!(rx.has_changed(), Ok(true));
    rx.changed().await.unwrap();
    assert_eq!(*rx.borrow(), 1);
}

#[aio::test]
async fn waiting_receivers_are_woken_in_arrival_order() {
    let (tx, rx) = watch::channel(0);
    let order = Rc::new(RefCell::new(Vec::new()));
    let mut watchers = Vec::new();
    for id in 0..4 {
        let (mut rx, order) = (rx.clone(), Rc::clone(&order));
        watchers.push(aio::spawn(async move {
            rx.changed().await.unwrap();
            order.borrow_mut().push(id);
        }));
        settle().await;
    }
    tx.send(1).unwrap();
    for watcher in watchers {
        watcher.await.unwrap();
    }
    assert_eq!(*order.borrow(), [0, 1, 2, 3]);
}

#[aio::test]
async fn wait_for_returns_the_first_matching_value() {
    let (tx, mut rx) = watch::channel(0u32);
    let producer = aio::spawn(async move {
        for i in 1..=10 {
            tx.send(i).unwrap();
            yield_now().await;
        }
        tx
    });
    {
        let value = rx.wait_for(|v| *v >= 5).await.unwrap();
        assert!(*value >= 5);
    }
    let tx = producer.await.unwrap();
    assert_eq!(*rx.wait_for(|v| *v == 10).await.unwrap(), 10);
    drop(tx);
    assert!(rx.wait_for(|v| *v == 11).await.is_err());
}
