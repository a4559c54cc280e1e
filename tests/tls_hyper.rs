#![cfg(all(feature = "rustls", feature = "hyper"))]
//! HTTPS through hyper on aio: `aio::tls::DuplexTlsStream` (from
//! `TlsStream::into_duplex`) under `aio::compat::Compat`. HTTP/1.1
//! keep-alive with bodies up to 1 MiB both ways, h2 chosen by ALPN with 50
//! concurrent streams, close_notify on `shutdown_shared`, and a dropped
//! read breaking only the read direction. On both drivers.

mod support;

use std::io;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use aio::compat::{Compat, HyperExecutor, HyperTimer};
use aio::io::{AsyncReadRentExt, AsyncRentDuplex, AsyncWriteRentExt};
use aio::net::{TcpListener, TcpStream, UnixStream};
use aio::tls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use aio::tls::{rustls, DuplexTlsStream, TlsAcceptor, TlsConnector};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use support::{first_difference, pattern, within};

const LIMIT: Duration = Duration::from_secs(60);
const MIB: usize = 1024 * 1024;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A server speaking `server_alpn` and a client offering `client_alpn`,
/// the client trusting the server's self-signed certificate for
/// "localhost".
fn endpoints(server_alpn: &[&[u8]], client_alpn: &[&[u8]]) -> (TlsAcceptor, TlsConnector) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let der: CertificateDer<'static> = cert.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
    let mut server = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der.clone()], key)
        .unwrap();
    server.alpn_protocols = server_alpn.iter().map(|p| p.to_vec()).collect();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der).unwrap();
    let mut client = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    client.alpn_protocols = client_alpn.iter().map(|p| p.to_vec()).collect();
    (
        TlsAcceptor::from(Arc::new(server)),
        TlsConnector::from(Arc::new(client)),
    )
}

fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap()
}

/// Echoes the request body, with the request's path in a header.
async fn echo(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let path = req.uri().path().to_string();
    let body = req.into_body().collect().await?.to_bytes();
    Ok(Response::builder()
        .header("x-path", path)
        .body(Full::new(body))
        .unwrap())
}

/// Serves one TLS connection with hyper, choosing HTTP/1.1 or h2 by the
/// protocol ALPN settled on; returns that protocol.
async fn serve_one(listener: TcpListener, acceptor: TlsAcceptor) -> Vec<u8> {
    let (tcp, _) = listener.accept().await.unwrap();
    let tls = acceptor.accept(tcp).await.unwrap().into_duplex();
    let alpn = tls.alpn_protocol().expect("ALPN settled on a protocol");
    if alpn == b"h2" {
        // Every handler waits for all the others: the h2 test only
        // finishes if all its streams are open at once on the connection.
        let barrier = Rc::new(aio::sync::Barrier::new(STREAMS));
        let service = service_fn(move |req: Request<Incoming>| {
            let barrier = barrier.clone();
            async move {
                barrier.wait().await;
                echo(req).await
            }
        });
        hyper::server::conn::http2::Builder::new(HyperExecutor::new())
            .timer(HyperTimer::new())
            .max_concurrent_streams(200)
            .serve_connection(Compat::new(tls), service)
            .await
            .unwrap();
    } else {
        hyper::server::conn::http1::Builder::new()
            .timer(HyperTimer::new())
            .serve_connection(Compat::new(tls), service_fn(echo))
            .await
            .unwrap();
    }
    alpn
}

const STREAMS: usize = 50;

/// A client TLS connection to `listener`'s address.
async fn connect(
    addr: std::net::SocketAddr,
    connector: &TlsConnector,
) -> DuplexTlsStream<TcpStream> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    connector
        .connect(localhost(), tcp)
        .await
        .unwrap()
        .into_duplex()
}

#[aio::test]
async fn https_http1_keep_alive_20_requests_bodies_up_to_1_mib() {
    let (acceptor, connector) = endpoints(&[b"h2", b"http/1.1"], &[b"http/1.1"]);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = aio::spawn(serve_one(listener, acceptor));
    let tls = connect(addr, &connector).await;
    assert_eq!(tls.alpn_protocol().as_deref(), Some(&b"http/1.1"[..]));
    assert_eq!(
        tls.with_state(|s| s.protocol_version()),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    let (mut sender, conn) = hyper::client::conn::http1::handshake(Compat::new(tls))
        .await
        .unwrap();
    let conn = aio::spawn(conn);
    within(LIMIT, "20 HTTPS requests", async {
        for i in 0..20usize {
            // Every fifth body is 1 MiB; the rest vary up to ~70 KB.
            let size = if i % 5 == 0 { MIB } else { (i * 7919) % 70_000 };
            let body = pattern(i as u64, size);
            sender.ready().await.unwrap();
            let req = Request::post(format!("/r/{i}"))
                .header("host", "localhost")
                .body(Full::new(Bytes::from(body.clone())))
                .unwrap();
            let resp = sender.send_request(req).await.unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.version(), hyper::Version::HTTP_11);
            assert_eq!(resp.headers()["x-path"], format!("/r/{i}").as_str());
            let got = resp.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(got.len(), body.len(), "request {i}: echoed length");
            assert_eq!(
                first_difference(&got, &body),
                None,
                "request {i}: bytes differ"
            );
        }
    })
    .await;
    // Dropping the sender ends the client connection, which shuts the
    // TLS stream down; the server's connection then ends cleanly (one
    // connection carried all 20 requests).
    drop(sender);
    within(LIMIT, "client connection ends", conn)
        .await
        .unwrap()
        .unwrap();
    let alpn = within(LIMIT, "server connection ends", server)
        .await
        .unwrap();
    assert_eq!(alpn, b"http/1.1");
}

#[aio::test]
async fn https_h2_via_alpn_50_concurrent_streams() {
    let (acceptor, connector) = endpoints(&[b"h2", b"http/1.1"], &[b"h2", b"http/1.1"]);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = aio::spawn(serve_one(listener, acceptor));
    let tls = connect(addr, &connector).await;
    assert_eq!(tls.alpn_protocol().as_deref(), Some(&b"h2"[..]));
    support::h2::echo_streams(tls, STREAMS, 500, 3_000, "https://localhost", LIMIT).await;
    let alpn = within(LIMIT, "server connection ends", server)
        .await
        .unwrap();
    assert_eq!(alpn, b"h2");
}

#[aio::test]
async fn alpn_without_a_common_protocol_fails_the_handshake() {
    let (acceptor, connector) = endpoints(&[b"http/1.1"], &[b"h2"]);
    let (a, b) = UnixStream::pair().unwrap();
    let server = aio::spawn(acceptor.accept(a));
    let client = connector.connect(localhost(), b).await;
    let server = within(LIMIT, "server handshake", server).await.unwrap();
    let err = server.expect_err("no protocol in common");
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
    assert!(client.is_err(), "the client sees the server's alert");
}

/// A connected pair of TLS streams over a socket pair: the server's as a
/// plain `TlsStream`, the client's as a `DuplexTlsStream`.
async fn pair() -> (aio::tls::TlsStream<UnixStream>, DuplexTlsStream<UnixStream>) {
    let (acceptor, connector) = endpoints(&[], &[]);
    let (a, b) = UnixStream::pair().unwrap();
    let server = aio::spawn(acceptor.accept(a));
    let client = connector.connect(localhost(), b).await.unwrap();
    (server.await.unwrap().unwrap(), client.into_duplex())
}

#[aio::test]
async fn duplex_shutdown_sends_close_notify() {
    let (mut server, client) = pair().await;
    // A read in flight on the client while it writes and shuts down: the
    // duplex stream lets both run at once.
    let reading = client.read_shared(Vec::with_capacity(64));
    let writing = async {
        let (res, _) = client.write_shared(&b"last words"[..]).await;
        assert_eq!(res.unwrap(), 10);
        client.shutdown_shared().await.unwrap();
        // The server sees the data, then a clean end (Ok(0), which a
        // connection closed without close_notify would not give).
        let (res, got) = server.read_exact(Vec::with_capacity(10)).await;
        res.unwrap();
        assert_eq!(got, b"last words");
        let (res, _) = aio::io::AsyncReadRent::read(&mut server, Vec::with_capacity(16)).await;
        assert_eq!(res.unwrap(), 0, "close_notify seen by the peer");
        // Reading still works after the client's shutdown.
        server.write_all(&b"goodbye"[..]).await.0.unwrap();
    };
    let ((res, got), ()) = within(LIMIT, "shutdown", aio::future::join(reading, writing)).await;
    assert_eq!(res.unwrap(), 7);
    assert_eq!(got, b"goodbye");
    let (res, _) = client.write_shared(&b"more"[..]).await;
    assert_eq!(res.unwrap_err().kind(), io::ErrorKind::BrokenPipe);
}

#[aio::test]
async fn dropped_duplex_read_breaks_reading_with_a_clear_error() {
    let (mut server, client) = pair().await;
    // The read waits for ciphertext that never comes; the timeout drops it
    // with the inner read in flight.
    let timed_out = aio::time::timeout(
        Duration::from_millis(50),
        client.read_shared(Vec::with_capacity(64)),
    )
    .await;
    assert!(timed_out.is_err(), "nothing was sent, so the read waits");
    server.write_all(&b"after the drop"[..]).await.0.unwrap();
    let (res, _) = client.read_shared(Vec::with_capacity(64)).await;
    let err = res.expect_err("the read direction is broken");
    assert!(
        err.to_string().contains("was cancelled"),
        "the error says why: {err}"
    );
    // It stays broken, with the same explanation.
    let (res, _) = client.read_shared(Vec::with_capacity(64)).await;
    assert!(res.unwrap_err().to_string().contains("was cancelled"));
    // The write direction is unaffected: the server still hears from it.
    client.write_shared(&b"still here"[..]).await.0.unwrap();
    let (res, got) = server.read_exact(Vec::with_capacity(10)).await;
    res.unwrap();
    assert_eq!(got, b"still here");
}
