//! Moving sockets between cores and out to std: `into_std`, `AsFd`,
//! `AsRawFd` and `IntoRawFd` on every socket type; the accept-on-one-core,
//! serve-on-another pattern; and borrowed `split` / owned-half `reunite`.

// The fd-count test holds the process lock across awaits on purpose: no
// other test may open descriptors while it counts them.
#![allow(clippy::await_holding_lock)]

mod support;

use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, IntoRawFd};
use std::sync::mpsc;
use std::time::Duration;

use aio::cores::{mesh, Cores};
use aio::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRent, AsyncWriteRentExt};
use aio::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use support::{drivers, fd_count, pattern, process_lock, temp_socket_path};

/// Core 0 accepts; each connection goes to core 1 as a std stream over a
/// mesh and is served (echoed) there. Per driver, and for both drivers.
#[test]
fn accept_on_one_core_serve_on_another() {
    let Ok(cpus) = Cores::first(2).cpus() else {
        eprintln!("note: skipping, needs 2 CPUs");
        return;
    };
    for driver in drivers() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (served_tx, served_rx) = mpsc::channel();
        let clients = std::thread::spawn(move || {
            for i in 0..20u64 {
                let mut c = std::net::TcpStream::connect(addr).unwrap();
                let data = pattern(i, 10_000);
                c.write_all(&data).unwrap();
                c.shutdown(std::net::Shutdown::Write).unwrap();
                let mut back = Vec::new();
                c.read_to_end(&mut back).unwrap();
                assert!(back == data, "connection {i} echoed wrong bytes");
            }
        });
        let values: Vec<_> = mesh::<std::net::TcpStream>(cpus.len(), 4)
            .into_iter()
            .map(|end| (end, Some(listener.try_clone().unwrap()), served_tx.clone()))
            .collect();
        drop(served_tx);
        let builder = aio::RuntimeBuilder::new().driver(driver);
        Cores::first(2)
            .runtime(builder)
            .run_with(values, |core, (end, listener, served)| async move {
                if core.index() == 0 {
                    let listener = TcpListener::from_std(listener.unwrap()).unwrap();
                    for _ in 0..20 {
                        let (conn, _) = listener.accept().await.unwrap();
                        let std = conn.into_std().unwrap();
                        assert!(std.nonblocking_is_off());
                        end.peers[1].send(std).await.unwrap();
                    }
                    drop(end);
                } else {
                    drop(end.peers);
                    let mut inbox = end.inbox;
                    let mut n = 0;
                    while let Some(std) = inbox.recv().await {
                        let mut conn = TcpStream::from_std(std).unwrap();
                        let mut data = Vec::with_capacity(64 << 10);
                        loop {
                            let (res, buf) = conn.read(data).await;
                            data = buf;
                            if res.unwrap() == 0 {
                                break;
                            }
                            data.reserve(64 << 10);
                        }
                        conn.write_all(data).await.0.unwrap();
                        n += 1;
                        if n == 20 {
                            break;
                        }
                    }
                    served.send(n).unwrap();
                }
            })
            .unwrap();
        clients.join().unwrap();
        assert_eq!(served_rx.recv().unwrap(), 20, "{driver:?}");
    }
}

trait NonblockingIsOff {
    fn nonblocking_is_off(&self) -> bool;
}

impl<T: AsRawFd> NonblockingIsOff for T {
    fn nonblocking_is_off(&self) -> bool {
        // SAFETY: F_GETFL on a descriptor we own reads its flags.
        let flags = unsafe { libc::fcntl(self.as_raw_fd(), libc::F_GETFL) };
        flags >= 0 && flags & libc::O_NONBLOCK == 0
    }
}

/// Every socket type: `as_fd` names the open descriptor, `into_std` keeps
/// it open (blocking, usable by std), `into_raw_fd` hands it over, and no
/// descriptor leaks on either driver.
#[aio::test]
async fn every_socket_type_converts_to_std_and_raw() {
    let _lock = process_lock();
    let before = fd_count();

    // TCP
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    assert_eq!(listener.as_fd().as_raw_fd(), listener.as_raw_fd());
    let client = TcpStream::connect(addr).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    assert_eq!(server.as_fd().as_raw_fd(), server.as_raw_fd());
    let mut std_client = client.into_std().unwrap();
    assert!(std_client.nonblocking_is_off());
    let server_fd = server.into_raw_fd();
    // SAFETY: `into_raw_fd` gave us the descriptor to own.
    let mut std_server =
        unsafe { <std::net::TcpStream as std::os::fd::FromRawFd>::from_raw_fd(server_fd) };
    std_client.write_all(b"std to std").unwrap();
    let mut buf = [0u8; 10];
    std_server.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"std to std");
    let std_listener = listener.into_std().unwrap();
    std_listener.set_nonblocking(true).unwrap();
    assert_eq!(std_listener.local_addr().unwrap(), addr);
    drop((std_client, std_server, std_listener));

    // UDP
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b_addr = b.local_addr().unwrap();
    assert_eq!(a.as_fd().as_raw_fd(), a.as_raw_fd());
    let std_a = a.into_std().unwrap();
    std_a.send_to(b"dgram", b_addr).unwrap();
    let (res, got) = b.recv_from(Vec::with_capacity(16)).await;
    res.unwrap();
    assert_eq!(got, b"dgram");
    b.into_raw_fd_and_close();
    drop(std_a);

    // Unix stream, listener, datagram
    let path = temp_socket_path("handoff");
    let ul = UnixListener::bind(&path).unwrap();
    let uc = UnixStream::connect(&path).await.unwrap();
    let (us, _) = ul.accept().await.unwrap();
    let mut std_uc = uc.into_std().unwrap();
    let mut std_us = us.into_std().unwrap();
    std_uc.write_all(b"unix").unwrap();
    let mut four = [0u8; 4];
    std_us.read_exact(&mut four).unwrap();
    assert_eq!(&four, b"unix");
    let std_ul = ul.into_std().unwrap();
    drop((std_uc, std_us, std_ul));
    let _ = std::fs::remove_file(&path);
    let (d1, d2) = UnixDatagram::pair().unwrap();
    assert_eq!(d1.as_fd().as_raw_fd(), d1.as_raw_fd());
    let std_d1 = d1.into_std().unwrap();
    std_d1.send(b"ud").unwrap();
    let (res, got) = d2.recv(Vec::with_capacity(4)).await;
    res.unwrap();
    assert_eq!(got, b"ud");
    drop((std_d1, d2));

    // At most `before`: another test's descriptor may close meanwhile for
    // good (a stream handed to std while a cancelled op still held its
    // number closes that number when the cancellation comes in).
    support::wait_until(Duration::from_secs(5), "descriptors back", || {
        fd_count() <= before
    })
    .await;
}

trait IntoRawAndClose {
    fn into_raw_fd_and_close(self);
}

impl<T: IntoRawFd> IntoRawAndClose for T {
    fn into_raw_fd_and_close(self) {
        let fd = self.into_raw_fd();
        // SAFETY: `into_raw_fd` gave us the descriptor to own and close.
        assert_eq!(unsafe { libc::close(fd) }, 0, "the descriptor was open");
    }
}

/// A stream handed to std and back on the same runtime keeps working, and
/// a read dropped in flight before the hand-off does not break it.
#[aio::test]
async fn into_std_and_back_after_a_dropped_read() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    let mut server = server;
    // A read dropped while waiting: its op is cancelled in the background.
    let pending = aio::time::timeout(
        Duration::from_millis(5),
        server.read_exact(Vec::with_capacity(4)),
    )
    .await;
    assert!(pending.is_err(), "nothing was sent yet");
    let std = server.into_std().unwrap();
    let mut server = TcpStream::from_std(std).unwrap();
    client.write_all(b"back".to_vec()).await.0.unwrap();
    let (res, buf) = server.read_exact(Vec::with_capacity(4)).await;
    res.unwrap();
    assert_eq!(buf, b"back");
}

/// `into_std` while a dropped read may still be in the kernel: the new
/// owner gets the same socket (a duplicate number where the old op still
/// holds the original, so that nothing the kernel does late lands on a
/// number that was reused), and dropping it ends the connection. The peer
/// seeing EOF proves the original number was closed too (with the old op):
/// a descriptor left open would keep the socket open.
#[aio::test]
async fn into_std_with_a_read_in_flight_hands_over_the_socket_and_closes_it() {
    let (mut server, mut client) = support::tcp_pair().await;
    let mut read = Box::pin(server.read(Vec::with_capacity(64)));
    assert!(
        support::poll_once(&mut read).await.is_none(),
        "nothing sent yet"
    );
    drop(read);
    let mut std = server.into_std().unwrap();
    std.set_nonblocking(false).unwrap();
    std.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    client.write_all(b"over".to_vec()).await.0.unwrap();
    let mut got = [0u8; 4];
    std.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"over", "the dropped read took the bytes");
    std.write_all(b"back").unwrap();
    let (res, buf) = client.read_exact(Vec::with_capacity(4)).await;
    res.unwrap();
    assert_eq!(buf, b"back");
    drop(std);
    let (res, _) = support::within(
        Duration::from_secs(10),
        "EOF once the std stream is dropped",
        client.read(Vec::with_capacity(8)),
    )
    .await;
    assert_eq!(res.unwrap(), 0);
}

/// `split(&mut self)`: read and write at once from one task.
#[aio::test]
async fn borrowed_halves_read_and_write_at_once() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (mut server, _) = listener.accept().await.unwrap();
    let data = pattern(9, 4 << 20);
    let expected = data.clone();
    // The echo side copies with its two borrowed halves in one task.
    let echo = aio::spawn(async move {
        let (mut r, mut w) = server.split();
        let mut total = 0;
        loop {
            let (res, buf) = r.read(Vec::with_capacity(64 << 10)).await;
            let n = res.unwrap();
            if n == 0 {
                break;
            }
            total += n;
            w.write_all(buf).await.0.unwrap();
        }
        w.shutdown().await.unwrap();
        let _ = (r, w); // the halves' borrows end here
                        // The stream is still ours after the halves are gone.
        assert!(server.local_addr().is_ok());
        total
    });
    let (mut r, mut w) = client.split();
    let (sent, got) = aio::future::join(
        async {
            w.write_all(data).await.0.unwrap();
            w.shutdown().await.unwrap();
        },
        async {
            let mut got = Vec::with_capacity(expected.len());
            loop {
                got.reserve(64 << 10);
                let (res, buf) = r.read(got).await;
                got = buf;
                if res.unwrap() == 0 {
                    return got;
                }
            }
        },
    )
    .await;
    let () = sent;
    assert_eq!(echo.await.unwrap(), expected.len());
    assert!(got == expected);
}

/// `reunite` gives the stream back only for halves of one stream, and the
/// reunited stream's write side is still open (no FIN from the halves).
#[aio::test]
async fn owned_halves_reunite() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let a = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (mut peer, _) = listener.accept().await.unwrap();
    let b = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (_peer_b, _) = listener.accept().await.unwrap();
    let (ar, aw) = a.into_split();
    let (br, bw) = b.into_split();
    let err = ar.reunite(bw).unwrap_err();
    assert!(err.to_string().contains("not from the same stream"));
    let aio::net::ReuniteError(ar, bw) = err;
    let _b = bw.reunite(br).unwrap();
    let mut a = ar.reunite(aw).unwrap();
    a.write_all(b"still open".to_vec()).await.0.unwrap();
    let (res, buf) = peer.read_exact(Vec::with_capacity(10)).await;
    res.unwrap();
    assert_eq!(buf, b"still open");

    // Unix too.
    let (u1, mut u2) = UnixStream::pair().unwrap();
    let (r, w) = u1.into_split();
    let mut u1 = r.reunite(w).unwrap();
    u1.write_all(b"u".to_vec()).await.0.unwrap();
    let (res, buf) = u2.read_exact(Vec::with_capacity(1)).await;
    res.unwrap();
    assert_eq!(buf, b"u");
    let (mut ur, mut uw) = u1.split();
    uw.write_all(b"v".to_vec()).await.0.unwrap();
    let (res, buf) = u2.read_exact(Vec::with_capacity(1)).await;
    res.unwrap();
    assert_eq!(buf, b"v");
    u2.write_all(b"w".to_vec()).await.0.unwrap();
    let (res, buf) = ur.read_exact(Vec::with_capacity(1)).await;
    res.unwrap();
    assert_eq!(buf, b"w");
}
