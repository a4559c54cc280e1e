//! Unix-domain sockets as a user sees them: streams and datagrams over
//! filesystem paths and abstract names, pairs, addresses, `from_std`.

mod support;

use std::path::Path;
use std::time::Duration;

use aio::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRent, AsyncWriteRentExt};
use aio::net::{UnixDatagram, UnixListener, UnixStream};
use support::{abstract_name, first_difference, pattern, temp_socket_path, within};

const LIMIT: Duration = Duration::from_secs(10);

/// Echoes one connection until EOF.
async fn echo(mut stream: UnixStream) {
    let mut buf = Vec::with_capacity(32 * 1024);
    loop {
        let (res, b) = stream.read(buf).await;
        if res.expect("server read") == 0 {
            return;
        }
        let (res, mut b) = stream.write_all(b).await;
        res.expect("server write");
        b.clear();
        buf = b;
    }
}

/// Sends `data` to an echo peer and reads it back. The write completes
/// before the read starts, so `data` must fit in the socket buffers.
async fn round_trip(stream: &mut UnixStream, data: &[u8]) -> Vec<u8> {
    let (res, _) = within(LIMIT, "echo write", stream.write_all(data.to_vec())).await;
    res.expect("client write");
    let (res, got) = within(
        LIMIT,
        "echo",
        stream.read_exact(Vec::with_capacity(data.len())),
    )
    .await;
    res.expect("client read_exact");
    got
}

/// Removes the socket file when the test ends, even on failure.
struct Unlink<'a>(&'a Path);

impl Drop for Unlink<'_> {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.0);
    }
}

#[aio::test]
async fn stream_over_a_filesystem_path() {
    let path = temp_socket_path("stream");
    let _unlink = Unlink(&path);
    let listener = UnixListener::bind(&path).unwrap();
    assert_eq!(
        listener.local_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );
    let p = path.clone();
    let client = aio::spawn(async move { UnixStream::connect(&p).await });
    let (server, from) = within(LIMIT, "accept", listener.accept()).await.unwrap();
    let mut client = client.await.unwrap().unwrap();
    assert!(from.is_unnamed(), "an unbound client has no name: {from:?}");
    assert_eq!(
        client.peer_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );
    assert_eq!(
        server.local_addr().unwrap().as_pathname(),
        Some(path.as_path())
    );
    aio::spawn(echo(server));
    let data = pattern(1, 48 * 1024);
    let got = round_trip(&mut client, &data).await;
    assert_eq!(first_difference(&got, &data), None);
}

#[aio::test]
async fn stream_over_an_abstract_name() {
    let name = abstract_name("stream");
    let listener = UnixListener::bind(&name).unwrap();
    let addr = listener.local_addr().unwrap();
    assert_eq!(
        addr.as_abstract_name(),
        Some(&name.as_bytes()[1..]),
        "{addr:?}"
    );
    assert_eq!(addr.as_pathname(), None);
    let n = name.clone();
    let client = aio::spawn(async move { UnixStream::connect(&n).await });
    let (server, _) = within(LIMIT, "accept", listener.accept()).await.unwrap();
    let mut client = client.await.unwrap().unwrap();
    assert_eq!(
        client.peer_addr().unwrap().as_abstract_name(),
        Some(&name.as_bytes()[1..])
    );
    aio::spawn(echo(server));
    let got = round_trip(&mut client, b"abstract hello").await;
    assert_eq!(got, b"abstract hello");
}

#[aio::test]
async fn stream_pair_echo_and_shutdown_gives_eof() {
    let (mut a, mut b) = UnixStream::pair().unwrap();
    assert!(a.local_addr().unwrap().is_unnamed());
    assert!(a.peer_addr().unwrap().is_unnamed());
    let (res, _) = a.write_all(b"one way".to_vec()).await;
    res.unwrap();
    a.shutdown().await.unwrap();
    let (res, got) = b.read_exact(Vec::with_capacity(7)).await;
    res.unwrap();
    assert_eq!(got, b"one way");
    let (res, _) = within(LIMIT, "EOF", b.read(Vec::with_capacity(8))).await;
    assert_eq!(res.unwrap(), 0, "shutdown() gives the peer EOF");
    // The other direction still works.
    let (res, _) = b.write_all(b"other way".to_vec()).await;
    res.unwrap();
    let (res, got) = a.read_exact(Vec::with_capacity(9)).await;
    res.unwrap();
    assert_eq!(got, b"other way");
}

#[aio::test]
async fn many_unix_connections_concurrently() {
    let name = abstract_name("many");
    let listener = UnixListener::bind(&name).unwrap();
    let server = aio::spawn(async move {
        loop {
            let (s, _) = listener.accept().await.expect("accept");
            aio::spawn(echo(s));
        }
    });
    let mut clients = Vec::new();
    for i in 0..100u64 {
        let name = name.clone();
        clients.push(aio::spawn(async move {
            let mut s = UnixStream::connect(&name).await.expect("connect");
            let data = pattern(i, 1000 + i as usize * 37);
            let got = round_trip(&mut s, &data).await;
            assert_eq!(got, data, "client {i}");
        }));
    }
    for c in clients {
        within(LIMIT, "client", c).await.unwrap();
    }
    server.abort();
}

#[aio::test]
async fn datagram_over_paths_with_source_addresses() {
    let a_path = temp_socket_path("dgram-a");
    let b_path = temp_socket_path("dgram-b");
    let (_ua, _ub) = (Unlink(&a_path), Unlink(&b_path));
    let a = UnixDatagram::bind(&a_path).unwrap();
    let b = UnixDatagram::bind(&b_path).unwrap();
    assert_eq!(
        a.local_addr().unwrap().as_pathname(),
        Some(a_path.as_path())
    );

    let (res, buf) = a.send_to(b"to b".to_vec(), &b_path).await;
    assert_eq!(res.unwrap(), 4);
    assert_eq!(buf, b"to b");
    let (res, got) = within(LIMIT, "recv_from", b.recv_from(Vec::with_capacity(64))).await;
    let (n, from) = res.unwrap();
    assert_eq!(n, 4);
    assert_eq!(from.as_pathname(), Some(a_path.as_path()));
    assert_eq!(got, b"to b");

    // Boundaries are kept.
    for len in [1usize, 500, 3] {
        let (res, _) = a.send_to(pattern(len as u64, len), &b_path).await;
        res.unwrap();
    }
    for len in [1usize, 500, 3] {
        let (res, got) = b.recv_from(Vec::with_capacity(1024)).await;
        assert_eq!(res.unwrap().0, len);
        assert_eq!(got, pattern(len as u64, len));
    }
}

#[aio::test]
async fn datagram_abstract_connected_and_unbound() {
    let name = abstract_name("dgram");
    let server = UnixDatagram::bind(&name).unwrap();
    assert_eq!(
        server.local_addr().unwrap().as_abstract_name(),
        Some(&name.as_bytes()[1..])
    );

    // An unbound socket can send; its source is unnamed.
    let anon = UnixDatagram::unbound().unwrap();
    let (res, _) = anon.send_to(b"anon".to_vec(), &name).await;
    res.unwrap();
    let (res, got) = within(LIMIT, "recv_from", server.recv_from(Vec::with_capacity(16))).await;
    let (n, from) = res.unwrap();
    assert_eq!(n, 4);
    assert!(from.is_unnamed(), "{from:?}");
    assert_eq!(got, b"anon");

    // Connected: send/recv without addresses.
    let client_name = abstract_name("dgram-client");
    let client = UnixDatagram::bind(&client_name).unwrap();
    client.connect(&name).await.unwrap();
    assert_eq!(
        client.peer_addr().unwrap().as_abstract_name(),
        Some(&name.as_bytes()[1..])
    );
    let (res, _) = client.send(b"connected".to_vec()).await;
    assert_eq!(res.unwrap(), 9);
    let (res, got) = server.recv_from(Vec::with_capacity(16)).await;
    let (_, from) = res.unwrap();
    assert_eq!(from.as_abstract_name(), Some(&client_name.as_bytes()[1..]));
    assert_eq!(got, b"connected");
    let (res, _) = server.send_to(b"reply".to_vec(), &client_name).await;
    res.unwrap();
    let (res, got) = within(LIMIT, "recv", client.recv(Vec::with_capacity(16))).await;
    assert_eq!(res.unwrap(), 5);
    assert_eq!(got, b"reply");
}

#[aio::test]
async fn datagram_pair() {
    let (a, b) = UnixDatagram::pair().unwrap();
    for i in 0..10u64 {
        let msg = pattern(i, 10 + i as usize);
        let (res, _) = a.send(msg.clone()).await;
        res.unwrap();
        let (res, got) = within(LIMIT, "recv", b.recv(Vec::with_capacity(64))).await;
        assert_eq!(res.unwrap(), msg.len());
        assert_eq!(got, msg);
    }
}

#[aio::test]
async fn unix_from_std() {
    let (x, y) = std::os::unix::net::UnixStream::pair().unwrap();
    let mut a = UnixStream::from_std(x).unwrap();
    let mut b = UnixStream::from_std(y).unwrap();
    let (res, _) = a.write_all(b"adopted".to_vec()).await;
    res.unwrap();
    let (res, got) = within(LIMIT, "read", b.read_exact(Vec::with_capacity(7))).await;
    res.unwrap();
    assert_eq!(got, b"adopted");

    let path = temp_socket_path("std-listener");
    let _unlink = Unlink(&path);
    let listener =
        UnixListener::from_std(std::os::unix::net::UnixListener::bind(&path).unwrap()).unwrap();
    let std_client = std::os::unix::net::UnixStream::connect(&path).unwrap();
    let (server, _) = within(LIMIT, "accept", listener.accept()).await.unwrap();
    aio::spawn(echo(server));
    let mut client = UnixStream::from_std(std_client).unwrap();
    assert_eq!(round_trip(&mut client, b"std client").await, b"std client");

    let (dx, dy) = std::os::unix::net::UnixDatagram::pair().unwrap();
    let (dx, dy) = (
        UnixDatagram::from_std(dx).unwrap(),
        UnixDatagram::from_std(dy).unwrap(),
    );
    let (res, _) = dx.send(b"d".to_vec()).await;
    res.unwrap();
    let (res, got) = within(LIMIT, "dgram recv", dy.recv(Vec::with_capacity(4))).await;
    assert_eq!(res.unwrap(), 1);
    assert_eq!(got, b"d");
}

#[aio::test]
async fn read_exact_fills_a_user_buffer_arriving_in_pieces() {
    // A user-implemented IoBufMut whose writable region moves as it fills:
    // the runtime must report each piece with set_init and ask for the
    // region again.
    let log = support::new_log();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let data = pattern(77, 10_000);
    let d = data.clone();
    let writer = aio::spawn(async move {
        for chunk in d.chunks(999) {
            let (res, _) = b.write_all(chunk.to_vec()).await;
            res.unwrap();
            aio::time::sleep(Duration::from_micros(200)).await;
        }
        b
    });
    let buf = support::TrackedBuf::empty(&log, 1, 10_000);
    let (res, buf) = within(LIMIT, "read_exact", a.read_exact(buf)).await;
    assert_eq!(res.unwrap(), 10_000);
    assert_eq!(first_difference(buf.filled(), &data), None);
    drop(buf);
    assert_eq!(support::occurrences(&log, support::Event::BufDropped(1)), 1);
    assert_eq!(support::occurrences(&log, support::Event::Scribbled(1)), 0);
    let _b = writer.await.unwrap();
}

#[aio::test]
async fn small_reads_drain_a_large_write_without_new_wakeups() {
    // The reader parks first, then one large write arrives at once: every
    // later small read must find its data without waiting for another
    // readiness edge.
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let data = pattern(5, 20_000);
    let d = data.clone();
    let writer = aio::spawn(async move {
        aio::time::sleep(Duration::from_millis(5)).await;
        let (res, _) = b.write_all(d).await;
        res.unwrap();
        b
    });
    let mut got = Vec::new();
    while got.len() < data.len() {
        let (res, buf) = within(LIMIT, "small read", a.read(Vec::with_capacity(100))).await;
        let n = res.unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf);
    }
    assert_eq!(got, data);
    let _b = writer.await.unwrap();
}

#[aio::test]
async fn descriptor_numbers_reused_after_cancelled_ops_work_normally() {
    // A cancelled read's socket is closed and its number handed to a new
    // socket: the new socket must not inherit stale registrations.
    for round in 0..50u8 {
        let (mut a, b) = UnixStream::pair().unwrap();
        assert!(
            aio::time::timeout(Duration::from_micros(100), a.read(Vec::with_capacity(8)))
                .await
                .is_err()
        );
        drop((a, b));
        let (mut x, mut y) = UnixStream::pair().unwrap();
        let (res, _) = y.write_all(vec![round]).await;
        res.unwrap();
        let (res, got) = within(
            LIMIT,
            "read on a reused number",
            x.read(Vec::with_capacity(8)),
        )
        .await;
        assert_eq!(res.unwrap(), 1);
        assert_eq!(got, [round]);
    }
}

/// `UnixListener::incoming()` yields connections and `UnixStream::into_split()`
/// gives halves usable from two tasks: the same shapes as TCP.
#[aio::test]
async fn incoming_and_into_split_echo() {
    use aio::buf::IoBufMut;
    use std::future::poll_fn;
    use std::pin::Pin;

    let name = format!(
        "\0aio-split-{}-{:?}",
        std::process::id(),
        aio::Driver::current()
    );
    let listener = aio::net::UnixListener::bind(&name).unwrap();
    let client = aio::spawn({
        let name = name.clone();
        async move {
            let stream = aio::net::UnixStream::connect(&name).await.unwrap();
            let (mut rd, mut wr) = stream.into_split();
            let writer = aio::spawn(async move {
                let (res, _) = wr.write_all(b"split halves".to_vec()).await;
                res.unwrap();
            });
            let (res, buf) = rd
                .read_exact(Vec::<u8>::with_capacity(12).slice_mut(..12))
                .await;
            res.unwrap();
            writer.await.unwrap();
            buf.into_inner()
        }
    });
    let mut incoming = listener.incoming();
    let next = poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut incoming), cx)).await;
    let (mut server, _) = next.expect("a connection").unwrap();
    let (res, buf) = server
        .read_exact(Vec::<u8>::with_capacity(12).slice_mut(..12))
        .await;
    res.unwrap();
    let (res, _) = server.write_all(buf.into_inner()).await;
    res.unwrap();
    assert_eq!(client.await.unwrap(), b"split halves");
}

/// `bind_with`/`connect_with` apply the options that mean something for Unix
/// sockets (backlog, buffer sizes) and ignore the IP/TCP ones.
#[aio::test]
async fn bind_with_and_connect_with_apply_buffer_sizes() {
    use std::os::fd::AsRawFd;
    let name = format!(
        "\0aio-cfg-{}-{:?}",
        std::process::id(),
        aio::Driver::current()
    );
    let cfg = aio::net::NetConfig::default()
        .backlog(16)
        .recv_buffer_size(64 * 1024)
        .tos(0x10)
        .ttl(9);
    let listener = aio::net::UnixListener::bind_with(&name, &cfg).unwrap();
    let client = aio::net::UnixStream::connect_with(&name, &cfg)
        .await
        .unwrap();
    let (_server, _) = listener.accept().await.unwrap();
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes one int through valid pointers.
    let rc = unsafe {
        libc::getsockopt(
            client.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    assert_eq!(rc, 0);
    // The kernel doubles the requested size for bookkeeping.
    assert!(value >= 64 * 1024, "SO_RCVBUF = {value}");
}

/// `UnixDatagram::bind_with` has the same shape as the listener's: buffer
/// sizes apply, IP options are ignored, and the socket works.
#[aio::test]
async fn datagram_bind_with_applies_buffer_sizes() {
    use std::os::fd::AsRawFd;
    let name = format!(
        "\0aio-dgram-cfg-{}-{:?}",
        std::process::id(),
        aio::Driver::current()
    );
    let cfg = aio::net::NetConfig::default()
        .send_buffer_size(96 * 1024)
        .recv_buffer_size(128 * 1024)
        .ttl(9);
    let server = UnixDatagram::bind_with(&name, &cfg).unwrap();
    let sndbuf = support::sockopt_int(server.as_raw_fd(), libc::SOL_SOCKET, libc::SO_SNDBUF);
    let rcvbuf = support::sockopt_int(server.as_raw_fd(), libc::SOL_SOCKET, libc::SO_RCVBUF);
    // The kernel doubles the requested sizes for bookkeeping.
    assert!(sndbuf >= 96 * 1024, "SO_SNDBUF = {sndbuf}");
    assert!(rcvbuf >= 128 * 1024, "SO_RCVBUF = {rcvbuf}");
    let client = UnixDatagram::unbound().unwrap();
    let (res, _) = client.send_to(b"configured".to_vec(), &name).await;
    res.unwrap();
    let (res, got) = server.recv(Vec::with_capacity(32)).await;
    assert_eq!(res.unwrap(), 10);
    assert_eq!(got, b"configured");
}

/// As for TCP: dropping the write half sends end of stream at once.
#[aio::test]
async fn dropping_a_unix_write_half_shuts_down_the_write_side() {
    use aio::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRentExt};
    let (a, mut b) = aio::net::UnixStream::pair().unwrap();
    let (mut rd, wr) = a.into_split();
    drop(wr);
    let (res, _) = b.read(Vec::with_capacity(8)).await;
    assert_eq!(res.unwrap(), 0);
    b.write_all(b"back".to_vec()).await.0.unwrap();
    let (res, buf) = rd.read_exact(Vec::with_capacity(4)).await;
    res.unwrap();
    assert_eq!(buf, b"back");
}
