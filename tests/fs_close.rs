//! Closing files and sockets: dropping one never blocks the core on
//! close(2) (on io_uring the close is submitted to the ring), yet it is
//! closed when the drop returns, as before; `File::close().await` closes
//! for real and reports the close's own error; and neither loses a
//! descriptor, not even when the runtime is dropped right after.
//!
//! These tests look at descriptor numbers and counts, which are
//! process-wide: each takes the process lock before it builds its runtimes
//! (hence `each_driver` rather than `#[aio::test]`, whose runtime would be
//! built before the body could take the lock), so no other test of this
//! binary opens a descriptor that could take a closed number meanwhile.

mod support;

use std::future::{poll_fn, Future};
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use aio::fs::File;
use aio::net::{TcpListener, TcpStream, UnixStream};
use support::{drivers, fd_count, on_uring, process_lock, runtime};

/// A fresh file with a few bytes in it, removed when the guard drops.
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str) -> TempFile {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("aio-fs-close-{tag}-{}-{n}", std::process::id()));
        std::fs::write(&path, b"some bytes").expect("create the temp file");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `body` once per driver (as `#[aio::test]` does), each on a fresh
/// runtime, all under the process lock.
fn each_driver<F, Fut>(body: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    let _lock = process_lock();
    support::raise_nofile(8192);
    for driver in drivers() {
        let rt = runtime(driver);
        rt.block_on(body());
        drop(rt);
    }
}

/// Whether `fd` is an open descriptor of this process.
fn is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only reads the descriptor's flags; a closed number
    // fails with EBADF.
    let rc = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    if rc == -1 {
        assert_eq!(io::Error::last_os_error().raw_os_error(), Some(libc::EBADF));
    }
    rc != -1
}

/// The submission queue's head and tail (entries the kernel consumed, and
/// entries pushed) of the one io_uring instance in this process, read from
/// its fdinfo; `None` where there is none (epoll) or the kernel does not
/// show them.
fn ring_sq() -> Option<(u32, u32)> {
    let ring = std::fs::read_dir("/proc/self/fd")
        .ok()?
        .flatten()
        .find(|e| {
            std::fs::read_link(e.path())
                .is_ok_and(|target| target.to_string_lossy() == "anon_inode:[io_uring]")
        })?;
    let info = std::fs::read_to_string(format!(
        "/proc/self/fdinfo/{}",
        ring.file_name().to_string_lossy()
    ))
    .ok()?;
    let field = |name: &str| -> Option<u32> {
        info.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))?
            .trim()
            .parse()
            .ok()
    };
    Some((field("SqHead")?, field("SqTail")?))
}

/// Checks that dropping something holding `fd` closes it before the drop
/// returns, on io_uring through the ring (one more SQE, already submitted)
/// rather than with close(2) on the core.
fn check_drop_closes(fd: RawFd, drop_it: impl FnOnce()) {
    assert!(is_open(fd));
    let before = ring_sq();
    drop_it();
    assert!(!is_open(fd), "still open after the drop");
    if on_uring() {
        let (head, tail) = ring_sq().expect("the ring's fdinfo");
        let (_, tail_before) = before.expect("the ring's fdinfo");
        assert_eq!(
            tail,
            tail_before.wrapping_add(1),
            "io_uring: no IORING_OP_CLOSE was pushed (closed with close(2) on the core?)"
        );
        assert_eq!(head, tail, "io_uring: the close is still queued");
    }
}

#[test]
fn dropping_a_file_closes_it_through_the_ring() {
    each_driver(|| async {
        let tmp = TempFile::new("drop");
        let file = File::open(&tmp.0).await.unwrap();
        let fd = file.as_raw_fd();
        check_drop_closes(fd, move || drop(file));
    });
}

#[test]
fn dropping_a_tcp_stream_closes_it_through_the_ring() {
    each_driver(|| async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let client = aio::spawn(async move { TcpStream::connect(addr).await.unwrap() });
        let (server, _) = listener.accept().await.unwrap();
        let client = client.await.unwrap();
        let fd = client.as_raw_fd();
        check_drop_closes(fd, move || drop(client));
        let fd = server.as_raw_fd();
        check_drop_closes(fd, move || drop(server));
    });
}

#[test]
fn a_dropped_listener_s_port_can_be_bound_again_at_once() {
    each_driver(|| async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let again = TcpListener::bind(addr).expect("the port is still taken after the drop");
        assert_eq!(again.local_addr().unwrap(), addr);
    });
}

#[test]
fn close_waits_for_a_parked_op_then_closes() {
    each_driver(|| async {
        let tmp = TempFile::new("parked");
        let file = File::open(&tmp.0).await.unwrap();
        let fd = file.as_raw_fd();
        {
            // Started, then dropped before it completes: the op keeps the
            // descriptor in the driver until the kernel (io_uring) or the
            // blocking pool (epoll) is done with it.
            let mut read = Box::pin(file.read_at(Vec::with_capacity(4), 0));
            poll_fn(|cx| {
                assert!(read.as_mut().poll(cx).is_pending());
                Poll::Ready(())
            })
            .await;
        }
        file.close().await.expect("close");
        assert!(
            !is_open(fd),
            "close() returned while the descriptor was still open"
        );
    });
}

#[test]
fn close_reports_the_close_error() {
    each_driver(|| async {
        let tmp = TempFile::new("ebadf");
        let file = File::open(&tmp.0).await.unwrap();
        // Closed behind aio's back (nothing else opens a descriptor while the
        // lock is held, so the number stays free).
        // SAFETY: the file's descriptor is open; aio never uses the number
        // again except for the close below, which then fails.
        assert_eq!(unsafe { libc::close(file.as_raw_fd()) }, 0);
        let err = file.close().await.expect_err("closing a closed descriptor");
        assert_eq!(err.raw_os_error(), Some(libc::EBADF), "{err}");
    });
}

#[test]
fn close_of_an_idle_file_closes_it() {
    each_driver(|| async {
        let tmp = TempFile::new("idle");
        let file = File::open(&tmp.0).await.unwrap();
        let fd = file.as_raw_fd();
        file.close().await.expect("close");
        assert!(!is_open(fd));
    });
}

/// Waits (letting the runtime turn) for the descriptor count to be
/// `before`, then checks it.
async fn settle(before: usize, what: &str) {
    let start = Instant::now();
    while fd_count() != before && start.elapsed() < Duration::from_secs(5) {
        aio::task::yield_now().await;
    }
    assert_eq!(fd_count(), before, "{what}: descriptors leaked");
}

#[test]
fn opening_and_dropping_ten_thousand_descriptors_leaks_none() {
    each_driver(|| async {
        let tmp = TempFile::new("many");
        let before = fd_count();
        for _ in 0..5_000 {
            drop(File::open(&tmp.0).await.unwrap());
        }
        // Without an await in between: thousands of closes queue up, more
        // than the ring holds at once.
        for _ in 0..2_500 {
            drop(UnixStream::pair().unwrap());
        }
        settle(before, "10,000 drops").await;
    });
}

#[test]
fn a_runtime_dropped_right_after_many_drops_leaks_nothing() {
    let _lock = process_lock();
    support::raise_nofile(8192);
    let tmp = TempFile::new("rt-drop");
    for driver in drivers() {
        let before = fd_count();
        let rt = runtime(driver);
        rt.block_on(async {
            let mut files = Vec::new();
            for _ in 0..1_000 {
                files.push(File::open(&tmp.0).await.unwrap());
            }
            // Half dropped now (closes queued, flushed as block_on
            // returns), half by the runtime's drop, with the task holding
            // them.
            let held = files.split_off(500);
            drop(files);
            let _task = aio::spawn(async move {
                let _held = held;
                std::future::pending::<()>().await;
            });
            let pairs: Vec<_> = (0..500).map(|_| UnixStream::pair().unwrap()).collect();
            drop(pairs);
        });
        drop(rt);
        assert_eq!(fd_count(), before, "{driver:?}: descriptors leaked");
    }
}
