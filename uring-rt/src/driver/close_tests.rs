//! Closing descriptors: the last `SharedFd` dropped on an io_uring core is
//! closed by a detached IORING_OP_CLOSE submitted at once (no close(2) on
//! the core, and still closed when the drop returns), an explicit close
//! waits for parked ops, and no queued close is lost when the ring goes
//! away.
//!
//! Other tests run in parallel in this process and may reuse a closed
//! number at once, so "closed" is checked as "no longer this pipe's inode".

use std::future::Future;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::context;
use super::fd::SharedFd;
use super::ops::{Close, Read};
use super::{Op, CURRENT_POS};
use crate::{Driver, RuntimeBuilder};

/// A pipe's read end (in the mode `driver` needs) and write end.
fn pipe(driver: Driver) -> (SharedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: writes two fds into a live array.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 returned two fresh descriptors that we own.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    if driver == Driver::Epoll {
        let mut on: libc::c_int = 1;
        // SAFETY: FIONBIO reads an int through a valid pointer.
        unsafe { libc::ioctl(r.as_raw_fd(), libc::FIONBIO, &mut on) };
    }
    (SharedFd::new(r), w)
}

/// What `fd` refers to (device, inode), or `None` if it is not open.
fn identity(fd: RawFd) -> Option<(u64, u64)> {
    // SAFETY: `stat` is plain data; fstat fills it or fails.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat writes into a valid stat; a closed fd gives EBADF.
    (unsafe { libc::fstat(fd, &mut st) } == 0).then_some((st.st_dev, st.st_ino))
}

/// Lets the runtime turn until `done` holds (at most two seconds).
async fn turn_until(mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > Duration::from_secs(2) {
            return false;
        }
        crate::task::yield_now().await;
    }
    true
}

#[test]
fn last_drop_on_uring_closes_through_the_ring() {
    for driver in super::available_drivers() {
        let rt = RuntimeBuilder::new()
            .driver(driver)
            .build()
            .expect("runtime");
        rt.block_on(async {
            let d = context::current();
            let (r, _w) = pipe(driver);
            let fd = r.raw();
            let pipe = identity(fd);
            let enters = d.enters();
            drop(r);
            // Closed when the drop returns, on both backends.
            assert_ne!(identity(fd), pipe, "{driver:?}: open after the drop");
            if driver == Driver::Epoll {
                return;
            }
            // By the ring: one enter submitted the close, whose completion
            // waits for the next turn.
            assert_eq!(d.enters(), enters + 1, "the close was not submitted");
            assert_eq!(d.detached_closes(), 1, "no IORING_OP_CLOSE in flight");
            assert!(turn_until(|| d.detached_closes() == 0).await);
        });
    }
}

#[test]
fn explicit_close_waits_for_a_parked_op_then_closes() {
    for driver in super::available_drivers() {
        let rt = RuntimeBuilder::new()
            .driver(driver)
            .build()
            .expect("runtime");
        rt.block_on(async {
            let (r, _w) = pipe(driver);
            let fd = r.raw();
            let pipe = identity(fd);
            // A read that waits (nothing is written), dropped: parked in
            // the driver with its clone until the cancellation completes.
            let mut cx = Context::from_waker(Waker::noop());
            let mut read = Op::submit(Read::new(r.clone(), Vec::with_capacity(8), CURRENT_POS));
            assert!(Pin::new(&mut read).poll(&mut cx).is_pending());
            drop(read);
            let mut unique = Box::pin(r.into_unique());
            assert!(
                unique.as_mut().poll(&mut cx).is_pending(),
                "taken while an op still holds it"
            );
            let raw = unique.await;
            assert_eq!(raw, fd);
            assert_eq!(identity(fd), pipe, "released before the close");
            Op::submit(Close::new(raw)).await.expect("close");
            assert_ne!(identity(fd), pipe);
        });
    }
}

#[test]
fn a_dropped_close_still_closes() {
    for driver in super::available_drivers() {
        let rt = RuntimeBuilder::new()
            .driver(driver)
            .build()
            .expect("runtime");
        rt.block_on(async {
            let (r, _w) = pipe(driver);
            let fd = r.raw();
            let pipe = identity(fd);
            let raw = r.into_unique().await;
            let mut close = Op::submit(Close::new(raw));
            let mut cx = Context::from_waker(Waker::noop());
            let _ = Pin::new(&mut close).poll(&mut cx);
            drop(close);
            assert!(turn_until(|| identity(fd) != pipe).await, "never closed");
        });
    }
}

#[test]
fn queued_closes_are_not_lost_when_the_ring_breaks() {
    if !super::available_drivers().contains(&Driver::IoUring) {
        return;
    }
    let rt = RuntimeBuilder::new()
        .driver(Driver::IoUring)
        .build()
        .expect("runtime");
    let mut pipes = Vec::new();
    let res = rt.try_block_on(async {
        let d = context::current();
        // Every enter from now on fails: the closes never reach the kernel.
        d.inject_enter_errors(&[libc::EINVAL; 128]);
        for _ in 0..64 {
            let (r, w) = pipe(Driver::IoUring);
            let (fd, pipe) = (r.raw(), identity(r.raw()));
            drop(r);
            assert_eq!(identity(fd), pipe, "closed while the ring fails");
            pipes.push((fd, pipe, w));
        }
        assert_eq!(d.detached_closes(), 64);
    });
    assert!(res.is_err(), "the flush at the end of block_on failed");
    drop(rt);
    for (fd, pipe, _w) in &pipes {
        assert_ne!(identity(*fd), *pipe, "fd {fd} leaked with the ring");
    }
}

#[test]
fn runtime_drop_closes_what_its_tasks_held() {
    for driver in super::available_drivers() {
        let rt = RuntimeBuilder::new()
            .driver(driver)
            .build()
            .expect("runtime");
        let mut pipes = Vec::new();
        rt.block_on(async {
            for _ in 0..64 {
                let (r, w) = pipe(driver);
                pipes.push((r.raw(), identity(r.raw()), w));
                // Held by a task that never finishes: dropped by the
                // runtime's drop.
                crate::spawn(async move {
                    let _r = r;
                    std::future::pending::<()>().await;
                });
            }
            crate::task::yield_now().await;
        });
        drop(rt);
        for (fd, pipe, _w) in &pipes {
            assert_ne!(identity(*fd), *pipe, "{driver:?}: fd {fd} leaked");
        }
    }
}

/// A future polled once by hand, for the test below.
fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn a_close_in_flight_at_shutdown_still_closes() {
    for driver in super::available_drivers() {
        let rt = RuntimeBuilder::new()
            .driver(driver)
            .build()
            .expect("runtime");
        let mut pipes = Vec::new();
        rt.block_on(async {
            for _ in 0..16 {
                let (r, w) = pipe(driver);
                pipes.push((r.raw(), identity(r.raw()), w));
                let raw = r.into_unique().await;
                let mut close = Op::submit(Close::new(raw));
                let _ = poll_once(&mut close);
                // Dropped, still in flight, by the runtime's drop.
                drop(crate::spawn(async move {
                    let _ = close.await;
                }));
            }
        });
        drop(rt);
        for (fd, pipe, _w) in &pipes {
            assert_ne!(identity(*fd), *pipe, "{driver:?}: fd {fd} leaked");
        }
    }
}
