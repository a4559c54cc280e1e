//! `aio::sync::Notify` between spawned tasks: `notify_one` wakes exactly
//! one waiter or leaves one permit, `notify_waiters` wakes all, and a
//! cancelled waiter passes its notification on.

use std::cell::Cell;
use std::rc::Rc;

use aio::sync::Notify;
use aio::task::yield_now;

async fn settle() {
    for _ in 0..16 {
        yield_now().await;
    }
}

fn spawn_waiters(
    notify: &Rc<Notify>,
    woken: &Rc<Cell<usize>>,
    n: usize,
) -> Vec<aio::JoinHandle<()>> {
    (0..n)
        .map(|_| {
            let (notify, woken) = (Rc::clone(notify), Rc::clone(woken));
            aio::spawn(async move {
                notify.notified().await;
                woken.set(woken.get() + 1);
            })
        })
        .collect()
}

#[aio::test]
async fn notify_one_wakes_exactly_one_waiter() {
    let notify = Rc::new(Notify::new());
    let woken = Rc::new(Cell::new(0));
    let handles = spawn_waiters(&notify, &woken, 3);
    settle().await;
    notify.notify_one();
    settle().await;
    assert_eq!(woken.get(), 1);
    notify.notify_one();
    notify.notify_one();
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(woken.get(), 3);
}

#[aio::test]
async fn notify_one_without_waiters_stores_one_permit() {
    let notify = Notify::new();
    notify.notify_one();
    notify.notify_one();
    notify.notified().await; // consumes the permit at once
    let notify = Rc::new(notify);
    let woken = Rc::new(Cell::new(0));
    let _handles = spawn_waiters(&notify, &woken, 1);
    settle().await;
    assert_eq!(woken.get(), 0, "notify_one permits must not stack");
}

#[aio::test]
async fn notify_waiters_wakes_everyone_waiting() {
    let notify = Rc::new(Notify::new());
    let woken = Rc::new(Cell::new(0));
    let handles = spawn_waiters(&notify, &woken, 5);
    settle().await;
    notify.notify_waiters();
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(woken.get(), 5);
    // Nothing is stored for later waiters.
    let late = spawn_waiters(&notify, &woken, 1);
    settle().await;
    assert_eq!(woken.get(), 5);
    late[0].abort();
}

#[aio::test]
async fn aborted_waiter_passes_the_notification_on() {
    let notify = Rc::new(Notify::new());
    let woken = Rc::new(Cell::new(0));
    let mut handles = spawn_waiters(&notify, &woken, 2);
    settle().await;
    // The first waiter is chosen, then cancelled before it runs.
    notify.notify_one();
    let first = handles.remove(0);
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    handles.remove(0).await.unwrap();
    assert_eq!(woken.get(), 1);
}

#[aio::test]
async fn notified_created_before_check_never_misses_a_wakeup() {
    let notify = Rc::new(Notify::new());
    let flag = Rc::new(Cell::new(false));
    let setter = {
        let (notify, flag) = (Rc::clone(&notify), Rc::clone(&flag));
        aio::spawn(async move {
            flag.set(true);
            notify.notify_waiters();
        })
    };
    loop {
        let notified = notify.notified();
        if flag.get() {
            break;
        }
        notified.await;
    }
    setter.await.unwrap();
}
