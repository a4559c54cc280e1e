//! The backend driven directly, as the driver drives it: calls in, keys and
//! results out.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use io_uring::types::Timespec;

use super::Epoll;
use crate::driver::{Call, Completion, Unparker, CURRENT_POS};

fn backend() -> Epoll {
    Epoll::new(&Unparker::new().unwrap()).unwrap()
}

fn key(n: u32) -> u64 {
    (7u64 << 32) | u64::from(n)
}

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) };
    assert_eq!(r, 0);
    // SAFETY: pipe2 returned two fresh descriptors we own.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

fn read_call(fd: RawFd, buf: &mut [u8]) -> Call {
    Call::Read {
        fd,
        buf: buf.as_mut_ptr(),
        len: buf.len() as u32,
        offset: CURRENT_POS,
    }
}

fn recv_call(fd: RawFd, buf: &mut [u8]) -> Call {
    Call::Recv {
        fd,
        buf: buf.as_mut_ptr(),
        len: buf.len() as u32,
        flags: 0,
    }
}

/// Turns until `key` completes (at most 5 s); returns its result.
fn wait_for(ep: &mut Epoll, key: u64, out: &mut Vec<Completion>) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(i) = out.iter().position(|c| c.key == key) {
            return out.remove(i).res;
        }
        assert!(Instant::now() < deadline, "op {key:#x} never completed");
        ep.turn(Some(Duration::from_millis(100)), out).unwrap();
    }
}

/// One zero-timeout turn shows nothing for `key`.
fn assert_waiting(ep: &mut Epoll, key: u64, out: &mut Vec<Completion>) {
    ep.turn(Some(Duration::ZERO), out).unwrap();
    assert!(
        !out.iter().any(|c| c.key == key),
        "op {key:#x} completed early: {out:?}"
    );
}

#[test]
fn pipe_read_waits_for_data_then_completes() {
    let mut ep = backend();
    let mut out = Vec::new();
    let (r, w) = pipe();
    let mut buf = [0u8; 16];
    assert_eq!(
        push_res(
            &mut ep,
            key(1),
            read_call(r.as_raw_fd(), &mut buf),
            &mut out
        )
        .unwrap(),
        None
    );
    assert_waiting(&mut ep, key(1), &mut out);
    let data = b"hello";
    let call = Call::Write {
        fd: w.as_raw_fd(),
        buf: data.as_ptr(),
        len: 5,
        offset: CURRENT_POS,
    };
    assert_eq!(
        push_res(&mut ep, key(2), call, &mut out).unwrap(),
        Some(5),
        "a pipe with room writes at once"
    );
    assert_eq!(wait_for(&mut ep, key(1), &mut out), 5);
    assert_eq!(&buf[..5], b"hello");
}

#[test]
fn parked_readers_complete_in_fifo_order() {
    let mut ep = backend();
    let mut out = Vec::new();
    let (r, w) = pipe();
    let (mut a, mut b) = ([0u8; 1], [0u8; 1]);
    assert_eq!(
        push_res(&mut ep, key(1), read_call(r.as_raw_fd(), &mut a), &mut out).unwrap(),
        None
    );
    assert_eq!(
        push_res(&mut ep, key(2), read_call(r.as_raw_fd(), &mut b), &mut out).unwrap(),
        None
    );
    let mut wf = std::fs::File::from(w);
    wf.write_all(b"x").unwrap();
    assert_eq!(wait_for(&mut ep, key(1), &mut out), 1);
    assert_waiting(&mut ep, key(2), &mut out);
    wf.write_all(b"y").unwrap();
    assert_eq!(wait_for(&mut ep, key(2), &mut out), 1);
    assert_eq!((a[0], b[0]), (b'x', b'y'));
}

#[test]
fn blocking_descriptor_is_made_nonblocking_before_a_read() {
    let mut ep = backend();
    let mut out = Vec::new();
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for two descriptors.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: fresh descriptors we own.
    let (r, _w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let mut buf = [0u8; 4];
    // Would hang the test if the backend read a blocking, empty pipe.
    assert_eq!(
        push_res(
            &mut ep,
            key(1),
            read_call(r.as_raw_fd(), &mut buf),
            &mut out
        )
        .unwrap(),
        None
    );
    ep.cancel(key(1), &mut out);
    assert_eq!(wait_for(&mut ep, key(1), &mut out), -libc::ECANCELED);
}

#[test]
fn accept_waits_for_a_connection() {
    let mut ep = backend();
    let mut out = Vec::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let call = Call::Accept {
        fd: listener.as_raw_fd(),
        addr: (&mut storage as *mut libc::sockaddr_storage).cast(),
        addrlen: &mut len,
        flags: libc::SOCK_CLOEXEC,
    };
    // The listener is blocking: the backend must not block on it.
    assert_eq!(push_res(&mut ep, key(1), call, &mut out).unwrap(), None);
    assert_waiting(&mut ep, key(1), &mut out);
    let client = TcpStream::connect(addr).unwrap();
    let fd = wait_for(&mut ep, key(1), &mut out);
    assert!(fd >= 0, "accept failed: {fd}");
    // SAFETY: accept returned a new descriptor that we now own.
    let accepted = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: F_GETFL takes no memory.
    let flags = unsafe { libc::fcntl(accepted.as_raw_fd(), libc::F_GETFL) };
    assert_ne!(
        flags & libc::O_NONBLOCK,
        0,
        "accepted sockets are nonblocking"
    );
    assert_eq!(storage.ss_family as i32, libc::AF_INET);
    assert_eq!(len as usize, std::mem::size_of::<libc::sockaddr_in>());
    drop(client);
}

fn sockaddr(addr: std::net::SocketAddrV4) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: addr.port().to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(*addr.ip()).to_be(),
        },
        sin_zero: [0; 8],
    }
}

fn tcp_socket() -> OwnedFd {
    // SAFETY: plain syscall.
    let fd = unsafe {
        libc::socket(
            libc::AF_INET,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            0,
        )
    };
    assert!(fd >= 0);
    // SAFETY: a fresh descriptor we own.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

fn connect_call(fd: RawFd, sa: &libc::sockaddr_in) -> Call {
    Call::Connect {
        fd,
        addr: (sa as *const libc::sockaddr_in).cast(),
        addrlen: std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
    }
}

fn connect(
    ep: &mut Epoll,
    k: u64,
    fd: RawFd,
    sa: &libc::sockaddr_in,
    out: &mut Vec<Completion>,
) -> i32 {
    match push_res(ep, k, connect_call(fd, sa), out).unwrap() {
        Some(res) => res,
        None => wait_for(ep, k, out),
    }
}

#[test]
fn connect_completes_and_reports_refusal() {
    let mut ep = backend();
    let mut out = Vec::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let std::net::SocketAddr::V4(addr) = listener.local_addr().unwrap() else {
        unreachable!()
    };
    let sock = tcp_socket();
    assert_eq!(
        connect(&mut ep, key(1), sock.as_raw_fd(), &sockaddr(addr), &mut out),
        0
    );
    let (mut server, _) = listener.accept().unwrap();

    // The connection works: a send through the backend arrives.
    let data = b"ping";
    let call = Call::Send {
        fd: sock.as_raw_fd(),
        buf: data.as_ptr(),
        len: 4,
        flags: libc::MSG_NOSIGNAL,
    };
    assert_eq!(push_res(&mut ep, key(2), call, &mut out).unwrap(), Some(4));
    let mut got = [0u8; 4];
    server.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"ping");

    // A closed port refuses.
    drop(listener);
    let sock = tcp_socket();
    assert_eq!(
        connect(&mut ep, key(3), sock.as_raw_fd(), &sockaddr(addr), &mut out),
        -libc::ECONNREFUSED
    );
}

#[test]
fn cancel_completes_a_waiting_op_with_ecanceled() {
    let mut ep = backend();
    let mut out = Vec::new();
    let (r, w) = pipe();
    let mut buf = [0u8; 4];
    assert_eq!(
        push_res(
            &mut ep,
            key(1),
            read_call(r.as_raw_fd(), &mut buf),
            &mut out
        )
        .unwrap(),
        None
    );
    // Cancelling through a Cancel call: target gets ECANCELED, the call 0.
    assert_eq!(
        push_res(&mut ep, key(2), Call::Cancel { target: key(1) }, &mut out).unwrap(),
        Some(0)
    );
    assert_eq!(wait_for(&mut ep, key(1), &mut out), -libc::ECANCELED);
    // Nothing left to cancel.
    assert_eq!(
        push_res(&mut ep, key(3), Call::Cancel { target: key(1) }, &mut out).unwrap(),
        Some(-libc::ENOENT)
    );
    // The cancelled read took nothing: a later read gets the data.
    std::fs::File::from(w).write_all(b"z").unwrap();
    let mut buf2 = [0u8; 4];
    let res = match push_res(
        &mut ep,
        key(4),
        read_call(r.as_raw_fd(), &mut buf2),
        &mut out,
    )
    .unwrap()
    {
        Some(res) => res,
        None => wait_for(&mut ep, key(4), &mut out),
    };
    assert_eq!(res, 1);
    assert!(
        !out.iter().any(|c| c.key == key(1)),
        "a cancelled op completed twice"
    );
}

#[test]
fn blocking_pool_op_completes_after_cancel() {
    let mut ep = backend();
    let mut out = Vec::new();
    let mut file = tempfile("pool");
    file.write_all(b"0123456789").unwrap();
    let mut buf = vec![0u8; 4];
    let call = Call::Read {
        fd: file.as_raw_fd(),
        buf: buf.as_mut_ptr(),
        len: 4,
        offset: 3,
    };
    assert!(call.is_blocking());
    assert_eq!(push_res(&mut ep, key(1), call, &mut out).unwrap(), None);
    assert!(ep.busy());
    // A pool call cannot be stopped: no early completion, and a Cancel
    // call says it is already running (unless it already finished).
    ep.cancel(key(1), &mut out);
    assert!(out.is_empty());
    let res = push_res(&mut ep, key(2), Call::Cancel { target: key(1) }, &mut out).unwrap();
    assert!(matches!(res, Some(r) if r == -libc::EALREADY), "{res:?}");
    assert_eq!(
        wait_for(&mut ep, key(1), &mut out),
        4,
        "the real result arrives"
    );
    assert_eq!(&buf, b"3456");
    assert!(!ep.busy());
}

#[test]
fn blocking_pool_result_wakes_an_indefinite_wait() {
    let mut ep = backend();
    let mut out = Vec::new();
    let file = tempfile("wake");
    assert_eq!(
        push_res(
            &mut ep,
            key(1),
            Call::Fsync {
                fd: file.as_raw_fd(),
                datasync: false
            },
            &mut out
        )
        .unwrap(),
        None
    );
    let start = Instant::now();
    while out.is_empty() {
        ep.turn(None, &mut out).unwrap(); // would hang without the eventfd wake
    }
    assert_eq!(out[0].key, key(1));
    assert_eq!(out[0].res, 0);
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn timeout_fires_with_etime_and_can_be_cancelled() {
    let mut ep = backend();
    let mut out = Vec::new();
    let ts = Timespec::from(Duration::from_millis(20));
    let long = Timespec::from(Duration::from_secs(3600));
    let start = Instant::now();
    assert_eq!(
        push_res(&mut ep, key(1), Call::Timeout { ts: &ts }, &mut out).unwrap(),
        None
    );
    assert_eq!(
        push_res(&mut ep, key(2), Call::Timeout { ts: &long }, &mut out).unwrap(),
        None
    );
    // An indefinite wait is bounded by the deadline.
    while out.is_empty() {
        ep.turn(None, &mut out).unwrap();
    }
    assert_eq!(out.remove(0).res, -libc::ETIME);
    assert!(start.elapsed() >= Duration::from_millis(20), "fired early");
    ep.cancel(key(2), &mut out);
    assert_eq!(out.remove(0).res, -libc::ECANCELED);
    ep.turn(Some(Duration::ZERO), &mut out).unwrap();
    assert!(out.is_empty());
}

#[test]
fn remote_notify_ends_an_indefinite_wait() {
    let unparker = Unparker::new().unwrap();
    let mut ep = Epoll::new(&unparker).unwrap();
    let mut out = Vec::new();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        unparker.unpark();
    });
    ep.turn(None, &mut out).unwrap();
    t.join().unwrap();
    // The eventfd was cleared: the next zero wait returns at once, empty.
    ep.turn(Some(Duration::ZERO), &mut out).unwrap();
    assert!(out.is_empty());
}

#[test]
fn short_read_on_a_stream_then_eof_still_completes() {
    let mut ep = backend();
    let mut out = Vec::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    server.set_nonblocking(true).unwrap();
    let fd = server.as_raw_fd();

    // A short read marks the socket drained; the next read parks without a
    // syscall and must still see the next data.
    client.write_all(b"abc").unwrap();
    let mut buf = [0u8; 64];
    let res = match push_res(&mut ep, key(1), recv_call(fd, &mut buf), &mut out).unwrap() {
        Some(r) => r,
        None => wait_for(&mut ep, key(1), &mut out),
    };
    assert_eq!(res, 3);
    assert_eq!(
        push_res(&mut ep, key(2), recv_call(fd, &mut buf), &mut out).unwrap(),
        None
    );
    client.write_all(b"de").unwrap();
    assert_eq!(wait_for(&mut ep, key(2), &mut out), 2);

    // Data and end of stream together: the data, then 0, never a hang.
    client.write_all(b"fg").unwrap();
    drop(client);
    std::thread::sleep(Duration::from_millis(20));
    ep.turn(Some(Duration::ZERO), &mut out).unwrap(); // consume the events
    let res = match push_res(&mut ep, key(3), recv_call(fd, &mut buf), &mut out).unwrap() {
        Some(r) => r,
        None => wait_for(&mut ep, key(3), &mut out),
    };
    assert_eq!(res, 2);
    let res = match push_res(&mut ep, key(4), recv_call(fd, &mut buf), &mut out).unwrap() {
        Some(r) => r,
        None => wait_for(&mut ep, key(4), &mut out),
    };
    assert_eq!(res, 0, "end of stream");
}

#[test]
fn short_datagram_does_not_hide_the_next_one() {
    let mut ep = backend();
    let mut out = Vec::new();
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    tx.send_to(b"one", rx.local_addr().unwrap()).unwrap();
    tx.send_to(b"two", rx.local_addr().unwrap()).unwrap();
    std::thread::sleep(Duration::from_millis(10));
    let mut buf = [0u8; 64];
    assert_eq!(
        push_res(
            &mut ep,
            key(1),
            recv_call(rx.as_raw_fd(), &mut buf),
            &mut out
        )
        .unwrap(),
        Some(3)
    );
    // Datagrams are short by nature: the second must come without an event.
    assert_eq!(
        push_res(
            &mut ep,
            key(2),
            recv_call(rx.as_raw_fd(), &mut buf),
            &mut out
        )
        .unwrap(),
        Some(3)
    );
    assert_eq!(&buf[..3], b"two");
}

#[test]
fn forget_fd_cancels_leftovers_and_resets_registration() {
    let mut ep = backend();
    let mut out = Vec::new();
    let (r, w) = pipe();
    let mut buf = [0u8; 4];
    assert_eq!(
        push_res(
            &mut ep,
            key(1),
            read_call(r.as_raw_fd(), &mut buf),
            &mut out
        )
        .unwrap(),
        None
    );
    let number = r.as_raw_fd();
    ep.forget_fd(number);
    assert_eq!(wait_for(&mut ep, key(1), &mut out), -libc::ECANCELED);
    drop(w);
    // The number is reused by a new pipe: its ops must still wake up.
    let (r_new, w2) = pipe();
    // SAFETY: dup3 atomically closes the old pipe behind `number` and makes
    // the number a copy of the new read end; `r` owns it from now on.
    let dup = unsafe { libc::dup3(r_new.as_raw_fd(), number, libc::O_CLOEXEC) };
    assert_eq!(dup, number);
    drop(r_new);
    let r2 = r;
    assert_eq!(
        push_res(
            &mut ep,
            key(2),
            read_call(r2.as_raw_fd(), &mut buf),
            &mut out
        )
        .unwrap(),
        None
    );
    std::fs::File::from(w2).write_all(b"ok").unwrap();
    assert_eq!(wait_for(&mut ep, key(2), &mut out), 2);
}

#[test]
fn shutdown_cancels_parked_ops_and_timeouts() {
    let mut ep = backend();
    let mut out = Vec::new();
    let (r, _w) = pipe();
    let mut buf = [0u8; 4];
    let ts = Timespec::from(Duration::from_secs(3600));
    assert_eq!(
        push_res(
            &mut ep,
            key(1),
            read_call(r.as_raw_fd(), &mut buf),
            &mut out
        )
        .unwrap(),
        None
    );
    assert_eq!(
        push_res(&mut ep, key(2), Call::Timeout { ts: &ts }, &mut out).unwrap(),
        None
    );
    ep.shutdown(&mut out);
    let mut got: Vec<(u64, i32)> = out.iter().map(|c| (c.key, c.res)).collect();
    got.sort();
    assert_eq!(
        got,
        vec![(key(1), -libc::ECANCELED), (key(2), -libc::ECANCELED)]
    );
    assert!(!ep.busy());
}

/// A fresh, already unlinked temporary file.
fn tempfile(tag: &str) -> std::fs::File {
    let path = std::env::temp_dir().join(format!("aio-epoll-{tag}-{}", std::process::id()));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    file
}

/// `Epoll::push` with the completion flags dropped (none of these calls
/// picks a buffer).
fn push_res(
    ep: &mut Epoll,
    k: u64,
    call: Call,
    out: &mut Vec<Completion>,
) -> std::io::Result<Option<i32>> {
    ep.push(k, call, out).map(|done| done.map(|(res, _)| res))
}

#[test]
fn fixed_calls_run_as_plain_reads_and_writes() {
    let mut ep = backend();
    let mut out = Vec::new();
    // On a pipe: the read waits for readiness, as a Read does.
    let (r, w) = pipe();
    let mut buf = [0u8; 16];
    let read = Call::ReadFixed {
        fd: r.as_raw_fd(),
        buf: buf.as_mut_ptr(),
        len: 16,
        offset: CURRENT_POS,
        index: 3,
    };
    assert!(!read.is_blocking());
    assert_eq!(push_res(&mut ep, key(1), read, &mut out).unwrap(), None);
    assert_waiting(&mut ep, key(1), &mut out);
    let data = b"fixed";
    let write = Call::WriteFixed {
        fd: w.as_raw_fd(),
        buf: data.as_ptr(),
        len: 5,
        offset: CURRENT_POS,
        index: 7,
    };
    assert_eq!(push_res(&mut ep, key(2), write, &mut out).unwrap(), Some(5));
    assert_eq!(wait_for(&mut ep, key(1), &mut out), 5);
    assert_eq!(&buf[..5], b"fixed");
    // At a file position: the blocking pool, as a pread.
    let mut file = tempfile("fixed");
    file.write_all(b"0123456789").unwrap();
    let read = Call::ReadFixed {
        fd: file.as_raw_fd(),
        buf: buf.as_mut_ptr(),
        len: 4,
        offset: 6,
        index: 0,
    };
    assert!(read.is_blocking());
    assert_eq!(push_res(&mut ep, key(3), read, &mut out).unwrap(), None);
    assert_eq!(wait_for(&mut ep, key(3), &mut out), 4);
    assert_eq!(&buf[..4], b"6789");
}
