//! TCP as a user sees it: echo (8 MiB byte for byte, IPv4 and IPv6, 1,000
//! concurrent connections), `incoming()`, addresses, nodelay, half-close,
//! `NetConfig` options as the kernel reports them, and `from_std`.

mod support;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::Duration;

use aio::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRent, AsyncWriteRentExt};
use aio::net::{NetConfig, TcpListener, TcpStream};
use support::{first_difference, next, pattern, sockopt_int, within};

const LIMIT: Duration = Duration::from_secs(20);

/// Echoes everything read on `stream` until EOF, then closes it.
async fn echo(mut stream: TcpStream) -> io::Result<u64> {
    let mut total = 0;
    let mut buf = Vec::with_capacity(64 * 1024);
    loop {
        let (res, b) = stream.read(buf).await;
        let n = res?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
        let (res, mut b) = stream.write_all(b).await;
        res?;
        b.clear();
        buf = b;
    }
}

/// Accepts connections forever, echoing each in its own task.
fn spawn_echo_server(listener: TcpListener) -> aio::JoinHandle<()> {
    aio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.expect("accept");
            aio::spawn(echo(stream));
        }
    })
}

/// Sends `data` through an echo server at `addr` with the write and read
/// halves in separate tasks, and returns what came back.
async fn round_trip(addr: SocketAddr, data: Rc<Vec<u8>>) -> Vec<u8> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut rd, mut wr) = stream.into_split();
    let expect = data.len();
    let writer = aio::spawn(async move {
        // Several writes of odd sizes, then a half-close.
        let mut off = 0;
        while off < data.len() {
            let end = (off + 1_000_003).min(data.len());
            let (res, _) = wr.write_all(data[off..end].to_vec()).await;
            res.expect("write_all");
            off = end;
        }
        wr.shutdown().await.expect("shutdown");
    });
    let mut got = Vec::with_capacity(expect);
    loop {
        got.reserve(256 * 1024);
        let (res, g) = rd.read(got).await;
        got = g;
        if res.expect("read") == 0 {
            break;
        }
    }
    writer.await.expect("writer task");
    got
}

#[aio::test]
async fn echo_8_mib_byte_for_byte() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = aio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        echo(stream).await.expect("echo")
    });
    let data = Rc::new(pattern(8, 8 << 20));
    let got = within(LIMIT, "8 MiB echo", round_trip(addr, data.clone())).await;
    assert_eq!(got.len(), data.len(), "echoed length");
    assert_eq!(first_difference(&got, &data), None, "echoed bytes differ");
    assert_eq!(server.await.unwrap(), 8 << 20, "server saw every byte once");
}

#[aio::test]
async fn echo_over_ipv6_loopback() {
    let listener = match TcpListener::bind("[::1]:0") {
        Ok(l) => l,
        Err(e)
            if e.raw_os_error() == Some(libc::EADDRNOTAVAIL)
                || e.raw_os_error() == Some(libc::EAFNOSUPPORT) =>
        {
            eprintln!("no IPv6 loopback here, skipped: {e}");
            return;
        }
        Err(e) => panic!("bind [::1]:0: {e}"),
    };
    let addr = listener.local_addr().unwrap();
    assert!(addr.is_ipv6() && addr.ip().is_loopback(), "{addr}");
    let server = spawn_echo_server(listener);
    let data = Rc::new(pattern(6, 300_000));
    let got = within(LIMIT, "IPv6 echo", round_trip(addr, data.clone())).await;
    assert_eq!(first_difference(&got, &data), None);
    server.abort();
}

#[aio::test]
async fn thousand_concurrent_connections_all_echo() {
    const N: usize = 1000;
    support::raise_nofile(4 * N as u64 + 256);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = spawn_echo_server(listener);

    // Phase 1: open every connection and hold it, so that all 1,000 are
    // established at once; phase 2: every client echoes concurrently.
    let connected = Rc::new(std::cell::Cell::new(0usize));
    let go = Rc::new(aio::sync::Notify::new());
    let mut clients = Vec::with_capacity(N);
    for i in 0..N {
        let connected = connected.clone();
        let go = go.clone();
        clients.push(aio::spawn(async move {
            let notified = go.notified();
            let mut stream = TcpStream::connect(addr).await.expect("connect");
            connected.set(connected.get() + 1);
            notified.await;
            let msg = pattern(i as u64, 64 + i % 512);
            let (res, _) = stream.write_all(msg.clone()).await;
            res.expect("write");
            let (res, back) = stream.read_exact(Vec::with_capacity(msg.len())).await;
            res.expect("read_exact");
            assert_eq!(back, msg, "client {i} got someone else's bytes");
            i
        }));
    }
    within(
        LIMIT,
        "1,000 connects",
        support::wait_until(LIMIT, "all clients connected", || connected.get() == N),
    )
    .await;
    go.notify_waiters();
    let mut done = vec![false; N];
    for c in clients {
        let i = within(LIMIT, "1,000 echoes", c).await.expect("client task");
        done[i] = true;
    }
    assert!(done.iter().all(|d| *d));
    server.abort();
}

#[aio::test]
async fn incoming_yields_each_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let clients = aio::spawn(async move {
        let mut out = Vec::new();
        for _ in 0..3 {
            out.push(TcpStream::connect(addr).await.expect("connect"));
        }
        out
    });
    let mut incoming = listener.incoming();
    let mut peers = Vec::new();
    for _ in 0..3 {
        let (stream, peer) = within(LIMIT, "incoming", next(&mut incoming))
            .await
            .expect("never ends")
            .unwrap();
        assert_eq!(stream.peer_addr().unwrap(), peer);
        peers.push(peer);
    }
    let clients = clients.await.unwrap();
    let mut locals: Vec<SocketAddr> = clients.iter().map(|c| c.local_addr().unwrap()).collect();
    locals.sort();
    peers.sort();
    assert_eq!(
        peers, locals,
        "incoming() yields exactly the connecting clients"
    );
}

#[aio::test]
async fn local_and_peer_addresses_match() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    assert_eq!(addr.ip(), Ipv4Addr::LOCALHOST);
    assert_ne!(addr.port(), 0, "an ephemeral port was assigned");
    let (client, accepted) = connect_pair(&listener, None).await;
    let client = client.unwrap();
    let (server, from) = accepted.unwrap();
    assert_eq!(client.peer_addr().unwrap(), addr);
    assert_eq!(server.local_addr().unwrap(), addr);
    assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());
    assert_eq!(from, client.local_addr().unwrap());
    let (rd, wr) = client.into_split();
    assert_eq!(rd.peer_addr().unwrap(), addr);
    assert_eq!(wr.peer_addr().unwrap(), addr);
    assert_eq!(rd.local_addr().unwrap(), from);
    assert_eq!(wr.local_addr().unwrap(), from);
}

/// Connects a client to `listener` (the connect in a task, the accept
/// here) and returns both ends: (client, (accepted, peer address)). With
/// no config the client uses plain `TcpStream::connect`.
async fn connect_pair(
    listener: &TcpListener,
    cfg: Option<NetConfig>,
) -> (io::Result<TcpStream>, io::Result<(TcpStream, SocketAddr)>) {
    let addr = listener.local_addr().unwrap();
    let client = aio::spawn(async move {
        match cfg {
            Some(cfg) => TcpStream::connect_with(addr, &cfg).await,
            None => TcpStream::connect(addr).await,
        }
    });
    let accepted = listener.accept().await;
    (client.await.expect("connect task"), accepted)
}

#[aio::test]
async fn nodelay_defaults_on_and_can_be_changed() {
    assert_eq!(
        NetConfig::default(),
        NetConfig::default().nodelay(true),
        "default NetConfig has nodelay on"
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (client, accepted) = connect_pair(&listener, None).await;
    let client = client.unwrap();
    let (server, _) = accepted.unwrap();
    for (who, s) in [("connected", &client), ("accepted", &server)] {
        assert!(
            s.nodelay().unwrap(),
            "{who} stream has nodelay on by default"
        );
        assert_eq!(
            sockopt_int(s.as_raw_fd(), libc::IPPROTO_TCP, libc::TCP_NODELAY),
            1,
            "{who}: kernel agrees"
        );
    }
    client.set_nodelay(false).unwrap();
    assert!(!client.nodelay().unwrap());
    assert_eq!(
        sockopt_int(client.as_raw_fd(), libc::IPPROTO_TCP, libc::TCP_NODELAY),
        0
    );
    client.set_nodelay(true).unwrap();
    assert!(client.nodelay().unwrap());
}

#[aio::test]
async fn shutdown_gives_the_peer_eof_and_keeps_the_other_direction() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (client, accepted) = connect_pair(&listener, None).await;
    let mut client = client.unwrap();
    let (mut server, _) = accepted.unwrap();

    let (res, _) = client.write_all(b"last words".to_vec()).await;
    res.unwrap();
    client.shutdown().await.unwrap();

    let (res, got) = server.read_exact(Vec::with_capacity(10)).await;
    res.unwrap();
    assert_eq!(got, b"last words");
    let (res, got) = within(
        LIMIT,
        "EOF after shutdown",
        server.read(Vec::with_capacity(16)),
    )
    .await;
    assert_eq!(res.unwrap(), 0, "peer sees EOF after shutdown()");
    assert!(got.is_empty());

    // Half-close: the other direction still works.
    let (res, _) = server.write_all(b"reply".to_vec()).await;
    res.unwrap();
    let (res, got) = client.read_exact(Vec::with_capacity(5)).await;
    res.unwrap();
    assert_eq!(got, b"reply");
    drop(server);
    let (res, _) = within(
        LIMIT,
        "EOF after close",
        client.read(Vec::with_capacity(16)),
    )
    .await;
    assert_eq!(res.unwrap(), 0);
}

#[aio::test]
async fn net_config_options_reach_the_kernel() {
    let cfg = NetConfig::default()
        .reuse_port(true)
        .backlog(16)
        .keepalive(Some(Duration::from_secs(37)))
        .recv_buffer_size(64 * 1024)
        .send_buffer_size(96 * 1024)
        .tos(0x10)
        .ttl(42);
    let listener = TcpListener::bind_with("127.0.0.1:0", &cfg).unwrap();
    let addr = listener.local_addr().unwrap();
    let lfd = listener.as_raw_fd();
    assert_eq!(
        sockopt_int(lfd, libc::SOL_SOCKET, libc::SO_REUSEADDR),
        1,
        "reuse_addr is on by default"
    );
    assert_eq!(
        sockopt_int(lfd, libc::SOL_SOCKET, libc::SO_REUSEPORT),
        1,
        "reuse_port"
    );
    assert_eq!(sockopt_int(lfd, libc::IPPROTO_IP, libc::IP_TTL), 42, "ttl");
    assert_eq!(
        sockopt_int(lfd, libc::IPPROTO_IP, libc::IP_TOS),
        0x10,
        "tos"
    );
    // The kernel doubles SO_RCVBUF/SO_SNDBUF for bookkeeping.
    assert!(
        sockopt_int(lfd, libc::SOL_SOCKET, libc::SO_RCVBUF) >= 64 * 1024,
        "recv_buffer_size"
    );
    assert!(
        sockopt_int(lfd, libc::SOL_SOCKET, libc::SO_SNDBUF) >= 96 * 1024,
        "send_buffer_size"
    );

    // reuse_port lets a second listener share the port.
    let twin =
        TcpListener::bind_with(addr, &cfg).expect("second SO_REUSEPORT listener on the same port");
    drop(twin);

    let client_cfg = NetConfig::default()
        .nodelay(false)
        .keepalive(Some(Duration::from_secs(41)))
        .ttl(7);
    let (client, accepted) = connect_pair(&listener, Some(client_cfg)).await;
    let client = client.unwrap();
    let (server, _) = accepted.unwrap();
    let cfd = client.as_raw_fd();
    assert_eq!(
        sockopt_int(cfd, libc::IPPROTO_TCP, libc::TCP_NODELAY),
        0,
        "nodelay(false) on connect_with"
    );
    assert!(!client.nodelay().unwrap());
    assert_eq!(
        sockopt_int(cfd, libc::SOL_SOCKET, libc::SO_KEEPALIVE),
        1,
        "keepalive on connect_with"
    );
    assert_eq!(
        sockopt_int(cfd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE),
        41,
        "keepalive idle on connect_with"
    );
    assert_eq!(
        sockopt_int(cfd, libc::IPPROTO_IP, libc::IP_TTL),
        7,
        "ttl on connect_with"
    );

    // Accepted streams get the listener's stream options.
    let sfd = server.as_raw_fd();
    assert_eq!(
        sockopt_int(sfd, libc::IPPROTO_TCP, libc::TCP_NODELAY),
        1,
        "accepted: nodelay"
    );
    assert_eq!(
        sockopt_int(sfd, libc::SOL_SOCKET, libc::SO_KEEPALIVE),
        1,
        "accepted: keepalive"
    );
    assert_eq!(
        sockopt_int(sfd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE),
        37,
        "accepted: keepalive idle"
    );
    assert_eq!(
        sockopt_int(sfd, libc::IPPROTO_IP, libc::IP_TOS),
        0x10,
        "accepted: tos"
    );
}

#[aio::test]
async fn net_config_ipv6_options_reach_the_kernel() {
    let cfg = NetConfig::default().ipv6_only(true).hop_limit(9).tos(0x20);
    let listener = match TcpListener::bind_with("[::1]:0", &cfg) {
        Ok(l) => l,
        Err(e)
            if e.raw_os_error() == Some(libc::EADDRNOTAVAIL)
                || e.raw_os_error() == Some(libc::EAFNOSUPPORT) =>
        {
            eprintln!("no IPv6 loopback here, skipped: {e}");
            return;
        }
        Err(e) => panic!("bind [::1]:0: {e}"),
    };
    let fd = listener.as_raw_fd();
    assert_eq!(
        sockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY),
        1,
        "ipv6_only"
    );
    assert_eq!(
        sockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS),
        9,
        "hop_limit"
    );
    assert_eq!(
        sockopt_int(fd, libc::IPPROTO_IPV6, libc::IPV6_TCLASS),
        0x20,
        "tos as traffic class"
    );
}

#[aio::test]
async fn from_std_listener_and_stream_work() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let listener = TcpListener::from_std(std_listener).unwrap();
    assert_eq!(listener.local_addr().unwrap(), addr);
    let server = spawn_echo_server(listener);

    // A blocking std connect to a listening socket completes from the
    // backlog without the server's help.
    let std_stream = std::net::TcpStream::connect(addr).unwrap();
    let mut stream = TcpStream::from_std(std_stream).unwrap();
    assert_eq!(stream.peer_addr().unwrap(), addr);
    let msg = pattern(3, 100_000);
    let (res, _) = stream.write_all(msg.clone()).await;
    res.unwrap();
    let (res, back) = within(
        LIMIT,
        "from_std echo",
        stream.read_exact(Vec::with_capacity(msg.len())),
    )
    .await;
    res.unwrap();
    assert_eq!(first_difference(&back, &msg), None);
    server.abort();
}

#[aio::test]
async fn vectored_io_and_read_exact_over_tcp() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = spawn_echo_server(listener);
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let parts = vec![b"alpha-".to_vec(), b"beta-".to_vec(), b"gamma".to_vec()];
    let (res, parts) = stream.writev_all(parts).await;
    assert_eq!(res.unwrap(), 16);
    assert_eq!(parts.len(), 3, "buffers come back");
    let (res, bufs) = within(
        LIMIT,
        "readv",
        stream.readv(vec![Vec::with_capacity(6), Vec::with_capacity(10)]),
    )
    .await;
    let n = res.unwrap();
    assert!(n > 0);
    let joined: Vec<u8> = bufs.concat();
    assert_eq!(joined.len(), n);
    assert_eq!(&b"alpha-beta-gamma"[..n], &joined[..]);
    server.abort();
}

/// A read into a buffer with no room (a `Vec` without spare capacity) is
/// an `InvalidInput` error saying how to size it, at once: never `Ok(0)`,
/// which would look like end of stream. Nothing is consumed.
#[aio::test]
async fn a_read_into_a_buffer_with_no_room_is_an_error_not_eof() {
    use aio::io::AsyncReadRentExt;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (client, accepted) = connect_pair(&listener, None).await;
    let mut client = client.unwrap();
    let (mut server, _) = accepted.unwrap();
    client.write_all(b"data".to_vec()).await.0.unwrap();
    for buf in [Vec::new(), vec![0u8; 16], Vec::from(*b"full")] {
        let before = buf.clone();
        let (res, back) = within(Duration::from_secs(2), "no-room read", server.read(buf)).await;
        let err = res.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("with_capacity"), "{err}");
        assert_eq!(back, before, "the buffer comes back as it was");
        let (res, back) = server.read_exact(back).await;
        assert_eq!(res.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
        assert_eq!(back, before);
    }
    // The data is still there.
    let (res, buf) = server.read_exact(Vec::with_capacity(4)).await;
    res.unwrap();
    assert_eq!(buf, b"data");
}

#[aio::test]
async fn zero_length_writes_complete_at_once() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (client, accepted) = connect_pair(&listener, None).await;
    let mut client = client.unwrap();
    let (mut server, _) = accepted.unwrap();
    let (res, buf) = within(
        Duration::from_secs(2),
        "empty write",
        client.write(Vec::new()),
    )
    .await;
    assert_eq!(res.unwrap(), 0);
    assert!(buf.is_empty());
    let (res, _) = within(
        Duration::from_secs(2),
        "empty write_all",
        client.write_all(Vec::new()),
    )
    .await;
    assert_eq!(res.unwrap(), 0);
    // A full buffer makes read_exact an InvalidInput error at once (it
    // would otherwise read nothing and report success).
    let (res, full) = within(
        Duration::from_secs(2),
        "read_exact of nothing",
        server.read_exact(Vec::from(*b"ab")),
    )
    .await;
    assert_eq!(res.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    assert_eq!(full, b"ab");
    // The stream still works.
    let (res, _) = client.write_all(b"after".to_vec()).await;
    res.unwrap();
    let (res, got) = server.read_exact(Vec::with_capacity(5)).await;
    res.unwrap();
    assert_eq!(got, b"after");
}

#[aio::test]
async fn slices_write_and_read_exactly_their_range() {
    use aio::buf::{IoBuf, IoBufMut};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (client, accepted) = connect_pair(&listener, None).await;
    let mut client = client.unwrap();
    let (mut server, _) = accepted.unwrap();
    let data = b"0123456789".to_vec();
    let (res, slice) = client.write_all(data.slice(3..7)).await;
    assert_eq!(res.unwrap(), 4);
    assert_eq!(
        slice.into_inner(),
        b"0123456789",
        "the whole buffer comes back"
    );
    // Read exactly 4 bytes after what the Vec already holds.
    let mut buf = Vec::with_capacity(64);
    buf.extend_from_slice(b"<<");
    let (res, slice) = within(
        LIMIT,
        "read_exact into slice",
        server.read_exact(buf.slice_mut(..4)),
    )
    .await;
    assert_eq!(res.unwrap(), 4);
    assert_eq!(slice.into_inner(), b"<<3456");
}

#[aio::test]
async fn read_exact_at_eof_is_unexpected_eof_with_the_partial_data() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (client, accepted) = connect_pair(&listener, None).await;
    let mut client = client.unwrap();
    let (mut server, _) = accepted.unwrap();
    let (res, _) = client.write_all(b"abc".to_vec()).await;
    res.unwrap();
    client.shutdown().await.unwrap();
    let (res, buf) = within(
        LIMIT,
        "read_exact at EOF",
        server.read_exact(Vec::with_capacity(10)),
    )
    .await;
    assert_eq!(res.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(buf, b"abc", "the bytes read before EOF are kept");
}

#[aio::test]
async fn large_vectored_writes_and_reads_cross_buffer_boundaries() {
    // writev_all over several large buffers needs partial writes that end
    // inside a buffer; readv fills buffers in order.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (client, accepted) = connect_pair(&listener, None).await;
    let client = client.unwrap();
    let (server, _) = accepted.unwrap();
    let parts: Vec<Vec<u8>> = (0..5)
        .map(|i| pattern(100 + i, 700_001 + i as usize * 13))
        .collect();
    let expect: Vec<u8> = parts.concat();
    let total = expect.len();
    let (_, mut wr) = client.into_split();
    let writer = aio::spawn(async move {
        let (res, parts) = wr.writev_all(parts).await;
        assert_eq!(res.unwrap(), total);
        assert_eq!(parts.len(), 5, "the buffers come back");
        wr.shutdown().await.unwrap();
    });
    let (mut rd, _keep) = server.into_split();
    let mut got = Vec::with_capacity(total);
    loop {
        let bufs = vec![
            Vec::with_capacity(100_000),
            Vec::with_capacity(37),
            Vec::with_capacity(250_000),
        ];
        let (res, bufs) = within(LIMIT, "readv", rd.readv(bufs)).await;
        let n = res.unwrap();
        if n == 0 {
            break;
        }
        let filled: usize = bufs.iter().map(Vec::len).sum();
        assert_eq!(filled, n, "readv sets each buffer's length");
        // Buffers fill in order: a later one has data only if the earlier
        // ones are full.
        for w in bufs.windows(2) {
            assert!(w[1].is_empty() || w[0].len() == w[0].capacity());
        }
        for b in &bufs {
            got.extend_from_slice(b);
        }
    }
    writer.await.unwrap();
    assert_eq!(got.len(), total);
    assert_eq!(first_difference(&got, &expect), None);
}

/// Dropping an `OwnedWriteHalf` sends FIN while the read half lives (as
/// tokio does): the peer reads end of stream and can still send back.
#[aio::test]
async fn dropping_the_write_half_shuts_down_the_write_side() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (client, accepted) = connect_pair(&listener, None).await;
    let mut client = client.unwrap();
    let (server, _) = accepted.unwrap();
    let (mut rd, wr) = server.into_split();
    drop(wr);
    let (res, _) = within(
        Duration::from_secs(2),
        "peer sees FIN",
        client.read(Vec::with_capacity(8)),
    )
    .await;
    assert_eq!(res.unwrap(), 0);
    client.write_all(b"still".to_vec()).await.0.unwrap();
    let (res, buf) = rd.read_exact(Vec::with_capacity(5)).await;
    res.unwrap();
    assert_eq!(buf, b"still");
}
