//! A sharded HTTP/1.1 server: every core binds the same port (`SO_REUSEPORT`)
//! and serves keep-alive connections through a `BufReader`: `read_line` for
//! the head, `read_exact` for a `Content-Length` body. Ctrl-C stops it.
//!
//! ```text
//! cargo run --release --example http_sharded -- --port 8080
//! curl http://127.0.0.1:8080/a -d 'some data' http://127.0.0.1:8080/b   # one connection
//! cargo run --release --example http_sharded -- --smoke   # self-test (also with AIO_DRIVER=epoll)
//! ```

use std::io::{self, Error, ErrorKind};
use std::net::{Ipv4Addr, TcpListener as StdListener};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::LazyLock;

use aio::cores::{Cores, Shutdown};
use aio::io::BufReader;
use aio::net::{NetConfig, TcpListener, TcpStream};
use aio::prelude::*;

const SMOKE_REQUESTS: usize = 50;
/// `(port, smoke)`, parsed once for all cores.
static ARGS: LazyLock<io::Result<(u16, bool)>> = LazyLock::new(|| {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => Ok((8080, false)),
        ["--port", port] => Ok((port.parse().map_err(|_| Error::other("bad --port"))?, false)),
        // The cores share one port, so they cannot each bind port 0: find a free one.
        ["--smoke"] => Ok((StdListener::bind("127.0.0.1:0")?.local_addr()?.port(), true)),
        _ => Err(Error::other("usage: http_sharded [--port P | --smoke]")),
    }
});
/// Ends every core's accept loop: on Ctrl-C, or once the smoke clients are done.
static STOP: LazyLock<Shutdown> = LazyLock::new(Shutdown::new);
static CLIENTS_DONE: AtomicUsize = AtomicUsize::new(0);

/// Runs once on every CPU, each copy on its own pinned runtime.
#[aio::main(threads = "all")]
async fn main() -> io::Result<()> {
    let &(port, smoke) = ARGS.as_ref().map_err(|e| Error::other(e.to_string()))?;
    let core = aio::cores::current().expect("threads = \"all\" runs on a core");
    let config = NetConfig::default().reuse_port(true);
    let listener = TcpListener::bind_with((Ipv4Addr::LOCALHOST, port), &config)?;
    let client = aio::spawn(async move {
        if !smoke {
            println!("{core}: serving http://127.0.0.1:{port}/");
            return STOP.trigger_on_signal();
        }
        let checked = smoke_client(port).await;
        // The last client to finish stops every core, pass or fail.
        if CLIENTS_DONE.fetch_add(1, SeqCst) + 1 == Cores::all().cpus()?.len() {
            STOP.trigger();
        }
        checked.map(|()| println!("{core}: {SMOKE_REQUESTS} answers checked"))
    });
    while let Some((stream, peer)) = STOP.until(listener.accept()).await.transpose()? {
        aio::spawn(async move {
            if let Err(e) = serve_connection(stream, core.index()).await {
                eprintln!("{core}: {peer}: {e}");
            }
        });
    }
    client.await?
}

/// Answers requests until the client closes or sends `Connection: close`.
async fn serve_connection(stream: TcpStream, core: usize) -> io::Result<()> {
    let mut conn = BufReader::new(stream);
    while let Some((_request, body, close)) = read_message(&mut conn).await? {
        let text = format!("Hello from core {core} ({} body bytes)\n", body.len());
        let (close, n) = (if close { "Connection: close\r\n" } else { "" }, text.len());
        let head = format!("HTTP/1.1 200 OK\r\n{close}Content-Length: {n}\r\n\r\n");
        conn.write_all(head + &text).await.0?;
        if !close.is_empty() {
            break;
        }
    }
    Ok(())
}

type Message = (String, Box<[u8]>, bool);
/// Reads a request or response: (first line, body, `Connection: close`?), `None` at end of stream.
async fn read_message(conn: &mut BufReader<TcpStream>) -> io::Result<Option<Message>> {
    let (mut first, mut line, mut length, mut close) = (String::new(), String::new(), 0, false);
    if conn.read_line(&mut first).await? == 0 {
        return Ok(None);
    }
    while conn.read_line(&mut line).await? > 0 && !line.trim_end().is_empty() {
        let header = std::mem::take(&mut line).trim_end().to_ascii_lowercase();
        if let Some(value) = header.strip_prefix("content-length:") {
            let valid = value.trim().parse().ok().filter(|n| *n <= 1 << 20); // 1 MiB at most
            length = valid.ok_or(ErrorKind::InvalidData)?;
        }
        close |= header == "connection: close";
    }
    let (res, body) = match length {
        0 => (Ok(0), Box::default()), // `read_exact` refuses a buffer with no room
        n => conn.read_exact(vec![0; n].into_boxed_slice()).await,
    };
    res.map(|_| Some((first.trim_end().to_owned(), body, close)))
}

/// Sends keep-alive requests, the last with `Connection: close`, and checks each answer.
async fn smoke_client(port: u16) -> io::Result<()> {
    let mut conn = BufReader::new(TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await?);
    for i in 1..=SMOKE_REQUESTS {
        let last = i == SMOKE_REQUESTS;
        let close = if last { "Connection: close\r\n" } else { "" };
        let req = format!("POST /{i} HTTP/1.1\r\nHost: aio\r\n{close}Content-Length: 4\r\n\r\n");
        conn.write_all(req + "ping").await.0?;
        let answer = read_message(&mut conn).await?;
        let (status, text, closing) = answer.ok_or(ErrorKind::UnexpectedEof)?;
        if status != "HTTP/1.1 200 OK" || closing != last || !text.ends_with(b" (4 body bytes)\n") {
            return Err(Error::other(format!("answer {i}: {}", text.escape_ascii())));
        }
    }
    let after_close = read_message(&mut conn).await?;
    after_close.map_or(Ok(()), |_| Err(Error::other("spoke after close")))
}
