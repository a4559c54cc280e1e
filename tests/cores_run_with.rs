//! `aio::cores::Cores::run_with`: each core gets its own value, in core
//! order, moved (not cloned) to its thread; a count mismatch is refused
//! before any thread starts; everything `run` guarantees still holds.

mod support;

use std::cell::Cell;
use std::io;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};

use aio::cores::{self, Cores};

fn two_cores() -> Option<Cores> {
    match Cores::first(2).cpus() {
        Ok(_) => Some(Cores::first(2)),
        Err(e) => {
            eprintln!("note: skipping, this test needs 2 CPUs: {e}");
            None
        }
    }
}

/// Records the thread it was dropped on.
struct DropOn {
    dropped_on: Arc<Mutex<Vec<ThreadId>>>,
}

impl Drop for DropOn {
    fn drop(&mut self) {
        self.dropped_on.lock().unwrap().push(thread::current().id());
    }
}

/// Core `i` gets `values[i]`, on its own thread, under both drivers; the
/// value is moved there (a non-`Clone`, non-`Sync` type), and outputs come
/// back in core order.
#[test]
fn each_core_gets_its_own_value_in_core_order_on_both_drivers() {
    let Some(cores) = two_cores() else { return };
    let cpus = cores.cpus().unwrap();
    for driver in support::drivers() {
        // `Cell` is `Send` but neither `Sync` nor `Clone`d here: only a
        // move can get it to its core.
        let values: Vec<(String, Cell<usize>)> = (0..cpus.len())
            .map(|i| (format!("value {i}"), Cell::new(i * 10)))
            .collect();
        let out = cores
            .clone()
            .runtime(aio::RuntimeBuilder::new().driver(driver))
            .run_with(values, move |core, (name, cell)| {
                // Called on the core's own thread, before its future starts.
                let thread = thread::current().name().map(str::to_owned);
                async move {
                    aio::task::yield_now().await;
                    assert_eq!(aio::Driver::current(), driver);
                    assert_eq!(cores::current(), Some(core));
                    (core.index(), core.id(), name, cell.get(), thread)
                }
            })
            .unwrap();
        assert_eq!(out.len(), cpus.len());
        for (i, (index, id, name, cell, thread)) in out.into_iter().enumerate() {
            assert_eq!((index, id), (i, cpus[i]), "{driver:?}: core order");
            assert_eq!(
                name,
                format!("value {i}"),
                "{driver:?}: value {i} went astray"
            );
            assert_eq!(cell, i * 10);
            assert_eq!(thread.as_deref(), Some(&*format!("aio-core-{}", cpus[i])));
        }
    }
}

/// A value's future need not be `Send`, and the values may own core-local
/// state built from them.
#[test]
fn the_future_may_hold_core_local_state_built_from_the_value() {
    let Some(cores) = two_cores() else { return };
    let out = cores
        .run_with(vec![3u32, 4], |_core, v| {
            let local = Rc::new(v);
            async move {
                aio::task::yield_now().await;
                *local * *local
            }
        })
        .unwrap();
    assert_eq!(out, vec![9, 16]);
}

/// Too few or too many values: `InvalidInput` naming both counts, no core
/// runs `f`, and the values are dropped on the calling thread (no thread
/// was started to drop them).
#[test]
fn a_count_mismatch_is_refused_before_any_thread_starts() {
    let Some(cores) = two_cores() else { return };
    let n = cores.cpus().unwrap().len();
    let calls = Arc::new(AtomicUsize::new(0));
    for count in [0, n - 1, n + 1, n + 5] {
        let dropped_on = Arc::new(Mutex::new(Vec::new()));
        let values: Vec<DropOn> = (0..count)
            .map(|_| DropOn {
                dropped_on: Arc::clone(&dropped_on),
            })
            .collect();
        let counter = Arc::clone(&calls);
        let err = cores
            .run_with(values, move |_core, _v| {
                counter.fetch_add(1, SeqCst);
                async {}
            })
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{count}: {err}");
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("{count} values for {n} cores")),
            "message should name both counts: {msg}"
        );
        let dropped_on = dropped_on.lock().unwrap();
        assert_eq!(dropped_on.len(), count, "values leaked");
        assert!(
            dropped_on.iter().all(|t| *t == thread::current().id()),
            "a value was dropped on another thread: a thread was started"
        );
    }
    assert_eq!(calls.load(SeqCst), 0, "a core started despite the error");
}

/// A CPU set that does not fit is still reported as such (not as a count
/// mismatch), before any thread starts.
#[test]
fn a_bad_cpu_set_is_reported_before_the_count() {
    let allowed = Cores::all().cpus().unwrap();
    let err = Cores::first(allowed.len() + 1)
        .run_with(vec![(); allowed.len() + 1], |_, ()| async {})
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("affinity mask"), "{err}");
}

/// Every value is dropped exactly once, on its core's thread, when the
/// core's future ends; one core's panic is still reported with its core
/// after the others finish, as with `run`.
#[test]
fn values_are_dropped_on_their_cores_and_a_panic_names_its_core() {
    let Some(cores) = two_cores() else { return };
    let dropped_on = Arc::new(Mutex::new(Vec::new()));
    let values: Vec<DropOn> = (0..2)
        .map(|_| DropOn {
            dropped_on: Arc::clone(&dropped_on),
        })
        .collect();
    let err = cores
        .run_with(values, |core, v| async move {
            let me = thread::current().id();
            drop(v);
            if core.index() == 1 {
                panic!("run_with boom");
            }
            me
        })
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("core 1") && msg.contains("run_with boom"),
        "{msg}"
    );
    let dropped_on = dropped_on.lock().unwrap();
    assert_eq!(dropped_on.len(), 2, "each value dropped once");
    assert!(
        dropped_on.iter().all(|t| *t != thread::current().id()),
        "values are dropped on the cores' threads"
    );
    assert_ne!(dropped_on[0], dropped_on[1], "one value per core thread");
}

/// `run` is `run_with` with no values: it still hands out the cores in
/// order (a regression guard for the shared body).
#[test]
fn run_still_works_through_the_shared_body() {
    let allowed = Cores::all().cpus().unwrap();
    let ids = Cores::all().run(|core| async move { core.id() }).unwrap();
    assert_eq!(ids, allowed);
}
