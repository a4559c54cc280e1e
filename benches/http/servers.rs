//! The servers of the HTTP comparison, each run in a pinned child process
//! on one core, and a small verifying client.

use std::convert::Infallible;
use std::io::{self, Read, Write};
use std::process::{Child, Command, Stdio};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};

/// The response of every hyper server.
async fn hello(_: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::builder()
        .header("content-type", "text/plain")
        .header("server", "hyper")
        .body(Full::new(Bytes::from_static(b"Hello, World!")))
        .expect("a valid response"))
}

/// A server child: `--server NAME --cpu N`. Binds 127.0.0.1:0, prints
/// `READY <port>`, serves until killed.
pub fn child(args: &[String]) -> io::Result<()> {
    let name = args.first().cloned().unwrap_or_default();
    let cpu = args
        .iter()
        .position(|a| a == "--cpu")
        .and_then(|i| args.get(i + 1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    crate::sys::die_with_parent()?;
    crate::sys::pin_to_cpu(cpu)?;
    match name.as_str() {
        "aio-hyper" => aio_hyper(),
        "tokio-hyper" => tokio_hyper(),
        "aio-plaintext" => aio_plaintext(),
        other => Err(io::Error::other(format!("unknown server {other}"))),
    }
}

fn ready(port: u16) {
    println!("READY {port}");
    let _ = io::stdout().flush();
}

fn aio_plaintext() -> io::Result<()> {
    aio::Runtime::new()?.block_on(async {
        let listener = aio::net::TcpListener::bind("127.0.0.1:0")?;
        ready(listener.local_addr()?.port());
        crate::plaintext::serve(listener).await
    })
}

fn aio_hyper() -> io::Result<()> {
    use aio::compat::{Compat, HyperTimer};
    aio::Runtime::new()?.block_on(async {
        let listener = aio::net::TcpListener::bind("127.0.0.1:0")?;
        ready(listener.local_addr()?.port());
        loop {
            let (stream, _) = listener.accept().await?;
            aio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(HyperTimer::new())
                    .serve_connection(Compat::new(stream), hyper::service::service_fn(hello))
                    .await;
            });
        }
    })
}

fn tokio_hyper() -> io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        ready(listener.local_addr()?.port());
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::task::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .serve_connection(
                        hyper_util::rt::TokioIo::new(stream),
                        hyper::service::service_fn(hello),
                    )
                    .await;
            });
        }
    })
}

/// A running server child.
pub struct Running {
    child: Child,
    pub port: u16,
}

impl Running {
    pub fn start(name: &str, cpu: usize) -> io::Result<Running> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(["--server", name, "--cpu", &cpu.to_string()])
            .stdout(Stdio::piped())
            .spawn()?;
        let port = crate::read_ready(&mut child)?;
        Ok(Running { child, port })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `n` keep-alive requests (in batches of 4 pipelined ones) and
/// checks every response is a 200 with the 13-byte body.
pub fn verify(port: u16, n: usize) -> io::Result<()> {
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port))?;
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let request = b"GET /plaintext HTTP/1.1\r\nHost: bench\r\n\r\n";
    let mut got = Vec::new();
    let mut buf = [0u8; 16384];
    for _ in 0..n / 4 {
        conn.write_all(&request.repeat(4))?;
        let seen = count(&got);
        while count(&got) < seen + 4 {
            let k = conn.read(&mut buf)?;
            if k == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "server closed",
                ));
            }
            got.extend_from_slice(&buf[..k]);
        }
    }
    let oks = got.windows(15).filter(|w| w == b"HTTP/1.1 200 OK").count();
    if oks != count(&got) {
        return Err(io::Error::other("a response was not 200 OK"));
    }
    Ok(())
}

fn count(data: &[u8]) -> usize {
    data.windows(13).filter(|w| w == b"Hello, World!").count()
}
