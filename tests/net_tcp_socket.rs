//! `aio::net::TcpSocket` (issue 14), as tokio's `TcpSocket`: options set
//! before `listen`/`connect` and read back, `SO_REUSEPORT` binds, a bound
//! local address kept through `connect`, and errors of a refused connect.
//! Modelled on tokio's `tests/tcp_socket.rs` (`basic_usage_v4`,
//! `bind_before_connect`) and its `TcpSocket` doc examples.

mod support;

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd};
use std::time::Duration;

use aio::io::{AsyncReadRentExt, AsyncWriteRentExt};
use aio::net::TcpSocket;
use support::within;

const LIMIT: Duration = Duration::from_secs(20);

fn localhost() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

// tokio tests/tcp_socket.rs `basic_usage_v4`: bind + listen, connect with
// a second TcpSocket, accept, and talk.
#[aio::test]
async fn listen_and_connect_v4() {
    let srv = TcpSocket::new_v4().unwrap();
    srv.bind(localhost()).unwrap();
    let listener = srv.listen(128).unwrap();
    let addr = listener.local_addr().unwrap();

    let accept = aio::spawn(async move { listener.accept().await });
    let cli = TcpSocket::new_v4().unwrap();
    let mut client = within(LIMIT, "connect", cli.connect(addr)).await.unwrap();
    let (mut server, peer) = within(LIMIT, "accept", accept).await.unwrap().unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    assert_eq!(client.peer_addr().unwrap(), addr);

    let (res, _) = client.write_all(b"ping".to_vec()).await;
    res.unwrap();
    let (res, buf) = server.read_exact(Vec::with_capacity(4)).await;
    res.unwrap();
    assert_eq!(buf, b"ping");
}

// tokio tests/tcp_socket.rs `basic_usage_v6`.
#[aio::test]
async fn listen_and_connect_v6() {
    let Ok(srv) = TcpSocket::new_v6() else {
        return; // no IPv6 here
    };
    if srv
        .bind(SocketAddr::from((Ipv6Addr::LOCALHOST, 0)))
        .is_err()
    {
        return; // no ::1 here
    }
    let listener = srv.listen(128).unwrap();
    let addr = listener.local_addr().unwrap();
    let accept = aio::spawn(async move { listener.accept().await });
    let client = within(LIMIT, "connect", TcpSocket::new_v6().unwrap().connect(addr))
        .await
        .unwrap();
    let (_server, peer) = within(LIMIT, "accept", accept).await.unwrap().unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
}

#[aio::test]
async fn options_round_trip() {
    let s = TcpSocket::new_v4().unwrap();

    for on in [true, false] {
        s.set_reuseaddr(on).unwrap();
        assert_eq!(s.reuseaddr().unwrap(), on);
        s.set_reuseport(on).unwrap();
        assert_eq!(s.reuseport().unwrap(), on);
        s.set_nodelay(on).unwrap();
        assert_eq!(s.nodelay().unwrap(), on);
        s.set_keepalive(on).unwrap();
        assert_eq!(s.keepalive().unwrap(), on);
    }

    // Linux doubles the size (and clamps it to the sysctl maximum, far
    // above 64 KiB's double on every default system).
    s.set_send_buffer_size(64 * 1024).unwrap();
    assert!(s.send_buffer_size().unwrap() >= 64 * 1024);
    s.set_recv_buffer_size(64 * 1024).unwrap();
    assert!(s.recv_buffer_size().unwrap() >= 64 * 1024);

    assert_eq!(s.linger().unwrap(), None);
    s.set_linger(Some(Duration::from_secs(3))).unwrap();
    assert_eq!(s.linger().unwrap(), Some(Duration::from_secs(3)));
    s.set_linger(None).unwrap();
    assert_eq!(s.linger().unwrap(), None);

    // Before bind: the wildcard address, port 0.
    assert_eq!(
        s.local_addr().unwrap(),
        SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))
    );
    assert!(format!("{s:?}").contains("TcpSocket"));
}

#[aio::test]
async fn nodelay_carries_over_to_the_stream() {
    let listener = aio::net::TcpListener::bind(localhost()).unwrap();
    let addr = listener.local_addr().unwrap();
    let cli = TcpSocket::new_v4().unwrap();
    cli.set_nodelay(true).unwrap();
    let accept = aio::spawn(async move { listener.accept().await });
    let stream = within(LIMIT, "connect", cli.connect(addr)).await.unwrap();
    assert!(stream.nodelay().unwrap());
    drop(within(LIMIT, "accept", accept).await);
}

// tokio's TcpSocket doc example for `set_reuseport`.
#[aio::test]
async fn two_reuseport_sockets_bind_one_port() {
    let a = TcpSocket::new_v4().unwrap();
    a.set_reuseport(true).unwrap();
    a.bind(localhost()).unwrap();
    let addr = a.local_addr().unwrap();
    assert_ne!(addr.port(), 0);

    let b = TcpSocket::new_v4().unwrap();
    b.set_reuseport(true).unwrap();
    b.bind(addr).unwrap();
    assert_eq!(b.local_addr().unwrap(), addr);

    let la = a.listen(16).unwrap();
    let lb = b.listen(16).unwrap();
    assert_eq!(la.local_addr().unwrap(), lb.local_addr().unwrap());

    // Without SO_REUSEPORT the port is taken.
    let c = TcpSocket::new_v4().unwrap();
    let err = c.bind(addr).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
}

#[aio::test]
async fn connect_to_a_refused_port_errors() {
    // A port that was just free: bound, then closed without listening.
    let addr = {
        let s = std::net::TcpListener::bind(localhost()).unwrap();
        s.local_addr().unwrap()
    };
    let err = within(LIMIT, "connect", TcpSocket::new_v4().unwrap().connect(addr))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
}

// tokio tests/tcp_socket.rs `bind_before_connect`.
#[aio::test]
async fn bound_then_connect_uses_the_bound_address() {
    let listener = aio::net::TcpListener::bind(localhost()).unwrap();
    let addr = listener.local_addr().unwrap();

    let cli = TcpSocket::new_v4().unwrap();
    cli.bind(localhost()).unwrap();
    let bound = cli.local_addr().unwrap();
    assert_ne!(bound.port(), 0);

    let accept = aio::spawn(async move { listener.accept().await });
    let stream = within(LIMIT, "connect", cli.connect(addr)).await.unwrap();
    assert_eq!(stream.local_addr().unwrap(), bound);
    let (_server, peer) = within(LIMIT, "accept", accept).await.unwrap().unwrap();
    assert_eq!(peer, bound);
}

#[aio::test]
async fn raw_fd_round_trip() {
    let s = TcpSocket::new_v4().unwrap();
    s.set_reuseaddr(true).unwrap();
    assert_eq!(s.as_fd().as_raw_fd(), s.as_raw_fd());
    let fd = s.into_raw_fd();
    // SAFETY: `fd` was just given up by `into_raw_fd` and is owned here.
    let s = unsafe { TcpSocket::from_raw_fd(fd) };
    assert!(s.reuseaddr().unwrap());
    s.bind(localhost()).unwrap();
    let listener = s.listen(8).unwrap();
    let addr = listener.local_addr().unwrap();
    let accept = aio::spawn(async move { listener.accept().await });
    let _c = within(LIMIT, "connect", TcpSocket::new_v4().unwrap().connect(addr))
        .await
        .unwrap();
    within(LIMIT, "accept", accept).await.unwrap().unwrap();
}

#[aio::test]
async fn ttl_tos_device_and_take_error() {
    // tokio's TcpSocket::{set_ttl, set_tos, bind_device, take_error}
    // (tokio/src/net/tcp/socket.rs doc tests; tests/tcp_socket.rs).
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_ttl(42).unwrap();
    assert_eq!(socket.ttl().unwrap(), 42);
    assert_eq!(
        socket.set_ttl(0).unwrap_err().raw_os_error(),
        Some(libc::EINVAL)
    );
    socket.set_tos(0x10).unwrap();
    assert_eq!(socket.tos().unwrap(), 0x10);
    assert!(socket.take_error().unwrap().is_none());

    // Binding to a device needs CAP_NET_RAW; root in CI has it, a user
    // gets EPERM. Either way the answer is clear, and unbinding works.
    match socket.bind_device(Some(b"lo")) {
        Ok(()) => assert_eq!(socket.device().unwrap().as_deref(), Some(&b"lo"[..])),
        Err(e) => assert_eq!(e.raw_os_error(), Some(libc::EPERM), "{e}"),
    }
    socket.bind_device(None).unwrap();
    assert_eq!(socket.device().unwrap(), None);
    match socket.bind_device(Some(b"no-such-if0")) {
        Err(e) => assert!(
            matches!(e.raw_os_error(), Some(libc::ENODEV | libc::EPERM)),
            "{e}"
        ),
        Ok(()) => panic!("bound to an interface that does not exist"),
    }

    // A refused connect leaves its error behind on a stream socket:
    // take_error reports it once, then clears it.
    let listener = std::net::TcpListener::bind(localhost()).unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let probe = std::net::UdpSocket::bind(localhost()).unwrap();
    let udp = aio::net::UdpSocket::from_std(probe).unwrap();
    udp.connect(addr).await.unwrap();
    // A datagram to a closed UDP port draws an ICMP port unreachable,
    // which the kernel parks as the socket's pending error.
    let _ = udp.send(b"anyone?".to_vec()).await;
    let deadline = std::time::Instant::now() + LIMIT;
    let err = loop {
        if let Some(e) = udp.take_error().unwrap() {
            break e;
        }
        // The error may already have been reported by a call: send again.
        let _ = udp.try_send(b"anyone?");
        assert!(
            std::time::Instant::now() < deadline,
            "no ICMP error arrived"
        );
        aio::time::sleep(Duration::from_millis(5)).await;
    };
    assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED));
    assert!(
        udp.take_error().unwrap().is_none(),
        "take_error clears the error"
    );
}
