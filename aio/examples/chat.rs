//! A cross-core chat server: a line one TCP client sends reaches every other
//! client, whichever core serves it, through one `aio::cores::broadcast`
//! channel. Each connection's task `select`s the client's or channel's next line.
//!
//! ```text
//! cargo run --release --example chat -- --port 7000
//! nc 127.0.0.1 7000        # in two or more terminals, then type lines
//! cargo run --release --example chat -- --smoke   # self-test (also with AIO_DRIVER=epoll)
//! ```

use std::io::{self, Error, ErrorKind};
use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdListener};
use std::sync::LazyLock;
use std::time::Duration;

use aio::cores::{broadcast::Sender, CoreId, Cores, Shutdown};
use aio::future::{select, Either};
use aio::io::{BufReader, Lines};
use aio::net::{NetConfig, OwnedReadHalf, TcpListener, TcpStream};
use aio::prelude::*;

/// A chat line, and the client that said it (it is not sent back there).
type Said = (SocketAddr, String);
/// Ends every core's accept loop: on Ctrl-C, or once the smoke test is done.
static STOP: LazyLock<Shutdown> = LazyLock::new(Shutdown::new);

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (port, smoke) = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => (7000, false),
        ["--port", port] => (port.parse().map_err(|_| Error::other("bad --port"))?, false),
        // The cores share one port, so they cannot each bind port 0: find a free one.
        ["--smoke"] => (StdListener::bind("127.0.0.1:0")?.local_addr()?.port(), true),
        _ => return Err(Error::other("usage: chat [--port P | --smoke]")),
    };
    if !smoke {
        STOP.trigger_on_signal()?;
        println!("chat on 127.0.0.1:{port}; Ctrl-C to stop");
    }
    let tx = aio::cores::broadcast::<Said>(1024).0;
    let served = Cores::all().run(move |core| serve(core, port, smoke, tx.clone()))?;
    served.into_iter().collect()
}

/// One core: accepts until stopped; each connection chats on its own task.
async fn serve(core: CoreId, port: u16, smoke: bool, tx: Sender<Said>) -> io::Result<()> {
    let config = NetConfig::default().reuse_port(true);
    let listener = TcpListener::bind_with((Ipv4Addr::LOCALHOST, port), &config)?;
    // In a smoke run, core 0 also runs the clients, then stops every core.
    let test = (smoke && core.index() == 0).then(|| aio::spawn(smoke_test(port)));
    while let Some((stream, peer)) = STOP.until(listener.accept()).await.transpose()? {
        let tx = tx.clone();
        aio::spawn(async move {
            if let Err(e) = chat(stream, core, peer, tx).await {
                eprintln!("{core}: {peer}: {e}");
            }
        });
    }
    match test {
        Some(test) => test.await?,
        None => Ok(()),
    }
}

/// Sends the client's lines to everyone, and everyone else's lines to the client.
async fn chat(stream: TcpStream, core: CoreId, id: SocketAddr, tx: Sender<Said>) -> io::Result<()> {
    let mut rx = tx.subscribe();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(format!("{core} welcomes {id}\n")).await.0?;
    loop {
        // Both are cancel safe: the one that loses the race loses nothing.
        let text = match select(lines.next(), rx.recv()).await {
            Either::Left(None) => return Ok(()), // the client left
            Either::Left(Some(line)) => {
                let said = format!("{id}: {}\n", line?);
                tx.send((id, said)).map_err(Error::other)?;
                continue;
            }
            Either::Right(Ok((from, _))) if from == id => continue,
            Either::Right(Ok((_, text))) => text,
            Either::Right(Err(e)) => format!("* {e}\n"), // `Lagged`: we hold a sender
        };
        write.write_all(text).await.0?;
    }
}

async fn smoke_test(port: u16) -> io::Result<()> {
    let checked = aio::time::timeout(Duration::from_secs(10), chat_clients(port)).await;
    STOP.trigger();
    checked?
}

/// Three clients, spread over the cores by the kernel, each say hi; each must hear the others only.
async fn chat_clients(port: u16) -> io::Result<()> {
    let mut clients = Vec::new();
    for _ in 0..3 {
        let (read, write) = TcpStream::connect(("127.0.0.1", port)).await?.into_split();
        let mut lines = BufReader::new(read).lines();
        // Once welcomed, a client is subscribed: it hears every later line.
        println!("{}", hear(&mut lines).await?);
        clients.push((lines, write));
    }
    for (i, (_, write)) in clients.iter_mut().enumerate() {
        write.write_all(format!("hi from {i}\n")).await.0?;
    }
    for (i, (lines, _)) in clients.iter_mut().enumerate() {
        let heard = format!("{} / {}", hear(lines).await?, hear(lines).await?);
        println!("client {i} heard: {heard}");
        if !(0..3).all(|k| heard.contains(&format!("hi from {k}")) == (k != i)) {
            return Err(Error::other(format!("client {i}: wrong lines")));
        }
    }
    Ok(())
}

async fn hear(lines: &mut Lines<OwnedReadHalf>) -> io::Result<String> {
    lines.next().await.ok_or(ErrorKind::UnexpectedEof)?
}
