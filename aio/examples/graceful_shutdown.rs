//! Graceful shutdown of a thread-per-core server on Ctrl-C (SIGINT) or
//! SIGTERM: every core stops accepting, the connections in flight finish
//! (up to a grace period), then the process exits 0.
//!
//! ```text
//! cargo run --example graceful_shutdown -- [--addr 127.0.0.1:7000] [--cores N]
//!                                          [--grace SECS] [--stop-after SECS]
//! ```
//!
//! Try it with `nc 127.0.0.1 7000` in another terminal (an echo server),
//! then press Ctrl-C: the listeners close at once, the `nc` session keeps
//! working until you end it, and the server exits when the last one is
//! gone (or after `--grace` seconds). A second Ctrl-C exits at once (status
//! 130): the example opts in with `aio::cores::exit_on_second_signal(true)`;
//! by default a second signal does not end the process.
//! `--stop-after SECS` triggers the same shutdown from a timer, for
//! unattended runs.
//!
//! The pattern, per core (see the `aio::cores` module docs):
//! 1. `shutdown.until(listener.accept())` ends the accept loop when the
//!    token is triggered;
//! 2. each connection holds `shutdown.track()` while it is served;
//! 3. `timeout(grace, shutdown.drained())` waits for all of them.

use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use aio::cores::{Cores, Shutdown};
use aio::net::{NetConfig, TcpListener, TcpStream};
use aio::{AsyncReadRent, AsyncWriteRentExt};

struct Args {
    addr: SocketAddr,
    cores: Option<usize>,
    grace: Duration,
    stop_after: Option<Duration>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: "127.0.0.1:7000".parse().unwrap(),
        cores: None,
        grace: Duration::from_secs(10),
        stop_after: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let secs = |v: &str| {
            v.parse::<f64>()
                .ok()
                .filter(|s| *s >= 0.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| format!("{flag}: not a number of seconds: {v:?}"))
        };
        match flag.as_str() {
            "--addr" => {
                args.addr = value
                    .parse()
                    .map_err(|_| format!("--addr: not HOST:PORT: {value:?}"))?
            }
            "--cores" => {
                args.cores = Some(
                    value
                        .parse()
                        .map_err(|_| format!("--cores: not a number: {value:?}"))?,
                )
            }
            "--grace" => args.grace = secs(&value)?,
            "--stop-after" => args.stop_after = Some(secs(&value)?),
            other => return Err(format!("unknown flag {other:?}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("graceful_shutdown: {e}");
            eprintln!("usage: graceful_shutdown [--addr HOST:PORT] [--cores N] [--grace SECS] [--stop-after SECS]");
            return ExitCode::from(2);
        }
    };
    match serve(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("graceful_shutdown: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: Args) -> io::Result<()> {
    let shutdown = Shutdown::new();
    // Install the handler before any core starts, so a signal during
    // start-up is not lost (and does not kill the process).
    shutdown.trigger_on_signal()?;
    // A second Ctrl-C ends a shutdown that hangs (off by default).
    aio::cores::exit_on_second_signal(true);
    if let Some(after) = args.stop_after {
        let timer = shutdown.clone();
        std::thread::spawn(move || {
            std::thread::sleep(after);
            eprintln!("--stop-after elapsed: shutting down");
            timer.trigger();
        });
    }
    let cores = args.cores.map_or_else(Cores::all, Cores::first);
    let (addr, grace) = (args.addr, args.grace);
    eprintln!("echo server on {addr}; Ctrl-C to stop");
    let served = cores.run(move |core| {
        let shutdown = shutdown.clone();
        async move {
            let listener = TcpListener::bind_with(addr, &NetConfig::default().reuse_port(true))?;
            let mut accepted = 0u64;
            // 1. Accept until the token is triggered.
            while let Some(res) = shutdown.until(listener.accept()).await {
                let (stream, peer) = match res {
                    Ok(conn) => conn,
                    Err(e) => {
                        eprintln!("{core}: accept: {e}");
                        continue;
                    }
                };
                accepted += 1;
                // 2. Count the connection as in flight while it is served.
                let guard = shutdown.track();
                aio::spawn(async move {
                    if let Err(e) = echo(stream).await {
                        eprintln!("{core}: {peer}: {e}");
                    }
                    drop(guard);
                });
            }
            // No new connections from here on.
            drop(listener);
            let left = shutdown.in_flight();
            if left > 0 {
                eprintln!("{core}: stopped accepting; {left} connection(s) in flight (all cores)");
            }
            // 3. Let the connections in flight finish, within the grace period.
            if aio::time::timeout(grace, shutdown.drained()).await.is_err() {
                eprintln!(
                    "{core}: grace period over; closing {} connection(s)",
                    shutdown.in_flight()
                );
            }
            Ok::<u64, io::Error>(accepted)
        }
    })?;
    for (i, res) in served.into_iter().enumerate() {
        eprintln!("core {i}: accepted {} connection(s)", res?);
    }
    eprintln!("stopped cleanly");
    Ok(())
}

/// Echoes until the peer closes.
async fn echo(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = Vec::with_capacity(4096);
    loop {
        let (res, b) = stream.read(buf).await;
        if res? == 0 {
            return Ok(());
        }
        let (res, mut b) = stream.write_all(b).await;
        res?;
        b.clear();
        buf = b;
    }
}
