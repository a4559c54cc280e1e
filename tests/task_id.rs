//! Task ids (issue 14): `aio::task::id()`, `try_id()`, `JoinHandle::id()`,
//! `AbortHandle::id()`. Modelled on tokio's `tests/task_id.rs`
//! (`task_id_spawn`, `task_id_outside_task_panic`,
//! `task_id_outside_task_none`, `task_id_future_destructor_*`).

mod support;

use std::cell::RefCell;
use std::collections::HashSet;
use std::panic::catch_unwind;
use std::rc::Rc;

use aio::task::{self, Id};
use support::{drivers, runtime};

#[aio::test]
async fn id_inside_equals_the_handles_id() {
    let handle = aio::spawn(async {
        let first = task::id();
        aio::task::yield_now().await;
        // Stable across polls.
        assert_eq!(task::id(), first);
        (first, task::try_id())
    });
    let id = handle.id();
    assert_eq!(handle.abort_handle().id(), id);
    let (inside, tried) = handle.await.unwrap();
    assert_eq!(inside, id);
    assert_eq!(tried, Some(id));
}

#[aio::test]
async fn ids_are_unique() {
    let mut seen = HashSet::new();
    let handles: Vec<_> = (0..1000)
        .map(|_| aio::spawn(async { task::id() }))
        .collect();
    for h in handles {
        let id = h.id();
        assert_eq!(h.await.unwrap(), id);
        assert!(seen.insert(id), "id {id} handed out twice");
    }
}

/// Unique across runtimes on several threads too (a process-wide counter).
#[test]
fn ids_are_unique_across_threads() {
    let driver = drivers()[0];
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                runtime(driver).block_on(async {
                    let hs: Vec<_> = (0..250).map(|_| aio::spawn(async { task::id() })).collect();
                    let mut ids = Vec::new();
                    for h in hs {
                        ids.push(h.await.unwrap());
                    }
                    ids
                })
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for t in threads {
        for id in t.join().unwrap() {
            assert!(seen.insert(id), "id {id} handed out twice");
        }
    }
    assert_eq!(seen.len(), 1000);
}

#[test]
fn no_id_outside_a_task() {
    assert_eq!(task::try_id(), None);
    let payload = catch_unwind(task::id).expect_err("task::id outside a task must panic");
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap();
    assert!(
        msg.contains("aio::task::id") && msg.contains("try_id"),
        "{msg}"
    );
    for driver in drivers() {
        runtime(driver).block_on(async {
            // The root future of block_on is not a task.
            assert_eq!(task::try_id(), None);
            // ... and the id does not leak out of a task that ran.
            aio::spawn(async {}).await.unwrap();
            assert_eq!(task::try_id(), None);
        });
    }
}

/// Inside the destructors of a task's future, when the runtime drops it
/// after an abort or at shutdown, `task::id()` is that task's id.
#[test]
fn id_in_the_future_destructor() {
    struct RecordId(Rc<RefCell<Vec<Option<Id>>>>);
    impl Drop for RecordId {
        fn drop(&mut self) {
            self.0.borrow_mut().push(task::try_id());
        }
    }
    for driver in drivers() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let rt = runtime(driver);
        let (aborted, at_shutdown) = rt.block_on(async {
            let r = RecordId(log.clone());
            let h = aio::spawn(async move {
                let _r = r;
                std::future::pending::<()>().await
            });
            aio::task::yield_now().await;
            h.abort();
            let aborted = h.id();
            assert!(h.await.unwrap_err().is_cancelled());
            let r = RecordId(log.clone());
            let h = aio::spawn(async move {
                let _r = r;
                std::future::pending::<()>().await
            });
            aio::task::yield_now().await;
            (aborted, h.id())
        });
        drop(rt);
        assert_eq!(
            *log.borrow(),
            [Some(aborted), Some(at_shutdown)],
            "{driver:?}"
        );
    }
}

#[aio::test]
async fn display_and_debug() {
    let h = aio::spawn(async {});
    let id = h.id();
    let shown = id.to_string();
    assert!(
        shown.parse::<u64>().is_ok(),
        "Display is the bare number: {shown}"
    );
    assert_eq!(format!("{id:?}"), format!("Id({shown})"));
    h.await.unwrap();
}
