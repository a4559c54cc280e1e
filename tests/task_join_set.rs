//! `aio::task::JoinSet` on both drivers.

mod support;

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use aio::task::JoinSet;
use aio::time::sleep;

#[aio::test]
async fn join_next_yields_outputs_in_completion_order_then_none() {
    let mut set = JoinSet::new();
    assert!(set.is_empty());
    for (i, ms) in [(0, 30u64), (1, 10), (2, 20)] {
        set.spawn(async move {
            sleep(Duration::from_millis(ms)).await;
            i
        });
    }
    assert_eq!(set.len(), 3);
    let mut order = Vec::new();
    while let Some(res) = set.join_next().await {
        order.push(res.unwrap());
    }
    assert_eq!(order, [1, 2, 0]);
    assert!(set.is_empty());
    assert!(set.join_next().await.is_none());
}

#[aio::test]
async fn panics_and_aborts_come_back_as_join_errors() {
    let mut set = JoinSet::new();
    set.spawn(async { panic!("task failed") });
    set.spawn(async {
        sleep(Duration::from_secs(60)).await;
        1
    });
    let first = set.join_next().await.unwrap().unwrap_err();
    assert!(first.is_panic());
    set.abort_all();
    let second = set.join_next().await.unwrap().unwrap_err();
    assert!(second.is_cancelled());
    assert!(set.join_next().await.is_none());
}

#[aio::test]
async fn dropping_the_set_aborts_its_tasks() {
    let ran_to_end = Rc::new(Cell::new(false));
    {
        let mut set = JoinSet::new();
        let flag = ran_to_end.clone();
        set.spawn(async move {
            sleep(Duration::from_millis(30)).await;
            flag.set(true);
        });
        support::yield_times(2).await;
    }
    sleep(Duration::from_millis(60)).await;
    assert!(
        !ran_to_end.get(),
        "a task of a dropped JoinSet kept running"
    );
}

#[aio::test]
async fn many_tasks_join_without_loss() {
    let mut set = JoinSet::new();
    for i in 0..10_000u64 {
        set.spawn(async move {
            if i % 3 == 0 {
                aio::task::yield_now().await;
            }
            i
        });
    }
    let mut sum = 0;
    let mut n = 0;
    while let Some(res) = set.join_next().await {
        sum += res.unwrap();
        n += 1;
    }
    assert_eq!(n, 10_000);
    assert_eq!(sum, (0..10_000u64).sum::<u64>());
}
