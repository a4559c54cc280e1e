//! `aio::cores::Cores::run`: one pinned runtime per core, results in core
//! order, panics reported with the core and message, bad CPU sets rejected
//! before any thread starts.

use std::io;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use aio::cores::{self, CoreId, Cores};

/// Two cores, or `None` (with a note) on a machine whose affinity mask
/// allows fewer.
fn two_cores() -> Option<Cores> {
    match Cores::first(2).cpus() {
        Ok(_) => Some(Cores::first(2)),
        Err(e) => {
            eprintln!("note: skipping, this test needs 2 CPUs: {e}");
            None
        }
    }
}

fn sched_getcpu() -> usize {
    // SAFETY: sched_getcpu has no preconditions.
    let cpu = unsafe { libc::sched_getcpu() };
    assert!(cpu >= 0, "sched_getcpu: {}", io::Error::last_os_error());
    cpu as usize
}

#[test]
fn results_come_back_in_core_order_and_each_core_runs_pinned_on_its_cpu() {
    let Some(cores) = two_cores() else { return };
    let cpus = cores.cpus().unwrap();
    let seen = cores
        .run(|core| async move {
            // Core 0 finishes last, so the order is not the finishing order.
            if core.index() == 0 {
                std::thread::sleep(Duration::from_millis(50));
            }
            let name = std::thread::current().name().map(str::to_owned);
            (core, cores::current(), sched_getcpu(), name)
        })
        .unwrap();
    assert_eq!(seen.len(), 2);
    for (i, (core, current, cpu, name)) in seen.into_iter().enumerate() {
        assert_eq!(core.index(), i);
        assert_eq!(core.id(), cpus[i]);
        assert_eq!(current, Some(core), "current() inside a core");
        assert_eq!(cpu, core.id(), "{core} ran on cpu {cpu}: not pinned");
        assert_eq!(name.as_deref(), Some(&*format!("aio-core-{}", core.id())));
    }
    assert_eq!(cores::current(), None, "current() outside any core");
}

#[test]
fn the_future_need_not_be_send_and_runs_inside_a_runtime() {
    let Some(cores) = two_cores() else { return };
    let out = cores
        .run(|core| {
            let local = Rc::new(core.index());
            async move {
                aio::task::yield_now().await;
                assert_ne!(
                    aio::Driver::current(),
                    aio::Driver::Auto,
                    "inside a runtime"
                );
                *local * 10
            }
        })
        .unwrap();
    assert_eq!(out, vec![0, 10]);
}

#[test]
fn a_panic_on_one_core_is_reported_with_core_and_message_after_the_others_finish() {
    let Some(cores) = two_cores() else { return };
    let other_done = Arc::new(AtomicBool::new(false));
    let done = Arc::clone(&other_done);
    let err = cores
        .run(move |core| {
            let done = Arc::clone(&done);
            async move {
                if core.index() == 1 {
                    panic!("boom on purpose");
                }
                // The other core keeps working after the panic.
                std::thread::sleep(Duration::from_millis(100));
                aio::task::yield_now().await;
                done.store(true, SeqCst);
            }
        })
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("core 1"),
        "error does not name the core: {msg}"
    );
    assert!(
        msg.contains("boom on purpose"),
        "error lacks the panic message: {msg}"
    );
    assert!(other_done.load(SeqCst), "core 0 did not run to completion");
}

#[test]
fn cpu_sets_outside_the_affinity_mask_fail_before_any_thread_starts() {
    let allowed = Cores::all().cpus().unwrap();
    assert!(!allowed.is_empty());
    let calls = Arc::new(AtomicUsize::new(0));
    let bad = [
        Cores::list([*allowed.last().unwrap() + 1]),
        Cores::list([100_000]),
        Cores::list([allowed[0], allowed[0]]),
        Cores::list([]),
        Cores::first(allowed.len() + 1),
        Cores::first(0),
    ];
    for cores in bad {
        let counter = Arc::clone(&calls);
        let err = cores
            .run(move |_core: CoreId| {
                counter.fetch_add(1, SeqCst);
                async {}
            })
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{cores:?}: {err}");
        assert!(err.to_string().contains("affinity mask"), "{err}");
    }
    assert_eq!(calls.load(SeqCst), 0, "a core started despite the error");
}

#[test]
fn all_and_list_follow_the_affinity_mask() {
    let allowed = Cores::all().cpus().unwrap();
    let ids = Cores::all().run(|core| async move { core.id() }).unwrap();
    assert_eq!(ids, allowed);
    // A list runs in the order given.
    let reversed: Vec<usize> = allowed.iter().rev().copied().collect();
    let got = Cores::list(reversed.clone())
        .run(|core| async move { (core.index(), core.id(), sched_getcpu()) })
        .unwrap();
    for (i, (index, id, cpu)) in got.into_iter().enumerate() {
        assert_eq!((index, id, cpu), (i, reversed[i], reversed[i]));
    }
}

#[test]
fn unpinned_cores_still_run_and_know_their_core() {
    let Some(cores) = two_cores() else { return };
    let out = cores
        .pin(false)
        .runtime(aio::RuntimeBuilder::new().entries(64))
        .run(|core| async move { cores::current() == Some(core) })
        .unwrap();
    assert_eq!(out, vec![true, true]);
}

#[test]
fn core_ids_order_by_position_and_display_both_numbers() {
    let Some(cores) = two_cores() else { return };
    let ids = cores.run(|core| async move { core }).unwrap();
    assert!(ids[0] < ids[1]);
    assert_eq!(ids[1].to_string(), format!("core 1 (cpu {})", ids[1].id()));
}

/// A runtime that cannot be built (an io_uring ring far too large) fails
/// `run` before any core runs the future, naming the core and keeping the
/// error's kind.
#[test]
fn a_runtime_that_cannot_start_fails_run_before_any_core_runs_the_future() {
    let Some(cores) = two_cores() else { return };
    let builder = aio::RuntimeBuilder::new()
        .driver(aio::Driver::IoUring)
        .entries(u32::MAX);
    if builder.build().is_ok() {
        eprintln!("note: skipping, this kernel accepts a ring of u32::MAX entries");
        return;
    }
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let err = cores
        .runtime(builder)
        .run(move |_| {
            counter.fetch_add(1, SeqCst);
            async {}
        })
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("core 0") && msg.contains("building its runtime"),
        "{msg}"
    );
    assert!(
        std::error::Error::source(err.get_ref().unwrap()).is_some(),
        "original error kept"
    );
    assert_eq!(
        calls.load(SeqCst),
        0,
        "a core ran its future despite the failure"
    );
}

#[test]
fn cores_types_cross_threads_as_documented() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<aio::cores::Sender<String>>();
    send::<aio::cores::Receiver<String>>();
    send_sync::<aio::cores::Shutdown>();
    send_sync::<aio::cores::InFlight>();
    send_sync::<CoreId>();
    send_sync::<Cores>();
}
