//! An HTTPS server: hyper on aio over `aio::tls`, one runtime per core,
//! every core listening on the same port (SO_REUSEPORT), keep-alive, and
//! HTTP/1.1 and h2 on the same port, chosen by ALPN. The certificate is
//! self-signed, made at start for "localhost" with rcgen.
//!
//! ```text
//! cargo run --release --example https_server --features hyper,rustls -- --port 8443
//! curl -k https://localhost:8443/              # h2 (curl offers it by ALPN)
//! curl -k --http1.1 https://localhost:8443/
//! curl -k --data-binary @file https://localhost:8443/echo
//! cargo run --example https_server --features hyper,rustls -- --smoke
//! ```
//!
//! `GET /` answers a greeting naming the core and the HTTP version; `POST
//! /echo` echoes the body. `--smoke` starts the server on a free port,
//! fetches from it over HTTPS with an aio hyper client (through
//! `aio::tls::TlsConnector`, trusting the generated certificate), once
//! negotiating HTTP/1.1 and once h2, checks the answers and exits.
//!
//! Each accepted connection: TLS handshake (`TlsAcceptor::accept`), then
//! `into_duplex()` so that a read and a write can be in flight at once,
//! then `aio::compat::Compat` for hyper.

use std::io;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use aio::compat::{Compat, HyperExecutor, HyperTimer};
use aio::cores::{Cores, Shutdown};
use aio::net::{NetConfig, TcpListener, TcpStream};
use aio::tls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use aio::tls::{rustls, TlsAcceptor, TlsConnector};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, Version};
use hyper_util::server::conn::auto;

/// The protocols the server speaks, preferred first.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

fn main() -> ExitCode {
    let mut port = 8443;
    let mut smoke = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => return usage("--port needs a number"),
            },
            "--smoke" => smoke = true,
            other => return usage(&format!("unknown argument {other}")),
        }
    }
    let (cert, acceptor) = match tls_setup() {
        Ok(setup) => setup,
        Err(e) => return fail(e),
    };
    if smoke {
        // A free port: ask the kernel, then let every core bind it.
        port = match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
            Ok(addr) => addr.port(),
            Err(e) => return fail(e),
        };
    }
    let stop = Shutdown::new();
    let result = Cores::all().run(move |core| {
        let stop = stop.clone();
        let acceptor = acceptor.clone();
        let cert = cert.clone();
        async move {
            let config = NetConfig::default().reuse_port(true);
            let listener = TcpListener::bind_with(("127.0.0.1", port), &config)?;
            if core.index() == 0 {
                eprintln!(
                    "https_server: listening on https://{}",
                    listener.local_addr()?
                );
            }
            let server = aio::spawn(serve(listener, acceptor, core.index(), stop.clone()));
            if smoke && core.index() == 0 {
                // Give the other cores a moment to bind.
                aio::time::sleep(Duration::from_millis(100)).await;
                let outcome = smoke_test(port, cert).await;
                stop.trigger();
                outcome?;
            }
            server.await.map_err(io::Error::from)
        }
    });
    match result.and_then(|per_core| per_core.into_iter().collect::<io::Result<Vec<()>>>()) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// A self-signed certificate for "localhost" and the acceptor serving it,
/// offering h2 and HTTP/1.1 by ALPN.
fn tls_setup() -> io::Result<(CertificateDer<'static>, TlsAcceptor)> {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .map_err(io::Error::other)?;
    let cert = generated.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(generated.key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .map_err(io::Error::other)?;
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    Ok((cert, TlsAcceptor::from(Arc::new(config))))
}

/// Accepts connections until `stop` triggers, serving each in its own
/// task on this core.
async fn serve(listener: TcpListener, acceptor: TlsAcceptor, core: usize, stop: Shutdown) {
    while let Some(accepted) = stop.until(listener.accept()).await {
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                eprintln!("https_server: accept: {e}");
                continue;
            }
        };
        let handshake = acceptor.accept(stream);
        aio::spawn(async move {
            // Bound slow or silent clients' handshakes.
            let tls = match aio::time::timeout(Duration::from_secs(10), handshake).await {
                Ok(Ok(tls)) => tls.into_duplex(),
                Ok(Err(e)) => return eprintln!("https_server: handshake: {e}"),
                Err(_) => return eprintln!("https_server: handshake timed out"),
            };
            // Serve what ALPN chose; without ALPN, the auto builder tells
            // HTTP/1.1 from h2 by the h2 preface.
            let mut builder = auto::Builder::new(HyperExecutor::new());
            builder.http1().timer(HyperTimer::new()).keep_alive(true);
            builder.http2().timer(HyperTimer::new());
            let builder = match tls.alpn_protocol().as_deref() {
                Some(b"h2") => builder.http2_only(),
                Some(b"http/1.1") => builder.http1_only(),
                _ => builder,
            };
            let service = service_fn(move |req| handle(req, core));
            if let Err(e) = builder.serve_connection(Compat::new(tls), service).await {
                eprintln!("https_server: connection: {e}");
            }
        });
    }
}

async fn handle(
    req: Request<Incoming>,
    core: usize,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let response = match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => Response::new(Full::new(Bytes::from(format!(
            "Hello from aio core {core} over TLS, {:?}\n",
            req.version()
        )))),
        (&Method::POST, "/echo") => {
            Response::new(Full::new(req.into_body().collect().await?.to_bytes()))
        }
        _ => {
            let mut not_found = Response::new(Full::new(Bytes::from_static(b"not found\n")));
            *not_found.status_mut() = StatusCode::NOT_FOUND;
            not_found
        }
    };
    Ok(response)
}

/// A TLS client connection to the server, offering `alpn`, trusting only
/// the generated certificate; checks that ALPN chose `alpn[0]`.
async fn connect(
    port: u16,
    cert: &CertificateDer<'static>,
    alpn: &[u8],
) -> io::Result<Compat<aio::tls::DuplexTlsStream<TcpStream>>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.clone()).map_err(io::Error::other)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    let connector = TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    let name = ServerName::try_from("localhost").map_err(io::Error::other)?;
    let tls = connector.connect(name, tcp).await?.into_duplex();
    check(tls.alpn_protocol().as_deref() == Some(alpn), "ALPN")?;
    Ok(Compat::new(tls))
}

/// Fetches from the server over HTTPS: HTTP/1.1 (keep-alive: three echoes
/// on one connection) and h2 (a greeting and an echo), checking each answer.
async fn smoke_test(port: u16, cert: CertificateDer<'static>) -> io::Result<()> {
    let io = connect(port, &cert, b"http/1.1").await?;
    let (mut h1, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(io::Error::other)?;
    aio::spawn(conn);
    for i in 0..3 {
        h1.ready().await.map_err(io::Error::other)?;
        let body = format!("ping {i}").repeat(10_000);
        let req = Request::post("/echo")
            .header("host", "localhost")
            .body(Full::new(Bytes::from(body.clone())))
            .map_err(io::Error::other)?;
        let got = fetch(h1.send_request(req).await, Version::HTTP_11).await?;
        check(got == body.as_bytes(), "HTTP/1.1 echo")?;
    }

    let io = connect(port, &cert, b"h2").await?;
    let (mut h2, conn) = hyper::client::conn::http2::Builder::new(HyperExecutor::new())
        .timer(HyperTimer::new())
        .handshake(io)
        .await
        .map_err(io::Error::other)?;
    aio::spawn(conn);
    h2.ready().await.map_err(io::Error::other)?;
    let req = Request::get(format!("https://localhost:{port}/"))
        .body(Full::new(Bytes::new()))
        .map_err(io::Error::other)?;
    let got = fetch(h2.send_request(req).await, Version::HTTP_2).await?;
    let text = String::from_utf8_lossy(&got).into_owned();
    check(text.contains("HTTP/2"), "h2 greeting")?;
    let body = Bytes::from(vec![b'x'; 300_000]);
    let req = Request::post(format!("https://localhost:{port}/echo"))
        .body(Full::new(body.clone()))
        .map_err(io::Error::other)?;
    let got = fetch(h2.send_request(req).await, Version::HTTP_2).await?;
    check(got == body, "h2 echo")?;
    eprintln!("https_server: smoke test passed ({})", text.trim());
    Ok(())
}

/// The body of a successful response over `version`.
async fn fetch(resp: hyper::Result<Response<Incoming>>, version: Version) -> io::Result<Bytes> {
    let resp = resp.map_err(io::Error::other)?;
    check(resp.status() == StatusCode::OK, "status 200")?;
    check(resp.version() == version, "HTTP version")?;
    Ok(resp
        .into_body()
        .collect()
        .await
        .map_err(io::Error::other)?
        .to_bytes())
}

fn check(ok: bool, what: &str) -> io::Result<()> {
    if ok {
        Ok(())
    } else {
        Err(io::Error::other(format!("smoke test: {what} failed")))
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("https_server: {problem}\nusage: https_server [--port N] [--smoke]");
    ExitCode::from(2)
}

fn fail(e: io::Error) -> ExitCode {
    eprintln!("https_server: {e}");
    ExitCode::FAILURE
}
