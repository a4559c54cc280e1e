//! Registered buffers (`aio::buf::FixedBufPool`) as a user sees them, on
//! both drivers: round trips through a file and a TCP connection, pool
//! exhaustion and return, a buffer outliving its pool handle, two pools at
//! once, a dropped read whose buffer comes back only after its cancellation
//! completed, and, on io_uring, that the buffers really are in the ring's
//! table (read from the kernel's own fdinfo) and leave it with the pool,
//! and that hitting the locked-memory limit says which limit to raise.

mod support;

use std::future::{poll_fn, Future};
use std::io;
use std::path::PathBuf;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use aio::buf::{FixedBuf, FixedBufPool};
use aio::fs::{File, OpenOptions};
use aio::io::AsyncWriteRent;
use aio::net::{TcpListener, TcpStream};
use support::{drivers, first_difference, is_child, on_uring, pattern, run_child, runtime, within};

const LIMIT: Duration = Duration::from_secs(20);

/// A temporary file path, removed when the guard drops.
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str) -> TempFile {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        TempFile(std::env::temp_dir().join(format!("aio-fixed-{tag}-{}-{n}", std::process::id())))
    }

    async fn open(&self) -> File {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&self.0)
            .await
            .expect("open the temp file")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A connected pair: (client, server).
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = aio::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    let (server, _) = listener.accept().await.unwrap();
    (client.await.unwrap(), server)
}

/// The registered buffers `(address, length)` of every io_uring instance
/// of this process, by ring descriptor, as the kernel lists them in the
/// ring's fdinfo (`UserBufs:` then one `slot: 0xADDR/LEN` line per slot).
fn ring_buffers() -> Vec<(String, Vec<(u64, u64)>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        let is_ring = std::fs::read_link(entry.path())
            .is_ok_and(|t| t.to_string_lossy() == "anon_inode:[io_uring]");
        if !is_ring {
            continue;
        }
        let fd = entry.file_name().to_string_lossy().into_owned();
        let Ok(info) = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")) else {
            continue; // closed meanwhile by another test's runtime
        };
        let bufs = info
            .lines()
            .skip_while(|l| !l.starts_with("UserBufs:"))
            .skip(1)
            .map_while(|l| {
                let (slot, rest) = l.split_once(':')?;
                slot.trim().parse::<u32>().ok()?;
                Some(rest.trim().to_string())
            })
            .filter_map(|buf| {
                let (addr, len) = buf.strip_prefix("0x")?.split_once('/')?;
                Some((u64::from_str_radix(addr, 16).ok()?, len.parse().ok()?))
            })
            .collect();
        out.push((fd, bufs));
    }
    out
}

/// The ring whose table holds `(addr, len)`, if any.
///
/// The kernel lists a ring's buffers only when it gets the ring's lock
/// without waiting (`io_uring_show_fdinfo` uses a trylock), so a listing
/// taken while the lock is busy comes back without them: look a few times.
fn ring_holding(addr: u64, len: u64) -> Option<String> {
    for _ in 0..50 {
        let found = ring_buffers()
            .into_iter()
            .find(|(_, bufs)| bufs.contains(&(addr, len)))
            .map(|(fd, _)| fd);
        if found.is_some() {
            return found;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    None
}

/// Writes all of `buf` at `pos` with `write_fixed_at`, moving what is left
/// after a short write to the front.
async fn write_all_fixed_at(file: &File, mut buf: FixedBuf, mut pos: u64) -> FixedBuf {
    while !buf.is_empty() {
        let (res, b) = file.write_fixed_at(buf, pos).await;
        buf = b;
        let n = res.expect("write_fixed_at");
        assert!(n > 0, "write_fixed_at wrote nothing");
        consume(&mut buf, n);
        pos += n as u64;
    }
    buf
}

/// Drops the first `n` bytes of `buf`.
fn consume(buf: &mut FixedBuf, n: usize) {
    let len = buf.len();
    buf.copy_within(n.., 0);
    buf.truncate(len - n);
}

#[aio::test]
async fn file_round_trip_4k_and_128k() {
    for size in [4 * 1024, 128 * 1024] {
        let pool = FixedBufPool::new(2, size).unwrap();
        assert_eq!(pool.is_registered(), on_uring());
        assert_eq!((pool.capacity(), pool.buf_size()), (2, size));
        let tmp = TempFile::new("round-trip");
        let file = tmp.open().await;
        let data = pattern(size as u64, size);

        let mut out = pool.get().unwrap();
        out.extend_from_slice(&data);
        assert_eq!((out.len(), out.capacity()), (size, size));
        let out = write_all_fixed_at(&file, out, 4096).await;
        drop(out);

        let (res, back) = file.read_fixed_at(pool.get().unwrap(), 4096).await;
        assert_eq!(res.unwrap(), size);
        assert_eq!(back.len(), size);
        assert_eq!(first_difference(&back, &data), None, "{size}-byte buffer");

        // A read appends after the bytes the buffer holds, as into a Vec.
        let mut back = back;
        back.truncate(100);
        let (res, back) = file.read_fixed_at(back, 4096 + 100).await;
        assert_eq!(res.unwrap(), size - 100);
        assert_eq!(first_difference(&back, &data), None, "appended read");

        // ... and one with no room left is refused, not a fake end of file.
        let (res, back) = file.read_fixed_at(back, 0).await;
        let err = res.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
        assert_eq!(back.len(), size, "the buffer comes back untouched");

        // The kernel saw what we wrote.
        let on_disk = std::fs::read(&tmp.0).unwrap();
        assert_eq!(first_difference(&on_disk[4096..], &data), None);
        drop(back);
        assert_eq!(pool.available(), 2);
    }
}

#[aio::test]
async fn tcp_round_trip_1mib() {
    const TOTAL: usize = 1 << 20;
    let (mut client, mut server) = tcp_pair().await;
    let pool = FixedBufPool::new(8, 16 * 1024).unwrap();
    let data = Rc::new(pattern(11, TOTAL));
    let writer = {
        let (pool, data) = (pool.clone(), data.clone());
        aio::spawn(async move {
            // Odd-sized chunks, so that writes and reads do not line up.
            for chunk in data.chunks(pool.buf_size() - 1001) {
                let mut buf = pool.get().expect("a free buffer for the writer");
                buf.extend_from_slice(chunk);
                while !buf.is_empty() {
                    let (res, b) = client.write_fixed(buf).await;
                    buf = b;
                    let n = res.expect("write_fixed");
                    consume(&mut buf, n);
                }
            }
            client.shutdown().await.expect("shutdown");
        })
    };
    let received = within(LIMIT, "the 1 MiB transfer", async {
        let mut received = Vec::with_capacity(TOTAL);
        let mut buf = pool.get().unwrap();
        loop {
            // Reads append: the buffer is emptied only once full.
            let (res, b) = server.read_fixed(buf).await;
            buf = b;
            let n = res.expect("read_fixed");
            if n == 0 || buf.len() == buf.capacity() {
                received.extend_from_slice(&buf);
                buf.clear();
            }
            if n == 0 {
                return received;
            }
        }
    })
    .await;
    writer.await.unwrap();
    assert_eq!(received.len(), TOTAL);
    assert_eq!(first_difference(&received, &data), None);
    assert_eq!(pool.available(), pool.capacity());
}

#[aio::test]
async fn an_exhausted_pool_gives_none_until_a_buffer_comes_back() {
    let pool = FixedBufPool::new(4, 512).unwrap();
    let mut bufs: Vec<FixedBuf> = (0..4).map(|_| pool.get().expect("a buffer")).collect();
    assert!(pool.get().is_none());
    assert_eq!(pool.available(), 0);
    // Four distinct buffers of the pool's size, empty.
    let mut starts: Vec<usize> = bufs.iter().map(|b| b.as_ptr() as usize).collect();
    starts.sort();
    starts.dedup();
    assert_eq!(starts.len(), 4);
    assert!(starts.windows(2).all(|w| w[1] - w[0] >= 512));
    assert!(bufs.iter().all(|b| b.is_empty() && b.capacity() == 512));

    let last = bufs.pop().unwrap();
    let addr = last.as_ptr();
    drop(last);
    assert_eq!(pool.available(), 1);
    let again = pool.get().expect("the dropped buffer is back");
    assert_eq!(again.as_ptr(), addr);
    assert!(again.is_empty());
    assert!(pool.get().is_none());
    // A clone is a handle on the same pool.
    let handle = pool.clone();
    drop(bufs);
    assert_eq!(handle.available(), 3);
    drop(again);
    assert_eq!(pool.available(), 4);
}

#[aio::test]
async fn a_buffer_outlives_its_pool_handle() {
    let pool = FixedBufPool::new(2, 8192).unwrap();
    let registered = pool.is_registered();
    let mut buf = pool.get().unwrap();
    let (addr, len) = (buf.as_ptr() as u64, buf.capacity() as u64);
    drop(pool);
    // The memory, and on io_uring its registration, live on with the
    // buffer: a READ_FIXED on an unregistered slot would fail (EFAULT).
    let tmp = TempFile::new("outlive");
    let file = tmp.open().await;
    let data = pattern(3, 8192);
    buf.extend_from_slice(&data);
    let mut buf = write_all_fixed_at(&file, buf, 0).await;
    buf.clear();
    let (res, buf) = file.read_fixed_at(buf, 0).await;
    assert_eq!(res.unwrap(), 8192);
    assert_eq!(first_difference(&buf, &data), None);
    if registered {
        let ring = ring_holding(addr, len).expect("still registered while a buffer lives");
        drop(buf);
        // The last buffer took the pool with it, registration first.
        let still = ring_buffers()
            .into_iter()
            .any(|(fd, bufs)| fd == ring && bufs.contains(&(addr, len)));
        assert!(
            !still,
            "the pool's buffers are still registered after it went"
        );
    }
}

#[aio::test]
async fn two_pools_at_once() {
    let a = FixedBufPool::new(3, 4096).unwrap();
    let b = FixedBufPool::new(5, 16 * 1024).unwrap();
    let tmp = TempFile::new("two");
    let file = tmp.open().await;
    let data = pattern(5, 4096);
    // Written from one pool's buffer, read into the other's, and back.
    let mut out = a.get().unwrap();
    out.extend_from_slice(&data);
    drop(write_all_fixed_at(&file, out, 0).await);
    let (res, from_b) = file.read_fixed_at(b.get().unwrap(), 0).await;
    assert_eq!(res.unwrap(), 4096);
    assert_eq!(first_difference(&from_b, &data), None);
    let from_b = write_all_fixed_at(&file, from_b, 4096).await;
    drop(from_b);
    let (res, from_a) = file.read_fixed_at(a.get().unwrap(), 4096).await;
    assert_eq!(res.unwrap(), 4096);
    assert_eq!(first_difference(&from_a, &data), None);
    if on_uring() {
        // Both registered, each buffer in the same ring's table.
        assert!(a.is_registered() && b.is_registered());
        let ring = ring_holding(from_a.as_ptr() as u64, 4096).expect("a's buffer registered");
        let keep: Vec<FixedBuf> = std::iter::from_fn(|| b.get()).collect();
        for buf in &keep {
            let holder = ring_holding(buf.as_ptr() as u64, 16 * 1024);
            assert_eq!(holder.as_ref(), Some(&ring), "b's buffers in the same ring");
        }
    }
    assert_eq!(a.available(), 2);
}

#[aio::test]
async fn a_dropped_read_fixed_keeps_its_buffer_until_cancelled() {
    let (mut client, mut server) = tcp_pair().await;
    let pool = FixedBufPool::new(1, 4096).unwrap();
    let buf = pool.get().unwrap();
    {
        // Pending: nothing was sent. Poll it, let the driver start it,
        // then drop it.
        let mut read = pin!(client.read_fixed(buf));
        poll_fn(|cx| {
            assert!(read.as_mut().poll(cx).is_pending(), "no data was sent");
            Poll::Ready(())
        })
        .await;
        aio::time::sleep(Duration::from_millis(10)).await;
        assert!(
            poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx).is_pending())).await,
            "the read completed with no data"
        );
    }
    // The cancellation has been asked for, not completed: the kernel (or
    // the epoll backend's table) still owns the buffer.
    assert_eq!(
        pool.available(),
        0,
        "the buffer came back before the read was cancelled"
    );
    assert!(pool.get().is_none());
    let start = Instant::now();
    while pool.available() == 0 {
        assert!(
            start.elapsed() < LIMIT,
            "the cancelled read never gave its buffer back"
        );
        aio::time::sleep(Duration::from_millis(1)).await;
    }
    // The cancelled read took nothing: the next one gets the data.
    let (res, _) = server.write(b"after".to_vec()).await;
    assert_eq!(res.unwrap(), 5);
    let (res, buf) = within(
        LIMIT,
        "the read after the cancel",
        client.read_fixed(pool.get().unwrap()),
    )
    .await;
    assert_eq!(res.unwrap(), 5);
    assert_eq!(&buf[..], b"after");
}

#[aio::test]
async fn pools_are_in_the_rings_table_exactly_while_they_live() {
    let pool = FixedBufPool::new(4, 8192).unwrap();
    let bufs: Vec<FixedBuf> = std::iter::from_fn(|| pool.get()).collect();
    let addrs: Vec<u64> = bufs.iter().map(|b| b.as_ptr() as u64).collect();
    if !on_uring() {
        assert!(!pool.is_registered());
        assert!(addrs.iter().all(|a| ring_holding(*a, 8192).is_none()));
        return;
    }
    // The kernel lists each buffer in a slot of the ring's table. Had the
    // registration fallen back to plain memory, it would list none.
    assert!(pool.is_registered());
    let ring = ring_holding(addrs[0], 8192).unwrap_or_else(|| {
        panic!(
            "buffer {:#x} is not in any ring's table: {:?}",
            addrs[0],
            ring_buffers()
        )
    });
    let table = ring_buffers()
        .into_iter()
        .find(|(fd, _)| *fd == ring)
        .unwrap()
        .1;
    for addr in &addrs {
        assert!(table.contains(&(*addr, 8192)), "{addr:#x} not registered");
    }
    // The ops use the slots: a READ_FIXED through each succeeds.
    let tmp = TempFile::new("registered");
    let file = tmp.open().await;
    std::fs::write(&tmp.0, pattern(9, 8192)).unwrap();
    for buf in bufs {
        let (res, buf) = file.read_fixed_at(buf, 0).await;
        assert_eq!(res.unwrap(), 8192);
        assert_eq!(first_difference(&buf, &pattern(9, 8192)), None);
    }
    drop(pool);
    let table = ring_buffers()
        .into_iter()
        .find(|(fd, _)| *fd == ring)
        .expect("the ring is still there")
        .1;
    for addr in &addrs {
        assert!(
            !table.contains(&(*addr, 8192)),
            "{addr:#x} still registered after its pool went"
        );
    }
}

#[test]
fn a_buffer_of_another_runtime_works_as_plain_memory() {
    for made_on in drivers() {
        for used_on in drivers() {
            // Made on one runtime (registered there on io_uring), used on
            // another of the same thread, where its slot means nothing.
            let home = runtime(made_on);
            let (pool, buf) = home.block_on(async {
                let pool = FixedBufPool::new(1, 4096).unwrap();
                let buf = pool.get().unwrap();
                (pool, buf)
            });
            let buf = runtime(used_on).block_on(async {
                let tmp = TempFile::new("foreign");
                let file = tmp.open().await;
                let data = pattern(13, 4096);
                let mut buf = buf;
                buf.extend_from_slice(&data);
                let mut buf = write_all_fixed_at(&file, buf, 0).await;
                buf.clear();
                let (res, buf) = file.read_fixed_at(buf, 0).await;
                assert_eq!(res.unwrap(), 4096, "a {made_on:?} pool on {used_on:?}");
                assert_eq!(first_difference(&buf, &data), None);
                buf
            });
            // Still the home runtime's buffer, back in its pool on drop.
            drop(buf);
            assert_eq!(pool.available(), 1);
            drop((pool, home));
        }
    }
}

#[aio::test]
async fn bad_sizes_are_invalid_input() {
    for (count, size) in [(0, 4096), (4, 0), (16385, 64), (1, (1 << 30) + 1)] {
        let err = FixedBufPool::new(count, size).unwrap_err();
        assert_eq!(
            err.kind(),
            io::ErrorKind::InvalidInput,
            "({count}, {size}): {err}"
        );
    }
}

#[test]
#[should_panic(expected = "must be called from inside an aio runtime")]
fn a_pool_outside_a_runtime_panics() {
    let _ = FixedBufPool::new(1, 64);
}

#[test]
fn the_locked_memory_limit_is_named_when_registration_hits_it() {
    const NAME: &str = "the_locked_memory_limit_is_named_when_registration_hits_it";
    if !is_child(NAME) {
        // In a child process: the limits it lowers are the process's.
        let (status, out) = run_child(NAME);
        assert!(status.success(), "the child failed ({status}):\n{out}");
        assert!(out.contains("1 passed"), "the child did not run:\n{out}");
        eprintln!("--- child:\n{out}");
        return;
    }
    if !drivers().contains(&aio::Driver::IoUring) {
        eprintln!("io_uring cannot start here: nothing is registered, nothing to limit");
        return;
    }
    support::drop_cap_ipc_lock();
    let rt = runtime(aio::Driver::IoUring);
    rt.block_on(async {
        // (The ring itself is charged too: limited only once it exists.)
        let limit = support::set_soft_rlimit(libc::RLIMIT_MEMLOCK, 0);
        // Nothing may be pinned. (A limit above 0 is not a reliable test:
        // the kernel charges memory backed by large folios far below its
        // size, e.g. 128 KiB for these 1 MiB on 6.18.)
        let err = FixedBufPool::new(8, 128 * 1024).unwrap_err();
        let msg = err.to_string();
        assert_eq!(err.kind(), io::ErrorKind::OutOfMemory, "{msg}");
        assert!(
            msg.contains("RLIMIT_MEMLOCK") && msg.contains("ulimit -l"),
            "{msg}"
        );
        eprintln!("the error: {msg}");
        // With the limit raised, a pool registers (the failed one left no
        // slot taken), and works.
        support::set_soft_rlimit(libc::RLIMIT_MEMLOCK, limit);
        let pool = FixedBufPool::new(4, 4096).unwrap();
        assert!(pool.is_registered());
        let tmp = TempFile::new("memlock");
        let file = tmp.open().await;
        let mut buf = pool.get().unwrap();
        buf.extend_from_slice(b"pinned");
        let buf = write_all_fixed_at(&file, buf, 0).await;
        let mut buf = buf;
        buf.clear();
        let (res, buf) = file.read_fixed_at(buf, 0).await;
        assert_eq!(res.unwrap(), 6);
        assert_eq!(&buf[..], b"pinned");
    });
}
