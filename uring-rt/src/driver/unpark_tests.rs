//! The driver on its own, without an executor: cross-ring wakes, transient
//! enter errors, and what cancellation costs in syscalls.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::fd::SharedFd;
use super::ops::Read;
use super::{context, IoDriver, Op, Unparker, CURRENT_POS};
use crate::Driver;

/// A standalone io_uring driver, or `None` where io_uring cannot start.
fn uring(entries: u32) -> Option<Rc<IoDriver>> {
    match IoDriver::new(Driver::IoUring, entries) {
        Ok(d) => Some(Rc::new(d)),
        Err(e) => {
            eprintln!("io_uring unavailable, skipping: {e}");
            None
        }
    }
}

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: writes two fds into a live array.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 returned two fresh descriptors that we now own.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// Whether the unparker's eventfd was signalled (and resets it).
fn eventfd_signalled(u: &Unparker) -> bool {
    let mut v: u64 = 0;
    // SAFETY: reads 8 bytes into a live u64 from a non-blocking eventfd.
    let n = unsafe { libc::read(u.eventfd(), (&mut v as *mut u64).cast(), 8) };
    n == 8 && v > 0
}

#[test]
fn a_queued_wake_waits_for_the_flush_and_then_reaches_the_target() {
    let (Some(sender), Some(target)) = (uring(64), uring(64)) else {
        return;
    };
    let _cx = context::enter(&sender);
    target.unparker().unpark();
    // It rides on the sender's next enter: nothing reached the target yet.
    let t0 = Instant::now();
    target.turn(Some(Duration::from_millis(50))).unwrap();
    assert!(t0.elapsed() >= Duration::from_millis(40), "woken early");
    assert!(
        !eventfd_signalled(target.unparker()),
        "sent by eventfd, not MSG_RING"
    );
    sender.flush().unwrap();
    let t0 = Instant::now();
    target.turn(Some(Duration::from_secs(10))).unwrap();
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "the flushed wake never arrived"
    );
    assert!(target.unparker().take_notified());
}

#[test]
fn a_failed_msg_ring_falls_back_to_the_targets_eventfd() {
    let Some(sender) = uring(64) else {
        return;
    };
    // A "ring" that is not one: the kernel fails the MSG_RING (EBADFD).
    let target = Unparker::new().unwrap();
    let (r, _w) = pipe();
    target.set_ring(r.as_raw_fd());
    let _cx = context::enter(&sender);
    target.unpark();
    assert!(!eventfd_signalled(&target));
    sender.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !eventfd_signalled(&target) {
        assert!(Instant::now() < deadline, "the failed wake was dropped");
        sender.turn(Some(Duration::from_millis(10))).unwrap();
    }
    // The latch is still set for the owner to take, and clears then.
    assert!(target.take_notified());
    assert!(!target.take_notified());
}

#[test]
fn a_ring_dropped_with_a_queued_wake_still_wakes_the_target() {
    let (Some(sender), Some(target)) = (uring(64), uring(64)) else {
        return;
    };
    {
        let _cx = context::enter(&sender);
        target.unparker().unpark();
    }
    drop(sender);
    let t0 = Instant::now();
    target.turn(Some(Duration::from_secs(10))).unwrap();
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "the wake was lost with the ring"
    );
}

#[test]
fn transient_enter_errors_are_retried_and_others_returned() {
    let Some(d) = uring(64) else {
        return;
    };
    d.inject_enter_errors(&[libc::EAGAIN, libc::EBUSY, libc::ENOMEM, libc::EINTR]);
    d.turn(Some(Duration::ZERO)).unwrap();
    d.turn(Some(Duration::ZERO)).unwrap();
    d.inject_enter_errors(&[libc::EBADF]);
    let err = d.turn(Some(Duration::ZERO)).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EBADF));
    // The driver still works after the error was reported.
    d.turn(Some(Duration::ZERO)).unwrap();
}

/// Dropped ops' cancels ride on the turn's batch (one enter per full
/// submission queue, not one per op), and shutdown cancels everything with
/// a single ASYNC_CANCEL_ANY.
#[test]
fn cancels_are_batched_and_shutdown_costs_a_few_syscalls() {
    const OPS: usize = 20_000;
    const ENTRIES: u64 = 256;
    let Some(d) = uring(ENTRIES as u32) else {
        return;
    };
    let (r, _w) = pipe();
    let fd = SharedFd::new(r);
    let cx = context::enter(&d);
    let mut ops: Vec<_> = (0..OPS)
        .map(|_| Op::submit(Read::new(fd.clone(), vec![0u8; 8], CURRENT_POS)))
        .collect();
    d.turn(Some(Duration::ZERO)).unwrap();

    let before = d.enters();
    let t0 = Instant::now();
    ops.truncate(OPS / 2);
    let dropped = d.enters() - before;
    d.turn(Some(Duration::ZERO)).unwrap();
    eprintln!(
        "dropping {} in-flight ops: {dropped} enters, {:?}",
        OPS / 2,
        t0.elapsed()
    );
    assert!(
        dropped <= (OPS / 2) as u64 / ENTRIES + 2,
        "{dropped} enters for {} cancels",
        OPS / 2
    );

    let before = d.enters();
    let t0 = Instant::now();
    std::mem::forget(ops); // the futures' data stays parked in the driver
    d.shutdown(std::time::Duration::from_secs(1));
    let spent = d.enters() - before;
    eprintln!(
        "shutdown with {} ops in flight: {spent} enters, {:?}",
        OPS / 2,
        t0.elapsed()
    );
    // One ASYNC_CANCEL_ANY; the rest is reaping 10,000 completions through
    // a 512-entry completion queue (before: one enter per op).
    assert!(
        spent * 50 <= (OPS / 2) as u64,
        "shutdown took {spent} enters"
    );
    drop(cx);
}
