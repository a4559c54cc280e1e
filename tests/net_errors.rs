//! Errors reach the caller as actionable `io::Error`s and the runtime keeps
//! serving afterwards: accept under EMFILE (without spinning), a peer reset
//! during a large write (with SIGPIPE at its default disposition), refused
//! connections, addresses in use, invalid Unix paths.
//!
//! The EMFILE and SIGPIPE tests change process-wide state (RLIMIT_NOFILE,
//! the SIGPIPE disposition), so they run in a child process: this binary
//! re-executes itself for one test with `AIO_TEST_CHILD` set.

mod support;

use std::io::ErrorKind;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use aio::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRent, AsyncWriteRentExt};
use aio::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use aio::time::{sleep, timeout, timeout_at};
use support::{
    cpu_time, drivers, is_child, next, rlimit, run_child, runtime, set_rlimit, temp_socket_path,
    within,
};

const LIMIT: Duration = Duration::from_secs(10);

/// The runtime still runs tasks, timers and I/O.
async fn assert_still_serving() {
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let t = aio::spawn(async move {
        let (res, buf) = b.read_exact(Vec::with_capacity(5)).await;
        res.unwrap();
        buf
    });
    sleep(Duration::from_millis(1)).await;
    let (res, _) = a.write_all(b"alive".to_vec()).await;
    res.unwrap();
    assert_eq!(
        within(LIMIT, "runtime still serving", t).await.unwrap(),
        b"alive"
    );
}

/// An address nobody listens on (bound, then closed).
fn closed_port() -> std::net::SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// Makes the next close of `fd` send a reset (SO_LINGER with a zero timeout).
fn linger_zero(fd: std::os::fd::RawFd) {
    let lin = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    support::set_sockopt(fd, libc::SOL_SOCKET, libc::SO_LINGER, lin, "SO_LINGER");
}

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = aio::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    let (server, _) = listener.accept().await.unwrap();
    (client.await.unwrap(), server)
}

// ---------------------------------------------------------------------------
// Simple errors
// ---------------------------------------------------------------------------

#[aio::test]
async fn connect_to_a_closed_port_is_refused() {
    let addr = closed_port();
    let err = within(LIMIT, "connect", TcpStream::connect(addr))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err:?}");
    assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED));
    assert_still_serving().await;
}

#[aio::test]
async fn binding_an_address_in_use_fails_with_addr_in_use() {
    let first = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = first.local_addr().unwrap();
    let err = TcpListener::bind(addr).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err:?}");

    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let err = UdpSocket::bind(udp.local_addr().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err:?}");

    let path = temp_socket_path("in-use");
    let _listener = UnixListener::bind(&path).unwrap();
    let err = UnixListener::bind(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err:?}");
    let err = UnixDatagram::bind(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err:?}");
    let _ = std::fs::remove_file(&path);
    assert_still_serving().await;
}

#[aio::test]
async fn invalid_unix_paths_are_invalid_input() {
    let too_long = "/tmp/".to_string() + &"x".repeat(200);
    let with_nul = "/tmp/aio\0bad";
    for bad in [too_long.as_str(), with_nul, ""] {
        let err = UnixListener::bind(bad).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::InvalidInput,
            "UnixListener::bind({bad:?}): {err:?}"
        );
        let err = within(LIMIT, "connect", UnixStream::connect(bad))
            .await
            .unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::InvalidInput,
            "UnixStream::connect({bad:?}): {err:?}"
        );
        let err = UnixDatagram::bind(bad).unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::InvalidInput,
            "UnixDatagram::bind({bad:?}): {err:?}"
        );
        let sock = UnixDatagram::unbound().unwrap();
        let (res, buf) = sock.send_to(b"data".to_vec(), bad).await;
        assert_eq!(
            res.unwrap_err().kind(),
            ErrorKind::InvalidInput,
            "send_to({bad:?})"
        );
        assert_eq!(buf, b"data", "the buffer comes back");
    }
    // An abstract name may be as long as the whole sun_path.
    let long_abstract = "\0".to_string() + &"a".repeat(107);
    drop(UnixListener::bind(&long_abstract).expect("a 107-byte abstract name fits"));
    let err = UnixListener::bind("\0".to_string() + &"a".repeat(108)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_still_serving().await;
}

#[aio::test]
async fn unix_connect_errors_keep_their_errno() {
    let missing = temp_socket_path("missing");
    let err = within(LIMIT, "connect", UnixStream::connect(&missing))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err:?}");

    // A path that exists but nobody listens on: refused.
    let path = temp_socket_path("not-listening");
    drop(std::os::unix::net::UnixDatagram::bind(&path).unwrap());
    let err = within(LIMIT, "connect", UnixStream::connect(&path))
        .await
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED), "{err:?}");
    let _ = std::fs::remove_file(&path);
    assert_still_serving().await;
}

#[aio::test]
async fn unparsable_addresses_are_invalid_input() {
    let err = within(LIMIT, "connect", TcpStream::connect("not an address"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err:?}");
    let err = TcpListener::bind("127.0.0.1").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err:?}");
    assert_still_serving().await;
}

#[aio::test]
async fn read_after_a_peer_reset_is_connection_reset() {
    let (mut client, server) = tcp_pair().await;
    linger_zero(server.as_raw_fd());
    drop(server);
    let (res, buf) = within(
        LIMIT,
        "read after reset",
        client.read(Vec::with_capacity(16)),
    )
    .await;
    let err = res.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err:?}");
    assert_eq!(buf.capacity(), 16, "the buffer comes back");
    assert_still_serving().await;
}

#[aio::test]
async fn udp_refused_datagram_is_reported() {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.connect(closed_port()).await.unwrap();
    let (res, _) = sock.send(b"anyone?".to_vec()).await;
    res.unwrap();
    // The ICMP port-unreachable comes back as ECONNREFUSED on the socket:
    // the pending recv (or, if it raced, the next send) reports it.
    let err = match timeout(Duration::from_secs(2), sock.recv(Vec::with_capacity(16))).await {
        Ok((res, _)) => res.unwrap_err(),
        Err(_) => sock.send(b"again".to_vec()).await.0.unwrap_err(),
    };
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err:?}");
    assert_still_serving().await;
}

// ---------------------------------------------------------------------------
// Peer reset during a large write, SIGPIPE at its default disposition
// ---------------------------------------------------------------------------

fn sigpipe_handler() -> libc::sighandler_t {
    // SAFETY: sigaction with a null new action only reads the current one.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        assert_eq!(
            libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut old),
            0
        );
        old.sa_sigaction
    }
}

async fn reset_during_write_all() {
    const LEN: usize = 64 << 20;
    let (client, server) = tcp_pair().await;
    let data = vec![0x5Au8; LEN];
    let (ptr, cap) = (data.as_ptr(), data.capacity());
    let writer = aio::spawn(async move {
        let mut client = client;
        let (res, buf) = client.write_all(data).await;
        (res, buf, client)
    });
    // The writer fills the socket buffers and parks (nobody reads)...
    sleep(Duration::from_millis(50)).await;
    assert!(
        !writer.is_finished(),
        "64 MiB can't fit in the socket buffers"
    );
    // ...then the peer resets the connection.
    linger_zero(server.as_raw_fd());
    drop(server);
    let (res, buf, mut client) = within(LIMIT, "write_all after reset", writer)
        .await
        .unwrap();
    let err = res.expect_err("write_all to a reset peer must fail");
    assert!(
        matches!(
            err.raw_os_error(),
            Some(libc::ECONNRESET) | Some(libc::EPIPE)
        ),
        "expected ECONNRESET or EPIPE, got {err:?}"
    );
    assert_eq!(buf.len(), LEN, "the buffer comes back whole");
    assert_eq!(buf.capacity(), cap);
    assert_eq!(buf.as_ptr(), ptr, "the very same buffer");
    assert!(buf[0] == 0x5A && buf[LEN - 1] == 0x5A && buf[LEN / 2] == 0x5A);

    // Writing again to the dead connection: an error, still no SIGPIPE.
    let (res, buf) = client.write(b"more".to_vec()).await;
    assert!(matches!(
        res.unwrap_err().raw_os_error(),
        Some(libc::EPIPE) | Some(libc::ECONNRESET)
    ));
    assert_eq!(buf, b"more");

    // Unix streams: a write to a closed peer is EPIPE (the classic SIGPIPE).
    let (mut a, b) = UnixStream::pair().unwrap();
    drop(b);
    let (res, _) = a.write(b"into the void".to_vec()).await;
    assert_eq!(res.unwrap_err().raw_os_error(), Some(libc::EPIPE));
    let (res, bufs) = a.writev(vec![b"vec".to_vec(), b"tored".to_vec()]).await;
    assert_eq!(res.unwrap_err().raw_os_error(), Some(libc::EPIPE));
    assert_eq!(bufs.len(), 2);
    let (res, _) = a.write_all(vec![1u8; 1 << 20]).await;
    assert_eq!(res.unwrap_err().raw_os_error(), Some(libc::EPIPE));
    assert_still_serving().await;
}

const RESET_CHILD: &str = "reset_during_write_all_child";

#[test]
fn peer_reset_during_a_large_write_all_returns_the_error_and_the_buffer_without_sigpipe() {
    let (status, out) = run_child(RESET_CHILD);
    assert_ne!(
        status.signal(),
        Some(libc::SIGPIPE),
        "aio raised SIGPIPE and the process died:\n{out}"
    );
    assert!(status.success(), "child failed ({status}):\n{out}");
    for d in drivers() {
        assert!(
            out.contains(&format!("RESET-OK {d:?}")),
            "no result for {d:?}:\n{out}"
        );
    }
}

#[test]
fn reset_during_write_all_child() {
    if !is_child(RESET_CHILD) {
        return; // run by the test above, in a child process
    }
    // Rust's runtime ignores SIGPIPE at start-up; put back the default, so
    // that a SIGPIPE would kill this process.
    // SAFETY: installing SIG_DFL for SIGPIPE has no preconditions.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_eq!(sigpipe_handler(), libc::SIG_DFL);
    for driver in drivers() {
        runtime(driver).block_on(reset_during_write_all());
        assert_eq!(
            sigpipe_handler(),
            libc::SIG_DFL,
            "aio changed the SIGPIPE disposition"
        );
        println!("RESET-OK {driver:?}");
    }
}

// ---------------------------------------------------------------------------
// Accept under EMFILE
// ---------------------------------------------------------------------------

async fn accept_under_emfile() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let saved = rlimit(libc::RLIMIT_NOFILE);
    set_rlimit(
        libc::RLIMIT_NOFILE,
        libc::rlimit {
            rlim_cur: (support::fd_count() + 32) as libc::rlim_t,
            rlim_max: saved.rlim_max,
        },
    );

    // Use up every descriptor but one, which the client takes.
    let mut hog: Vec<OwnedFd> = Vec::new();
    loop {
        match std::fs::File::open("/dev/null") {
            Ok(f) => hog.push(f.into()),
            Err(e) if e.raw_os_error() == Some(libc::EMFILE) => break,
            Err(e) => panic!("open /dev/null: {e}"),
        }
    }
    hog.pop();
    let mut client = within(LIMIT, "connect", TcpStream::connect(addr))
        .await
        .expect("connect with the last descriptor");
    assert_eq!(
        std::fs::File::open("/dev/null").unwrap_err().raw_os_error(),
        Some(libc::EMFILE),
        "the process is out of descriptors"
    );

    // accept() says why it can't: EMFILE, an actionable error.
    let err = within(LIMIT, "accept under EMFILE", listener.accept())
        .await
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err:?}");

    // A server looping over incoming() gets errors, but doesn't spin.
    let mut incoming = listener.incoming();
    let (cpu0, t0) = (cpu_time(), Instant::now());
    let deadline = t0 + Duration::from_millis(500);
    let mut errors = 0;
    while let Ok(item) = timeout_at(deadline, next(&mut incoming)).await {
        match item {
            Some(Err(e)) => {
                assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "{e:?}");
                errors += 1;
            }
            Some(Ok(_)) => panic!("accepted a connection with no descriptor free"),
            None => panic!("incoming() ended"),
        }
    }
    let (cpu, wall) = (cpu_time() - cpu0, t0.elapsed());
    println!("EMFILE loop: {errors} errors, {cpu:?} CPU in {wall:?}");
    assert!(errors >= 1, "incoming() reported the EMFILE");
    assert!(
        errors <= 20,
        "incoming() retried {errors} times in {wall:?}: it spins"
    );
    assert!(
        cpu < wall / 4,
        "the EMFILE loop burned {cpu:?} of CPU in {wall:?}"
    );

    // Once descriptors are free, the queued connection is accepted and served.
    drop(hog);
    let (mut server, peer) = within(
        Duration::from_secs(5),
        "accept after freeing descriptors",
        next(&mut incoming),
    )
    .await
    .expect("incoming() goes on")
    .expect("the queued connection is accepted");
    assert_eq!(peer, client.local_addr().unwrap());
    let (res, _) = client.write_all(b"hello".to_vec()).await;
    res.unwrap();
    let (res, got) = server.read_exact(Vec::with_capacity(5)).await;
    res.unwrap();
    let (res, _) = server.write_all(got).await;
    res.unwrap();
    let (res, got) = within(LIMIT, "echo", client.read_exact(Vec::with_capacity(5))).await;
    res.unwrap();
    assert_eq!(got, b"hello");
    set_rlimit(libc::RLIMIT_NOFILE, saved);
}

const EMFILE_CHILD: &str = "accept_under_emfile_child";

#[test]
fn accept_under_emfile_reports_it_does_not_spin_and_recovers() {
    let (status, out) = run_child(EMFILE_CHILD);
    assert!(status.success(), "child failed ({status}):\n{out}");
    for d in drivers() {
        assert!(
            out.contains(&format!("EMFILE-OK {d:?}")),
            "no result for {d:?}:\n{out}"
        );
    }
}

#[test]
fn accept_under_emfile_child() {
    if !is_child(EMFILE_CHILD) {
        return; // run by the test above, in a child process
    }
    for driver in drivers() {
        runtime(driver).block_on(accept_under_emfile());
        println!("EMFILE-OK {driver:?}");
    }
}

#[aio::test]
async fn too_many_iovecs_is_an_error_with_the_buffers_back() {
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let bufs: Vec<Vec<u8>> = (0..2000).map(|_| Vec::with_capacity(4)).collect();
    let (res, bufs) = within(LIMIT, "readv", a.readv(bufs)).await;
    assert!(res.is_err(), "2,000 iovecs exceed IOV_MAX: {res:?}");
    assert_eq!(bufs.len(), 2000, "every buffer comes back");
    let bufs: Vec<Vec<u8>> = (0..2000).map(|_| b"x".to_vec()).collect();
    let (res, bufs) = within(LIMIT, "writev", b.writev(bufs)).await;
    assert!(res.is_err(), "{res:?}");
    assert_eq!(bufs.len(), 2000);
    assert_still_serving().await;
}

#[aio::test]
async fn oversized_datagram_is_emsgsize_with_the_buffer_back() {
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let big = vec![1u8; 70_000];
    let (res, buf) = a.send_to(big, b.local_addr().unwrap()).await;
    assert_eq!(res.unwrap_err().raw_os_error(), Some(libc::EMSGSIZE));
    assert_eq!(buf.len(), 70_000, "the buffer comes back");
    assert_still_serving().await;
}
