//! An HTTP client: hyper on aio, fetching one URL over HTTP/1.1 (or h2c
//! with `--h2`) and printing the status, headers and body.
//!
//! ```text
//! cargo run --example http_server --features hyper -- --port 8080 &
//! cargo run --example http_client --features hyper -- http://127.0.0.1:8080/
//! cargo run --example http_client --features hyper -- --h2 http://127.0.0.1:8080/
//! cargo run --example http_client --features hyper -- --smoke
//! ```
//!
//! `--smoke` starts a tiny HTTP/1.1 server in-process on a free port,
//! fetches from it and checks the answer.

use std::io;
use std::process::ExitCode;

use aio::compat::{Compat, HyperExecutor, HyperTimer};
use aio::net::{TcpListener, TcpStream};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, Uri};

fn main() -> ExitCode {
    let mut h2 = false;
    let mut smoke = false;
    let mut url = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--h2" => h2 = true,
            "--smoke" => smoke = true,
            _ if url.is_none() => url = Some(arg),
            other => return usage(&format!("unexpected argument {other}")),
        }
    }
    let outcome = aio::Runtime::new().and_then(|rt| {
        rt.block_on(async move {
            if smoke {
                return smoke_test().await;
            }
            let Some(url) = url else {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "no URL given"));
            };
            let uri: Uri = url
                .parse()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            let (status, headers, body) = get(&uri, h2).await?;
            println!("{status}");
            for (name, value) in &headers {
                println!("{name}: {}", value.to_str().unwrap_or("<binary>"));
            }
            println!();
            println!("{}", String::from_utf8_lossy(&body));
            Ok(())
        })
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("http_client: {e}");
            ExitCode::FAILURE
        }
    }
}

/// GETs `uri` (an `http://` URL) over one new connection.
async fn get(uri: &Uri, h2: bool) -> io::Result<(hyper::StatusCode, hyper::HeaderMap, Bytes)> {
    let host = uri
        .host()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the URL has no host"))?;
    let port = uri.port_u16().unwrap_or(80);
    let stream = TcpStream::connect((host, port)).await?;
    let io = Compat::new(stream);
    let resp = if h2 {
        let (mut sender, conn) = hyper::client::conn::http2::Builder::new(HyperExecutor::new())
            .timer(HyperTimer::new())
            .handshake(io)
            .await
            .map_err(io::Error::other)?;
        aio::spawn(conn);
        // HTTP/2 takes the full URL (its :authority and :path).
        let req = Request::get(uri.clone())
            .body(Empty::<Bytes>::new())
            .map_err(io::Error::other)?;
        sender.send_request(req).await
    } else {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(io::Error::other)?;
        aio::spawn(conn);
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let req = Request::get(path)
            .header(hyper::header::HOST, host)
            .body(Empty::<Bytes>::new())
            .map_err(io::Error::other)?;
        sender.send_request(req).await
    };
    let resp = resp.map_err(io::Error::other)?;
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.map_err(io::Error::other)?.to_bytes();
    Ok((parts.status, parts.headers, body))
}

/// A one-connection HTTP/1.1 server in this runtime, and a fetch from it.
async fn smoke_test() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    aio::spawn(async move {
        let (stream, _) = listener.accept().await?;
        let service = service_fn(|req: Request<Incoming>| async move {
            let text = format!("hello, {}\n", req.uri().path());
            Ok::<_, hyper::Error>(Response::new(Full::new(Bytes::from(text))))
        });
        hyper::server::conn::http1::Builder::new()
            .timer(HyperTimer::new())
            .serve_connection(Compat::new(stream), service)
            .await
            .map_err(io::Error::other)
    });
    let uri: Uri = format!("http://{addr}/smoke")
        .parse()
        .map_err(io::Error::other)?;
    let (status, _, body) = get(&uri, false).await?;
    if status != hyper::StatusCode::OK || body != "hello, /smoke\n" {
        return Err(io::Error::other(format!(
            "smoke test: got {status} {body:?}"
        )));
    }
    eprintln!("http_client: smoke test passed ({status})");
    Ok(())
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("http_client: {problem}\nusage: http_client [--h2] URL | --smoke");
    ExitCode::from(2)
}
