//! Descriptors over Unix sockets (`send_with_fds` / `recv_with_fds`,
//! SCM_RIGHTS), on both drivers: a passed descriptor works on the other
//! side, arrives close-on-exec, and none leaks when the receiver offers
//! fewer slots than were sent or its receive is dropped mid-flight.
//!
//! Every test counts this process's descriptors, so each holds the
//! process lock for its whole run, runtimes included (`on_each_driver`).

mod support;

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use aio::net::{UnixDatagram, UnixStream};
use support::{
    drivers, fd_count, fd_listing, poll_once, process_lock, runtime, within, yield_times,
};

const LIMIT: Duration = Duration::from_secs(10);

/// A pipe: (read end, write end), both close-on-exec.
fn pipe() -> (File, File) {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 just created both descriptors; nobody else owns them.
    unsafe {
        use std::os::fd::FromRawFd;
        (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1]))
    }
}

fn cloexec(fd: &OwnedFd) -> bool {
    // SAFETY: F_GETFD on a descriptor we own takes no memory.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) };
    assert!(flags >= 0);
    flags & libc::FD_CLOEXEC != 0
}

/// Runs `body` on a fresh runtime of each driver, holding the process
/// lock from before the runtime starts (a runtime opens descriptors of its
/// own, which other tests' runtimes must not add to the counts).
fn on_each_driver<F, Fut>(body: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let _lock = process_lock();
    for driver in drivers() {
        runtime(driver).block_on(body());
    }
}

/// Waits (letting the runtime turn) until the descriptor count is
/// `before`, then asserts it, listing what is left over.
async fn settle(before: usize, what: &str) {
    let start = Instant::now();
    while fd_count() != before && start.elapsed() < Duration::from_secs(2) {
        aio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(
        fd_count(),
        before,
        "{what}: descriptors left: {:?}",
        fd_listing()
    );
}

#[test]
fn a_passed_pipe_end_is_usable_and_close_on_exec() {
    on_each_driver(|| async {
        let (a, b) = UnixStream::pair().unwrap();
        let (mut read_end, write_end) = pipe();

        let (res, _) = a.send_with_fds(&b"pipe"[..], &[write_end.as_fd()]).await;
        assert_eq!(res.unwrap(), 4);
        drop(write_end); // the peer's copy keeps the pipe open

        let (res, buf) = within(
            LIMIT,
            "recv_with_fds",
            b.recv_with_fds(Vec::with_capacity(16), 4),
        )
        .await;
        let (n, mut fds) = res.unwrap();
        assert_eq!(&buf[..n], b"pipe");
        assert_eq!(fds.len(), 1);
        assert!(cloexec(&fds[0]), "received descriptors are close-on-exec");

        let mut passed = File::from(fds.pop().unwrap());
        passed.write_all(b"through the passed end").unwrap();
        drop(passed); // the last write end: the reader sees end of file
        let mut got = String::new();
        read_end.read_to_string(&mut got).unwrap();
        assert_eq!(got, "through the passed end");
    });
}

#[test]
fn several_descriptors_over_a_datagram_socket() {
    on_each_driver(|| async {
        let (a, b) = UnixDatagram::pair().unwrap();
        let pipes: Vec<(File, File)> = (0..3).map(|_| pipe()).collect();
        let ends: Vec<BorrowedFd<'_>> = pipes.iter().map(|p| p.1.as_fd()).collect();
        let (res, _) = a.send_with_fds(&b"three"[..], &ends).await;
        assert_eq!(res.unwrap(), 5);

        let (res, _) = within(
            LIMIT,
            "recv_with_fds",
            b.recv_with_fds(Vec::with_capacity(16), 8),
        )
        .await;
        let (n, fds) = res.unwrap();
        assert_eq!((n, fds.len()), (5, 3));
        // In order: the i-th received descriptor is the i-th pipe's write end.
        for (i, fd) in fds.into_iter().enumerate() {
            assert!(cloexec(&fd));
            let mut f = File::from(fd);
            f.write_all(&[i as u8]).unwrap();
            let mut byte = [0u8];
            (&pipes[i].0).read_exact(&mut byte).unwrap();
            assert_eq!(byte[0], i as u8);
        }
    });
}

#[test]
fn extra_descriptors_beyond_max_fds_are_closed_not_leaked() {
    on_each_driver(|| async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let files: Vec<File> = (0..4).map(|_| File::open("/dev/null").unwrap()).collect();
        let borrowed: Vec<BorrowedFd<'_>> = files.iter().map(AsFd::as_fd).collect();
        let before = fd_count();

        // One slot for four descriptors: one arrives, the kernel drops three.
        let (res, _) = a.send_with_fds(&b"1"[..], &borrowed).await;
        res.unwrap();
        let (res, _) = within(
            LIMIT,
            "recv 1 slot",
            b.recv_with_fds(Vec::with_capacity(8), 1),
        )
        .await;
        let (n, fds) = res.unwrap();
        assert_eq!((n, fds.len()), (1, 1));
        assert_eq!(fd_count(), before + 1, "only the received one is open");
        drop(fds);

        // No slot at all: the data arrives, every descriptor is dropped.
        let (res, _) = a.send_with_fds(&b"0"[..], &borrowed).await;
        res.unwrap();
        let (res, buf) = within(
            LIMIT,
            "recv 0 slots",
            b.recv_with_fds(Vec::with_capacity(8), 0),
        )
        .await;
        let (n, fds) = res.unwrap();
        assert_eq!((&buf[..n], fds.len()), (&b"0"[..], 0));

        // A plain read of bytes that carried descriptors drops them too.
        let (res, _) = a.send_with_fds(&b"r"[..], &borrowed).await;
        res.unwrap();
        let (res, _) = within(
            LIMIT,
            "peer read",
            aio::io::AsyncReadRent::read(&mut b, Vec::with_capacity(8)),
        )
        .await;
        assert_eq!(res.unwrap(), 1);
        settle(before, "after receives with too few slots").await;
    });
}

#[test]
fn a_dropped_receive_leaks_no_descriptor_that_arrives() {
    on_each_driver(|| async {
        let (a, b) = UnixStream::pair().unwrap();
        let file = File::open("/dev/null").unwrap();
        let before = fd_count();

        // Complete, then drop: the receive has taken the message (and the
        // kernel installed its descriptors) when its future is dropped.
        let mut fut = Box::pin(b.recv_with_fds(Vec::with_capacity(8), 4));
        assert!(poll_once(&mut fut).await.is_none(), "nothing sent yet");
        yield_times(2).await;
        let (res, _) = a
            .send_with_fds(&b"x"[..], &[file.as_fd(), file.as_fd()])
            .await;
        res.unwrap();
        yield_times(4).await; // the completion lands; the future is not polled
        drop(fut);
        settle(before, "completed, then dropped").await;

        // Drop, then complete: the cancellation races the arrival.
        let mut fut = Box::pin(b.recv_with_fds(Vec::with_capacity(8), 4));
        assert!(poll_once(&mut fut).await.is_none());
        yield_times(2).await;
        drop(fut);
        let (res, _) = a
            .send_with_fds(&b"y"[..], &[file.as_fd(), file.as_fd()])
            .await;
        res.unwrap();
        yield_times(4).await;
        // Whichever won, the bytes are either still queued (then they come
        // with their descriptors now) or were consumed by the orphaned receive
        // (whose descriptors it closed): a timeout here.
        let next = aio::time::timeout(
            Duration::from_millis(50),
            b.recv_with_fds(Vec::with_capacity(8), 4),
        )
        .await;
        if let Ok((res, buf)) = next {
            let (n, fds) = res.unwrap();
            assert_eq!((&buf[..n], fds.len()), (&b"y"[..], 2));
        }
        settle(before, "dropped, then completed").await;

        // And the socket still works.
        let (res, _) = a.send_with_fds(&b"z"[..], &[file.as_fd()]).await;
        res.unwrap();
        let (res, buf) = within(
            LIMIT,
            "recv after",
            b.recv_with_fds(Vec::with_capacity(8), 4),
        )
        .await;
        let (n, fds) = res.unwrap();
        assert_eq!((&buf[..n], fds.len()), (&b"z"[..], 1));
    });
}

#[test]
fn invalid_arguments() {
    on_each_driver(|| async {
        let (a, b) = UnixStream::pair().unwrap();
        let file = File::open("/dev/null").unwrap();
        let (res, _) = a.send_with_fds(&b""[..], &[file.as_fd()]).await;
        assert_eq!(
            res.unwrap_err().kind(),
            ErrorKind::InvalidInput,
            "no byte to carry them"
        );
        let many: Vec<BorrowedFd<'_>> = (0..254).map(|_| file.as_fd()).collect();
        let (res, _) = a.send_with_fds(&b"x"[..], &many).await;
        assert_eq!(
            res.unwrap_err().kind(),
            ErrorKind::InvalidInput,
            "over SCM_MAX_FD"
        );
        let (res, _) = b.recv_with_fds(Vec::new(), 1).await;
        assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidInput, "no room");
        // Without descriptors it is a plain send.
        let (res, _) = a.send_with_fds(&b"plain"[..], &[]).await;
        assert_eq!(res.unwrap(), 5);
        let (res, _) = within(LIMIT, "recv", b.recv_with_fds(Vec::with_capacity(8), 1)).await;
        assert_eq!(res.unwrap().1.len(), 0);
    });
}
