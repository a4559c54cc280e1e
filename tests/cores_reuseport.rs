//! Sharded listening: every core binds the same address with
//! `SO_REUSEPORT`, and under load the kernel hands connections to every
//! core's listener.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aio::cores::{channel, Cores, Receiver, Sender, Shutdown};
use aio::net::{NetConfig, TcpListener, TcpStream};
use aio::{AsyncReadRent, AsyncWriteRentExt};

fn two_cores() -> Option<Cores> {
    match Cores::first(2).cpus() {
        Ok(_) => Some(Cores::first(2)),
        Err(e) => {
            eprintln!("note: skipping, this test needs 2 CPUs: {e}");
            None
        }
    }
}

/// Echoes until the peer closes; returns the bytes echoed.
async fn echo(mut stream: TcpStream) -> io::Result<u64> {
    let mut buf = Vec::with_capacity(4096);
    let mut total = 0;
    loop {
        let (res, b) = stream.read(buf).await;
        let n = res?;
        if n == 0 {
            return Ok(total);
        }
        let (res, mut b) = stream.write_all(b).await;
        res?;
        total += n as u64;
        b.clear();
        buf = b;
    }
}

#[test]
fn reuse_port_listeners_on_two_cores_both_accept_under_load() {
    let Some(cores) = two_cores() else { return };
    const CONNS: usize = 200;
    const ROUNDS: usize = 10;
    const CLIENT_THREADS: usize = 8;

    let shutdown = Shutdown::new();
    // Core 0 binds an ephemeral port and passes it to core 1, which binds
    // the same one and then tells the test where to connect.
    let (port_tx, port_rx) = channel::<SocketAddr>(1);
    let (ready_tx, mut ready_rx) = channel::<SocketAddr>(1);
    type Slots = (
        Mutex<Option<Sender<SocketAddr>>>,
        Mutex<Option<Receiver<SocketAddr>>>,
        Mutex<Option<Sender<SocketAddr>>>,
    );
    let slots: Arc<Slots> = Arc::new((
        Mutex::new(Some(port_tx)),
        Mutex::new(Some(port_rx)),
        Mutex::new(Some(ready_tx)),
    ));

    let stop = shutdown.clone();
    let server = std::thread::spawn(move || {
        cores.run(move |core| {
            let (slots, stop) = (Arc::clone(&slots), stop.clone());
            async move {
                let config = NetConfig::default().reuse_port(true);
                let listener = if core.index() == 0 {
                    let l = TcpListener::bind_with("127.0.0.1:0", &config)?;
                    let tx = slots.0.lock().unwrap().take().unwrap();
                    tx.send(l.local_addr()?).await.unwrap();
                    l
                } else {
                    let mut rx = slots.1.lock().unwrap().take().unwrap();
                    let addr = rx.recv().await.unwrap();
                    let l = TcpListener::bind_with(addr, &config)?;
                    let tx = slots.2.lock().unwrap().take().unwrap();
                    tx.send(addr).await.unwrap();
                    l
                };
                let mut accepted = 0usize;
                while let Some(res) = stop.until(listener.accept()).await {
                    let (stream, _) = res?;
                    accepted += 1;
                    let guard = stop.track();
                    aio::spawn(async move {
                        echo(stream).await.expect("echo");
                        drop(guard);
                    });
                }
                aio::time::timeout(Duration::from_secs(5), stop.drained())
                    .await
                    .expect("connections did not finish");
                Ok::<usize, io::Error>(accepted)
            }
        })
    });

    let addr = ready_rx.recv_blocking().expect("server did not start");
    let clients: Vec<_> = (0..CLIENT_THREADS)
        .map(|_| {
            std::thread::spawn(move || {
                let mut streams: Vec<std::net::TcpStream> = (0..CONNS / CLIENT_THREADS)
                    .map(|_| std::net::TcpStream::connect(addr).expect("connect"))
                    .collect();
                for round in 0..ROUNDS {
                    for (i, s) in streams.iter_mut().enumerate() {
                        let msg = format!("round {round} conn {i}");
                        s.write_all(msg.as_bytes()).unwrap();
                        let mut back = vec![0; msg.len()];
                        s.read_exact(&mut back).unwrap();
                        assert_eq!(back, msg.as_bytes());
                    }
                }
            })
        })
        .collect();
    for c in clients {
        c.join().expect("client failed");
    }
    shutdown.trigger();
    let accepted: Vec<usize> = server
        .join()
        .unwrap()
        .expect("server failed")
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("a core failed");
    println!("connections accepted per core: {accepted:?}");
    assert_eq!(accepted.iter().sum::<usize>(), CONNS);
    assert!(
        accepted.iter().all(|&n| n > 0),
        "a core accepted nothing: {accepted:?}"
    );
}
