//! Review tests of the task cell's reference counting: every task cell owns
//! an `Arc<Shared>` of its runtime, so once the runtime, the handles and the
//! wakers are gone, a `Weak<Shared>` that still upgrades means a task cell
//! (or a waker) was leaked.

use std::future::{poll_fn, Future};
use std::sync::{mpsc, Arc, Weak};
use std::task::{Poll, Waker};
use std::time::Duration;

use crate::runtime::context;
use crate::runtime::Shared;
use crate::task::yield_now;
use crate::{Runtime, RuntimeBuilder};

fn runtimes() -> Vec<Runtime> {
    crate::driver::available_drivers()
        .into_iter()
        .map(|d| RuntimeBuilder::new().driver(d).build().expect("runtime"))
        .collect()
}

fn shared_of_current() -> Weak<Shared> {
    context::with_core(|core| Arc::downgrade(core.shared()))
}

fn assert_all_released(weak: &Weak<Shared>, what: &str) {
    assert!(
        weak.upgrade().is_none(),
        "{what}: {} owner(s) of the runtime's Shared remain (a task cell or waker leaked)",
        weak.strong_count()
    );
}

/// Completed, detached, aborted, pending-at-shutdown and self-joining tasks
/// all release their cells.
#[test]
fn task_cells_are_released() {
    for rt in runtimes() {
        let weak = rt.block_on(async {
            let weak = shared_of_current();
            // Completed and joined.
            assert_eq!(crate::spawn(async { 1 }).await.unwrap(), 1);
            // Detached, completes later.
            drop(crate::spawn(async {
                yield_now().await;
            }));
            // Aborted.
            let h = crate::spawn(std::future::pending::<()>());
            yield_now().await;
            h.abort();
            assert!(h.await.unwrap_err().is_cancelled());
            // Pending at shutdown, handle kept past the runtime.
            let kept = crate::spawn(std::future::pending::<()>());
            // Pending at shutdown, detached, sleeping in the wheel.
            drop(crate::spawn(crate::time::sleep(Duration::from_secs(3600))));
            // Awaits itself (its join waker is its own waker).
            let (tx, rx) = crate::sync::oneshot::channel::<crate::JoinHandle<()>>();
            let me = crate::spawn(async move {
                let me = rx.await.unwrap();
                let _ = me.await;
            });
            let _ = tx.send(me);
            for _ in 0..4 {
                yield_now().await;
            }
            (weak, kept)
        });
        let (weak, kept) = weak;
        drop(rt);
        drop(kept);
        assert_all_released(&weak, "after drop");
    }
}

/// Wakers on another thread: woken after shutdown (the inbox is closed)
/// and released last there.
#[test]
fn remote_wakers_release_their_cells() {
    for rt in runtimes() {
        let (tx, rx) = mpsc::channel::<Waker>();
        let weak = rt.block_on(async move {
            let weak = shared_of_current();
            for _ in 0..4 {
                let tx = tx.clone();
                crate::spawn(poll_fn(move |cx| {
                    tx.send(cx.waker().clone()).unwrap();
                    Poll::<()>::Pending
                }));
            }
            yield_now().await;
            yield_now().await;
            weak
        });
        let wakers: Vec<Waker> = rx.try_iter().collect();
        assert_eq!(wakers.len(), 4);
        // One woken before the runtime goes (sits in the inbox).
        wakers[0].wake_by_ref();
        drop(rt);
        std::thread::spawn(move || {
            for w in wakers {
                w.wake_by_ref();
                w.wake();
            }
        })
        .join()
        .unwrap();
        assert_all_released(&weak, "after remote release");
    }
}

/// An op future carried out of the runtime keeps the task's waker in its
/// slot; dropping it releases everything.
#[test]
fn op_outliving_runtime_releases_waker() {
    use std::os::unix::net::UnixStream as StdUnixStream;
    for rt in runtimes() {
        let driver = rt.driver();
        let (a, _peer) = StdUnixStream::pair().unwrap();
        let (weak, fut) = rt.block_on(async move {
            let weak = shared_of_current();
            let mut s = crate::net::UnixStream::from_std(a).unwrap();
            let fut = Box::pin(async move {
                use crate::io::AsyncReadRent;
                let _ = s.read(Vec::with_capacity(8)).await;
            });
            let mut fut = Some(fut);
            let h = crate::spawn(poll_fn(move |cx| {
                let mut f = fut.take().unwrap();
                let _ = f.as_mut().poll(cx);
                Poll::Ready(f)
            }));
            (weak, h.await.unwrap())
        });
        drop(rt);
        drop(fut);
        assert_all_released(&weak, &format!("{driver:?}: op dropped after runtime"));
    }
}
