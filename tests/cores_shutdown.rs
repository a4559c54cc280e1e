//! Graceful shutdown: the `Shutdown` token's guarantees, and the documented
//! pattern stopping every core on SIGTERM within a second without cutting a
//! connection mid-message.

use std::future::Future;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

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

#[derive(Default)]
struct CountWaker(AtomicUsize);

impl Wake for CountWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn trigger_wakes_every_waiter_even_after_another_was_dropped() {
    let shutdown = Shutdown::new();
    let (wa, wb) = (
        Arc::new(CountWaker::default()),
        Arc::new(CountWaker::default()),
    );
    let (ka, kb) = (Waker::from(Arc::clone(&wa)), Waker::from(Arc::clone(&wb)));
    let mut a = Box::pin(shutdown.wait());
    let mut b = pin!(shutdown.wait());
    assert!(a.as_mut().poll(&mut Context::from_waker(&ka)).is_pending());
    assert!(b.as_mut().poll(&mut Context::from_waker(&kb)).is_pending());
    drop(a);
    assert!(!shutdown.is_triggered());
    shutdown.clone().trigger();
    assert_eq!(wb.0.load(SeqCst), 1);
    assert_eq!(wa.0.load(SeqCst), 0, "a dropped waiter was woken");
    assert_eq!(
        b.as_mut().poll(&mut Context::from_waker(&kb)),
        Poll::Ready(())
    );
    // Later waiters complete at once.
    assert_eq!(
        pin!(shutdown.wait()).poll(&mut Context::from_waker(&kb)),
        Poll::Ready(())
    );
}

#[test]
fn drained_waits_for_the_trigger_and_every_in_flight_guard() {
    let shutdown = Shutdown::new();
    let w = Arc::new(CountWaker::default());
    let waker = Waker::from(Arc::clone(&w));
    let mut cx = Context::from_waker(&waker);
    let g1 = shutdown.track();
    let g2 = shutdown.track();
    assert_eq!(shutdown.in_flight(), 2);
    let mut drained = pin!(shutdown.drained());
    assert!(drained.as_mut().poll(&mut cx).is_pending());
    drop(g1);
    assert!(
        drained.as_mut().poll(&mut cx).is_pending(),
        "not triggered yet"
    );
    shutdown.trigger();
    assert!(
        drained.as_mut().poll(&mut cx).is_pending(),
        "g2 still in flight"
    );
    let woken = w.0.load(SeqCst);
    std::thread::spawn(move || drop(g2)).join().unwrap();
    assert!(
        w.0.load(SeqCst) > woken,
        "the last guard did not wake drained()"
    );
    assert_eq!(drained.as_mut().poll(&mut cx), Poll::Ready(()));
}

/// Both cores wait on the token; a plain thread triggers it; both return
/// promptly, and `until` stops a future that would never finish.
#[test]
fn a_trigger_from_a_plain_thread_stops_every_core() {
    let Some(cores) = two_cores() else { return };
    let shutdown = Shutdown::new();
    let trigger = shutdown.clone();
    let t0 = Instant::now();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        trigger.trigger();
    });
    let out = cores
        .run(move |_| {
            let shutdown = shutdown.clone();
            async move {
                let never = std::future::pending::<()>();
                let stopped = shutdown.until(never).await.is_none();
                shutdown.wait().await;
                stopped
            }
        })
        .unwrap();
    assert_eq!(out, vec![true, true]);
    assert!(
        t0.elapsed() < Duration::from_secs(1),
        "took {:?}",
        t0.elapsed()
    );
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

/// The pattern of the module docs, on 2 cores: SIGTERM arrives while 16
/// clients are mid-session; accept loops stop, every session still
/// completes all its messages, and every core returns within a second.
#[test]
fn sigterm_stops_all_cores_within_a_second_without_cutting_a_connection() {
    let Some(cores) = two_cores() else { return };
    const CLIENTS: usize = 16;
    const MESSAGES: usize = 20;
    const SIZE: usize = 1000;

    let shutdown = Shutdown::new();
    shutdown.trigger_on_signal().expect("signal handler");
    let (addr_tx, mut addr_rx) = channel::<SocketAddr>(2);
    let (port_tx, port_rx) = channel::<SocketAddr>(1);
    type Slots = (
        Mutex<Option<Sender<SocketAddr>>>,
        Mutex<Option<Receiver<SocketAddr>>>,
    );
    let slots: Arc<Slots> = Arc::new((Mutex::new(Some(port_tx)), Mutex::new(Some(port_rx))));

    let stop = shutdown.clone();
    let server = std::thread::spawn(move || {
        let out = cores.run(move |core| {
            let (slots, stop, addr_tx) = (Arc::clone(&slots), stop.clone(), addr_tx.clone());
            async move {
                // The same signal is also visible to any task as a future.
                let signal = aio::spawn(aio::cores::shutdown_signal());
                let config = NetConfig::default().reuse_port(true);
                let listener = if core.index() == 0 {
                    let l = TcpListener::bind_with("127.0.0.1:0", &config)?;
                    let tx = slots.0.lock().unwrap().take().unwrap();
                    tx.send(l.local_addr()?).await.unwrap();
                    l
                } else {
                    let mut rx = slots.1.lock().unwrap().take().unwrap();
                    let addr = rx.recv().await.unwrap();
                    TcpListener::bind_with(addr, &config)?
                };
                addr_tx.send(listener.local_addr()?).await.unwrap();
                drop(addr_tx);
                while let Some(res) = stop.until(listener.accept()).await {
                    let (stream, _) = res?;
                    let guard = stop.track();
                    aio::spawn(async move {
                        echo(stream).await.expect("echo");
                        drop(guard);
                    });
                }
                drop(listener);
                aio::time::timeout(Duration::from_secs(5), stop.drained())
                    .await
                    .expect("in-flight connections did not finish");
                signal.await.expect("signal task").expect("shutdown_signal");
                Ok::<(), io::Error>(())
            }
        });
        (out, Instant::now())
    });

    let addr = addr_rx.recv_blocking().unwrap();
    assert_eq!(addr_rx.recv_blocking(), Some(addr), "both cores bound");
    let started = Arc::new(std::sync::Barrier::new(CLIENTS + 1));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let started = Arc::clone(&started);
            std::thread::spawn(move || -> io::Result<usize> {
                let mut s = std::net::TcpStream::connect(addr)?;
                s.set_nodelay(true)?;
                let msg = vec![c as u8; SIZE];
                let mut done = 0;
                for i in 0..MESSAGES {
                    s.write_all(&msg)?;
                    let mut back = vec![0; SIZE];
                    s.read_exact(&mut back)?;
                    assert_eq!(back, msg, "client {c} message {i} corrupted");
                    done += 1;
                    if i == 0 {
                        started.wait();
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                Ok(done)
            })
        })
        .collect();
    started.wait();
    // Every client is mid-session now.
    // SAFETY: kill/getpid have no memory-safety preconditions; the process
    // handles SIGTERM (trigger_on_signal above).
    let rc = unsafe { libc::kill(libc::getpid(), libc::SIGTERM) };
    assert_eq!(rc, 0);
    let signalled = Instant::now();

    for (c, client) in clients.into_iter().enumerate() {
        let done = client
            .join()
            .unwrap()
            .unwrap_or_else(|e| panic!("client {c} cut off: {e}"));
        assert_eq!(done, MESSAGES, "client {c}");
    }
    let (out, stopped) = server.join().unwrap();
    for r in out.expect("cores failed") {
        r.expect("a core failed");
    }
    let took = stopped - signalled;
    println!("all cores stopped {took:?} after SIGTERM");
    assert!(took < Duration::from_secs(1), "cores took {took:?} to stop");
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "still accepting after shutdown"
    );
}
