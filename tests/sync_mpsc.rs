//! `aio::sync::mpsc` between spawned tasks: many messages in order under
//! back-pressure, end of stream when the senders go, failures when the
//! receiver goes, and FIFO service of blocked senders.

use std::cell::RefCell;
use std::rc::Rc;

use aio::sync::mpsc;
use aio::task::yield_now;

async fn settle() {
    for _ in 0..16 {
        yield_now().await;
    }
}

#[aio::test]
async fn hundred_thousand_messages_arrive_in_order() {
    const N: u64 = 100_000;
    let (tx, mut rx) = mpsc::channel(16);
    let producer = aio::spawn(async move {
        for i in 0..N {
            tx.send(i).await.unwrap();
        }
    });
    let mut expected = 0;
    while let Some(i) = rx.recv().await {
        assert_eq!(i, expected);
        expected += 1;
    }
    assert_eq!(expected, N);
    producer.await.unwrap();
}

#[aio::test]
async fn each_producer_keeps_its_order() {
    const PER: u32 = 10_000;
    let (tx, mut rx) = mpsc::channel(8);
    let mut producers = Vec::new();
    for p in 0..4u32 {
        let tx = tx.clone();
        producers.push(aio::spawn(async move {
            for i in 0..PER {
                tx.send((p, i)).await.unwrap();
            }
        }));
    }
    drop(tx);
    let mut next = [0u32; 4];
    while let Some((p, i)) = rx.recv().await {
        assert_eq!(i, next[p as usize]);
        next[p as usize] += 1;
    }
    assert_eq!(next, [PER; 4]);
    for h in producers {
        h.await.unwrap();
    }
}

#[aio::test]
async fn unbounded_hundred_thousand_in_order() {
    const N: u64 = 100_000;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let producer = aio::spawn(async move {
        for i in 0..N {
            tx.send(i).unwrap();
            if i % 1000 == 0 {
                yield_now().await;
            }
        }
    });
    let mut expected = 0;
    while let Some(i) = rx.recv().await {
        assert_eq!(i, expected);
        expected += 1;
    }
    assert_eq!(expected, N);
    producer.await.unwrap();
}

#[aio::test]
async fn channel_ends_when_every_sender_is_dropped() {
    let (tx, mut rx) = mpsc::channel::<u8>(4);
    let tx2 = tx.clone();
    let dropper = aio::spawn(async move {
        tx.send(1).await.unwrap();
        yield_now().await;
        drop(tx);
        yield_now().await;
        tx2.send(2).await.unwrap();
    });
    assert_eq!(rx.recv().await, Some(1));
    assert_eq!(rx.recv().await, Some(2));
    assert_eq!(rx.recv().await, None);
    assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Disconnected));
    dropper.await.unwrap();
}

#[aio::test]
async fn dropped_receiver_fails_blocked_and_later_sends() {
    let (tx, rx) = mpsc::channel(1);
    tx.send(0).await.unwrap();
    let blocked = {
        let tx = tx.clone();
        aio::spawn(async move { tx.send(1).await.unwrap_err().0 })
    };
    settle().await;
    drop(rx);
    assert_eq!(blocked.await.unwrap(), 1);
    assert_eq!(tx.send(2).await.unwrap_err().into_inner(), 2);
    assert!(matches!(tx.try_send(3), Err(mpsc::TrySendError::Closed(3))));
    tx.closed().await;
}

#[aio::test]
async fn blocked_senders_are_served_in_order() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.send(usize::MAX).await.unwrap();
    let mut senders = Vec::new();
    for i in 0..5 {
        let tx = tx.clone();
        senders.push(aio::spawn(async move { tx.send(i).await.unwrap() }));
        settle().await;
    }
    drop(tx);
    let mut got = Vec::new();
    while let Some(v) = rx.recv().await {
        got.push(v);
    }
    assert_eq!(got, [usize::MAX, 0, 1, 2, 3, 4]);
    for s in senders {
        s.await.unwrap();
    }
}

#[aio::test]
async fn aborted_sender_frees_its_slot() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.send(0).await.unwrap();
    let aborted = {
        let tx = tx.clone();
        aio::spawn(async move { tx.send(1).await.unwrap() })
    };
    settle().await;
    let log = Rc::new(RefCell::new(Vec::new()));
    let next = {
        let (tx, log) = (tx.clone(), Rc::clone(&log));
        aio::spawn(async move {
            tx.send(2).await.unwrap();
            log.borrow_mut().push("sent");
        })
    };
    settle().await;
    // Receiving grants the free slot to `aborted`, which never uses it.
    assert_eq!(rx.recv().await, Some(0));
    aborted.abort();
    assert!(aborted.await.unwrap_err().is_cancelled());
    next.await.unwrap();
    assert_eq!(*log.borrow(), ["sent"]);
    assert_eq!(rx.recv().await, Some(2));
    drop(tx);
    assert_eq!(rx.recv().await, None);
}

#[aio::test]
async fn cancelled_recv_loses_no_message() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    {
        // Poll recv once (pending), then drop it.
        let recv = rx.recv();
        let mut recv = std::pin::pin!(recv);
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        assert!(std::future::Future::poll(recv.as_mut(), &mut cx).is_pending());
    }
    tx.send(9).unwrap();
    assert_eq!(rx.recv().await, Some(9));
}
