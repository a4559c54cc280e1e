//! Guarantees of the epoll backend as a user meets them, beyond what every
//! I/O test already checks on both drivers: a cancelled read takes no data,
//! descriptor numbers reused thousands of times never confuse readiness,
//! file operations on the blocking pool run concurrently, and a runtime
//! dropped while a pool call is stuck in the kernel still shuts down.

use std::rc::Rc;
use std::time::{Duration, Instant};

use aio::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRent, AsyncWriteRentExt};
use aio::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use aio::time::{sleep, timeout};
use aio::{Driver, RuntimeBuilder};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A read that waits for readiness and is cancelled has taken nothing: the
/// bytes sent afterwards all reach the next read. (On epoll a parked read
/// has not run its syscall yet; cancelling it just unparks it.)
#[aio::test(driver = "epoll")]
async fn a_cancelled_read_takes_no_data() {
    let (mut a, mut b) = UnixStream::pair().unwrap();
    for round in 0..50u8 {
        let read = timeout(ms(1), a.read(Vec::with_capacity(64))).await;
        assert!(read.is_err(), "nothing was sent yet");
        let (res, _) = b.write_all(vec![round; 3]).await;
        res.unwrap();
        let (res, got) = a.read_exact(Vec::with_capacity(3)).await;
        res.unwrap();
        assert_eq!(got, [round; 3], "round {round}");
    }
}

/// Connections opened and closed in a loop get the same descriptor numbers
/// again and again; each new socket must be registered afresh (its reads
/// parked and woken), never mistaken for its closed predecessor.
#[aio::test(driver = "epoll")]
async fn reused_descriptor_numbers_keep_working() {
    let listener = Rc::new(TcpListener::bind("127.0.0.1:0").unwrap());
    let addr = listener.local_addr().unwrap();
    for i in 0..300u32 {
        let l = listener.clone();
        let server = aio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            // Parks (nothing sent yet), so the number gets registered.
            let (res, buf) = s.read(Vec::with_capacity(8)).await;
            assert_eq!(res.unwrap(), 4);
            let (res, _) = s.write_all(buf).await;
            res.unwrap();
        });
        let mut c = TcpStream::connect(addr).await.unwrap();
        sleep(Duration::ZERO).await;
        let (res, _) = c.write_all(i.to_le_bytes().to_vec()).await;
        res.unwrap();
        let (res, got) = timeout(Duration::from_secs(5), c.read_exact(Vec::with_capacity(4)))
            .await
            .unwrap_or_else(|_| panic!("connection {i} hung"));
        res.unwrap();
        assert_eq!(got, i.to_le_bytes());
        server.await.unwrap();
    }
}

/// Datagrams are short reads by nature: each recv must see the next
/// queued datagram without waiting for another one to arrive.
#[aio::test(driver = "epoll")]
async fn queued_datagrams_are_each_received_at_once() {
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = rx.local_addr().unwrap();
    for n in 0..20u8 {
        let (res, _) = tx.send_to(vec![n], to).await;
        res.unwrap();
    }
    for n in 0..20u8 {
        let (res, buf) = timeout(Duration::from_secs(5), rx.recv(Vec::with_capacity(64)))
            .await
            .unwrap_or_else(|_| panic!("datagram {n} was queued but never received"));
        assert_eq!(res.unwrap(), 1);
        assert_eq!(buf, [n]);
    }
}

/// A peer that sends and closes at once: the data, then end of stream.
#[aio::test(driver = "epoll")]
async fn data_then_eof_arriving_together_are_both_seen() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    for _ in 0..20 {
        let mut c = TcpStream::connect(addr).await.unwrap();
        let (mut s, _) = listener.accept().await.unwrap();
        let (res, _) = c.write_all(b"bye".to_vec()).await;
        res.unwrap();
        c.shutdown().await.unwrap();
        drop(c);
        let (res, buf) = s.read(Vec::with_capacity(64)).await;
        assert_eq!(res.unwrap(), 3);
        assert_eq!(buf, b"bye");
        let (res, _) = timeout(Duration::from_secs(5), s.read(Vec::with_capacity(64)))
            .await
            .expect("end of stream must be reported, not waited for");
        assert_eq!(res.unwrap(), 0);
    }
}

/// File calls run on the blocking pool, concurrently: many tasks writing
/// and reading their own files all finish, with the right contents.
#[aio::test(driver = "epoll")]
async fn file_operations_from_many_tasks_complete() {
    let dir = std::env::temp_dir().join(format!("aio-epoll-files-{}", std::process::id()));
    aio::fs::create_dir(&dir).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..32u32 {
        let path = dir.join(format!("f{i}"));
        tasks.push(aio::spawn(async move {
            let data: Vec<u8> = (0..4096u32).map(|j| (i + j) as u8).collect();
            aio::fs::write(&path, data.clone()).await.unwrap();
            assert_eq!(aio::fs::metadata(&path).await.unwrap().len(), 4096);
            assert_eq!(aio::fs::read(&path).await.unwrap(), data);
            aio::fs::remove_file(&path).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    aio::fs::remove_dir(&dir).await.unwrap();
}

/// Opening a FIFO blocks in the kernel until a writer comes. Dropping the
/// runtime while that open is stuck on the blocking pool must still return
/// (after a bounded wait), and the late completion must harm nothing.
#[test]
fn runtime_drop_with_a_pool_call_stuck_in_the_kernel_returns() {
    let dir = std::env::temp_dir().join(format!("aio-epoll-fifo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).unwrap();
    let fifo = dir.join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: `c` is a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);

    let rt = RuntimeBuilder::new().driver(Driver::Epoll).build().unwrap();
    let path = fifo.clone();
    rt.block_on(async move {
        let open = aio::spawn(async move { aio::fs::File::open(&path).await });
        sleep(ms(20)).await; // the open is now blocked on the pool
        assert!(!open.is_finished());
        // Leave it in flight.
    });
    let start = Instant::now();
    drop(rt);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "shutdown waited {:?}",
        start.elapsed()
    );

    // Unblock the stuck open; its completion goes nowhere, harmlessly.
    let writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    std::thread::sleep(ms(20));
    drop(writer);
    // The process is still healthy: a new runtime works.
    let rt = RuntimeBuilder::new().driver(Driver::Epoll).build().unwrap();
    rt.block_on(async { sleep(ms(1)).await });
    std::fs::remove_dir_all(&dir).unwrap();
}
