//! `aio::sync::broadcast` between spawned tasks: every receiver sees every
//! value in order, exact lag reports, the end of the channel, values freed
//! as soon as every receiver took them, cancelled receives that lose
//! nothing, FIFO wakes, and receives that spend the cooperative budget.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::{Duration, Instant};

use aio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use aio::task::yield_now;

async fn settle() {
    for _ in 0..16 {
        yield_now().await;
    }
}

/// Counts its drops (clones included) in a shared cell.
#[derive(Clone)]
struct Counted(Rc<Cell<usize>>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[aio::test]
async fn every_receiver_sees_every_value_in_order() {
    const N: u32 = 10_000;
    let (tx, rx) = broadcast::channel(16);
    let mut receivers = vec![rx, tx.subscribe(), tx.subscribe()];
    let listeners: Vec<_> = receivers
        .drain(..)
        .map(|mut rx| {
            aio::spawn(async move {
                let mut expected = 0;
                loop {
                    match rx.recv().await {
                        Ok(v) => {
                            assert_eq!(v, expected);
                            expected += 1;
                        }
                        Err(RecvError::Closed) => return expected,
                        Err(RecvError::Lagged(n)) => panic!("lagged by {n}"),
                    }
                }
            })
        })
        .collect();
    for i in 0..N {
        assert_eq!(tx.send(i).unwrap(), 3);
        // Half the capacity, then let the listeners drain.
        if i % 8 == 7 {
            yield_now().await;
        }
    }
    drop(tx);
    for listener in listeners {
        assert_eq!(listener.await.unwrap(), N);
    }
}

#[aio::test]
async fn lagged_count_is_exact_then_the_oldest_value_follows() {
    let (tx, mut slow) = broadcast::channel(4);
    let mut fast = tx.subscribe();
    for i in 0..10 {
        tx.send(i).unwrap();
        assert_eq!(fast.recv().await, Ok(i));
    }
    assert_eq!(slow.len(), 10);
    assert_eq!(slow.recv().await, Err(RecvError::Lagged(6)));
    for i in 6..10 {
        assert_eq!(slow.recv().await, Ok(i));
    }
    assert_eq!(slow.try_recv(), Err(TryRecvError::Empty));
    // Lagging again after catching up counts from where it was.
    for i in 10..15 {
        tx.send(i).unwrap();
    }
    assert_eq!(slow.try_recv(), Err(TryRecvError::Lagged(1)));
    assert_eq!(slow.try_recv(), Ok(11));
}

#[aio::test]
async fn closed_comes_after_the_buffer_is_drained() {
    let (tx, mut rx) = broadcast::channel(8);
    let mut waiting = tx.subscribe();
    let done = Rc::new(Cell::new(false));
    let waiter = {
        let done = Rc::clone(&done);
        aio::spawn(async move {
            let got = waiting.recv().await;
            done.set(true);
            got
        })
    };
    settle().await;
    let tx2 = tx.clone();
    drop(tx);
    settle().await;
    assert!(!done.get(), "one sender is still alive");
    tx2.send(1).unwrap();
    tx2.send(2).unwrap();
    drop(tx2);
    assert_eq!(waiter.await.unwrap(), Ok(1));
    assert!(rx.is_closed());
    assert_eq!(rx.recv().await, Ok(1));
    assert_eq!(rx.recv().await, Ok(2));
    assert_eq!(rx.recv().await, Err(RecvError::Closed));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[aio::test]
async fn last_sender_drop_wakes_a_waiting_receiver() {
    let (tx, mut rx) = broadcast::channel::<u8>(2);
    let waiter = aio::spawn(async move { rx.recv().await });
    settle().await;
    drop(tx);
    assert_eq!(waiter.await.unwrap(), Err(RecvError::Closed));
}

#[aio::test]
async fn send_without_receivers_fails_and_returns_the_value() {
    let (tx, rx) = broadcast::channel(2);
    let rx2 = rx.resubscribe();
    assert_eq!(tx.receiver_count(), 2);
    drop((rx, rx2));
    assert_eq!(tx.receiver_count(), 0);
    let err = tx.send(String::from("lost")).unwrap_err();
    assert_eq!(err.0, "lost");
    let mut rx = tx.subscribe();
    assert_eq!(tx.send(String::from("kept")), Ok(1));
    assert_eq!(rx.recv().await.unwrap(), "kept");
}

#[aio::test]
async fn values_are_dropped_once_every_receiver_took_them() {
    let drops = Rc::new(Cell::new(0));
    let (tx, mut a) = broadcast::channel(8);
    let mut b = tx.subscribe();
    for _ in 0..3 {
        tx.send(Counted(Rc::clone(&drops))).unwrap();
    }
    assert_eq!(tx.len(), 3);
    for _ in 0..3 {
        drop(a.recv().await.unwrap()); // clones
    }
    assert_eq!(drops.get(), 3);
    assert_eq!(tx.len(), 3, "b has not taken them");
    drop(b.recv().await.unwrap()); // the value itself leaves the ring
    assert_eq!(drops.get(), 4);
    assert_eq!(tx.len(), 2);
    drop(b); // gives up its share of the other two
    assert_eq!(drops.get(), 6);
    assert!(tx.is_empty());
    // A slow receiver cannot make the channel hold more than its capacity.
    for _ in 0..100 {
        tx.send(Counted(Rc::clone(&drops))).unwrap();
    }
    assert_eq!(tx.len(), 8);
    assert_eq!(drops.get(), 6 + 92);
    drop(a);
    assert_eq!(drops.get(), 106);
}

#[aio::test]
async fn a_timed_out_receive_loses_no_value() {
    let (tx, mut rx) = broadcast::channel(4);
    let timed_out = aio::time::timeout(Duration::from_millis(5), rx.recv()).await;
    assert!(timed_out.is_err());
    tx.send(1).unwrap();
    assert_eq!(rx.recv().await, Ok(1));
}

#[aio::test]
async fn a_receive_woken_then_dropped_loses_no_value() {
    let (tx, mut rx) = broadcast::channel(4);
    {
        let mut recv = pin!(rx.recv());
        poll_fn(|cx| {
            assert!(recv.as_mut().poll(cx).is_pending());
            Poll::Ready(())
        })
        .await;
        tx.send(7).unwrap(); // wakes it; it is dropped before it runs
    }
    assert_eq!(rx.len(), 1);
    assert_eq!(rx.recv().await, Ok(7));
}

#[aio::test]
async fn waiting_receivers_are_woken_in_arrival_order() {
    let (tx, _rx) = broadcast::channel(4);
    let order = Rc::new(RefCell::new(Vec::new()));
    let mut listeners = Vec::new();
    for id in 0..4 {
        let (mut rx, order) = (tx.subscribe(), Rc::clone(&order));
        listeners.push(aio::spawn(async move {
            rx.recv().await.unwrap();
            order.borrow_mut().push(id);
        }));
        settle().await;
    }
    tx.send(()).unwrap();
    for listener in listeners {
        listener.await.unwrap();
    }
    assert_eq!(*order.borrow(), [0, 1, 2, 3]);
}

/// A task receiving from a channel that never runs dry still lets a timer
/// fire: each ready receive spends the cooperative budget.
#[aio::test]
async fn a_receiver_that_always_finds_values_yields() {
    let (tx, mut rx) = broadcast::channel(4);
    let stop = Rc::new(Cell::new(false));
    let drainer = {
        let stop = Rc::clone(&stop);
        aio::spawn(async move {
            let mut n = 0u64;
            // Bounded, so that without a budget the test fails instead of
            // hanging.
            let give_up = Instant::now() + Duration::from_secs(2);
            while !stop.get() && Instant::now() < give_up {
                tx.send(1u32).unwrap();
                rx.recv().await.unwrap();
                n += 1;
            }
            n
        })
    };
    let start = Instant::now();
    aio::time::sleep(Duration::from_millis(10)).await;
    let late = start.elapsed() - Duration::from_millis(10);
    stop.set(true);
    assert!(drainer.await.unwrap() > 0);
    assert!(
        late < Duration::from_millis(500),
        "the timer ran {late:?} late"
    );
}
