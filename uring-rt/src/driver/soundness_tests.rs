//! Review tests of the driver's leak policy: an op's data is released only
//! through its completion (or leaked), never while the kernel may still use
//! it, even when `Runtime::drop` is interrupted by a panic in user code.
//!
//! Tests marked `#[ignore = "finding N: ..."]` reproduce a defect found in
//! review and fail until it is fixed.

// Op futures are carried out of `block_on` on purpose.
#![allow(clippy::async_yields_async)]

use std::cell::RefCell;
use std::future::Future;
use std::os::fd::{FromRawFd, OwnedFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};

use super::fd::SharedFd;
use super::{Call, Op, OpCode, CURRENT_POS};
use crate::{Driver, RuntimeBuilder};

type Log = Rc<RefCell<Vec<&'static str>>>;

/// A read whose data records whether it was released through `complete`
/// (the kernel reported it done) or dropped without one (possibly while the
/// kernel still held its buffer).
struct Probe {
    fd: SharedFd,
    buf: Vec<u8>,
    completed: bool,
    log: Log,
}

impl OpCode for Probe {
    type Output = ();

    fn call(&mut self) -> Call {
        Call::Read {
            fd: self.fd.raw(),
            buf: self.buf.as_mut_ptr(),
            len: self.buf.capacity() as u32,
            offset: CURRENT_POS,
        }
    }

    fn complete(mut self, _res: std::io::Result<u32>, _flags: u32) {
        self.completed = true;
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.log.borrow_mut().push(if self.completed {
            "released after completion"
        } else {
            "released without completion"
        });
    }
}

fn pipe() -> (SharedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: writes two descriptors into a live array.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 returned two fresh descriptors that we own.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    (SharedFd::new(r), w)
}

/// A waker whose last drop panics.
struct PanicOnLastDrop;
impl Wake for PanicOnLastDrop {
    fn wake(self: Arc<Self>) {}
}
impl Drop for PanicOnLastDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("join waker dropped");
        }
    }
}

/// Finding 1: a panic inside `Runtime::drop` (here a `JoinHandle`'s waker
/// whose drop panics, dropped by `Core::shutdown` before the driver shuts
/// down) skips `IoDriver::shutdown`; `IoDriver` has no `Drop`, so its slab is
/// dropped with `Ignored` ops in it and their data (the read's buffer) is
/// freed while the kernel still has the read armed: the kernel may write
/// into freed memory. The runtime's documented policy is to leak it.
#[test]

fn panicking_shutdown_never_frees_in_flight_op_data() {
    let Ok(rt) = RuntimeBuilder::new().driver(Driver::IoUring).build() else {
        return;
    };
    let log: Log = Rc::default();
    let (r, w) = pipe();
    let l = log.clone();
    let handles = rt.block_on(async move {
        // Slab index 0: drained (and cancelled) first by shutdown.
        let reader = crate::spawn(async move {
            let probe = Probe {
                fd: r,
                buf: Vec::with_capacity(64),
                completed: false,
                log: l,
            };
            Op::submit(probe).await;
        });
        let mut pending = crate::spawn(std::future::pending::<()>());
        // Let the read reach the kernel.
        crate::task::yield_now().await;
        crate::task::yield_now().await;
        let waker = Waker::from(Arc::new(PanicOnLastDrop));
        let mut cx = Context::from_waker(&waker);
        assert!(Pin::new(&mut pending).poll(&mut cx).is_pending());
        drop(waker); // the join waker now holds the last reference
        (reader, pending)
    });
    let _ = catch_unwind(AssertUnwindSafe(|| drop(rt)));
    let log = log.borrow().clone();
    // Keep the write end open until now: the read stays in flight.
    drop(w);
    std::mem::forget(handles);
    assert!(
        !log.contains(&"released without completion"),
        "op data freed while the kernel still had the read: {log:?}"
    );
}

/// The same shutdown without a panic: the cancelled read's data goes
/// through its completion.
#[test]
fn shutdown_releases_op_data_through_completion() {
    for driver in crate::driver::available_drivers() {
        let rt = RuntimeBuilder::new().driver(driver).build().unwrap();
        let log: Log = Rc::default();
        let (r, w) = pipe();
        if driver == Driver::Epoll {
            let mut on: libc::c_int = 1;
            // SAFETY: FIONBIO reads an int through a valid pointer.
            unsafe { libc::ioctl(r.raw(), libc::FIONBIO, &mut on) };
        }
        let l = log.clone();
        rt.block_on(async move {
            crate::spawn(async move {
                let probe = Probe {
                    fd: r,
                    buf: Vec::with_capacity(64),
                    completed: false,
                    log: l,
                };
                Op::submit(probe).await;
            });
            crate::task::yield_now().await;
            crate::task::yield_now().await;
        });
        drop(rt);
        drop(w);
        assert_eq!(*log.borrow(), ["released after completion"], "{driver:?}");
    }
}

/// An op future dropped after its runtime: its data is either completed
/// (cancelled at shutdown) or leaked, never freed blind.
#[test]
fn op_dropped_after_runtime_is_completed_or_leaked() {
    for driver in crate::driver::available_drivers() {
        let rt = RuntimeBuilder::new().driver(driver).build().unwrap();
        let log: Log = Rc::default();
        let (r, w) = pipe();
        if driver == Driver::Epoll {
            let mut on: libc::c_int = 1;
            // SAFETY: FIONBIO reads an int through a valid pointer.
            unsafe { libc::ioctl(r.raw(), libc::FIONBIO, &mut on) };
        }
        let l = log.clone();
        let op = rt.block_on(async move {
            let mut op = Op::submit(Probe {
                fd: r,
                buf: Vec::with_capacity(64),
                completed: false,
                log: l,
            });
            let waker = Waker::from(Arc::new(Noop));
            let mut cx = Context::from_waker(&waker);
            assert!(Pin::new(&mut op).poll(&mut cx).is_pending());
            crate::task::yield_now().await;
            op
        });
        drop(rt);
        drop(op);
        drop(w);
        assert!(
            !log.borrow().contains(&"released without completion"),
            "{driver:?}: {:?}",
            log.borrow()
        );
    }
}

struct Noop;
impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}
