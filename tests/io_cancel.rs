//! Cancellation of in-flight I/O: a dropped operation's buffer must outlive
//! the kernel's use of it (on io_uring the kernel owns it until the
//! cancellation completes, so it is freed on a later driver turn, never
//! inside the drop), be freed exactly once, and the runtime must keep
//! serving. Both races are covered: drop-then-complete and
//! complete-then-drop.
//!
//! Also run under valgrind:
//! `valgrind --error-exitcode=1 --undef-value-errors=no --leak-check=full
//! --errors-for-leak-kinds=definite target/debug/deps/io_cancel-<hash>`.
//! (`--undef-value-errors=no` because valgrind can't see io_uring's
//! asynchronous kernel writes, so it calls every byte read through the ring
//! uninitialised; with `AIO_DRIVER=epoll` the reads are plain syscalls and
//! the flag isn't needed.)

mod support;

use std::rc::Rc;
use std::time::Duration;

use aio::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRent, AsyncWriteRentExt};
use aio::net::{TcpListener, TcpStream, UnixStream};
use aio::time::{sleep, timeout};
use support::{
    mark, new_log, occurrences, on_uring, pattern, poll_once, position, wait_until, within, Event,
    Log, TrackedBuf,
};

const LIMIT: Duration = Duration::from_secs(10);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Every buffer id in `ids` was dropped exactly once and never written
/// behind the runtime's back.
fn assert_each_freed_once(log: &Log, ids: impl IntoIterator<Item = u32>) {
    for id in ids {
        assert_eq!(
            occurrences(log, Event::BufDropped(id)),
            1,
            "buffer {id} dropped exactly once; log: {:?}",
            log.borrow()
        );
        assert_eq!(
            occurrences(log, Event::Scribbled(id)),
            0,
            "buffer {id} was written after its op ended"
        );
    }
}

/// The heart of it: a read dropped by `timeout` while in flight, the peer
/// writing right afterwards.
async fn dropped_read_then_peer_writes<R, W>(mut reader: R, mut writer: W)
where
    R: AsyncReadRent,
    W: AsyncWriteRent,
{
    let log = new_log();
    let res = timeout(ms(20), reader.read(TrackedBuf::empty(&log, 1, 4096))).await;
    assert!(res.is_err(), "nothing was sent, the read must time out");
    mark(&log, "timeout returned");
    if on_uring() {
        // The kernel still owns the buffer until the cancellation's
        // completion arrives; freeing it inside the drop would let the
        // kernel write into freed memory.
        assert_eq!(
            position(&log, Event::BufDropped(1)),
            None,
            "io_uring: the dropped read's buffer was freed synchronously, before the cancellation completed"
        );
    }

    // The peer writes at once (its send is queued right behind the cancel).
    let msg = pattern(42, 3000);
    let (res, _) = writer.write_all(msg.clone()).await;
    res.unwrap();

    // The buffer is released on a later turn, once, untouched.
    wait_until(ms(2000), "the dropped read's buffer is released", || {
        position(&log, Event::BufDropped(1)).is_some()
    })
    .await;
    let marked = position(&log, Event::Mark("timeout returned")).unwrap();
    let dropped = position(&log, Event::BufDropped(1)).unwrap();
    if on_uring() {
        assert!(
            marked < dropped,
            "freed before the cancellation completed: {:?}",
            log.borrow()
        );
    }
    assert_each_freed_once(&log, [1]);

    // The runtime keeps serving, and the later write went to the next read,
    // not into the cancelled read's (freed) buffer.
    let (res, got) = within(
        LIMIT,
        "read after cancel",
        reader.read_exact(Vec::with_capacity(msg.len())),
    )
    .await;
    res.unwrap();
    assert_eq!(
        got, msg,
        "the peer's later write is read whole by the next read"
    );
}

#[aio::test]
async fn dropped_unix_read_buffer_outlives_the_kernel() {
    let (a, b) = UnixStream::pair().unwrap();
    dropped_read_then_peer_writes(a, b).await;
}

#[aio::test]
async fn dropped_tcp_read_buffer_outlives_the_kernel() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = aio::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    let (server, _) = listener.accept().await.unwrap();
    let client = client.await.unwrap();
    dropped_read_then_peer_writes(server, client).await;
}

#[aio::test]
async fn many_dropped_reads_each_free_their_buffer_once() {
    // 64 reads parked at once, all dropped in one go (by one timeout over
    // a task that awaits them all), then the peers write.
    let log = new_log();
    let mut pairs = Vec::new();
    for _ in 0..64 {
        pairs.push(UnixStream::pair().unwrap());
    }
    {
        let reads = pairs
            .iter_mut()
            .enumerate()
            .map(|(i, (a, _))| a.read(TrackedBuf::empty(&log, i as u32, 512)));
        let all: Vec<_> = reads.map(Box::pin).collect();
        let res = timeout(ms(20), async move {
            for r in all {
                let _ = r.await;
            }
        })
        .await;
        assert!(res.is_err());
    }
    if on_uring() {
        // (Only the first read was polled by the sequential await above;
        // the others were never submitted, so they may go at once.)
        assert_eq!(
            position(&log, Event::BufDropped(0)),
            None,
            "first (in-flight) buffer freed synchronously"
        );
    }
    for (_, b) in pairs.iter_mut() {
        let (res, _) = b.write_all(b"x".to_vec()).await;
        res.unwrap();
    }
    wait_until(ms(2000), "every buffer released", || {
        (0..64).all(|i| position(&log, Event::BufDropped(i)).is_some())
    })
    .await;
    assert_each_freed_once(&log, 0..64);
    for (a, _) in pairs.iter_mut() {
        let (res, got) = within(LIMIT, "read after cancel", a.read(Vec::with_capacity(8))).await;
        assert_eq!(res.unwrap(), 1);
        assert_eq!(got, b"x");
    }
}

#[aio::test]
async fn read_completed_then_dropped_frees_the_buffer_at_the_drop() {
    // The other race: the read completes (the runtime has its result) but
    // the future is dropped before it is polled again.
    let log = new_log();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let mut fut = Box::pin(a.read(TrackedBuf::empty(&log, 7, 64)));
    assert!(poll_once(&mut fut).await.is_none(), "no data yet");
    let (res, _) = b.write_all(b"consumed by the dropped read".to_vec()).await;
    res.unwrap();
    // Let the completion arrive without polling the read again.
    sleep(ms(20)).await;
    assert_eq!(position(&log, Event::BufDropped(7)), None);
    drop(fut);
    // Nothing is in flight any more: the buffer goes at once.
    assert!(
        position(&log, Event::BufDropped(7)).is_some(),
        "a completed op's buffer is released when its future is dropped"
    );
    assert_each_freed_once(&log, [7]);
    // The runtime keeps serving.
    let (res, _) = b.write_all(b"next".to_vec()).await;
    res.unwrap();
    let (res, got) = within(LIMIT, "read after drop", a.read(Vec::with_capacity(64))).await;
    res.unwrap();
    assert!(
        got.ends_with(b"next"),
        "got {:?}",
        String::from_utf8_lossy(&got)
    );
}

#[aio::test]
async fn write_dropped_mid_flight_sends_only_whole_reported_bytes() {
    // Fill the socket with writes until one blocks; that one is dropped by
    // the timeout. Everything the peer then reads must be exactly the bytes
    // the completed writes reported, in order: the dropped write's buffer
    // (scribbled over when freed) must never reach the wire.
    let log = new_log();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let stream = pattern(5, 64 << 20);
    let mut written = 0usize;
    let mut id = 0u32;
    let blocked_id = loop {
        id += 1;
        assert!(written < 32 << 20, "the socket never filled up");
        let chunk = stream[written..written + (1 << 20)].to_vec();
        match timeout(ms(50), a.write(TrackedBuf::full(&log, id, chunk))).await {
            Ok((res, buf)) => {
                written += res.unwrap();
                drop(buf);
            }
            Err(_) => break id,
        }
    };
    mark(&log, "write dropped");
    if on_uring() {
        assert_eq!(
            position(&log, Event::BufDropped(blocked_id)),
            None,
            "io_uring: the dropped write's buffer was freed before the cancellation completed"
        );
    }
    wait_until(ms(2000), "the dropped write's buffer is released", || {
        position(&log, Event::BufDropped(blocked_id)).is_some()
    })
    .await;
    assert_each_freed_once(&log, 1..=blocked_id);

    // The runtime keeps serving: close the write side and drain.
    a.shutdown().await.unwrap();
    let mut got = Vec::with_capacity(written + (1 << 20));
    loop {
        got.reserve(1 << 20);
        let (res, g) = within(LIMIT, "drain", b.read(got)).await;
        got = g;
        if res.unwrap() == 0 {
            break;
        }
    }
    assert_eq!(
        got.len(),
        written,
        "the peer got exactly the reported bytes"
    );
    assert!(
        got == stream[..written],
        "the bytes on the wire are the ones written, in order"
    );
}

#[aio::test]
async fn closing_a_socket_with_a_cancelled_read_in_flight_closes_it_after_the_cancel() {
    let log = new_log();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let res = timeout(ms(10), a.read(TrackedBuf::empty(&log, 3, 128))).await;
    assert!(res.is_err());
    drop(a);
    // The descriptor closes once the cancelled read lets go of it: the peer
    // sees EOF (or a reset) rather than hanging.
    let (res, _) = within(LIMIT, "peer sees the close", b.read(Vec::with_capacity(8))).await;
    match res {
        Ok(0) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("expected EOF after the close, got {other:?}"),
    }
    wait_until(ms(2000), "buffer released", || {
        position(&log, Event::BufDropped(3)).is_some()
    })
    .await;
    assert_each_freed_once(&log, [3]);
}

/// Cancels `n` accepts on `listener` (each dropped by a 2 ms timeout).
async fn cancel_accepts(listener: &TcpListener, n: usize) {
    for _ in 0..n {
        assert!(timeout(ms(2), listener.accept()).await.is_err());
    }
}

/// Connects to `listener` and checks the connection is accepted and works.
async fn connect_and_accept(listener: &TcpListener) {
    let addr = listener.local_addr().unwrap();
    let client = aio::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    let (mut server, peer) = within(LIMIT, "accept after cancelled accepts", listener.accept())
        .await
        .unwrap();
    let mut client = client.await.unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    let (res, _) = client.write_all(b"hi".to_vec()).await;
    res.unwrap();
    let (res, got) = server.read_exact(Vec::with_capacity(2)).await;
    res.unwrap();
    assert_eq!(got, b"hi");
}

#[aio::test]
async fn accept_dropped_mid_flight_loses_no_queued_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    cancel_accepts(&listener, 20).await;
    // Give the cancellations a moment to complete (see the next test).
    sleep(ms(10)).await;
    connect_and_accept(&listener).await;
}

/// The same without the pause: the cancelled accept, the new accept and
/// the client's connect reach the kernel in one batch.
async fn accept_right_after_a_cancelled_accept() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    cancel_accepts(&listener, 1).await;
    connect_and_accept(&listener).await;
}

#[aio::test(driver = "epoll")]
async fn accept_right_after_a_cancelled_accept_sees_a_connection_arriving_at_once() {
    accept_right_after_a_cancelled_accept().await;
}

/// On io_uring the new accept is never woken (the connection stays queued
/// until another connection wakes it): the cancelled accept's poll entry,
/// exclusive (EPOLLEXCLUSIVE) for accept, is only marked cancelled by the
/// ASYNC_CANCEL and removed from the listener's wait queue by task work,
/// which under DEFER_TASKRUN runs at the end of the io_uring_enter; the
/// connect, completed during the same enter's submission, wakes that dying
/// entry instead of the new accept behind it. A raw io_uring probe confirms
/// it: the new accept gets the connection without DEFER_TASKRUN, or when
/// the cancel is submitted and its task work run (an enter with GETEVENTS)
/// before the new accept is armed.
#[aio::test(driver = "uring")]
async fn accept_right_after_a_cancelled_accept_sees_a_connection_arriving_at_once_uring() {
    accept_right_after_a_cancelled_accept().await;
}

#[aio::test]
async fn aborted_task_parked_in_read_frees_its_buffer_once_after_the_cancel() {
    let log = new_log();
    let (a, mut b) = UnixStream::pair().unwrap();
    let l = log.clone();
    let task = aio::spawn(async move {
        let mut a = a;
        let (res, buf) = a.read(TrackedBuf::empty(&l, 9, 256)).await;
        drop((res, buf));
        unreachable!("the read never completes: nothing is sent before the abort");
    });
    sleep(ms(10)).await; // parked in the read
    task.abort();
    let err = within(LIMIT, "aborted task", task).await.unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    wait_until(ms(2000), "buffer released", || {
        position(&log, Event::BufDropped(9)).is_some()
    })
    .await;
    assert_each_freed_once(&log, [9]);
    // The socket closed with the task: the peer's write fails or is just
    // buffered, never read into the freed buffer.
    let _ = b.write_all(b"late".to_vec()).await;
    sleep(ms(10)).await;
    assert_each_freed_once(&log, [9]);
}

#[aio::test]
async fn cancellation_races_in_a_loop_keep_every_buffer_accounted_for() {
    // Reads that time out at about the moment the peer's byte arrives, so
    // that over many rounds the timeout and the completion land in every
    // order. Whatever wins, each buffer is freed once, bytes that are read
    // come in order, and nothing hangs or panics.
    let log = new_log();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    let rounds = 300u32;
    let writer = aio::spawn(async move {
        for i in 0..rounds {
            if i % 3 == 0 {
                aio::task::yield_now().await;
            } else {
                sleep(Duration::from_micros(u64::from(i % 7) * 100)).await;
            }
            let (res, _) = b.write_all(vec![i as u8]).await;
            res.unwrap();
        }
        b
    });
    let mut received = Vec::new();
    for i in 0..rounds {
        let wait = Duration::from_micros(u64::from(i % 11) * 100);
        if let Ok((res, buf)) = timeout(wait, a.read(TrackedBuf::empty(&log, i, 4))).await {
            let n = res.unwrap();
            assert!(n > 0);
            received.extend_from_slice(buf.filled());
        }
    }
    let _b = within(LIMIT, "writer", writer).await.unwrap();
    wait_until(ms(2000), "every buffer released", || {
        (0..rounds).all(|i| position(&log, Event::BufDropped(i)).is_some())
    })
    .await;
    assert_each_freed_once(&log, 0..rounds);
    // Bytes that were read are in order (some may be lost to reads that
    // completed and were then dropped by their timeout, which the docs allow).
    assert!(
        received.windows(2).all(|w| w[0] < w[1]),
        "bytes out of order or duplicated: {received:?}"
    );
}

/// A read buffer whose Drop uses the runtime: it spawns a task that does
/// I/O. The runtime must not be borrowed while it releases a cancelled
/// op's buffer.
struct ReentrantBuf {
    mem: Box<[u8]>,
    on_drop: Option<UnixStream>,
    spawned: Rc<std::cell::Cell<bool>>,
}

// SAFETY: the writable region is the boxed slice, stable across moves.
unsafe impl aio::buf::IoBufMut for ReentrantBuf {
    fn write_ptr(&mut self) -> *mut u8 {
        self.mem.as_mut_ptr()
    }
    fn bytes_total(&self) -> usize {
        self.mem.len()
    }
    unsafe fn set_init(&mut self, _pos: usize) {}
}

impl Drop for ReentrantBuf {
    fn drop(&mut self) {
        if let Some(mut s) = self.on_drop.take() {
            let spawned = self.spawned.clone();
            aio::spawn(async move {
                let (res, _) = s.write_all(b"from a buffer's Drop".to_vec()).await;
                res.unwrap();
                spawned.set(true);
            });
        }
    }
}

#[aio::test]
async fn a_cancelled_ops_buffer_may_use_the_runtime_in_its_drop() {
    let (mut a, _a_peer) = UnixStream::pair().unwrap();
    let (x, mut y) = UnixStream::pair().unwrap();
    let spawned = Rc::new(std::cell::Cell::new(false));
    let buf = ReentrantBuf {
        mem: vec![0; 64].into_boxed_slice(),
        on_drop: Some(x),
        spawned: spawned.clone(),
    };
    assert!(timeout(ms(5), a.read(buf)).await.is_err());
    // The buffer is dropped when the cancellation completes, inside the
    // driver's dispatch; its Drop spawns a task that writes to `y`'s peer.
    let (res, got) = within(
        LIMIT,
        "write from the Drop",
        y.read_exact(Vec::with_capacity(20)),
    )
    .await;
    res.unwrap();
    assert_eq!(got, b"from a buffer's Drop");
    wait_until(ms(2000), "the spawned task finished", || spawned.get()).await;
}

#[aio::test]
async fn aborts_racing_completions_keep_every_buffer_accounted_for() {
    // Tasks parked in reads are aborted in the same tick their data is
    // written, so abort, completion and cancellation land in every order.
    let log = new_log();
    let mut ids = 0..;
    for round in 0..20u64 {
        let mut tasks = Vec::new();
        let mut writers = Vec::new();
        for _ in 0..20 {
            let id = ids.next().unwrap();
            let (a, b) = UnixStream::pair().unwrap();
            let l = log.clone();
            tasks.push(aio::spawn(async move {
                let mut a = a;
                let (res, buf) = a.read(TrackedBuf::empty(&l, id, 16)).await;
                (res.map(|_| buf.filled().to_vec()), a)
            }));
            writers.push(b);
        }
        support::yield_times(2).await;
        for (i, b) in writers.iter_mut().enumerate() {
            // Every task that is not aborted gets its byte; some aborted ones too.
            if (i as u64 + round) % 2 == 0 || (i as u64 + round) % 3 == 0 {
                let (res, _) = b.write_all(vec![7u8]).await;
                res.unwrap();
            }
        }
        for (i, t) in tasks.iter().enumerate() {
            if (i as u64 + round) % 3 != 0 {
                t.abort();
            }
        }
        for t in tasks {
            match within(LIMIT, "raced task", t).await {
                Ok((res, _a)) => assert_eq!(res.unwrap(), vec![7u8]),
                Err(e) => assert!(e.is_cancelled(), "{e}"),
            }
        }
    }
    let total = ids.next().unwrap();
    wait_until(ms(2000), "every buffer released", || {
        (0..total).all(|i| position(&log, Event::BufDropped(i)).is_some())
    })
    .await;
    assert_each_freed_once(&log, 0..total);
}

/// (Under valgrind this test times out on io_uring: valgrind does not let
/// the client thread run while the runtime thread blocks in
/// io_uring_enter, so the connection only arrives after the timeout.)
///
/// An accept cancelled after the kernel already accepted a connection (the
/// connection completes in the kernel, then the accept future is dropped
/// before the runtime reaps it) must not lose that connection: the next
/// `accept()` returns it and it carries data both ways.
#[aio::test]
async fn accept_cancelled_after_the_kernel_accepted_hands_the_connection_on() {
    use aio::buf::IoBufMut;
    use std::future::Future;
    use std::io::{Read, Write};
    use std::task::{Context, Waker};

    let listener = aio::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    for round in 0..20u8 {
        {
            let mut accept = Box::pin(listener.accept());
            let mut cx = Context::from_waker(Waker::noop());
            assert!(accept.as_mut().poll(&mut cx).is_pending());
            // Let the runtime hand the accept to the kernel.
            aio::task::yield_now().await;
            aio::task::yield_now().await;
            // A plain thread connects: the kernel completes the accept now,
            // while this task still holds the unpolled future.
            let client = std::thread::spawn(move || {
                let mut c = std::net::TcpStream::connect(addr).unwrap();
                c.write_all(&[round]).unwrap();
                let mut b = [0u8; 1];
                c.read_exact(&mut b).unwrap();
                b[0]
            });
            if round % 2 == 0 {
                // The runtime turns meanwhile: the accept's completion is
                // reaped into its slot, but the future is never polled.
                aio::time::sleep(std::time::Duration::from_millis(5)).await;
            } else {
                // The runtime does not turn: the kernel holds the accepted
                // connection while the cancellation arrives.
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            // Dropped here: cancelled after (or racing) the kernel's accept.
            drop(accept);
            let (mut server, _) =
                aio::time::timeout(std::time::Duration::from_secs(30), listener.accept())
                    .await
                    .expect("the connection was lost with the cancelled accept")
                    .unwrap();
            let (res, buf) = server
                .read_exact(Vec::<u8>::with_capacity(1).slice_mut(..1))
                .await;
            res.unwrap();
            let buf = buf.into_inner();
            assert_eq!(buf, [round]);
            let (res, _) = server.write_all(buf).await;
            res.unwrap();
            assert_eq!(client.join().unwrap(), round);
        }
    }
}
