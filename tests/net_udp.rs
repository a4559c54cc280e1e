//! UDP as a user sees it: `send_to`/`recv_from`, connected `send`/`recv`,
//! datagram boundaries and truncation, IPv6, `NetConfig`, `from_std`.

mod support;

use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::time::Duration;

use aio::net::{NetConfig, UdpSocket};
use support::{pattern, sockopt_int, within};

const LIMIT: Duration = Duration::from_secs(10);

#[aio::test]
async fn send_to_and_recv_from_carry_data_and_source() {
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    assert_ne!(a_addr.port(), 0);

    let (res, buf) = a.send_to(b"ping".to_vec(), b_addr).await;
    assert_eq!(res.unwrap(), 4);
    assert_eq!(buf, b"ping", "the buffer comes back");
    let (res, got) = within(LIMIT, "recv_from", b.recv_from(Vec::with_capacity(64))).await;
    let (n, from) = res.unwrap();
    assert_eq!((n, from), (4, a_addr));
    assert_eq!(got, b"ping");

    let (res, _) = b.send_to(b"pong!".to_vec(), from).await;
    assert_eq!(res.unwrap(), 5);
    let (res, got) = within(
        LIMIT,
        "recv_from reply",
        a.recv_from(Vec::with_capacity(64)),
    )
    .await;
    assert_eq!(res.unwrap(), (5, b_addr));
    assert_eq!(got, b"pong!");
}

#[aio::test]
async fn connected_send_and_recv() {
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    assert!(a.peer_addr().is_err(), "not connected yet");
    a.connect(b_addr).await.unwrap();
    b.connect(a_addr).await.unwrap();
    assert_eq!(a.peer_addr().unwrap(), b_addr);
    assert_eq!(b.peer_addr().unwrap(), a_addr);

    for i in 0..20u64 {
        let msg = pattern(i, 1 + (i as usize * 97) % 1400);
        let (res, _) = a.send(msg.clone()).await;
        assert_eq!(res.unwrap(), msg.len());
        let (res, got) = within(LIMIT, "recv", b.recv(Vec::with_capacity(2048))).await;
        assert_eq!(res.unwrap(), msg.len());
        assert_eq!(got, msg, "datagram {i}");
    }
    let (res, _) = b.send(b"back".to_vec()).await;
    res.unwrap();
    let (res, got) = a.recv(Vec::with_capacity(16)).await;
    assert_eq!(res.unwrap(), 4);
    assert_eq!(got, b"back");
}

#[aio::test]
async fn datagram_boundaries_are_kept_and_long_ones_truncated() {
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b_addr = b.local_addr().unwrap();
    let sizes = [1usize, 300, 0, 60_000, 7];
    for (i, &len) in sizes.iter().enumerate() {
        let (res, _) = a.send_to(pattern(i as u64, len), b_addr).await;
        assert_eq!(res.unwrap(), len);
    }
    for (i, &len) in sizes.iter().enumerate() {
        let (res, got) = within(LIMIT, "recv_from", b.recv_from(Vec::with_capacity(65_536))).await;
        assert_eq!(res.unwrap().0, len, "datagram {i} arrives whole and alone");
        assert_eq!(got, pattern(i as u64, len));
    }
    // A datagram longer than the buffer is truncated to the buffer.
    let (res, _) = a.send_to(pattern(9, 1000), b_addr).await;
    res.unwrap();
    let (res, got) = b.recv_from(Vec::with_capacity(10)).await;
    assert_eq!(res.unwrap().0, 10);
    assert_eq!(got, pattern(9, 1000)[..10]);
    // ...and the rest of it is gone: the next datagram is the next one.
    let (res, _) = a.send_to(b"next".to_vec(), b_addr).await;
    res.unwrap();
    let (res, got) = b.recv_from(Vec::with_capacity(64)).await;
    assert_eq!(res.unwrap().0, 4);
    assert_eq!(got, b"next");
}

#[aio::test]
async fn many_datagrams_in_flight_from_several_tasks() {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    let echo = aio::spawn(async move {
        let mut buf = Vec::with_capacity(2048);
        loop {
            let (res, b) = server.recv_from(buf).await;
            let (_, from) = res.expect("server recv_from");
            let (res, mut b) = server.send_to(b, from).await;
            res.expect("server send_to");
            b.clear();
            buf = b;
        }
    });
    let mut clients = Vec::new();
    for c in 0..20u64 {
        clients.push(aio::spawn(async move {
            let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
            sock.connect(addr).await.unwrap();
            for i in 0..25u64 {
                let msg = pattern(c * 1000 + i, 32 + (i as usize % 200));
                let (res, _) = sock.send(msg.clone()).await;
                res.unwrap();
                // Loopback UDP doesn't drop under this load, but don't hang
                // the suite if it ever does.
                let (res, got) = within(
                    LIMIT,
                    "echoed datagram",
                    sock.recv(Vec::with_capacity(2048)),
                )
                .await;
                res.unwrap();
                assert_eq!(got, msg);
            }
        }));
    }
    for c in clients {
        c.await.unwrap();
    }
    echo.abort();
}

#[aio::test]
async fn udp_over_ipv6_loopback() {
    let a = match UdpSocket::bind("[::1]:0") {
        Ok(s) => s,
        Err(e)
            if e.raw_os_error() == Some(libc::EADDRNOTAVAIL)
                || e.raw_os_error() == Some(libc::EAFNOSUPPORT) =>
        {
            eprintln!("no IPv6 loopback here, skipped: {e}");
            return;
        }
        Err(e) => panic!("bind [::1]:0: {e}"),
    };
    let b = UdpSocket::bind("[::1]:0").unwrap();
    let b_addr = b.local_addr().unwrap();
    assert!(b_addr.is_ipv6());
    let (res, _) = a.send_to(b"six".to_vec(), b_addr).await;
    res.unwrap();
    let (res, got) = within(LIMIT, "recv_from v6", b.recv_from(Vec::with_capacity(16))).await;
    let (n, from): (usize, SocketAddr) = res.unwrap();
    assert_eq!((n, from), (3, a.local_addr().unwrap()));
    assert_eq!(got, b"six");
}

#[aio::test]
async fn udp_net_config_reaches_the_kernel() {
    let cfg = NetConfig::default()
        .ttl(33)
        .recv_buffer_size(128 * 1024)
        .tos(0x08)
        .reuse_port(true);
    let s = UdpSocket::bind_with("127.0.0.1:0", &cfg).unwrap();
    let fd = s.as_raw_fd();
    assert_eq!(sockopt_int(fd, libc::IPPROTO_IP, libc::IP_TTL), 33);
    assert_eq!(sockopt_int(fd, libc::IPPROTO_IP, libc::IP_TOS), 0x08);
    assert!(sockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF) >= 128 * 1024);
    assert_eq!(sockopt_int(fd, libc::SOL_SOCKET, libc::SO_REUSEPORT), 1);
}

#[aio::test]
async fn udp_from_std() {
    let std_sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = std_sock.local_addr().unwrap();
    let s = UdpSocket::from_std(std_sock).unwrap();
    assert_eq!(s.local_addr().unwrap(), addr);
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (res, _) = peer.send_to(b"adopted".to_vec(), addr).await;
    res.unwrap();
    let (res, got) = within(
        LIMIT,
        "recv_from on adopted socket",
        s.recv_from(Vec::with_capacity(16)),
    )
    .await;
    assert_eq!(res.unwrap(), (7, peer.local_addr().unwrap()));
    assert_eq!(got, b"adopted");
}

#[aio::test]
async fn several_tasks_receiving_on_one_socket_each_get_a_datagram() {
    // `recv_from` takes `&self`: tasks may wait on the same socket at once.
    let server = std::rc::Rc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
    let addr = server.local_addr().unwrap();
    let mut waiters = Vec::new();
    for _ in 0..4 {
        let s = server.clone();
        waiters.push(aio::spawn(async move {
            let (res, got) = s.recv_from(Vec::with_capacity(16)).await;
            res.expect("recv_from");
            got
        }));
    }
    aio::time::sleep(Duration::from_millis(5)).await; // all four parked
                                                      // Meanwhile the same socket can send.
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (res, _) = server
        .send_to(b"hello peer".to_vec(), peer.local_addr().unwrap())
        .await;
    res.unwrap();
    let (res, _) = within(LIMIT, "peer recv", peer.recv_from(Vec::with_capacity(16))).await;
    res.unwrap();
    for i in 0..4u8 {
        let (res, _) = peer.send_to(vec![i], addr).await;
        res.unwrap();
    }
    let mut got = Vec::new();
    for w in waiters {
        got.extend(
            within(LIMIT, "each waiter gets a datagram", w)
                .await
                .unwrap(),
        );
    }
    got.sort_unstable();
    assert_eq!(got, [0, 1, 2, 3]);
}

/// A receive into a buffer with no room is an `InvalidInput` error and
/// does not consume the datagram (a zero-length recvmsg would drop it).
#[aio::test]
async fn recv_from_with_no_room_is_an_error_and_keeps_the_datagram() {
    let a = aio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = aio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    a.send_to(b"kept".to_vec(), b.local_addr().unwrap())
        .await
        .0
        .unwrap();
    let (res, buf) = b.recv_from(Vec::new()).await;
    assert_eq!(res.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    assert!(buf.is_empty());
    let (res, buf) = b.recv_from(Vec::with_capacity(16)).await;
    assert_eq!(res.unwrap().0, 4);
    assert_eq!(buf, b"kept");
}
