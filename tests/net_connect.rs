//! `TcpStream::connect_timeout` and RFC 8305-style attempts over several
//! addresses: a black-holed address costs the 250 ms stagger, not a whole
//! connect timeout; a refused one starts the next at once. Both drivers.

mod support;

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use aio::net::{NetConfig, TcpListener, TcpStream};

/// A listener whose accept queue is full, so the kernel drops new SYNs: a
/// connect to it hangs (until retransmissions give up, minutes later).
/// Returns the address and what keeps it full.
async fn black_hole() -> (SocketAddr, TcpListener, Vec<std::net::TcpStream>) {
    let listener = TcpListener::bind_with("127.0.0.1:0", &NetConfig::default().backlog(1)).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    // backlog 1 queues two; a few more make sure, each bounded by a timeout.
    for _ in 0..4 {
        if let Ok(s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            fillers.push(s);
        }
    }
    (addr, listener, fillers)
}

#[aio::test]
async fn connect_timeout_to_a_black_hole_times_out_on_time() {
    let (addr, _l, _f) = black_hole().await;
    let start = Instant::now();
    let err = TcpStream::connect_timeout(addr, Duration::from_millis(300))
        .await
        .unwrap_err();
    let took = start.elapsed();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(took >= Duration::from_millis(300), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[aio::test]
async fn connect_timeout_returns_a_fast_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let stream = TcpStream::connect_timeout(listener.local_addr().unwrap(), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(stream.peer_addr().unwrap(), listener.local_addr().unwrap());
    // By name too: the deadline covers the lookup.
    let port = listener.local_addr().unwrap().port();
    TcpStream::connect_timeout(("localhost", port), Duration::from_secs(5))
        .await
        .unwrap();
}

/// The first address never answers: the second is tried 250 ms later,
/// alongside it, and wins. Tried one after the other, this would time out.
#[aio::test]
async fn a_black_holed_first_address_costs_the_stagger_only() {
    let (hole, _l, _f) = black_hole().await;
    let good = TcpListener::bind("127.0.0.1:0").unwrap();
    let addrs = [hole, good.local_addr().unwrap()];
    let start = Instant::now();
    let stream = TcpStream::connect_timeout(&addrs[..], Duration::from_secs(5))
        .await
        .expect("the second address answers");
    let took = start.elapsed();
    assert_eq!(stream.peer_addr().unwrap(), good.local_addr().unwrap());
    assert!(
        took >= Duration::from_millis(240),
        "started the second too early: {took:?}"
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
}

/// A refused address starts the next one at once.
#[aio::test]
async fn a_refused_first_address_moves_on_at_once() {
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap() // closed when `l` drops: connects are refused
    };
    let good = TcpListener::bind("127.0.0.1:0").unwrap();
    let start = Instant::now();
    let stream = TcpStream::connect(&[refused, good.local_addr().unwrap()][..])
        .await
        .unwrap();
    assert_eq!(stream.peer_addr().unwrap(), good.local_addr().unwrap());
    assert!(
        start.elapsed() < Duration::from_millis(200),
        "{:?}",
        start.elapsed()
    );
}

/// Every address refused: the last error comes back.
#[aio::test]
async fn all_addresses_refused_is_the_last_error() {
    let mut addrs = Vec::new();
    for _ in 0..3 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        addrs.push(l.local_addr().unwrap());
    }
    let err = TcpStream::connect(&addrs[..]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
}
