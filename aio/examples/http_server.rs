//! An HTTP server: hyper on aio, one runtime per core, every core
//! listening on the same port (SO_REUSEPORT, so the kernel spreads the
//! connections), keep-alive, and HTTP/1.1 and h2c (HTTP/2 without TLS) on
//! the same port (`hyper_util`'s `auto` builder reads the h2 preface).
//!
//! ```text
//! cargo run --release --example http_server --features hyper -- --port 8080
//! curl http://127.0.0.1:8080/            # HTTP/1.1
//! curl --http2-prior-knowledge http://127.0.0.1:8080/
//! curl --data-binary @file http://127.0.0.1:8080/echo
//! cargo run --example http_server --features hyper -- --smoke
//! ```
//!
//! `GET /` answers a greeting naming the core; `POST /echo` echoes the
//! body. `--smoke` starts the server on a free port, fetches from it with
//! an aio hyper client over HTTP/1.1 and h2c, checks the answers and exits.

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use aio::compat::{Compat, HyperExecutor, HyperTimer};
use aio::cores::{Cores, Shutdown};
use aio::net::{NetConfig, TcpListener, TcpStream};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::server::conn::auto;

fn main() -> ExitCode {
    let mut port = 8080;
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
        async move {
            let config = NetConfig::default().reuse_port(true);
            let listener = TcpListener::bind_with(("127.0.0.1", port), &config)?;
            if core.index() == 0 {
                eprintln!("http_server: listening on {}", listener.local_addr()?);
            }
            let server = aio::spawn(serve(listener, core.index(), stop.clone()));
            if smoke && core.index() == 0 {
                // Give the other cores a moment to bind; a connection the
                // kernel sends to a core not listening yet would wait.
                aio::time::sleep(Duration::from_millis(100)).await;
                let outcome = smoke_test(port).await;
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

/// Accepts connections until `stop` triggers, serving each in its own
/// task on this core.
async fn serve(listener: TcpListener, core: usize, stop: Shutdown) {
    while let Some(accepted) = stop.until(listener.accept()).await {
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                eprintln!("http_server: accept: {e}");
                continue;
            }
        };
        aio::spawn(async move {
            let mut builder = auto::Builder::new(HyperExecutor::new());
            builder.http1().timer(HyperTimer::new()).keep_alive(true);
            builder.http2().timer(HyperTimer::new());
            let service = service_fn(move |req| handle(req, core));
            if let Err(e) = builder.serve_connection(Compat::new(stream), service).await {
                eprintln!("http_server: connection: {e}");
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
            "Hello from aio core {core} over {:?}\n",
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

/// Fetches from the server over HTTP/1.1 (keep-alive: three requests on
/// one connection) and h2c, checking each answer.
async fn smoke_test(port: u16) -> io::Result<()> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let (mut h1, conn) = hyper::client::conn::http1::handshake(Compat::new(stream))
        .await
        .map_err(io::Error::other)?;
    aio::spawn(conn);
    for i in 0..3 {
        h1.ready().await.map_err(io::Error::other)?;
        let body = format!("ping {i}").repeat(1000);
        let req = Request::post("/echo")
            .header("host", "localhost")
            .body(Full::new(Bytes::from(body.clone())))
            .map_err(io::Error::other)?;
        let got = fetch(h1.send_request(req).await).await?;
        check(got == body.as_bytes(), "HTTP/1.1 echo")?;
    }

    let stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let (mut h2, conn) = hyper::client::conn::http2::Builder::new(HyperExecutor::new())
        .timer(HyperTimer::new())
        .handshake(Compat::new(stream))
        .await
        .map_err(io::Error::other)?;
    aio::spawn(conn);
    h2.ready().await.map_err(io::Error::other)?;
    let req = Request::get(format!("http://127.0.0.1:{port}/"))
        .body(Full::new(Bytes::new()))
        .map_err(io::Error::other)?;
    let got = fetch(h2.send_request(req).await).await?;
    let text = String::from_utf8_lossy(&got);
    check(text.contains("HTTP/2"), "h2c greeting")?;
    eprintln!("http_server: smoke test passed ({})", text.trim());
    Ok(())
}

/// The body of a successful response.
async fn fetch(resp: hyper::Result<Response<Incoming>>) -> io::Result<Bytes> {
    let resp = resp.map_err(io::Error::other)?;
    check(resp.status() == StatusCode::OK, "status 200")?;
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
    eprintln!("http_server: {problem}\nusage: http_server [--port N] [--smoke]");
    ExitCode::from(2)
}

fn fail(e: io::Error) -> ExitCode {
    eprintln!("http_server: {e}");
    ExitCode::FAILURE
}
