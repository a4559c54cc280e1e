//! Dropping a runtime: with hundreds of operations in flight it returns
//! quickly and frees every buffer exactly once; pending timers and tasks
//! that hold each other's JoinHandles are dropped too, without hanging.

mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aio::io::AsyncReadRent;
use aio::net::{TcpListener, TcpStream, UnixStream};
use support::{drivers, runtime, yield_times, CountedBuf, DropGuard};

/// Builds a runtime on `driver`, lets `setup` park work on it, then times
/// the drop. What `setup` returns is dropped after the runtime.
fn drop_timed<T>(driver: aio::Driver, setup: impl std::future::Future<Output = T>) -> Duration {
    let rt = runtime(driver);
    let keep = rt.block_on(setup);
    let start = Instant::now();
    drop(rt);
    let took = start.elapsed();
    drop(keep);
    took
}

#[test]
fn dropping_a_runtime_with_500_pending_reads_is_quick_and_frees_each_buffer_once() {
    const N: usize = 500;
    support::raise_nofile(4 * N as u64 + 256);
    for driver in drivers() {
        let drops = Arc::new(AtomicUsize::new(0));
        let started = Rc::new(RefCell::new(0usize));
        let (d, s) = (drops.clone(), started.clone());
        let took = drop_timed(driver, async move {
            for _ in 0..N {
                let (a, b) = UnixStream::pair().unwrap();
                let (d, s) = (d.clone(), s.clone());
                aio::spawn(async move {
                    let (mut a, _peer) = (a, b);
                    *s.borrow_mut() += 1;
                    let (res, _buf) = a.read(CountedBuf::new(&d, 256)).await;
                    unreachable!("no data is ever sent: {res:?}");
                });
            }
            yield_times(3).await;
            assert_eq!(*s.borrow(), N, "every task reached its read");
            aio::time::sleep(Duration::from_millis(5)).await;
            assert_eq!(
                d.load(Ordering::SeqCst),
                0,
                "no buffer freed while its read is pending"
            );
        });
        assert!(
            took < Duration::from_secs(1),
            "{driver:?}: dropping the runtime took {took:?}"
        );
        assert_eq!(
            drops.load(Ordering::SeqCst),
            N,
            "{driver:?}: every buffer freed exactly once"
        );
    }
}

#[test]
fn dropping_a_runtime_with_orphaned_ops_frees_them_once() {
    // Ops whose futures were already dropped (cancellation requested, not
    // yet completed) when the runtime goes.
    const N: usize = 200;
    for driver in drivers() {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        let took = drop_timed(driver, async move {
            let mut keep = Vec::new();
            for _ in 0..N {
                let (mut a, b) = UnixStream::pair().unwrap();
                let mut read = Box::pin(a.read(CountedBuf::new(&d, 64)));
                assert!(support::poll_once(&mut read).await.is_none());
                drop(read); // cancellation requested; the runtime turns no more
                keep.push((a, b));
            }
            // Return at once: the cancellations may still be pending.
            keep
        });
        assert!(
            took < Duration::from_secs(1),
            "{driver:?}: drop took {took:?}"
        );
        assert_eq!(
            drops.load(Ordering::SeqCst),
            N,
            "{driver:?}: every orphaned buffer freed exactly once"
        );
    }
}

#[test]
fn dropping_a_runtime_with_pending_accepts_connects_and_timers() {
    for driver in drivers() {
        let guards = Arc::new(AtomicUsize::new(0));
        let g = guards.clone();
        let took = drop_timed(driver, async move {
            for _ in 0..20 {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                let g = g.clone();
                aio::spawn(async move {
                    let _guard = DropGuard(g);
                    let _ = listener.accept().await;
                    unreachable!("nobody connects");
                });
            }
            for i in 0..100u64 {
                let g = g.clone();
                aio::spawn(async move {
                    let _guard = DropGuard(g);
                    aio::time::sleep(Duration::from_secs(3600 + i)).await;
                    unreachable!("an hour didn't pass");
                });
            }
            // A connect to a listener whose backlog we never drain completes
            // quickly; keep one task parked on a read from it instead.
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let g2 = g.clone();
            aio::spawn(async move {
                let _guard = DropGuard(g2);
                let _l = listener;
                let mut s = TcpStream::connect(addr).await.unwrap();
                let _ = s.read(Vec::with_capacity(16)).await;
                unreachable!("nothing is sent");
            });
            yield_times(5).await;
            aio::time::sleep(Duration::from_millis(5)).await;
        });
        assert!(
            took < Duration::from_secs(1),
            "{driver:?}: drop took {took:?}"
        );
        assert_eq!(
            guards.load(Ordering::SeqCst),
            121,
            "{driver:?}: every pending task's future was dropped"
        );
    }
}

#[test]
fn dropping_a_runtime_whose_tasks_hold_each_others_join_handles() {
    for driver in drivers() {
        let guards = Arc::new(AtomicUsize::new(0));
        let g = guards.clone();
        let took = drop_timed(driver, async move {
            // A waits on B's handle and B on A's: a cycle that only the
            // runtime's drop can break.
            type Slot = Rc<RefCell<Option<aio::JoinHandle<()>>>>;
            for _ in 0..50 {
                let slot_a: Slot = Rc::new(RefCell::new(None));
                let slot_b: Slot = Rc::new(RefCell::new(None));
                let (ga, gb) = (g.clone(), g.clone());
                let (sa, sb) = (slot_b.clone(), slot_a.clone());
                let a = aio::spawn(async move {
                    let _guard = DropGuard(ga);
                    aio::task::yield_now().await;
                    let other = sa.borrow_mut().take().expect("B's handle");
                    let _ = other.await;
                });
                let b = aio::spawn(async move {
                    let _guard = DropGuard(gb);
                    aio::task::yield_now().await;
                    let other = sb.borrow_mut().take().expect("A's handle");
                    let _ = other.await;
                });
                *slot_a.borrow_mut() = Some(a);
                *slot_b.borrow_mut() = Some(b);
            }
            yield_times(5).await;
        });
        assert!(
            took < Duration::from_secs(1),
            "{driver:?}: drop took {took:?}"
        );
        assert_eq!(
            guards.load(Ordering::SeqCst),
            100,
            "{driver:?}: both tasks of every cycle were dropped"
        );
    }
}

#[test]
fn a_task_dropped_with_the_runtime_may_spawn_in_its_destructor_without_crashing() {
    // A destructor that runs during shutdown and touches the runtime.
    struct SpawnOnDrop;
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let _ = std::panic::catch_unwind(|| {
                drop(aio::spawn(async {}));
            });
        }
    }
    for driver in drivers() {
        let took = drop_timed(driver, async {
            aio::spawn(async {
                let _x = SpawnOnDrop;
                std::future::pending::<()>().await;
            });
            yield_times(2).await;
        });
        assert!(
            took < Duration::from_secs(1),
            "{driver:?}: drop took {took:?}"
        );
    }
}

#[test]
fn many_runtimes_built_and_dropped_in_a_row() {
    for driver in drivers() {
        for i in 0..50u64 {
            let rt = runtime(driver);
            let v = rt.block_on(async move {
                let (mut a, b) = UnixStream::pair().unwrap();
                aio::spawn(async move {
                    let _b = b;
                    std::future::pending::<()>().await;
                });
                let _ =
                    aio::time::timeout(Duration::from_micros(100), a.read(Vec::with_capacity(8)))
                        .await;
                i
            });
            assert_eq!(v, i);
        }
    }
}

#[test]
fn blocking_work_finishing_after_its_runtime_dropped_does_not_crash() {
    for driver in drivers() {
        let finished = Arc::new(AtomicUsize::new(0));
        let f = finished.clone();
        let rt = runtime(driver);
        rt.block_on(async move {
            for _ in 0..4 {
                let f = f.clone();
                // Detached: the result's waker outlives the runtime.
                drop(aio::task::spawn_blocking(move || {
                    std::thread::sleep(Duration::from_millis(30));
                    f.fetch_add(1, Ordering::SeqCst);
                }));
            }
        });
        drop(rt);
        let start = Instant::now();
        while finished.load(Ordering::SeqCst) < 4 && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            finished.load(Ordering::SeqCst),
            4,
            "{driver:?}: the blocking calls ran to the end"
        );
        std::thread::sleep(Duration::from_millis(20)); // their wakes landed on a dead runtime
    }
}

#[test]
fn runtimes_on_several_threads_at_once_are_independent() {
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            std::thread::spawn(move || {
                for driver in drivers() {
                    let rt = runtime(driver);
                    let sum = rt.block_on(async move {
                        let (mut a, mut b) = UnixStream::pair().unwrap();
                        let echo = aio::spawn(async move {
                            use aio::io::AsyncWriteRentExt;
                            let (res, buf) = aio::io::AsyncReadRentExt::read_exact(
                                &mut b,
                                Vec::with_capacity(8),
                            )
                            .await;
                            res.unwrap();
                            let (res, _) = b.write_all(buf).await;
                            res.unwrap();
                        });
                        let (res, _) =
                            aio::io::AsyncWriteRentExt::write_all(&mut a, t.to_le_bytes().to_vec())
                                .await;
                        res.unwrap();
                        let (res, back) =
                            aio::io::AsyncReadRentExt::read_exact(&mut a, Vec::with_capacity(8))
                                .await;
                        res.unwrap();
                        echo.await.unwrap();
                        u64::from_le_bytes(back.try_into().unwrap())
                    });
                    assert_eq!(sum, t, "{driver:?}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// A read buffer whose Drop spawns a task (and counts itself).
struct SpawningBuf {
    mem: Box<[u8]>,
    drops: Arc<AtomicUsize>,
}

// SAFETY: the writable region is the boxed slice, stable across moves.
unsafe impl aio::buf::IoBufMut for SpawningBuf {
    fn write_ptr(&mut self) -> *mut u8 {
        self.mem.as_mut_ptr()
    }
    fn bytes_total(&self) -> usize {
        self.mem.len()
    }
    unsafe fn set_init(&mut self, _pos: usize) {}
}

impl Drop for SpawningBuf {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        drop(aio::spawn(async {}));
    }
}

#[test]
fn buffers_whose_drop_spawns_are_released_at_shutdown_without_a_panic() {
    for driver in drivers() {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        let took = drop_timed(driver, async move {
            let mut keep = Vec::new();
            for i in 0..20 {
                let (a, b) = UnixStream::pair().unwrap();
                let d = d.clone();
                if i % 2 == 0 {
                    // Parked in a task when the runtime drops.
                    aio::spawn(async move {
                        let (mut a, _b) = (a, b);
                        let buf = SpawningBuf {
                            mem: vec![0; 8].into_boxed_slice(),
                            drops: d,
                        };
                        let _ = a.read(buf).await;
                    });
                } else {
                    // Orphaned: cancellation pending when the runtime drops.
                    let mut a = a;
                    let buf = SpawningBuf {
                        mem: vec![0; 8].into_boxed_slice(),
                        drops: d,
                    };
                    let mut read = Box::pin(a.read(buf));
                    assert!(support::poll_once(&mut read).await.is_none());
                    drop(read);
                    keep.push((a, b));
                }
            }
            yield_times(2).await;
            keep
        });
        assert!(
            took < Duration::from_secs(1),
            "{driver:?}: drop took {took:?}"
        );
        assert_eq!(
            drops.load(Ordering::SeqCst),
            20,
            "{driver:?}: every buffer released once"
        );
    }
}

#[test]
fn a_task_destructor_panicking_during_shutdown_does_not_stop_the_cleanup() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            if !std::thread::panicking() {
                panic!("destructor panics during runtime shutdown");
            }
        }
    }
    for driver in drivers() {
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        let rt = runtime(driver);
        rt.block_on(async move {
            for i in 0..20 {
                let (a, b) = UnixStream::pair().unwrap();
                let d = d.clone();
                aio::spawn(async move {
                    let _bomb = if i == 10 { Some(PanicOnDrop) } else { None };
                    let (mut a, _b) = (a, b);
                    let _ = a.read(CountedBuf::new(&d, 8)).await;
                });
            }
            yield_times(2).await;
        });
        let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(rt)));
        assert!(
            res.is_ok(),
            "{driver:?}: a task destructor's panic escaped Runtime::drop"
        );
        assert_eq!(
            drops.load(Ordering::SeqCst),
            20,
            "{driver:?}: every other task's buffer was still freed"
        );
    }
}
