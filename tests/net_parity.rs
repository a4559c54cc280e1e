//! Socket behaviour and API that code coming from tokio expects (issue 14,
//! "Sockets"): `shutdown` after the peer reset, and twice, is `Ok`
//! (tokio#4665); `FromRawFd` on every socket type; `peek`, `peek_from`,
//! `peek_sender`; socket options round-trip; `UnixStream::peer_cred`.
//! Each `#[aio::test]` runs on io_uring and on epoll.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::{FromRawFd, IntoRawFd};
use std::time::Duration;

use aio::io::{AsyncReadRent, AsyncWriteRent, AsyncWriteRentExt};
use aio::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};

/// A connected TCP pair on loopback: (client, accepted server side).
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = TcpStream::connect(addr).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

/// Drops `peer` with `SO_LINGER` 0, so the kernel resets the connection,
/// and waits until `stream` has seen the reset.
async fn reset_by_peer(stream: &mut TcpStream, peer: TcpStream) {
    peer.set_linger(Some(Duration::ZERO)).unwrap();
    drop(peer);
    let (res, _) = stream.read(Vec::with_capacity(16)).await;
    let err = res.expect_err("read after the peer's reset");
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
}

// Follows tokio's tests/tcp_shutdown.rs `shutdown_after_tcp_reset`
// (tokio#4665): shutdown(2) says ENOTCONN, tokio says Ok.
#[aio::test]
async fn tcp_shutdown_after_reset_is_ok() {
    let (mut client, server) = tcp_pair().await;
    reset_by_peer(&mut client, server).await;
    client.shutdown().await.expect("shutdown after reset");
    client
        .shutdown()
        .await
        .expect("second shutdown after reset");
}

#[aio::test]
async fn tcp_write_half_shutdown_after_reset_is_ok() {
    let (mut client, server) = tcp_pair().await;
    reset_by_peer(&mut client, server).await;
    let (_read, mut write) = client.into_split();
    write
        .shutdown()
        .await
        .expect("write half shutdown after reset");
    write.shutdown().await.expect("second write half shutdown");
}

// tokio's tests/tcp_shutdown.rs `shutdown` shuts down once; here the peer
// then closes too, which leaves the socket unconnected, and the next
// shutdown still succeeds.
#[aio::test]
async fn tcp_double_shutdown_is_ok() {
    let (mut client, mut server) = tcp_pair().await;
    client.shutdown().await.expect("first shutdown");
    client.shutdown().await.expect("second shutdown");
    let (res, _) = server.read(Vec::with_capacity(16)).await;
    assert_eq!(res.unwrap(), 0, "the peer sees end of stream");
    drop(server);
    let (res, _) = client.read(Vec::with_capacity(16)).await;
    assert_eq!(res.unwrap(), 0);
    client
        .shutdown()
        .await
        .expect("shutdown after both sides closed");
}

#[aio::test]
async fn unix_shutdown_after_peer_closed_is_ok() {
    let (mut a, b) = UnixStream::pair().unwrap();
    drop(b);
    a.shutdown().await.expect("shutdown after the peer closed");
    a.shutdown().await.expect("second shutdown");
    let (a, _b) = UnixStream::pair().unwrap();
    let (_read, mut write) = a.into_split();
    write.shutdown().await.expect("write half shutdown");
    write.shutdown().await.expect("second write half shutdown");
}

// std's `FromRawFd`/`IntoRawFd` contract: the descriptor comes back as
// the same socket, usable at once on the current backend.
#[aio::test]
async fn from_raw_fd_round_trips_every_socket_type() {
    let (client, mut server) = tcp_pair().await;
    let addr = client.local_addr().unwrap();
    let fd = client.into_raw_fd();
    // SAFETY: `fd` is the open TCP socket `into_raw_fd` just handed us.
    let mut client = unsafe { TcpStream::from_raw_fd(fd) };
    assert_eq!(client.local_addr().unwrap(), addr);
    let (res, _) = client.write_all(&b"after"[..]).await;
    res.unwrap();
    let (res, buf) = server.read(Vec::with_capacity(16)).await;
    assert_eq!(&buf[..res.unwrap()], b"after");

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // SAFETY: as above, a listening TCP socket.
    let listener = unsafe { TcpListener::from_raw_fd(listener.into_raw_fd()) };
    assert_eq!(listener.local_addr().unwrap(), addr);
    let (connected, accepted) =
        aio::future::join(TcpStream::connect(addr), listener.accept()).await;
    connected.unwrap();
    accepted.unwrap();

    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = udp.local_addr().unwrap();
    // SAFETY: as above, a UDP socket.
    let udp = unsafe { UdpSocket::from_raw_fd(udp.into_raw_fd()) };
    assert_eq!(udp.local_addr().unwrap(), addr);
    let (res, _) = udp.send_to(&b"x"[..], addr).await;
    res.unwrap();
    let (res, _) = udp.recv_from(Vec::with_capacity(4)).await;
    assert_eq!(res.unwrap(), (1, addr));

    let (a, mut b) = UnixStream::pair().unwrap();
    // SAFETY: as above, a Unix stream socket.
    let mut a = unsafe { UnixStream::from_raw_fd(a.into_raw_fd()) };
    let (res, _) = a.write_all(&b"unix"[..]).await;
    res.unwrap();
    let (res, buf) = b.read(Vec::with_capacity(8)).await;
    assert_eq!(&buf[..res.unwrap()], b"unix");

    let name = format!(
        "\0aio-net-parity-{}-{:?}",
        std::process::id(),
        aio::Driver::current()
    );
    let listener = UnixListener::bind(&name).unwrap();
    // SAFETY: as above, a listening Unix stream socket.
    let listener = unsafe { UnixListener::from_raw_fd(listener.into_raw_fd()) };
    let (connected, accepted) =
        aio::future::join(UnixStream::connect(&name), listener.accept()).await;
    connected.unwrap();
    accepted.unwrap();

    let (a, b) = UnixDatagram::pair().unwrap();
    // SAFETY: as above, a Unix datagram socket.
    let a = unsafe { UnixDatagram::from_raw_fd(a.into_raw_fd()) };
    let (res, _) = a.send(&b"dgram"[..]).await;
    res.unwrap();
    let (res, buf) = b.recv(Vec::with_capacity(8)).await;
    assert_eq!(&buf[..res.unwrap()], b"dgram");
}

// tokio's tests/tcp_peek.rs: peek, then read the same bytes.
#[aio::test]
async fn tcp_peek_leaves_bytes_for_read() {
    let (mut client, mut server) = tcp_pair().await;
    let (res, _) = client.write_all(&b"hello"[..]).await;
    res.unwrap();
    let (res, buf) = server.peek(Vec::with_capacity(16)).await;
    assert_eq!(&buf[..res.unwrap()], b"hello");
    let (res, buf) = server.peek(Vec::with_capacity(16)).await;
    assert_eq!(
        &buf[..res.unwrap()],
        b"hello",
        "a second peek sees them again"
    );
    let (res, buf) = server.read(Vec::with_capacity(16)).await;
    assert_eq!(&buf[..res.unwrap()], b"hello");
    let (res, _) = server.peek(Vec::new()).await;
    assert_eq!(res.unwrap_err().kind(), io::ErrorKind::InvalidInput);
}

#[aio::test]
async fn unix_peek_leaves_bytes_for_read() {
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let (res, _) = a.write_all(&b"peek me"[..]).await;
    res.unwrap();
    let (res, buf) = b.peek(Vec::with_capacity(16)).await;
    assert_eq!(&buf[..res.unwrap()], b"peek me");
    let (res, buf) = b.read(Vec::with_capacity(16)).await;
    assert_eq!(&buf[..res.unwrap()], b"peek me");
    let (res, _) = b.peek(Vec::new()).await;
    assert_eq!(res.unwrap_err().kind(), io::ErrorKind::InvalidInput);
}

// tokio's tests/udp.rs `peek_sender`, `poll_peek_sender`.
#[aio::test]
async fn udp_peek_from_and_peek_sender_leave_the_datagram() {
    let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
    let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
    let from = sender.local_addr().unwrap();
    let (res, _) = sender
        .send_to(&b"datagram"[..], receiver.local_addr().unwrap())
        .await;
    res.unwrap();

    assert_eq!(receiver.peek_sender().await.unwrap(), from);
    let (res, buf) = receiver.peek_from(Vec::with_capacity(4)).await;
    assert_eq!(res.unwrap(), (4, from), "truncated to the buffer");
    assert_eq!(&buf[..], b"data");
    let (res, buf) = receiver.peek_from(Vec::with_capacity(64)).await;
    assert_eq!(res.unwrap(), (8, from));
    assert_eq!(&buf[..], b"datagram");
    let (res, buf) = receiver.recv_from(Vec::with_capacity(64)).await;
    assert_eq!(res.unwrap(), (8, from), "the datagram was still queued");
    assert_eq!(&buf[..], b"datagram");
    let (res, _) = receiver.peek_from(Vec::new()).await;
    assert_eq!(res.unwrap_err().kind(), io::ErrorKind::InvalidInput);
}

#[aio::test]
async fn tcp_options_round_trip() {
    let (client, _server) = tcp_pair().await;
    assert_eq!(client.linger().unwrap(), None);
    client.set_linger(Some(Duration::from_secs(3))).unwrap();
    assert_eq!(client.linger().unwrap(), Some(Duration::from_secs(3)));
    client.set_linger(None).unwrap();
    assert_eq!(client.linger().unwrap(), None);
    client.set_ttl(42).unwrap();
    assert_eq!(client.ttl().unwrap(), 42);
}

#[aio::test]
async fn udp_options_round_trip() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    assert!(!socket.broadcast().unwrap());
    socket.set_broadcast(true).unwrap();
    assert!(socket.broadcast().unwrap());
    socket.set_ttl(17).unwrap();
    assert_eq!(socket.ttl().unwrap(), 17);
    assert!(socket.multicast_loop_v4().unwrap(), "on by default");
    socket.set_multicast_loop_v4(false).unwrap();
    assert!(!socket.multicast_loop_v4().unwrap());
    socket.set_multicast_ttl_v4(5).unwrap();
    assert_eq!(socket.multicast_ttl_v4().unwrap(), 5);

    match UdpSocket::bind("[::1]:0") {
        Ok(v6) => {
            v6.set_multicast_loop_v6(false).unwrap();
            assert!(!v6.multicast_loop_v6().unwrap());
            v6.set_multicast_loop_v6(true).unwrap();
            assert!(v6.multicast_loop_v6().unwrap());
        }
        Err(e) => eprintln!("skipping the IPv6 options: no IPv6 loopback ({e})"),
    }
}

/// Whether `e` says the host has no interface or route for multicast (a
/// container without one); the test is then skipped.
fn no_multicast_route(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ENODEV | libc::EADDRNOTAVAIL | libc::ENETUNREACH | libc::ENOBUFS)
    )
}

// tokio's tests/udp.rs has none; this follows std's multicast tests
// (join, then leave the same group; leaving twice fails).
#[aio::test]
async fn udp_multicast_join_leave() {
    let group = Ipv4Addr::new(224, 0, 0, 251);
    let socket = UdpSocket::bind("0.0.0.0:0").unwrap();
    match socket.join_multicast_v4(group, Ipv4Addr::UNSPECIFIED) {
        Ok(()) => {
            socket
                .leave_multicast_v4(group, Ipv4Addr::UNSPECIFIED)
                .unwrap();
            let again = socket.leave_multicast_v4(group, Ipv4Addr::UNSPECIFIED);
            assert!(again.is_err(), "not a member any more");
        }
        Err(e) if no_multicast_route(&e) => {
            eprintln!("skipping IPv4 multicast: no multicast route here ({e})")
        }
        Err(e) => panic!("join_multicast_v4: {e}"),
    }
    let err = socket
        .join_multicast_v4(Ipv4Addr::LOCALHOST, Ipv4Addr::UNSPECIFIED)
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "not a group");

    let group = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0xfb);
    let Ok(socket) = UdpSocket::bind("[::]:0") else {
        eprintln!("skipping IPv6 multicast: no IPv6");
        return;
    };
    match socket.join_multicast_v6(&group, 0) {
        Ok(()) => socket.leave_multicast_v6(&group, 0).unwrap(),
        Err(e) if no_multicast_route(&e) => {
            eprintln!("skipping IPv6 multicast: no multicast route here ({e})")
        }
        Err(e) => panic!("join_multicast_v6: {e}"),
    }
}

// tokio's tests/uds_cred.rs: the peer of a pair is this process.
#[aio::test]
async fn unix_peer_cred_is_ours() {
    let (a, _b) = UnixStream::pair().unwrap();
    let cred = a.peer_cred().unwrap();
    // SAFETY: getuid/getgid cannot fail and touch no memory.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    assert_eq!(cred.uid(), uid);
    assert_eq!(cred.gid(), gid);
    assert_eq!(cred.pid(), Some(std::process::id() as i32));
}
