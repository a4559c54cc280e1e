//! `aio::io::AsyncFd` (issue 14) on a pipe and an eventfd made with libc,
//! modelled on tokio's `tests/io_async_fd.rs` (`reset_readable`,
//! `reset_writable`, `drop_closes`). Both drivers (`#[aio::test]`).

use std::io::{self, ErrorKind};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use aio::io::AsyncFd;

const SHORT: Duration = Duration::from_millis(50);
const LIMIT: Duration = Duration::from_secs(10);

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into a live array.
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) };
    assert_eq!(r, 0, "pipe2: {}", io::Error::last_os_error());
    // SAFETY: both are fresh descriptors we own.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn read(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is writable for its length.
    let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

fn write(fd: &OwnedFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is readable for its length.
    let n = unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

#[aio::test]
async fn pipe_readable_after_write() {
    let (r, w) = pipe();
    let r = AsyncFd::new(r).unwrap();
    assert!(aio::time::timeout(SHORT, r.readable()).await.is_err());
    write(&w, b"ping").unwrap();
    let mut guard = aio::time::timeout(LIMIT, r.readable())
        .await
        .expect("readable after the write")
        .unwrap();
    assert!(guard.ready().is_readable());
    let mut buf = [0u8; 8];
    let n = guard
        .try_io(|fd| read(fd.get_ref(), &mut buf))
        .expect("not WouldBlock")
        .unwrap();
    assert_eq!(&buf[..n], b"ping");
    // Drained: the next try meets WouldBlock.
    assert!(guard.try_io(|fd| read(fd.get_ref(), &mut buf)).is_err());
    assert!(aio::time::timeout(SHORT, r.readable()).await.is_err());
}

#[aio::test]
async fn pipe_writable_after_drain() {
    let (r, w) = pipe();
    let w = AsyncFd::new(w).unwrap();
    w.writable().await.unwrap().clear_ready();
    let chunk = [1u8; 4096];
    loop {
        match write(w.get_ref(), &chunk) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => panic!("write: {e}"),
        }
    }
    assert!(aio::time::timeout(SHORT, w.writable()).await.is_err());
    let mut buf = [0u8; 65536];
    while read(&r, &mut buf).is_ok() {}
    let guard = aio::time::timeout(LIMIT, w.writable())
        .await
        .expect("writable after the drain")
        .unwrap();
    assert!(guard.ready().is_writable());
}

#[aio::test]
async fn eventfd_readable_and_into_inner() {
    // SAFETY: eventfd(2) returns a fresh descriptor we own.
    let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
    assert!(fd >= 0);
    // SAFETY: as above.
    let efd = AsyncFd::new(unsafe { OwnedFd::from_raw_fd(fd) }).unwrap();
    // A dropped wait is cancelled and harmless.
    for _ in 0..10 {
        assert!(aio::time::timeout(Duration::from_millis(1), efd.readable())
            .await
            .is_err());
    }
    write(efd.get_ref(), &1u64.to_ne_bytes()).unwrap();
    let mut guard = efd.readable().await.unwrap();
    let mut buf = [0u8; 8];
    guard
        .try_io(|fd| read(fd.get_ref(), &mut buf))
        .unwrap()
        .unwrap();
    assert_eq!(u64::from_ne_bytes(buf), 1);
    let owned = efd.into_inner();
    assert_eq!(owned.as_raw_fd(), fd);
}
