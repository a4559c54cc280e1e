//! A minimal HTTP/1.1 server written directly on aio's rent I/O, in the
//! shape of the TechEmpower "plaintext" test: every request gets a fixed
//! `Hello, World!`, requests may be pipelined (many in one packet), and
//! the answers to one batch leave in one write.
//!
//! ```text
//! cargo run --release --example plaintext                  # every core, port 8080
//! cargo run --release --example plaintext -- --port 8081 --cores 1
//! cargo run --release --example plaintext -- --smoke       # serve, check, exit
//! wrk -t1 -c64 -d5s http://127.0.0.1:8080/plaintext
//! ```
//!
//! Each core binds the port with `SO_REUSEPORT` and receives with one
//! multishot receive per connection (`recv_multi`) from a per-core pool of
//! provided buffers (io_uring picks the buffer when data arrives, so an
//! idle connection holds none); on epoll the same code runs on aio's
//! emulation. Only bodiless requests (GET, HEAD) are served: a request
//! announcing a body closes the connection.
//!
//! It is also the "aio-plaintext" server of `cargo bench --bench http`.

use std::cell::RefCell;
use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

use aio::buf::BufPool;
use aio::cores::Cores;
use aio::net::{NetConfig, TcpListener, TcpStream};
use aio::prelude::*;

/// Serves `listener` until the task is dropped: one task per connection,
/// one buffer pool for all of them.
pub async fn serve(listener: TcpListener) -> io::Result<()> {
    let pool = BufPool::new(1024, 4096)?;
    loop {
        let (stream, _) = listener.accept().await?;
        let pool = pool.clone();
        aio::spawn(async move {
            let _ = connection(stream, &pool).await;
        });
    }
}

/// One connection: answer every complete request in what arrived, in one
/// write; keep a partial request for the next receive.
async fn connection(stream: TcpStream, pool: &BufPool) -> io::Result<()> {
    let (mut rd, mut wr) = stream.into_split();
    let mut received = rd.recv_multi(pool);
    let mut pending = Vec::new(); // an incomplete request, if any
    let mut out = Vec::with_capacity(4096);
    while let Some(buf) = received.next().await {
        let buf = buf?;
        let data: &[u8] = if pending.is_empty() {
            &buf
        } else {
            pending.extend_from_slice(&buf);
            &pending
        };
        let mut at = 0;
        while let Some(end) = find(&data[at..], b"\r\n\r\n") {
            if has_body(&data[at..at + end]) {
                return Ok(());
            }
            append_response(&mut out);
            at += end + 4;
        }
        let rest = data[at..].to_vec();
        pending = rest;
        if pending.len() > 8192 {
            return Ok(()); // headers too large
        }
        if !out.is_empty() {
            let (res, mut back) = wr.write_all(out).await;
            res?;
            back.clear();
            out = back;
        }
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Whether a request head announces a body (not served here).
fn has_body(head: &[u8]) -> bool {
    head.split(|&b| b == b'\n').any(|line| {
        let line = line.to_ascii_lowercase();
        (line.starts_with(b"content-length:")
            && !line.ends_with(b" 0\r")
            && !line.ends_with(b":0\r"))
            || line.starts_with(b"transfer-encoding:")
    })
}

fn append_response(out: &mut Vec<u8>) {
    out.extend_from_slice(b"HTTP/1.1 200 OK\r\nServer: aio\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nDate: ");
    DATE.with(|d| {
        let mut d = d.borrow_mut();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |t| t.as_secs());
        if d.0 != now {
            *d = (now, http_date(now));
        }
        out.extend_from_slice(d.1.as_bytes());
    });
    out.extend_from_slice(b"\r\n\r\nHello, World!");
}

thread_local! {
    /// The `Date` header, formatted once per second per core.
    static DATE: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

/// `secs` since the epoch as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn http_date(secs: u64) -> String {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[(days % 7) as usize],
        MONTHS[month as usize - 1],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Sends `batches` batches of 16 pipelined requests on one connection and
/// checks that 16 responses come back for each.
async fn smoke_client(port: u16, batches: usize) -> io::Result<()> {
    let mut conn = TcpStream::connect(("127.0.0.1", port)).await?;
    let request = "GET /plaintext HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n".repeat(16);
    for _ in 0..batches {
        conn.write_all(request.clone()).await.0?;
        let mut got = Vec::with_capacity(64 << 10);
        while got.windows(13).filter(|w| w == b"Hello, World!").count() < 16 {
            got.reserve(4096);
            let (res, back) = conn.read(got).await;
            got = back;
            if res? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "server closed",
                ));
            }
        }
        assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"));
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
    };
    let smoke = args.iter().any(|a| a == "--smoke");
    let port: u16 = match (value("--port"), smoke) {
        (Some(p), _) => p
            .parse()
            .map_err(|_| io::Error::other("--port: a number"))?,
        // Smoke: a port free now (every core binds the same one).
        (None, true) => std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port(),
        (None, false) => 8080,
    };
    let cores = match value("--cores") {
        Some(n) => Cores::first(
            n.parse()
                .map_err(|_| io::Error::other("--cores: a number"))?,
        ),
        // Smoke: one core, so no core's exit cuts off another's client.
        None if smoke => Cores::first(1),
        None => Cores::all(),
    };
    let config = NetConfig::default().reuse_port(true);
    println!(
        "plaintext: http://127.0.0.1:{port}/plaintext on {} cores",
        cores.cpus()?.len()
    );
    cores
        .run(move |_core| {
            let config = config.clone();
            async move {
                let listener = TcpListener::bind_with(("0.0.0.0", port), &config)?;
                if !smoke {
                    return serve(listener).await;
                }
                let server = aio::spawn(serve(listener));
                smoke_client(port, 50).await?;
                server.abort();
                println!("smoke: 800 pipelined requests answered");
                Ok(())
            }
        })?
        .into_iter()
        .collect()
}
