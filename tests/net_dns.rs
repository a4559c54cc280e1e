//! Name resolution: `aio::net::lookup_host`, and connecting by name without
//! blocking the core on `getaddrinfo` (names go to the blocking pool,
//! numeric addresses never do). `bind` by name stays synchronous.
//!
//! The tests rely only on `localhost`, which resolves from /etc/hosts with
//! no network.

mod support;

use std::future::Future;
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use aio::net::{lookup_host, TcpListener, TcpStream, UdpSocket};
use aio::time::sleep;
use support::within;

const LIMIT: Duration = Duration::from_secs(10);

/// Polls `fut` exactly once, with a waker that does nothing: what the
/// future does on that poll is all it does until polled again.
fn poll_once<F: Future>(fut: Pin<&mut F>) -> Poll<F::Output> {
    fut.poll(&mut Context::from_waker(Waker::noop()))
}

#[aio::test]
async fn lookup_host_resolves_localhost_to_loopback_with_the_port() {
    let addrs: Vec<SocketAddr> = within(LIMIT, "lookup", lookup_host("localhost:80"))
        .await
        .unwrap()
        .collect();
    assert!(!addrs.is_empty());
    for addr in &addrs {
        assert!(addr.ip().is_loopback(), "{addrs:?}");
        assert_eq!(addr.port(), 80, "{addrs:?}");
    }

    // The future does not borrow its argument: it can be spawned.
    let name = String::from("localhost:80");
    let task = aio::spawn(lookup_host(&name));
    drop(name);
    let spawned: Vec<SocketAddr> = within(LIMIT, "spawned lookup", task)
        .await
        .unwrap()
        .unwrap()
        .collect();
    assert_eq!(spawned, addrs);
}

#[aio::test]
async fn lookup_host_returns_a_numeric_address_exactly() {
    for (input, want) in [
        ("127.0.0.1:8080", "127.0.0.1:8080"),
        ("10.1.2.3:1", "10.1.2.3:1"),
        ("[::1]:443", "[::1]:443"),
        ("[fe80::1%7]:9", "[fe80::1%7]:9"),
        // Unbracketed IPv6, as std accepts it.
        ("::1:80", "[::1]:80"),
    ] {
        let got: Vec<SocketAddr> = lookup_host(input).await.unwrap().collect();
        assert_eq!(got, [want.parse::<SocketAddr>().unwrap()], "{input}");
    }
}

#[aio::test]
async fn lookup_host_rejects_malformed_strings_with_an_error() {
    for bad in [
        "",
        "not an address",
        "localhost",
        "localhost:http",
        "localhost:65536",
        "127.0.0.1:-1",
    ] {
        let err = match lookup_host(bad).await {
            Ok(addrs) => panic!("{bad:?} resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(e) => e,
        };
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}: {err}");
    }
}

/// The structural half of "names resolve off the core": a numeric address
/// is answered on the first poll (no pool, no extra wake), while a name is
/// not (its lookup went to the blocking pool, which wakes the task when
/// `getaddrinfo` returns).
#[aio::test]
async fn numeric_lookups_finish_on_the_first_poll_and_names_do_not() {
    let mut numeric = pin!(lookup_host("127.0.0.1:80"));
    match poll_once(numeric.as_mut()) {
        Poll::Ready(Ok(mut addrs)) => {
            assert_eq!(addrs.next(), Some(SocketAddr::from(([127, 0, 0, 1], 80))));
        }
        Poll::Ready(Err(e)) => panic!("numeric lookup failed: {e}"),
        Poll::Pending => panic!("a numeric address must not wait for anything"),
    }

    let mut name = pin!(lookup_host("localhost:80"));
    assert!(
        poll_once(name.as_mut()).is_pending(),
        "a name must be resolved on the blocking pool, not inside poll"
    );
    // Polled again with the task's own waker, it finishes.
    let addrs: Vec<_> = within(LIMIT, "lookup after the first poll", name)
        .await
        .unwrap()
        .collect();
    assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
}

/// Fails on a runtime that resolves names on the core thread.
///
/// One poll of `TcpStream::connect("localhost:PORT")`, then never again.
/// If that poll resolved the name in place (calling `getaddrinfo` on the
/// core thread, blocking every other task on it), it went on to create the
/// socket and start the connect, and the kernel completes a loopback
/// connect on its own: the listener has a connection after a while. If the
/// poll only handed the lookup to the blocking pool, nothing re-polls the
/// future (its waker does nothing), so no connect ever starts. The numeric
/// connect next to it shows the listener does see a connect started by a
/// single poll.
#[aio::test]
async fn connect_by_name_hands_the_lookup_off_instead_of_resolving_in_poll() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let port = std_listener.local_addr().unwrap().port();

    let mut by_name = pin!(TcpStream::connect(format!("localhost:{port}")));
    assert!(
        poll_once(by_name.as_mut()).is_pending(),
        "the first poll of a connect by name must hand the lookup to the pool"
    );
    // Time for the runtime to submit and the kernel to finish anything that
    // poll started.
    sleep(Duration::from_millis(200)).await;
    match std_listener.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        Ok((_, from)) => panic!(
            "one poll of a connect by name connected (from {from}): the name was resolved \
             on the core thread"
        ),
        Err(e) => panic!("accept: {e}"),
    }

    // Contrast: one poll of a numeric connect does start the connect.
    let mut numeric = pin!(TcpStream::connect(("127.0.0.1", port)));
    let first = poll_once(numeric.as_mut());
    assert!(
        !matches!(first, Poll::Ready(Err(_))),
        "numeric connect failed"
    );
    let accepted = within(LIMIT, "the numeric connect's connection", async {
        loop {
            match std_listener.accept() {
                Ok(conn) => return conn,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    sleep(Duration::from_millis(1)).await
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
    })
    .await;
    drop(accepted);

    // Driven to the end, the connect by name succeeds.
    let stream = within(LIMIT, "connect by name", by_name).await.unwrap();
    assert_eq!(stream.peer_addr().unwrap().port(), port);
    assert!(stream.peer_addr().unwrap().ip().is_loopback());
}

/// The UDP twin of the test above: a socket connected by the first poll
/// would have a peer address after a while; one whose lookup went to the
/// pool (and is never polled again) stays unconnected.
#[aio::test]
async fn udp_connect_by_name_hands_the_lookup_off_instead_of_resolving_in_poll() {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();

    let name = format!("localhost:{port}");
    let mut by_name = pin!(client.connect(&*name));
    assert!(
        poll_once(by_name.as_mut()).is_pending(),
        "the first poll of a connect by name must hand the lookup to the pool"
    );
    sleep(Duration::from_millis(200)).await;
    if let Ok(peer) = client.peer_addr() {
        panic!("one poll of a connect by name connected to {peer}: the name was resolved on the core thread");
    }

    within(LIMIT, "udp connect by name", by_name).await.unwrap();
    assert_eq!(client.peer_addr().unwrap(), server.local_addr().unwrap());
}

#[aio::test]
async fn tcp_connect_by_name_reaches_the_listener() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let port = addr.port();

    let host_port = format!("localhost:{port}");
    let (client, accepted) = within(LIMIT, "connect \"localhost:PORT\"", async {
        let client = aio::spawn(TcpStream::connect(host_port));
        let accepted = listener.accept().await.unwrap();
        (client.await.unwrap().unwrap(), accepted)
    })
    .await;
    assert_eq!(client.peer_addr().unwrap(), addr);
    assert_eq!(accepted.1, client.local_addr().unwrap());

    // The (host, port) form, and connect_with, resolve the same way.
    let (client, _) = within(LIMIT, "connect (\"localhost\", PORT)", async {
        let client = aio::spawn(async move {
            TcpStream::connect_with(("localhost", port), &aio::net::NetConfig::default()).await
        });
        let accepted = listener.accept().await.unwrap();
        (client.await.unwrap().unwrap(), accepted)
    })
    .await;
    assert_eq!(client.peer_addr().unwrap(), addr);
}

#[aio::test]
async fn udp_connect_by_name_sets_the_peer() {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server_addr = server.local_addr().unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    within(
        LIMIT,
        "udp connect by name",
        client.connect(format!("localhost:{}", server_addr.port())),
    )
    .await
    .unwrap();
    assert_eq!(client.peer_addr().unwrap(), server_addr);

    let (res, _) = client.send(b"hi".to_vec()).await;
    assert_eq!(res.unwrap(), 2);
    let (res, got) = within(LIMIT, "recv_from", server.recv_from(Vec::with_capacity(8))).await;
    assert_eq!(res.unwrap(), (2, client.local_addr().unwrap()));
    assert_eq!(got, b"hi");
}

#[aio::test]
async fn connect_to_a_malformed_address_is_invalid_input() {
    for bad in ["not an address", "localhost", "localhost:port"] {
        let err = within(LIMIT, "connect", TcpStream::connect(bad))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}: {err}");
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let err = udp.connect(bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}: {err}");
    }
    let none: &[SocketAddr] = &[];
    let err = TcpStream::connect(none).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

/// `bind` resolves synchronously (documented); with a name it still works.
#[aio::test]
async fn bind_by_name_still_works() {
    let listener = TcpListener::bind("localhost:0").unwrap();
    assert!(listener.local_addr().unwrap().ip().is_loopback());
    let udp = UdpSocket::bind(("localhost", 0)).unwrap();
    assert!(udp.local_addr().unwrap().ip().is_loopback());
    // Every std-style address form is accepted.
    let v4 = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let _ = TcpListener::bind(v4).unwrap();
    let _ = TcpListener::bind((IpAddr::from(Ipv4Addr::LOCALHOST), 0)).unwrap();
    let _ = TcpListener::bind(String::from("127.0.0.1:0")).unwrap();
    let _ = TcpListener::bind(&[v4][..]).unwrap();
}
