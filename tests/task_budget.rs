//! `aio::task::unconstrained` and `aio::task::consume_budget` (issue 14),
//! observed as in `rt_coop.rs`: whether a task looping over always-ready
//! operations lets a timer task of its core run. Modelled on tokio's
//! `tests/coop_budget.rs` and `task::consume_budget`/`unconstrained` doc
//! tests.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::time::{Duration, Instant};

use aio::task::{consume_budget, unconstrained};

/// Loops on a channel that never runs dry until `fired` is set or `limit`
/// passes; returns whether it saw `fired` (i.e. the timer task got to run
/// while it looped).
async fn drain_until_fired(fired: Rc<Cell<bool>>, limit: Duration) -> bool {
    let (tx, mut rx) = aio::sync::mpsc::unbounded_channel::<u32>();
    let give_up = Instant::now() + limit;
    while Instant::now() < give_up {
        if fired.get() {
            return true;
        }
        tx.send(1).unwrap();
        rx.recv().await.unwrap();
    }
    false
}

fn timer_task(after: Duration) -> Rc<Cell<bool>> {
    let fired = Rc::new(Cell::new(false));
    let f = fired.clone();
    aio::spawn(async move {
        aio::time::sleep(after).await;
        f.set(true);
    });
    fired
}

#[aio::test]
async fn a_constrained_loop_yields_to_a_timer() {
    let fired = timer_task(Duration::from_millis(10));
    let saw = aio::spawn(drain_until_fired(fired, Duration::from_secs(2)))
        .await
        .unwrap();
    assert!(
        saw,
        "the budget never made the loop yield to the timer task"
    );
}

#[aio::test]
async fn an_unconstrained_loop_does_not_yield() {
    let fired = timer_task(Duration::from_millis(10));
    let saw = aio::spawn(unconstrained(drain_until_fired(
        fired.clone(),
        Duration::from_millis(150),
    )))
    .await
    .unwrap();
    assert!(!saw, "the unconstrained loop yielded to the timer task");
    // Once it gives the core back, the timer task runs.
    support_wait(&fired).await;
}

/// The root future of `block_on` has a budget too; unconstrained lifts it
/// there as well.
#[aio::test]
async fn unconstrained_in_the_root_future() {
    let fired = timer_task(Duration::from_millis(10));
    let saw = unconstrained(drain_until_fired(fired.clone(), Duration::from_millis(150))).await;
    assert!(!saw);
    let fired = timer_task(Duration::from_millis(10));
    assert!(drain_until_fired(fired, Duration::from_secs(2)).await);
}

async fn support_wait(flag: &Rc<Cell<bool>>) {
    let start = Instant::now();
    while !flag.get() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the timer task never ran"
        );
        aio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Counts how many times `fut` is polled.
async fn count_polls<F: Future>(fut: F) -> (F::Output, u32) {
    let mut fut = pin!(fut);
    let mut polls = 0;
    let out = poll_fn(|cx| {
        polls += 1;
        fut.as_mut().poll(cx)
    })
    .await;
    (out, polls)
}

#[aio::test]
async fn consume_budget_yields_once_the_budget_is_spent() {
    const CALLS: u32 = 1000;
    let (_, polls) = aio::spawn(count_polls(async {
        for _ in 0..CALLS {
            consume_budget().await;
        }
    }))
    .await
    .unwrap();
    // 128 per poll: about 8 polls. Never yielding would be 1, yielding at
    // every call 1000.
    assert!(
        (CALLS / 128..=CALLS / 64).contains(&polls),
        "{CALLS} consume_budget calls took {polls} polls"
    );
}

#[aio::test]
async fn consume_budget_lets_a_timer_run() {
    let fired = timer_task(Duration::from_millis(10));
    let f = fired.clone();
    let spun = aio::spawn(async move {
        let give_up = Instant::now() + Duration::from_secs(2);
        while !f.get() && Instant::now() < give_up {
            consume_budget().await;
        }
        f.get()
    })
    .await
    .unwrap();
    assert!(spun, "a consume_budget loop starved the timer task");
}

#[aio::test]
async fn consume_budget_inside_unconstrained_never_yields() {
    let (_, polls) = aio::spawn(count_polls(unconstrained(async {
        for _ in 0..1000 {
            consume_budget().await;
        }
    })))
    .await
    .unwrap();
    assert_eq!(polls, 1);
}

/// What the unconstrained part does is not charged to the enclosing
/// task's budget: the constrained loop after it still gets a full budget.
#[aio::test]
async fn unconstrained_does_not_spend_the_outer_budget() {
    let (_, polls) = aio::spawn(count_polls(async {
        // Spend some of the budget, then much more inside unconstrained.
        for _ in 0..100 {
            consume_budget().await;
        }
        unconstrained(async {
            for _ in 0..1000 {
                consume_budget().await;
            }
        })
        .await;
        // 28 units are left: these 20 must not yield.
        for _ in 0..20 {
            consume_budget().await;
        }
    }))
    .await
    .unwrap();
    assert_eq!(polls, 1);
}
