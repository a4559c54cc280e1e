//! Adversarial soundness tests of the executor and the driver, written as a
//! user would (against `aio::` only): wakers that outlive their runtime or
//! cross threads, futures and buffers whose `Drop` panics or re-enters the
//! runtime, ops whose futures outlive the runtime, and dropped ops whose data
//! moves into the driver's table.
//!
//! Tests marked `#[ignore = "finding N: ..."]` reproduce a defect found in
//! review; they fail (or crash) until it is fixed.
//!
//! Run the relevant ones under valgrind, e.g.:
//! `valgrind --error-exitcode=1 --leak-check=no target/debug/deps/soundness-* --test-threads=1`

// Handles and op futures are carried out of `block_on` on purpose.
#![allow(clippy::async_yields_async)]

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Wake, Waker};
use std::thread;
use std::time::Duration;

use aio::buf::IoBufMut;
use aio::io::{AsyncReadRent, AsyncWriteRentExt};
use aio::net::{UdpSocket, UnixStream};
use aio::task::yield_now;
use aio::time::{sleep, timeout};
use aio::{Driver, Runtime, RuntimeBuilder};

// ---- helpers -----------------------------------------------------------------

/// One runtime per backend this machine can run.
fn runtimes() -> Vec<Runtime> {
    let mut out = Vec::new();
    if let Ok(rt) = RuntimeBuilder::new().driver(Driver::IoUring).build() {
        out.push(rt);
    }
    out.push(
        RuntimeBuilder::new()
            .driver(Driver::Epoll)
            .build()
            .expect("epoll runtime"),
    );
    out
}

fn uring() -> Option<Runtime> {
    RuntimeBuilder::new().driver(Driver::IoUring).build().ok()
}

/// Polls `f` once with the task's own waker.
async fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    poll_fn(|cx| Poll::Ready(Pin::new(&mut *f).poll(cx))).await
}

/// A buffer that counts its drops (thread-safe counter, so tests may check
/// it from anywhere).
struct Counted {
    data: Vec<u8>,
    drops: Arc<AtomicUsize>,
}

impl Counted {
    fn new(cap: usize, drops: &Arc<AtomicUsize>) -> Counted {
        Counted {
            data: Vec::with_capacity(cap),
            drops: drops.clone(),
        }
    }
}

// SAFETY: forwards to the Vec's heap allocation, which does not move when
// the Counted does.
unsafe impl IoBufMut for Counted {
    fn write_ptr(&mut self) -> *mut u8 {
        self.data.write_ptr()
    }
    fn bytes_total(&self) -> usize {
        self.data.bytes_total()
    }
    unsafe fn set_init(&mut self, pos: usize) {
        // SAFETY: forwarded from the caller.
        unsafe { self.data.set_init(pos) }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// A waker that does nothing.
struct NoopWake;
impl Wake for NoopWake {
    fn wake(self: Arc<Self>) {}
}

/// A value that panics when dropped.
struct PanicOnDrop;
impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !thread::panicking() {
            panic!("PanicOnDrop dropped");
        }
    }
}

/// A !Send value that records the thread it is dropped on.
struct NotSend {
    _rc: Rc<()>,
    owner: thread::ThreadId,
    dropped_on_owner: Arc<AtomicUsize>,
}

impl Drop for NotSend {
    fn drop(&mut self) {
        if thread::current().id() == self.owner {
            self.dropped_on_owner.fetch_add(1, Ordering::SeqCst);
        } else {
            // Can't assert here (we may be on a thread nobody joins): make
            // it loud instead.
            eprintln!("NotSend dropped on a foreign thread");
            std::process::abort();
        }
    }
}

// ---- wakers vs. runtime lifetime ---------------------------------------------

/// A task's waker, sent to another thread, used there after the runtime and
/// the task are gone: no use-after-free, and the last release (on the other
/// thread) frees nothing !Send.
#[test]
fn waker_on_other_thread_outlives_runtime() {
    for rt in runtimes() {
        let dropped_on_owner = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel::<Waker>();
        let d = dropped_on_owner.clone();
        let handle = rt.block_on(async move {
            let owner = thread::current().id();
            let h = aio::spawn(async move {
                // Hand our waker to another thread, then finish with a !Send
                // output that the JoinHandle never reads.
                poll_fn(|cx| {
                    tx.send(cx.waker().clone()).unwrap();
                    Poll::Ready(())
                })
                .await;
                yield_now().await;
                NotSend {
                    _rc: Rc::new(()),
                    owner,
                    dropped_on_owner: d,
                }
            });
            while !h.is_finished() {
                yield_now().await;
            }
            h
        });
        let waker = rx.recv().unwrap();
        drop(rt);
        // The output is dropped here, on the owner thread.
        drop(handle);
        assert_eq!(dropped_on_owner.load(Ordering::SeqCst), 1);
        thread::spawn(move || {
            waker.wake_by_ref();
            let w2 = waker.clone();
            w2.wake();
            waker.wake();
        })
        .join()
        .unwrap();
    }
}

/// The task never completes; its waker lives on another thread while the
/// runtime is dropped; the thread releases the last reference.
#[test]
fn waker_of_cancelled_task_released_on_other_thread() {
    for rt in runtimes() {
        let (tx, rx) = mpsc::channel::<Waker>();
        let dropped_on_owner = Arc::new(AtomicUsize::new(0));
        let d = dropped_on_owner.clone();
        rt.block_on(async move {
            let owner = thread::current().id();
            let keep = NotSend {
                _rc: Rc::new(()),
                owner,
                dropped_on_owner: d,
            };
            aio::spawn(async move {
                let _keep = keep;
                poll_fn(|cx| {
                    tx.send(cx.waker().clone()).unwrap();
                    Poll::<()>::Pending
                })
                .await;
            });
            yield_now().await;
            yield_now().await;
        });
        let waker = rx.recv().unwrap();
        // Shutdown drops the future (and its !Send capture) on this thread.
        drop(rt);
        assert_eq!(dropped_on_owner.load(Ordering::SeqCst), 1);
        thread::spawn(move || {
            waker.wake_by_ref();
            drop(waker);
        })
        .join()
        .unwrap();
    }
}

/// Another thread keeps waking a task while its runtime shuts down.
#[test]
fn remote_wakes_race_runtime_drop() {
    for rt in runtimes() {
        let (tx, rx) = mpsc::channel::<Waker>();
        rt.block_on(async move {
            aio::spawn(async move {
                loop {
                    poll_fn(|cx| {
                        let _ = tx.send(cx.waker().clone());
                        Poll::Ready(())
                    })
                    .await;
                    sleep(Duration::from_millis(1)).await;
                }
            });
            sleep(Duration::from_millis(5)).await;
        });
        let waker = rx.recv().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let t = thread::spawn(move || {
            let mut n = 0u32;
            while !s.load(Ordering::Relaxed) || n < 100 {
                waker.wake_by_ref();
                #[allow(clippy::waker_clone_wake)] // the consuming wake path
                waker.clone().wake();
                n += 1;
            }
        });
        thread::sleep(Duration::from_millis(2));
        drop(rt);
        stop.store(true, Ordering::Relaxed);
        t.join().unwrap();
    }
}

/// A waker of runtime A woken inside runtime B on the same thread, after A
/// is gone.
#[test]
fn stale_waker_woken_inside_another_runtime() {
    let (tx, rx) = mpsc::channel::<Waker>();
    let a = Runtime::new().unwrap();
    a.block_on(async move {
        aio::spawn(poll_fn(move |cx| {
            tx.send(cx.waker().clone()).unwrap();
            Poll::<()>::Pending
        }));
        yield_now().await;
    });
    let waker = rx.recv().unwrap();
    drop(a);
    let b = Runtime::new().unwrap();
    b.block_on(async move {
        waker.wake_by_ref();
        yield_now().await;
        waker.wake();
    });
}

// ---- panics and re-entrancy in Drop ----------------------------------------------

/// A future that panics when dropped: abort reports the panic, shutdown
/// contains it, and the runtime keeps serving.
#[test]
fn future_panicking_in_drop_on_abort_and_shutdown() {
    for rt in runtimes() {
        rt.block_on(async {
            let h = aio::spawn(async {
                let _p = PanicOnDrop;
                std::future::pending::<()>().await;
            });
            yield_now().await;
            h.abort();
            let err = h.await.unwrap_err();
            assert!(
                err.is_panic(),
                "a panicking drop on abort is reported as a panic"
            );
            // Still serving.
            assert_eq!(aio::spawn(async { 7 }).await.unwrap(), 7);
            // Left for shutdown:
            aio::spawn(async {
                let _p = PanicOnDrop;
                std::future::pending::<()>().await;
            });
            yield_now().await;
        });
        drop(rt); // must not panic
    }
}

/// A task that completes with a panicking output destructor, detached.
#[test]
fn output_panicking_in_drop_is_contained() {
    for rt in runtimes() {
        rt.block_on(async {
            drop(aio::spawn(async { PanicOnDrop }));
            let h = aio::spawn(async { PanicOnDrop });
            yield_now().await;
            yield_now().await;
            assert!(h.is_finished());
            // Dropping the handle drops the output; the panic is contained.
            drop(h);
            assert_eq!(aio::spawn(async { 1 }).await.unwrap(), 1);
        });
    }
}

/// Dropping a task spawns another task, whose drop spawns another: shutdown
/// drops them all and terminates.
#[test]
fn spawn_from_drop_during_shutdown() {
    struct Respawn {
        depth: u32,
        dropped: Rc<Cell<u32>>,
    }
    impl Drop for Respawn {
        fn drop(&mut self) {
            self.dropped.set(self.dropped.get() + 1);
            if self.depth > 0 {
                let next = Respawn {
                    depth: self.depth - 1,
                    dropped: self.dropped.clone(),
                };
                aio::spawn(async move {
                    let _n = next;
                    std::future::pending::<()>().await;
                });
            }
        }
    }
    for rt in runtimes() {
        let dropped = Rc::new(Cell::new(0));
        let d = dropped.clone();
        rt.block_on(async move {
            let r = Respawn {
                depth: 5,
                dropped: d,
            };
            aio::spawn(async move {
                let _r = r;
                std::future::pending::<()>().await;
            });
            yield_now().await;
        });
        drop(rt);
        assert_eq!(dropped.get(), 6);
    }
}

/// A task aborts itself and drops its own JoinHandle while running.
#[test]
fn task_aborts_and_drops_its_own_handle() {
    for rt in runtimes() {
        rt.block_on(async {
            let slot: Rc<RefCell<Option<aio::JoinHandle<()>>>> = Rc::default();
            let s = slot.clone();
            let h = aio::spawn(async move {
                yield_now().await;
                let me = s.borrow_mut().take().unwrap();
                me.abort();
                drop(me);
                yield_now().await;
                unreachable!("an aborted task was polled again");
            });
            *slot.borrow_mut() = Some(h);
            for _ in 0..5 {
                yield_now().await;
            }
            assert!(slot.borrow().is_none());

            // Drops its own handle, then completes with an output nobody
            // reads (dropped at completion).
            let out_drops = Arc::new(AtomicUsize::new(0));
            let slot: Rc<RefCell<Option<aio::JoinHandle<Counted>>>> = Rc::default();
            let s = slot.clone();
            let od = out_drops.clone();
            let h = aio::spawn(async move {
                yield_now().await;
                drop(s.borrow_mut().take());
                Counted::new(1, &od)
            });
            *slot.borrow_mut() = Some(h);
            for _ in 0..5 {
                yield_now().await;
            }
            assert_eq!(out_drops.load(Ordering::SeqCst), 1);
        });
    }
}

/// A JoinHandle returned out of its runtime and awaited in another one.
#[test]
fn join_handle_outlives_its_runtime() {
    let a = Runtime::new().unwrap();
    let (done, never) = a.block_on(async {
        let done = aio::spawn(async { Rc::new(5) });
        let never = aio::spawn(std::future::pending::<Rc<u8>>());
        while !done.is_finished() {
            yield_now().await;
        }
        (done, never)
    });
    drop(a);
    assert!(never.is_finished());
    never.abort(); // no-op on a finished task
    let b = Runtime::new().unwrap();
    b.block_on(async move {
        assert_eq!(*done.await.unwrap(), 5);
        assert!(never.await.unwrap_err().is_cancelled());
    });
}

// ---- ops vs. runtime lifetime --------------------------------------------------

/// An op future polled once, carried out of `block_on`, and then dropped or
/// polled after its runtime is gone.
#[test]
fn op_future_outlives_runtime() {
    for poll_after in [false, true] {
        for rt in runtimes() {
            let drops = Arc::new(AtomicUsize::new(0));
            let (a, _peer) = StdUnixStream::pair().unwrap();
            let d = drops.clone();
            let mut fut = rt.block_on(async move {
                let mut s = UnixStream::from_std(a).unwrap();
                let mut fut = Box::pin(async move { s.read(Counted::new(64, &d)).await.0 });
                assert!(poll_once(&mut fut).await.is_pending());
                fut
            });
            drop(rt);
            if poll_after {
                let b = Runtime::new().unwrap();
                let res = b.block_on(async {
                    timeout(
                        Duration::from_millis(300),
                        poll_fn(|cx| fut.as_mut().poll(cx)),
                    )
                    .await
                });
                // Cancelled at shutdown (or never completed): not data.
                if let Ok(r) = res {
                    assert!(r.is_err(), "a read on a silent socket returned {r:?}");
                }
            }
            drop(fut);
            assert!(drops.load(Ordering::SeqCst) <= 1);
        }
    }
}

/// Dropped reads of every shape (buffer, iovecs, msghdr + address) move
/// their data into the driver; the peer writes afterwards; the data must not
/// land in memory that was handed back to the allocator, and the runtime
/// keeps serving. Valgrind checks the Rust side.
#[test]
fn dropped_ops_with_moved_data_then_peer_writes() {
    for rt in runtimes() {
        rt.block_on(async {
            for round in 0..20u8 {
                let (mut a, mut b) = UnixStream::pair().unwrap();
                // read
                let mut f = Box::pin(a.read(Vec::with_capacity(256)));
                assert!(poll_once(&mut f).await.is_pending());
                drop(f);
                // readv
                let mut f =
                    Box::pin(a.readv(vec![Vec::with_capacity(100), Vec::with_capacity(156)]));
                assert!(poll_once(&mut f).await.is_pending());
                drop(f);
                let (res, _) = b.write_all(vec![round; 1024]).await;
                res.unwrap();
                // Allocations of the sizes just freed must stay untouched.
                let probes: Vec<Vec<u8>> = (0..8).map(|_| vec![0xEEu8; 256]).collect();
                yield_now().await;
                sleep(Duration::from_millis(1)).await;
                for p in &probes {
                    assert!(p.iter().all(|&x| x == 0xEE), "freed memory was written");
                }
                // Still serving: what the dropped reads did not take is readable.
                let (res, buf) = a.read(Vec::with_capacity(1024)).await;
                let _ = res.unwrap();
                assert!(buf.iter().all(|&x| x == round));
            }

            // recv_from: msghdr, iovec and address all boxed in the op.
            for round in 0..20u8 {
                let a = UdpSocket::bind("127.0.0.1:0").unwrap();
                let b = UdpSocket::bind("127.0.0.1:0").unwrap();
                let to = a.local_addr().unwrap();
                let mut f = Box::pin(a.recv_from(Vec::with_capacity(64)));
                assert!(poll_once(&mut f).await.is_pending());
                drop(f);
                let (res, _) = b.send_to(vec![round; 64], to).await;
                res.unwrap();
                let probes: Vec<Vec<u8>> = (0..8).map(|_| vec![0xEEu8; 64]).collect();
                sleep(Duration::from_millis(1)).await;
                for p in &probes {
                    assert!(p.iter().all(|&x| x == 0xEE), "freed memory was written");
                }
                // The datagram went to the dropped op (lost, documented) or
                // is still queued; either way the socket still works.
                let (res, _) = b.send_to(vec![round; 8], to).await;
                res.unwrap();
                let (res, buf) =
                    timeout(Duration::from_secs(5), a.recv_from(Vec::with_capacity(64)))
                        .await
                        .unwrap();
                let (_, from) = res.unwrap();
                assert_eq!(from, b.local_addr().unwrap());
                assert!(buf.iter().all(|&x| x == round));
            }
        });
    }
}

/// Ops dropped and resubmitted back to back, so slots are reused while
/// cancellations are in flight: each completion reaches its own op.
#[test]
fn slot_reuse_under_cancellation() {
    for rt in runtimes() {
        rt.block_on(async {
            let (mut a, mut b) = UnixStream::pair().unwrap();
            for round in 0..200u32 {
                for _ in 0..3 {
                    let mut f = Box::pin(a.read(Vec::with_capacity(8)));
                    let _ = poll_once(&mut f).await;
                    drop(f);
                }
                let msg = round.to_le_bytes().to_vec();
                let (res, _) = b.write_all(msg).await;
                res.unwrap();
                // Only the dropped reads could have eaten the message; a
                // read that returns must return this round's bytes.
                // (A timeout means a dropped read took it.)
                if let Ok((res, buf)) =
                    timeout(Duration::from_millis(50), a.read(Vec::with_capacity(4))).await
                {
                    let n = res.unwrap();
                    assert_eq!(&buf[..n], &round.to_le_bytes()[..n]);
                }
            }
        });
    }
}

/// Runtime dropped with many ops in flight, each in its own task.
#[test]
fn runtime_dropped_with_ops_in_flight() {
    for rt in runtimes() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut peers = Vec::new();
        let d = drops.clone();
        rt.block_on(async {
            for _ in 0..32 {
                let (a, b) = StdUnixStream::pair().unwrap();
                peers.push(b);
                let mut s = UnixStream::from_std(a).unwrap();
                let d = d.clone();
                aio::spawn(async move {
                    let _ = s.read(Counted::new(128, &d)).await;
                });
            }
            yield_now().await;
            yield_now().await;
        });
        drop(rt);
        // Each buffer freed at most once (cancelled ops are freed, or leaked
        // if the kernel never answered).
        assert!(drops.load(Ordering::SeqCst) <= 32);
        drop(peers);
    }
}

// ---- findings ---------------------------------------------------------------------

/// Finding 2: `JoinHandle` polled with waker W1, then with another waker:
/// `set_join_waker` assigns in place (`*slot = Some(new)`), dropping W1
/// while it holds `&mut` to the header's `join_waker`. If W1's drop drops the
/// task's runtime (here, one parked in a thread-local), `Core::shutdown`
/// takes the same `join_waker` and drops W1 a second time: double drop of a
/// `Waker` (double free of its data), UB from safe code.
#[test]

fn join_waker_replacement_reentering_runtime_drop() {
    thread_local! {
        static RT_A: RefCell<Option<Runtime>> = const { RefCell::new(None) };
        static ARMED: Cell<bool> = const { Cell::new(false) };
    }
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    static CLONES: AtomicUsize = AtomicUsize::new(0);

    // A RawWaker whose data is a heap box (so a double drop is a double
    // free valgrind and glibc see) and whose drop may drop runtime A.
    unsafe fn clone(p: *const ()) -> RawWaker {
        CLONES.fetch_add(1, Ordering::SeqCst);
        let _ = p;
        RawWaker::new(Box::into_raw(Box::new(0u64)) as *const (), &VTABLE)
    }
    unsafe fn wake(p: *const ()) {
        // SAFETY: the vtable contract: wake consumes the waker.
        unsafe { drop_fn(p) }
    }
    unsafe fn wake_by_ref(_: *const ()) {}
    unsafe fn drop_fn(p: *const ()) {
        DROPS.fetch_add(1, Ordering::SeqCst);
        if ARMED.with(|a| a.replace(false)) {
            let rt = RT_A.with(|r| r.borrow_mut().take());
            drop(rt);
        }
        // SAFETY: created by Box::into_raw in clone/new_waker.
        drop(unsafe { Box::from_raw(p as *mut u64) });
    }
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_fn);
    fn new_waker() -> Waker {
        CLONES.fetch_add(1, Ordering::SeqCst);
        // SAFETY: the vtable functions above follow the RawWaker contract.
        unsafe {
            Waker::from_raw(RawWaker::new(
                Box::into_raw(Box::new(0u64)) as *const (),
                &VTABLE,
            ))
        }
    }

    let a = Runtime::new().unwrap();
    let mut h = a.block_on(async { aio::spawn(std::future::pending::<()>()) });
    RT_A.with(|r| *r.borrow_mut() = Some(a));

    // Register W1 as the join waker (a clone of it is stored).
    {
        let w1 = new_waker();
        let mut cx = Context::from_waker(&w1);
        assert!(Pin::new(&mut h).poll(&mut cx).is_pending());
    }
    // Now poll with a different waker inside runtime B: the stored W1 clone
    // is dropped, which drops runtime A.
    let b = Runtime::new().unwrap();
    b.block_on(async {
        ARMED.with(|a| a.set(true));
        let _ = poll_once(&mut h).await;
    });
    drop(h);
    drop(b);
    assert_eq!(
        DROPS.load(Ordering::SeqCst),
        CLONES.load(Ordering::SeqCst),
        "every waker dropped exactly once"
    );
}

/// Finding 3: `IoDriver::drop_op` replaces `Pending(Some(waker))` with
/// `Ignored(..)` while `inner` is mutably borrowed, so the waker's drop runs
/// under the borrow; a waker whose drop drops another op (here: a pending
/// read parked in a thread-local) re-enters `drop_op` and panics with
/// `already borrowed` (an abort if it happens during unwinding).
#[test]

fn waker_drop_inside_drop_op_reenters_driver() {
    type Parked = Pin<Box<dyn Future<Output = ()>>>;
    thread_local! {
        static PARKED: RefCell<Option<Parked>> = const { RefCell::new(None) };
    }
    struct DropsParked;
    impl Wake for DropsParked {
        fn wake(self: Arc<Self>) {}
    }
    impl Drop for DropsParked {
        fn drop(&mut self) {
            let parked = PARKED.with(|p| p.borrow_mut().take());
            drop(parked);
        }
    }
    for rt in runtimes() {
        let res = rt.block_on(async {
            let (mut a, _pa) = UnixStream::pair().unwrap();
            let (mut b, _pb) = UnixStream::pair().unwrap();
            let mut parked: Parked = Box::pin(async move {
                let _ = b.read(Vec::with_capacity(8)).await;
            });
            assert!(poll_once(&mut parked).await.is_pending());
            PARKED.with(|p| *p.borrow_mut() = Some(parked));

            let mut f = Box::pin(a.read(Vec::with_capacity(8)));
            {
                // The op's slot stores (a clone of) this waker; ours goes now.
                let w = Waker::from(Arc::new(DropsParked));
                let mut cx = Context::from_waker(&w);
                assert!(f.as_mut().poll(&mut cx).is_pending());
                PARKED.with(|_| ());
                // Keep the only other reference out of the way: the slot's
                // clone is the last one after this.
                drop(w);
            }
            // drop_op drops the slot's waker under the driver borrow.
            catch_unwind(AssertUnwindSafe(|| drop(f)))
        });
        assert!(
            res.is_ok(),
            "dropping an op panicked (driver re-entered while borrowed)"
        );
    }
}

/// Finding 3b: same, through `poll_op`: re-polling an op with a new waker
/// drops the stored one under the driver borrow.
#[test]

fn waker_drop_inside_poll_op_reenters_driver() {
    type Parked = Pin<Box<dyn Future<Output = ()>>>;
    thread_local! {
        static PARKED: RefCell<Option<Parked>> = const { RefCell::new(None) };
    }
    struct DropsParked;
    impl Wake for DropsParked {
        fn wake(self: Arc<Self>) {}
    }
    impl Drop for DropsParked {
        fn drop(&mut self) {
            let parked = PARKED.with(|p| p.borrow_mut().take());
            drop(parked);
        }
    }
    for rt in runtimes() {
        let res = rt.block_on(async {
            let (mut a, _pa) = UnixStream::pair().unwrap();
            let (mut b, _pb) = UnixStream::pair().unwrap();
            let mut parked: Parked = Box::pin(async move {
                let _ = b.read(Vec::with_capacity(8)).await;
            });
            assert!(poll_once(&mut parked).await.is_pending());
            PARKED.with(|p| *p.borrow_mut() = Some(parked));

            let mut f = Box::pin(a.read(Vec::with_capacity(8)));
            {
                let w = Waker::from(Arc::new(DropsParked));
                let mut cx = Context::from_waker(&w);
                assert!(f.as_mut().poll(&mut cx).is_pending());
            }
            // Poll again with the task's waker: the stored DropsParked goes.
            catch_unwind(AssertUnwindSafe(|| {
                let w = Waker::from(Arc::new(NoopWake));
                let mut cx = Context::from_waker(&w);
                let _ = f.as_mut().poll(&mut cx);
            }))
        });
        assert!(
            res.is_ok(),
            "re-polling an op panicked (driver re-entered while borrowed)"
        );
    }
}

/// Finding 4: `Core::shutdown` drops a cancelled task's join waker instead
/// of waking it. A `JoinHandle` awaited from another runtime (same thread)
/// then never learns that its task was cancelled: the awaiting task hangs.
#[test]

fn join_handle_awaiter_woken_when_owner_runtime_drops() {
    let a = Runtime::new().unwrap();
    let h = a.block_on(async { aio::spawn(std::future::pending::<u8>()) });
    let b = Runtime::new().unwrap();
    b.block_on(async move {
        let waiter = aio::spawn(h);
        // Let the waiter poll the handle (registering its waker in A's task).
        yield_now().await;
        yield_now().await;
        drop(a);
        let res = timeout(Duration::from_secs(2), waiter).await;
        let joined = res.expect("the awaiter of a cancelled task was never woken");
        assert!(joined.unwrap().unwrap_err().is_cancelled());
    });
}

/// Finding 5: a task spawned while the driver shuts down (from a buffer's
/// `Drop`, run when a cancelled op's completion arrives) is never cancelled
/// by the runtime: its future is dropped later, when `Core` itself drops,
/// outside any runtime context, so its own `Drop` cannot reach the runtime
/// (here `aio::spawn` panics inside `Runtime::drop`).
#[test]

fn task_spawned_during_driver_shutdown_is_cancelled_in_context() {
    struct SpawnOnDrop {
        buf: Vec<u8>,
        in_runtime_at_inner_drop: Rc<Cell<Option<bool>>>,
    }
    // SAFETY: forwards to the Vec's heap allocation.
    unsafe impl IoBufMut for SpawnOnDrop {
        fn write_ptr(&mut self) -> *mut u8 {
            self.buf.write_ptr()
        }
        fn bytes_total(&self) -> usize {
            self.buf.bytes_total()
        }
        unsafe fn set_init(&mut self, pos: usize) {
            // SAFETY: forwarded from the caller.
            unsafe { self.buf.set_init(pos) }
        }
    }
    struct Probe(Rc<Cell<Option<bool>>>);
    impl Drop for Probe {
        fn drop(&mut self) {
            let inside = catch_unwind(|| Driver::current()).is_ok();
            self.0.set(Some(inside));
        }
    }
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let probe = Probe(self.in_runtime_at_inner_drop.clone());
            aio::spawn(async move {
                let _p = probe;
                std::future::pending::<()>().await;
            });
        }
    }
    let Some(rt) = uring() else { return };
    let seen = Rc::new(Cell::new(None));
    let s = seen.clone();
    rt.block_on(async move {
        let (mut a, pa) = UnixStream::pair().unwrap();
        // Keep the op in flight until shutdown: the peer stays open.
        std::mem::forget(pa);
        aio::spawn(async move {
            let buf = SpawnOnDrop {
                buf: Vec::with_capacity(8),
                in_runtime_at_inner_drop: s,
            };
            let _ = a.read(buf).await;
        });
        yield_now().await;
        yield_now().await;
    });
    drop(rt);
    assert_eq!(
        seen.get(),
        Some(true),
        "the spawned task's future was dropped outside its runtime (or never)"
    );
}

/// CPU time of the calling thread, in seconds.
fn thread_cpu() -> f64 {
    // SAFETY: rusage is plain data; getrusage fills it.
    let mut r: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid out pointer.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut r) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(r.ru_utime) + t(r.ru_stime)
}

/// An idle runtime sleeps in the kernel (the armed eventfd read must not
/// complete at once, e.g. with EAGAIN on the nonblocking eventfd, and spin).
#[test]
fn idle_runtime_does_not_spin() {
    for rt in runtimes() {
        let driver = rt.driver();
        let before = thread_cpu();
        rt.block_on(async { sleep(Duration::from_millis(300)).await });
        let used = thread_cpu() - before;
        assert!(
            used < 0.1,
            "{driver:?}: {used:.3}s of CPU for a 300 ms sleep"
        );
    }
}

/// Finding 6: an epoll registration outlives its descriptor when the socket
/// is closed outside its runtime (`close_now` only tells the *current*
/// runtime's driver, and `forget_fd` gives up if the driver is borrowed).
/// The next socket with the same number then inherits `registered = true`
/// and is never added to the epoll set: its reads wait forever.
#[test]

fn epoll_fd_closed_outside_runtime_does_not_poison_its_number() {
    // Other tests in this binary open descriptors on other threads, so the
    // freed number may be taken before we reuse it: retry the setup.
    for _ in 0..50 {
        if fd_reuse_attempt() {
            return;
        }
    }
    panic!("test setup: a closed fd number was never reused in 50 attempts");
}

/// One attempt; `false` when the closed number was not the one reused.
fn fd_reuse_attempt() -> bool {
    let rt = RuntimeBuilder::new().driver(Driver::Epoll).build().unwrap();
    // Register a socket with the epoll set (a read that has to wait), then
    // carry it out of the runtime and close it there.
    let (a, peer) = rt.block_on(async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let r = aio::spawn(async move {
            let (res, _) = a.read(Vec::with_capacity(8)).await;
            res.unwrap();
            a
        });
        sleep(Duration::from_millis(20)).await;
        b.write_all(b"x".to_vec()).await.0.unwrap();
        (r.await.unwrap(), b)
    });
    use std::os::fd::AsRawFd;
    let old = a.as_raw_fd();
    drop(a); // closed with no runtime current
    drop(peer);
    rt.block_on(async move {
        let (a, b) = UnixStream::pair().unwrap();
        // The lowest free numbers are reused (unless another thread won).
        if a.as_raw_fd() != old && b.as_raw_fd() != old {
            return false;
        }
        let (mut reader, mut writer) = if a.as_raw_fd() == old { (a, b) } else { (b, a) };
        let h = aio::spawn(async move {
            sleep(Duration::from_millis(20)).await;
            writer.write_all(b"y".to_vec()).await.0.unwrap();
            writer
        });
        let res = timeout(Duration::from_secs(2), reader.read(Vec::with_capacity(8))).await;
        let (res, buf) = res.expect("a read on a reused fd number never completed");
        res.unwrap();
        assert_eq!(buf, b"y");
        drop(h.await);
        true
    })
}

/// Finding 7 (same class as 3, in the timer wheel): `Core::park` holds the
/// `timers` borrow while `Timers::fire` wakes the due wakers (and
/// `Sleep::poll` clones/drops wakers under it). A waker whose `wake` polls
/// a timer (an inline-polling combinator, say) panics with
/// `already borrowed` out of `block_on`.
#[test]

fn waker_woken_by_timer_fire_can_use_timers() {
    struct PollsASleep;
    impl Wake for PollsASleep {
        fn wake(self: Arc<Self>) {
            let mut s = Box::pin(sleep(Duration::from_secs(1)));
            let w = Waker::from(Arc::new(NoopWake));
            let _ = s.as_mut().poll(&mut Context::from_waker(&w));
        }
    }
    for rt in runtimes() {
        let res = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async {
                let mut s = Box::pin(sleep(Duration::from_millis(1)));
                let w = Waker::from(Arc::new(PollsASleep));
                assert!(s.as_mut().poll(&mut Context::from_waker(&w)).is_pending());
                sleep(Duration::from_millis(20)).await;
            })
        }));
        assert!(res.is_ok(), "a timer's waker could not use timers");
    }
}

/// Finding 8: `IoDriver::dispatch` wakes the collected wakers in a loop; if
/// one `wake` panics, the rest are dropped unwoken (and the orphans after a
/// panicking one are dropped without `complete`). A runtime reused after
/// the caught panic then never polls those tasks again: their ops are
/// `Completed` with nobody told.
#[test]

fn panicking_wake_in_dispatch_loses_no_wakeups() {
    struct PanicsOnWake;
    impl Wake for PanicsOnWake {
        fn wake(self: Arc<Self>) {
            panic!("wake panicked");
        }
    }
    for rt in runtimes() {
        let (a1, b1) = StdUnixStream::pair().unwrap();
        let (a2, b2) = StdUnixStream::pair().unwrap();
        use std::io::Write;
        (&b1).write_all(b"1").unwrap();
        (&b2).write_all(b"2").unwrap();
        let slot: Rc<RefCell<Option<aio::JoinHandle<usize>>>> = Rc::default();
        let s = slot.clone();
        let first = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async move {
                let mut s1 = UnixStream::from_std(a1).unwrap();
                let mut s2 = UnixStream::from_std(a2).unwrap();
                let mut f1 = Box::pin(s1.read(Vec::with_capacity(8)));
                let w = Waker::from(Arc::new(PanicsOnWake));
                let _ = f1.as_mut().poll(&mut Context::from_waker(&w));
                *s.borrow_mut() = Some(aio::spawn(async move {
                    s2.read(Vec::with_capacity(8)).await.0.unwrap()
                }));
                sleep(Duration::from_millis(50)).await;
                drop(f1);
            })
        }));
        let handle = slot.borrow_mut().take().unwrap();
        if first.is_ok() {
            // Epoll completed the reads inline (no wake to panic): nothing
            // to check on this backend.
            continue;
        }
        // The panic left `block_on` as the root future's: the spawned task
        // was dropped before it propagated (the documented teardown order),
        // so its handle must resolve as cancelled at once, never hang.
        let res = rt.block_on(async { timeout(Duration::from_secs(1), handle).await });
        let err = res.expect("a task lost its wake-up").unwrap_err();
        assert!(err.is_cancelled(), "{err:?}");
        drop((b1, b2));
    }
}
