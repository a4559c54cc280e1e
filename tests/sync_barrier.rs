//! `aio::sync::Barrier` between spawned tasks: rounds of `n`, exactly one
//! leader per round, reuse across rounds, a dropped wait that does not
//! count, release in arrival order.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use aio::sync::Barrier;
use aio::task::yield_now;

async fn settle() {
    for _ in 0..16 {
        yield_now().await;
    }
}

#[aio::test]
async fn one_leader_per_round_for_three_rounds() {
    const N: usize = 5;
    const ROUNDS: usize = 3;
    let barrier = Rc::new(Barrier::new(N));
    let arrived = Rc::new(RefCell::new([0usize; ROUNDS]));
    let leaders = Rc::new(RefCell::new([0usize; ROUNDS]));
    let tasks: Vec<_> = (0..N)
        .map(|id| {
            let (barrier, arrived, leaders) = (
                Rc::clone(&barrier),
                Rc::clone(&arrived),
                Rc::clone(&leaders),
            );
            aio::spawn(async move {
                for round in 0..ROUNDS {
                    // Arrive at different times.
                    for _ in 0..id {
                        yield_now().await;
                    }
                    arrived.borrow_mut()[round] += 1;
                    let res = barrier.wait().await;
                    assert_eq!(
                        arrived.borrow()[round],
                        N,
                        "released before the round was complete"
                    );
                    if res.is_leader() {
                        leaders.borrow_mut()[round] += 1;
                    }
                }
            })
        })
        .collect();
    // A failed assertion in one task leaves the others waiting forever.
    aio::time::timeout(Duration::from_secs(10), async {
        for task in tasks {
            task.await.unwrap();
        }
    })
    .await
    .expect("tasks stuck at the barrier");
    assert_eq!(*leaders.borrow(), [1; ROUNDS]);
}

#[aio::test]
async fn the_last_arrival_leads_and_the_rest_go_in_arrival_order() {
    let barrier = Rc::new(Barrier::new(4));
    let order = Rc::new(RefCell::new(Vec::new()));
    let mut tasks = Vec::new();
    for id in 0..3 {
        let (barrier, order) = (Rc::clone(&barrier), Rc::clone(&order));
        tasks.push(aio::spawn(async move {
            assert!(!barrier.wait().await.is_leader());
            order.borrow_mut().push(id);
        }));
        settle().await;
    }
    assert!(order.borrow().is_empty());
    assert!(barrier.wait().await.is_leader());
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(*order.borrow(), [0, 1, 2]);
}

#[aio::test]
async fn a_dropped_wait_does_not_count() {
    let barrier = Rc::new(Barrier::new(2));
    let timed_out = aio::time::timeout(Duration::from_millis(5), barrier.wait()).await;
    assert!(timed_out.is_err());
    let done = Rc::new(Cell::new(false));
    let waiter = {
        let (barrier, done) = (Rc::clone(&barrier), Rc::clone(&done));
        aio::spawn(async move {
            let res = barrier.wait().await;
            done.set(true);
            res.is_leader()
        })
    };
    settle().await;
    assert!(!done.get(), "the timed-out wait was counted");
    assert!(barrier.wait().await.is_leader());
    assert!(!waiter.await.unwrap());
}

#[aio::test]
async fn an_aborted_waiter_does_not_count() {
    let barrier = Rc::new(Barrier::new(2));
    let aborted = {
        let barrier = Rc::clone(&barrier);
        aio::spawn(async move { barrier.wait().await })
    };
    settle().await;
    aborted.abort();
    assert!(aborted.await.unwrap_err().is_cancelled());
    let done = Rc::new(Cell::new(false));
    let waiter = {
        let (barrier, done) = (Rc::clone(&barrier), Rc::clone(&done));
        aio::spawn(async move {
            barrier.wait().await;
            done.set(true);
        })
    };
    settle().await;
    assert!(!done.get(), "the aborted wait was counted");
    assert!(barrier.wait().await.is_leader());
    waiter.await.unwrap();
}

#[aio::test]
async fn barriers_of_one_and_zero_never_wait() {
    for n in [0, 1] {
        let barrier = Barrier::new(n);
        for _ in 0..3 {
            assert!(barrier.wait().await.is_leader());
        }
    }
}
