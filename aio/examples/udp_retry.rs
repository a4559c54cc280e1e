//! A UDP client with retries. Each request goes out with `send_to`, which
//! takes a host name (`("localhost", port)`), and `recv_from_timeout` waits
//! for the reply: on expiry the buffer comes back with `ErrorKind::TimedOut`,
//! and the request is sent again with twice the wait (exponential backoff).
//! The echo server runs in the same process and drops the first `K`
//! datagrams on purpose, to show the retries.
//!
//! ```text
//! cargo run --release --example udp_retry                 # 5 requests, the first 3 datagrams lost
//! cargo run --release --example udp_retry -- --drop 7     # more than the client tries: it gives up
//! cargo run --release --example udp_retry -- --smoke      # self-test (also with AIO_DRIVER=epoll)
//! ```

use std::io::{self, Error, ErrorKind};
use std::time::{Duration, Instant};

use aio::net::UdpSocket;

/// Sends per request, and the reply timeout of the first (doubled after each).
const ATTEMPTS: u32 = 6;
const FIRST_TIMEOUT: Duration = Duration::from_millis(20);

#[aio::main]
async fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (requests, drop) = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => (5, 3),
        ["--drop", k] => (5, k.parse().map_err(|_| Error::other("bad --drop"))?),
        ["--smoke"] => (20, 3),
        _ => return Err(Error::other("usage: udp_retry [--drop K | --smoke]")),
    };
    let server = UdpSocket::bind("127.0.0.1:0")?;
    let port = server.local_addr()?.port();
    aio::spawn(async move {
        if let Err(e) = echo_server(server, drop).await {
            eprintln!("server: {e}");
        }
    });

    let socket = UdpSocket::bind("127.0.0.1:0")?;
    let started = Instant::now();
    for i in 1..=requests {
        let reply = ask(&socket, port, format!("request {i}")).await?;
        println!("got {reply:?}");
    }
    println!("{requests} replies checked in {:?}", started.elapsed());
    Ok(())
}

/// Sends `request` to the server on `port` until the same text comes back.
async fn ask(socket: &UdpSocket, port: u16, mut request: String) -> io::Result<String> {
    // One buffer for every attempt: a receive that times out gives it back.
    let mut reply = Vec::with_capacity(1500);
    let mut timeout = FIRST_TIMEOUT;
    for attempt in 1..=ATTEMPTS {
        // A name is resolved on each send; resolve once yourself to send many.
        let (res, sent) = socket.send_to(request, ("localhost", port)).await;
        request = sent;
        res?;
        let (res, buf) = socket.recv_from_timeout(reply, timeout).await;
        reply = buf;
        match res {
            Ok(_) if reply == request.as_bytes() => return Ok(request),
            // A late reply to an earlier request: try again.
            Ok((_, from)) => println!(
                "  {from} sent {:?}; ignored",
                String::from_utf8_lossy(&reply)
            ),
            Err(e) if e.kind() == ErrorKind::TimedOut => {
                println!("  {request:?}: no reply in {timeout:?} (attempt {attempt})");
                timeout *= 2;
            }
            Err(e) => return Err(e),
        }
        reply.clear();
    }
    let msg = format!("{request:?}: no reply after {ATTEMPTS} attempts");
    Err(Error::new(ErrorKind::TimedOut, msg))
}

/// Echoes every datagram back to its sender, except the first `drop`.
async fn echo_server(socket: UdpSocket, mut drop: usize) -> io::Result<()> {
    let mut buf = Vec::with_capacity(1500);
    loop {
        let (res, mut datagram) = socket.recv_from(buf).await;
        let (_, from) = res?;
        if drop > 0 {
            drop -= 1;
            println!(
                "  server: dropped {:?} on purpose",
                String::from_utf8_lossy(&datagram)
            );
        } else {
            let (res, sent) = socket.send_to(datagram, from).await;
            datagram = sent;
            res?;
        }
        datagram.clear(); // a receive fills the spare capacity: make it all spare
        buf = datagram;
    }
}
