//! Driver lifecycle tests: completion/drop races, orphaned ops, shutdown.

use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::fd::SharedFd;
use super::ops::{Nop, Read, Timeout};
use super::{Op, CURRENT_POS};
use crate::buf::IoBufMut;
use crate::{Driver, Runtime, RuntimeBuilder};

fn runtimes() -> Vec<Runtime> {
    crate::driver::available_drivers()
        .into_iter()
        .map(|d| RuntimeBuilder::new().driver(d).build().expect("runtime"))
        .collect()
}

/// A buffer that counts its drops.
struct Counted {
    data: Vec<u8>,
    drops: Rc<Cell<usize>>,
}

// SAFETY: forwards to the Vec's heap allocation, which doesn't move.
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
        self.drops.set(self.drops.get() + 1);
    }
}

fn pipe() -> (SharedFd, std::os::fd::OwnedFd) {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: writes two fds into a live array.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 returned two fresh descriptors.
    let (r, w) = unsafe {
        (
            std::os::fd::OwnedFd::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    };
    (SharedFd::new(r), w)
}

fn set_nonblocking_for(driver: Driver, fd: &SharedFd) {
    if driver == Driver::Epoll {
        let mut on: libc::c_int = 1;
        // SAFETY: FIONBIO reads an int.
        unsafe { libc::ioctl(fd.raw(), libc::FIONBIO, &mut on) };
    }
}

#[test]
fn nop_and_timeout_complete() {
    for rt in runtimes() {
        rt.block_on(async {
            Op::submit(Nop).await.unwrap();
            let start = Instant::now();
            Op::submit(Timeout::new(Duration::from_millis(20)))
                .await
                .unwrap();
            assert!(start.elapsed() >= Duration::from_millis(20));
        });
    }
}

#[test]
fn dropped_read_keeps_buffer_until_completion() {
    for rt in runtimes() {
        let drops = Rc::new(Cell::new(0));
        rt.block_on(async {
            let (r, w) = pipe();
            set_nonblocking_for(crate::Driver::current(), &r);
            let buf = Counted {
                data: Vec::with_capacity(64),
                drops: drops.clone(),
            };
            let mut op = Op::submit(Read::new(r.clone(), buf, CURRENT_POS));
            let mut cx = Context::from_waker(Waker::noop());
            assert!(Pin::new(&mut op).poll(&mut cx).is_pending());
            drop(op);
            // Parked in the driver until the cancellation completes.
            assert_eq!(drops.get(), 0, "buffer freed while the kernel may own it");
            crate::task::yield_now().await;
            crate::time::sleep(Duration::from_millis(5)).await;
            assert_eq!(
                drops.get(),
                1,
                "buffer released after the cancellation completed"
            );
            drop(w);
        });
    }
}

use std::pin::Pin;

#[test]
fn completed_then_dropped_releases_output() {
    for rt in runtimes() {
        let drops = Rc::new(Cell::new(0));
        rt.block_on(async {
            let (r, w) = pipe();
            set_nonblocking_for(crate::Driver::current(), &r);
            let wfd = std::os::fd::AsRawFd::as_raw_fd(&w);
            // SAFETY: writes 3 bytes from a live array to our pipe.
            let n = unsafe { libc::write(wfd, b"abc".as_ptr().cast(), 3) };
            assert_eq!(n, 3);
            let buf = Counted {
                data: Vec::with_capacity(64),
                drops: drops.clone(),
            };
            let op = Op::submit(Read::new(r.clone(), buf, CURRENT_POS));
            // Let it complete without polling the op.
            crate::time::sleep(Duration::from_millis(5)).await;
            drop(op);
            assert_eq!(drops.get(), 1);
        });
    }
}

#[test]
fn runtime_drop_frees_parked_buffers_once() {
    for rt in runtimes() {
        let drops = Rc::new(Cell::new(0));
        let mut writers = Vec::new();
        let driver = rt.driver();
        rt.block_on(async {
            for _ in 0..50 {
                let (r, w) = pipe();
                set_nonblocking_for(driver, &r);
                writers.push(w);
                let buf = Counted {
                    data: Vec::with_capacity(16),
                    drops: drops.clone(),
                };
                crate::spawn(async move {
                    let _ = Op::submit(Read::new(r, buf, CURRENT_POS)).await;
                });
            }
            crate::task::yield_now().await;
        });
        let start = Instant::now();
        drop(rt);
        assert!(start.elapsed() < Duration::from_secs(1));
        assert_eq!(
            drops.get(),
            50,
            "{driver:?}: every buffer freed exactly once"
        );
    }
}

#[test]
fn root_future_op_outlives_nothing() {
    // An op polled by the root future then dropped with it.
    for rt in runtimes() {
        let drops = Rc::new(Cell::new(0));
        let d2 = drops.clone();
        let driver = rt.driver();
        rt.block_on(async move {
            let (r, _w) = pipe();
            set_nonblocking_for(driver, &r);
            let buf = Counted {
                data: Vec::with_capacity(16),
                drops: d2,
            };
            let mut op = pin!(Op::submit(Read::new(r, buf, CURRENT_POS)));
            let woke =
                std::future::poll_fn(|cx| Poll::Ready(op.as_mut().poll(cx).is_ready())).await;
            assert!(!woke);
        });
        drop(rt);
        assert_eq!(drops.get(), 1);
    }
}

#[test]
fn timer_firing_wakes_the_root_future() {
    for rt in runtimes() {
        rt.block_on(async {
            crate::task::yield_now().await;
            crate::time::sleep(Duration::from_millis(5)).await;
        });
    }
}

#[test]
fn oversized_ring_is_clamped_not_rejected() {
    if !crate::driver::available_drivers().contains(&Driver::IoUring) {
        return;
    }
    // Above the kernel's 32768-entry maximum: clamped, still io_uring.
    let rt = RuntimeBuilder::new()
        .entries(65536)
        .driver(Driver::IoUring)
        .build()
        .expect("clamped ring");
    assert_eq!(rt.driver(), Driver::IoUring);
    rt.block_on(async { Op::submit(Nop).await.unwrap() });
}

/// `Runtime::shutdown_timeout` bounds the wait for an op the kernel never
/// completes (issue 14), and a plain drop still waits the default 1 s.
#[test]
fn shutdown_timeout_bounds_the_wait_for_a_stuck_op() {
    for driver in crate::driver::available_drivers() {
        let build = || RuntimeBuilder::new().driver(driver).build().unwrap();

        let rt = build();
        rt.block_on(async {
            crate::driver::context::current().insert_stuck_op();
        });
        let start = Instant::now();
        rt.shutdown_timeout(Duration::from_millis(50));
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(50),
            "{driver:?}: shutdown_timeout did not wait for the op ({took:?})"
        );
        assert!(
            took < Duration::from_millis(600),
            "{driver:?}: shutdown_timeout(50 ms) took {took:?}"
        );

        let rt = build();
        rt.block_on(async {
            crate::driver::context::current().insert_stuck_op();
        });
        let start = Instant::now();
        drop(rt);
        let took = start.elapsed();
        assert!(
            took >= Duration::from_secs(1) && took < Duration::from_secs(3),
            "{driver:?}: a dropped runtime waits 1 s for a stuck op, took {took:?}"
        );

        // Nothing stuck: no wait at all, whatever the grace.
        let rt = build();
        rt.block_on(async {});
        let start = Instant::now();
        rt.shutdown_timeout(Duration::from_secs(3600));
        assert!(start.elapsed() < Duration::from_millis(500));
    }
}
