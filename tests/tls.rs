//! `aio::tls` (feature `rustls`): TLS over TCP and Unix streams with
//! self-signed certificates, on both drivers: bulk echo, close_notify and
//! truncation, handshake failures as errors (never panics), TLS 1.2 and
//! 1.3, and what cancelled reads leave behind.
#![cfg(feature = "rustls")]

mod support;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use aio::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRent, AsyncWriteRentExt};
use aio::net::{TcpListener, TcpStream, UnixStream};
use aio::tls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use aio::tls::rustls::{self, ProtocolVersion, SupportedProtocolVersion};
use aio::tls::{TlsAcceptor, TlsConnector, TlsStream};
use support::{first_difference, pattern, within};

const LIMIT: Duration = Duration::from_secs(20);
const MIB: usize = 1024 * 1024;

/// A self-signed certificate for `name` and its key.
fn self_signed(name: &str) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let cert = rcgen::generate_simple_self_signed(vec![name.to_string()]).unwrap();
    let key = PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der());
    (cert.cert.der().clone(), PrivateKeyDer::Pkcs8(key))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn acceptor_for(
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
    versions: &[&'static SupportedProtocolVersion],
) -> TlsAcceptor {
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

fn connector_trusting(
    root: CertificateDer<'static>,
    versions: &[&'static SupportedProtocolVersion],
) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(root).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// An acceptor for "localhost" and a connector that trusts it.
fn pair_of(versions: &[&'static SupportedProtocolVersion]) -> (TlsAcceptor, TlsConnector) {
    let (cert, key) = self_signed("localhost");
    (
        acceptor_for(cert.clone(), key, versions),
        connector_trusting(cert, versions),
    )
}

fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap()
}

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accept = aio::spawn(async move { listener.accept().await });
    let client = TcpStream::connect(addr).await.unwrap();
    let (server, _) = accept.await.unwrap().unwrap();
    (server, client)
}

/// Runs both handshakes (the server's in a task) and returns the streams.
async fn establish<S, C>(
    acceptor: &TlsAcceptor,
    connector: &TlsConnector,
    server_io: S,
    client_io: C,
) -> (TlsStream<S>, TlsStream<C>)
where
    S: AsyncReadRent + AsyncWriteRent + 'static,
    C: AsyncReadRent + AsyncWriteRent,
{
    let server = aio::spawn(acceptor.accept(server_io));
    let client = within(
        LIMIT,
        "client handshake",
        connector.connect(localhost(), client_io),
    )
    .await
    .expect("client handshake");
    let server = within(LIMIT, "server handshake", server)
        .await
        .unwrap()
        .expect("server handshake");
    (server, client)
}

/// Echoes until close_notify, then answers with its own and returns how
/// many bytes it echoed.
async fn echo<S: AsyncReadRent + AsyncWriteRent>(mut tls: TlsStream<S>) -> usize {
    let mut total = 0;
    let mut buf = Vec::with_capacity(32 * 1024);
    loop {
        let (res, back) = tls.read(buf).await;
        let n = res.expect("server read");
        if n == 0 {
            break;
        }
        total += n;
        let (res, mut back) = tls.write_all(back).await;
        res.expect("server write");
        back.clear();
        buf = back;
    }
    tls.shutdown().await.expect("server shutdown");
    total
}

/// Sends 1 MiB through an echoing server in chunks of varied sizes (a byte,
/// record boundaries, several records), reading each chunk back before the
/// next, then closes both ways with close_notify.
async fn echo_one_mib<S, C>(server_io: S, client_io: C)
where
    S: AsyncReadRent + AsyncWriteRent + 'static,
    C: AsyncReadRent + AsyncWriteRent,
{
    let (acceptor, connector) = pair_of(rustls::ALL_VERSIONS);
    let (server, mut client) = establish(&acceptor, &connector, server_io, client_io).await;
    let server = aio::spawn(echo(server));
    let data = pattern(7, MIB);
    let sizes = [
        1,
        100,
        16 * 1024,
        16 * 1024 + 1,
        64 * 1024,
        64 * 1024 + 7,
        100_000,
    ];
    let mut got = Vec::with_capacity(MIB);
    let mut sent = 0;
    let mut i = 0;
    while sent < data.len() {
        let n = sizes[i % sizes.len()].min(data.len() - sent);
        i += 1;
        let (res, _) = client.write_all(data[sent..sent + n].to_vec()).await;
        res.expect("client write");
        let (res, chunk) = within(LIMIT, "echo", client.read_exact(Vec::with_capacity(n))).await;
        res.expect("client read");
        got.extend_from_slice(&chunk);
        sent += n;
    }
    assert_eq!(first_difference(&got, &data), None, "echo differs");
    client.shutdown().await.expect("client shutdown");
    let (res, _) = client.read(Vec::with_capacity(16)).await;
    assert_eq!(res.expect("read after the server's close_notify"), 0);
    assert_eq!(within(LIMIT, "server", server).await.unwrap(), MIB);
}

#[aio::test]
async fn echo_one_mib_over_tcp() {
    let (server_io, client_io) = tcp_pair().await;
    echo_one_mib(server_io, client_io).await;
}

#[aio::test]
async fn echo_one_mib_over_unix() {
    let (server_io, client_io) = UnixStream::pair().unwrap();
    echo_one_mib(server_io, client_io).await;
}

/// A read into a vectored list of buffers and a vectored write both work.
#[aio::test]
async fn readv_and_writev() {
    let (acceptor, connector) = pair_of(rustls::ALL_VERSIONS);
    let (a, b) = UnixStream::pair().unwrap();
    let (server, mut client) = establish(&acceptor, &connector, a, b).await;
    let server = aio::spawn(echo(server));
    let parts = vec![
        b"hello ".to_vec(),
        Vec::new(),
        b"vectored ".to_vec(),
        b"world".to_vec(),
    ];
    let (res, _) = client.writev_all(parts).await;
    assert_eq!(res.unwrap(), 20);
    let mut got = Vec::new();
    while got.len() < 20 {
        let bufs = vec![Vec::with_capacity(3), Vec::with_capacity(100)];
        let (res, bufs) = client.readv(bufs).await;
        assert!(res.unwrap() > 0);
        got.extend(bufs.concat());
    }
    assert_eq!(got, b"hello vectored world");
    client.shutdown().await.unwrap();
    assert_eq!(server.await.unwrap(), 20);
}

/// The peer's close_notify is a clean end: `Ok(0)`, every time; writing
/// after one's own shutdown is `BrokenPipe`.
#[aio::test]
async fn close_notify_is_a_clean_end_of_stream() {
    let (acceptor, connector) = pair_of(rustls::ALL_VERSIONS);
    let (server_io, client_io) = tcp_pair().await;
    let (mut server, mut client) = establish(&acceptor, &connector, server_io, client_io).await;
    server.write_all(&b"bye"[..]).await.0.unwrap();
    server.shutdown().await.unwrap();
    let err = server.write(&b"more"[..]).await.0.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");

    let (res, buf) = client.read_exact(Vec::with_capacity(3)).await;
    res.unwrap();
    assert_eq!(buf, b"bye");
    for _ in 0..2 {
        let (res, _) = client.read(Vec::with_capacity(8)).await;
        assert_eq!(res.unwrap(), 0, "close_notify reads as end of stream");
    }
    // The half-closed server can still read what the client says last.
    client.write_all(&b"ack"[..]).await.0.unwrap();
    let (res, buf) = server.read_exact(Vec::with_capacity(3)).await;
    res.unwrap();
    assert_eq!(buf, b"ack");
}

/// A connection that ends without close_notify is `UnexpectedEof` (after
/// the data that did arrive), not a clean `Ok(0)`: it may be a truncation.
#[aio::test]
async fn end_without_close_notify_is_unexpected_eof() {
    let (acceptor, connector) = pair_of(rustls::ALL_VERSIONS);
    let (server_io, client_io) = tcp_pair().await;
    let (mut server, mut client) = establish(&acceptor, &connector, server_io, client_io).await;
    server.write_all(&b"partial"[..]).await.0.unwrap();
    // FIN without close_notify.
    let (mut tcp, _session) = server.into_inner();
    tcp.shutdown().await.unwrap();

    let (res, buf) = client.read_exact(Vec::with_capacity(7)).await;
    res.unwrap();
    assert_eq!(buf, b"partial");
    for _ in 0..2 {
        let err = client.read(Vec::with_capacity(8)).await.0.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");
    }
}

/// The rustls error inside an `io::Error`, if any.
fn rustls_error(err: &io::Error) -> Option<&rustls::Error> {
    err.get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
}

/// Runs a handshake expected to fail on both sides and returns both errors.
async fn failed_handshake(
    acceptor: TlsAcceptor,
    connector: TlsConnector,
    name: &str,
) -> (io::Error, io::Error) {
    let (server_io, client_io) = tcp_pair().await;
    let server = aio::spawn(acceptor.accept(server_io));
    let name = ServerName::try_from(name.to_string()).unwrap();
    let client = within(
        LIMIT,
        "client handshake",
        connector.connect(name, client_io),
    )
    .await;
    let client_err = client.expect_err("the client handshake must fail");
    let server = within(LIMIT, "server handshake", server).await.unwrap();
    (
        server.expect_err("the server handshake must fail"),
        client_err,
    )
}

#[aio::test]
async fn wrong_server_name_fails_on_both_sides() {
    let (acceptor, connector) = pair_of(rustls::ALL_VERSIONS);
    let (server_err, client_err) = failed_handshake(acceptor, connector, "example.com").await;
    assert_eq!(
        client_err.kind(),
        io::ErrorKind::InvalidData,
        "{client_err}"
    );
    assert!(
        matches!(
            rustls_error(&client_err),
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. }
            ))
        ),
        "{client_err:?}"
    );
    // The client's alert reaches the server as a fatal alert.
    assert_eq!(
        server_err.kind(),
        io::ErrorKind::InvalidData,
        "{server_err}"
    );
    assert!(
        matches!(
            rustls_error(&server_err),
            Some(rustls::Error::AlertReceived(_))
        ),
        "{server_err:?}"
    );
}

#[aio::test]
async fn untrusted_certificate_fails() {
    let (cert, key) = self_signed("localhost");
    let (other_root, _) = self_signed("localhost");
    let acceptor = acceptor_for(cert, key, rustls::ALL_VERSIONS);
    let connector = connector_trusting(other_root, rustls::ALL_VERSIONS);
    let (server_err, client_err) = failed_handshake(acceptor, connector, "localhost").await;
    assert_eq!(
        client_err.kind(),
        io::ErrorKind::InvalidData,
        "{client_err}"
    );
    assert!(
        matches!(
            rustls_error(&client_err),
            Some(rustls::Error::InvalidCertificate(_))
        ),
        "{client_err:?}"
    );
    assert_eq!(
        server_err.kind(),
        io::ErrorKind::InvalidData,
        "{server_err}"
    );
}

/// Bytes that are not TLS, where a ClientHello (or a server's answer)
/// should be, are an `InvalidData` error on the TLS side, not a panic.
#[aio::test]
async fn garbage_instead_of_a_handshake_is_an_error() {
    let (acceptor, connector) = pair_of(rustls::ALL_VERSIONS);
    let garbage: [&[u8]; 3] = [
        b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
        // A handshake record header whose body is nonsense.
        &[
            0x16, 0x03, 0x01, 0x00, 0x08, 0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88,
        ],
        &[0u8; 64],
    ];
    for bytes in garbage {
        // To a server.
        let (server_io, mut raw) = tcp_pair().await;
        let server = aio::spawn(acceptor.accept(server_io));
        raw.write_all(bytes.to_vec()).await.0.unwrap();
        let err = within(LIMIT, "server handshake", server)
            .await
            .unwrap()
            .expect_err("garbage must not make a TLS session");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{bytes:?}: {err}");
        assert!(rustls_error(&err).is_some(), "{err:?}");

        // To a client.
        let (mut raw, client_io) = tcp_pair().await;
        let answer = aio::spawn(async move {
            let (res, _hello) = raw.read(Vec::with_capacity(4096)).await;
            res.unwrap();
            raw.write_all(bytes.to_vec()).await.0.unwrap();
            raw
        });
        let err = within(
            LIMIT,
            "client handshake",
            connector.connect(localhost(), client_io),
        )
        .await
        .expect_err("garbage must not make a TLS session");
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{bytes:?}: {err}");
        drop(answer.await.unwrap());
    }
}

/// A peer that hangs up mid-handshake is `UnexpectedEof`.
#[aio::test]
async fn hang_up_during_the_handshake_is_unexpected_eof() {
    let (acceptor, _) = pair_of(rustls::ALL_VERSIONS);
    let (server_io, raw) = tcp_pair().await;
    drop(raw);
    let err = acceptor.accept(server_io).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");
}

async fn exchange_with_version(
    version: &'static SupportedProtocolVersion,
    expect: ProtocolVersion,
) {
    let (acceptor, connector) = pair_of(&[version]);
    let (server_io, client_io) = tcp_pair().await;
    let (server, mut client) = establish(&acceptor, &connector, server_io, client_io).await;
    assert_eq!(server.get_ref().1.protocol_version(), Some(expect));
    assert_eq!(client.get_ref().1.protocol_version(), Some(expect));
    let server = aio::spawn(echo(server));
    let data = pattern(12, 100_000);
    client.write_all(data.clone()).await.0.unwrap();
    let (res, got) = client.read_exact(Vec::with_capacity(data.len())).await;
    res.unwrap();
    assert_eq!(first_difference(&got, &data), None);
    client.shutdown().await.unwrap();
    assert_eq!(client.read(Vec::with_capacity(1)).await.0.unwrap(), 0);
    assert_eq!(server.await.unwrap(), data.len());
}

#[aio::test]
async fn tls12_works() {
    exchange_with_version(&rustls::version::TLS12, ProtocolVersion::TLSv1_2).await;
}

#[aio::test]
async fn tls13_works() {
    exchange_with_version(&rustls::version::TLS13, ProtocolVersion::TLSv1_3).await;
}

/// A read into no room is `InvalidInput`, not `Ok(0)`, and harms nothing.
#[aio::test]
async fn read_into_no_room_is_invalid_input() {
    let (acceptor, connector) = pair_of(rustls::ALL_VERSIONS);
    let (a, b) = UnixStream::pair().unwrap();
    let (mut server, mut client) = establish(&acceptor, &connector, a, b).await;
    server.write_all(&b"still here"[..]).await.0.unwrap();
    let err = client.read(Vec::new()).await.0.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    let err = client.readv(vec![Vec::<u8>::new()]).await.0.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    let (res, buf) = client.read_exact(Vec::with_capacity(10)).await;
    res.unwrap();
    assert_eq!(buf, b"still here");
}

/// A read dropped while its inner read was in flight (`timeout` drops the
/// future) leaves the read direction reporting that, instead of decrypting
/// a stream with a hole in it; the write direction still works.
#[aio::test]
async fn dropped_read_breaks_reading_with_a_clear_error() {
    let (acceptor, connector) = pair_of(rustls::ALL_VERSIONS);
    let (server_io, client_io) = tcp_pair().await;
    let (mut server, mut client) = establish(&acceptor, &connector, server_io, client_io).await;
    let timed_out = aio::time::timeout(
        Duration::from_millis(50),
        client.read(Vec::with_capacity(64)),
    )
    .await;
    assert!(
        timed_out.is_err(),
        "nothing was sent, the read must time out"
    );
    server.write_all(&b"after"[..]).await.0.unwrap();
    for _ in 0..2 {
        let err = client.read(Vec::with_capacity(64)).await.0.unwrap_err();
        assert!(
            err.to_string().contains("cancelled"),
            "the error must say why: {err}"
        );
    }
    // Writing is independent of the broken read direction.
    client.write_all(&b"still writable"[..]).await.0.unwrap();
    client.shutdown().await.unwrap();
    let (res, buf) = server.read_exact(Vec::with_capacity(14)).await;
    res.unwrap();
    assert_eq!(buf, b"still writable");
    assert_eq!(server.read(Vec::with_capacity(1)).await.0.unwrap(), 0);
}

/// `read_timeout` cancels the inner read and waits for it instead of
/// dropping it: the read is `TimedOut`, nothing is lost, and the stream
/// keeps working.
#[aio::test]
async fn read_timeout_keeps_the_stream_usable() {
    let (acceptor, connector) = pair_of(rustls::ALL_VERSIONS);
    let (server_io, client_io) = tcp_pair().await;
    let (mut server, mut client) = establish(&acceptor, &connector, server_io, client_io).await;
    for round in 0..3u64 {
        let (res, _) = client
            .read_timeout(Vec::with_capacity(64), Duration::from_millis(30))
            .await;
        let err = res.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
        let data = pattern(round, 40_000);
        server.write_all(data.clone()).await.0.unwrap();
        let (res, got) = client.read_exact(Vec::with_capacity(data.len())).await;
        res.unwrap();
        assert_eq!(first_difference(&got, &data), None);
    }
}

/// A handshake over a connection that never answers can be bounded by a
/// timeout, which drops it; nothing panics and the runtime goes on.
#[aio::test]
async fn dropped_handshake_is_harmless() {
    let (_, connector) = pair_of(rustls::ALL_VERSIONS);
    let (_silent, client_io) = tcp_pair().await;
    let res = aio::time::timeout(
        Duration::from_millis(50),
        connector.connect(localhost(), client_io),
    )
    .await;
    assert!(
        res.is_err(),
        "the silent server cannot complete a handshake"
    );
}

/// A write dropped while its records were in flight (the peer is not
/// reading, so the socket is full) leaves the write direction reporting
/// that; reading still works.
#[aio::test]
async fn dropped_write_breaks_writing_with_a_clear_error() {
    let (acceptor, connector) = pair_of(rustls::ALL_VERSIONS);
    let (a, b) = UnixStream::pair().unwrap();
    let (mut server, mut client) = establish(&acceptor, &connector, a, b).await;
    let chunk = pattern(3, 64 * 1024);
    let mut writes = 0;
    loop {
        let res = aio::time::timeout(Duration::from_millis(50), client.write(chunk.clone())).await;
        match res {
            Ok((res, _)) => res.unwrap(),
            Err(_elapsed) => break,
        };
        writes += 1;
        assert!(writes < 1000, "the socket never filled up");
    }
    for _ in 0..2 {
        let err = client.write(&b"more"[..]).await.0.unwrap_err();
        assert!(
            err.to_string().contains("cancelled"),
            "the error must say why: {err}"
        );
        let err = client.shutdown().await.unwrap_err();
        assert!(err.to_string().contains("cancelled"), "{err}");
    }
    server.write_all(&b"reply"[..]).await.0.unwrap();
    let (res, buf) = client.read_exact(Vec::with_capacity(5)).await;
    res.unwrap();
    assert_eq!(buf, b"reply");
}
