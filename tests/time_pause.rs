//! The paused, virtual clock: `aio::time::{pause, resume, advance}` and
//! `#[aio::test(start_paused = true)]`, on both drivers.
//!
//! Modelled on tokio's `tests/time_pause.rs` (sleeps and intervals under
//! `start_paused`, `advance` firing what it passes, panics when not paused)
//! and on its rule that a `spawn_blocking` job holds auto-advance back
//! (`tokio/src/runtime/time` docs; tokio's `paused_time_*` tests).

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;

use aio::net::{TcpListener, TcpStream};
use aio::time::{self, advance, interval, pause, resume, sleep, timeout, Instant};
use aio::{AsyncReadRent, AsyncReadRentExt};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Polls `fut` once; returns whether it was ready.
async fn poll_once<F: Future>(fut: F) -> bool {
    let mut fut = pin!(fut);
    poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx).is_ready())).await
}

#[aio::test(start_paused = true)]
async fn an_hour_long_sleep_takes_no_real_time() {
    let wall = std::time::Instant::now();
    let start = Instant::now();
    sleep(secs(3600)).await;
    // Paused time moves in whole timer ticks, from a tick: exact.
    assert_eq!(start.elapsed(), secs(3600));
    assert!(
        wall.elapsed() < secs(5),
        "took {:?} of real time",
        wall.elapsed()
    );
}

#[aio::test(start_paused = true)]
async fn the_clock_stands_still_while_tasks_run() {
    let start = Instant::now();
    // Busy work and yields: runnable tasks never let the clock move.
    for _ in 0..100 {
        aio::task::yield_now().await;
    }
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(Instant::now(), start);
}

#[aio::test(start_paused = true)]
async fn timers_fire_in_deadline_order_at_their_virtual_times() {
    let start = Instant::now();
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut handles = Vec::new();
    for minutes in [30u64, 10, 20, 10, 45] {
        let log = log.clone();
        handles.push(aio::spawn(async move {
            sleep(secs(60 * minutes)).await;
            log.borrow_mut().push((minutes, start.elapsed()));
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let log = log.borrow();
    let expected: Vec<(u64, Duration)> = [10u64, 10, 20, 30, 45]
        .iter()
        .map(|&m| (m, secs(60 * m)))
        .collect();
    assert_eq!(*log, expected);
}

#[aio::test(start_paused = true)]
async fn a_read_from_a_silent_peer_times_out_at_the_virtual_deadline() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = aio::future::join(TcpStream::connect(addr), listener.accept()).await;
    let mut client = client.unwrap();
    let (mut server, _) = accepted.unwrap();

    let wall = std::time::Instant::now();
    let start = Instant::now();
    let res = timeout(secs(3600), client.read(Vec::with_capacity(16))).await;
    assert!(res.is_err(), "the read completed: {:?}", res.map(|r| r.0));
    assert_eq!(start.elapsed(), secs(3600));

    // The owned-buffer deadline: the buffer comes back, the stream works.
    let (res, buf) = client.read_timeout(Vec::with_capacity(16), secs(60)).await;
    assert_eq!(res.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
    assert_eq!(buf.capacity(), 16);
    assert_eq!(start.elapsed(), secs(3660));
    aio::AsyncWriteRentExt::write_all(&mut server, b"late")
        .await
        .0
        .unwrap();
    let (n, buf) = client.read(buf).await;
    assert_eq!(&buf[..n.unwrap()], b"late");
    assert!(wall.elapsed() < secs(5));
}

#[aio::test(start_paused = true)]
async fn i_o_that_is_ready_wins_over_a_timer() {
    // A peer that has written: the non-blocking look at the driver sees
    // the data before the clock jumps, on both drivers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (client, accepted) = aio::future::join(TcpStream::connect(addr), listener.accept()).await;
    let mut client = client.unwrap();
    let (mut server, _) = accepted.unwrap();
    for round in 0..50u8 {
        let writer = aio::spawn(async move {
            aio::AsyncWriteRentExt::write_all(&mut server, vec![round; 8])
                .await
                .0
                .unwrap();
            server
        });
        let start = Instant::now();
        let got = timeout(secs(1), client.read_exact(Vec::with_capacity(8)))
            .await
            .expect("the timer fired before ready data was read");
        assert_eq!(got.1, vec![round; 8]);
        assert_eq!(Instant::now(), start, "the clock moved while I/O was ready");
        server = writer.await.unwrap();
    }
}

#[aio::test(start_paused = true)]
async fn auto_advance_waits_for_spawn_blocking() {
    let start = Instant::now();
    let job = aio::task::spawn_blocking(|| {
        std::thread::sleep(Duration::from_millis(200));
        7
    });
    // Without the hold, the clock would jump past the deadline at once.
    let got = timeout(secs(1), job)
        .await
        .expect("auto-advance ran past a blocking job");
    assert_eq!(got.unwrap(), 7);
    assert_eq!(Instant::now(), start);
}

#[aio::test(start_paused = true)]
async fn auto_advance_waits_for_file_operations() {
    let dir = std::env::temp_dir().join(format!("aio-pause-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{:?}", aio::Driver::current()));
    let data: Vec<u8> = (0..8 << 20).map(|i: u32| (i % 251) as u8).collect();
    for _ in 0..3 {
        let start = Instant::now();
        let path2 = path.clone();
        let data2 = data.clone();
        let done = timeout(secs(1), async move {
            aio::fs::write(&path2, data2).await?;
            aio::fs::read(&path2).await
        })
        .await
        .expect("auto-advance ran past a file operation");
        assert!(done.unwrap() == data);
        assert_eq!(Instant::now(), start);
    }
    std::fs::remove_file(&path).unwrap();
    let _ = std::fs::remove_dir(&dir);
}

#[aio::test(start_paused = true)]
async fn an_interval_ticks_on_virtual_time() {
    let start = Instant::now();
    let mut ticks = interval(secs(1));
    let mut at = Vec::new();
    for _ in 0..5 {
        at.push(ticks.tick().await - start);
        assert_eq!(Instant::now() - start, *at.last().unwrap());
    }
    assert_eq!(at, [0, 1, 2, 3, 4].map(secs));
}

#[aio::test]
async fn advance_moves_the_clock_and_fires_what_it_passes() {
    pause();
    let start = Instant::now();
    let mut slept = pin!(sleep(secs(10)));
    assert!(!poll_once(slept.as_mut()).await); // armed
    advance(secs(4)).await;
    assert_eq!(start.elapsed(), secs(4));
    assert!(!poll_once(slept.as_mut()).await);
    advance(secs(6)).await;
    assert_eq!(start.elapsed(), secs(10));
    assert!(slept.is_elapsed());
    assert!(poll_once(slept.as_mut()).await);

    // A task sleeping past the advance is woken by it, at its turn.
    let woke = aio::spawn(async move {
        sleep(secs(5)).await;
        Instant::now()
    });
    aio::task::yield_now().await; // let it arm its timer
    advance(secs(5)).await;
    assert_eq!(woke.await.unwrap() - start, secs(15));
    resume();
}

#[aio::test]
async fn resume_runs_on_from_the_virtual_time() {
    pause();
    let start = Instant::now();
    advance(secs(3600)).await;
    resume();
    let resumed = Instant::now();
    assert!(resumed - start >= secs(3600));
    let wall = std::time::Instant::now();
    sleep(Duration::from_millis(20)).await;
    assert!(
        wall.elapsed() >= Duration::from_millis(20),
        "a resumed clock runs in real time"
    );
    assert!(resumed.elapsed() >= Duration::from_millis(20));
}

#[test]
fn the_clock_is_per_runtime_and_does_not_leak_out() {
    let rt = aio::RuntimeBuilder::new()
        .start_paused(true)
        .build()
        .unwrap();
    let virtual_end = rt.block_on(async {
        time::advance(secs(86_400)).await;
        Instant::now()
    });
    // Outside the runtime: the system's clock, a day behind the virtual one.
    let outside = Instant::now();
    assert!(outside < virtual_end);
    assert!(virtual_end - outside > secs(86_000));
    // Another runtime on the same thread runs in real time.
    let other = aio::Runtime::new().unwrap();
    other.block_on(async {
        let now = Instant::now();
        assert!(now >= outside && now - outside < secs(60));
    });
}

#[aio::test]
#[should_panic(expected = "not paused")]
async fn advance_without_pause_panics() {
    drop(advance(secs(1)));
}

#[aio::test(start_paused = true)]
#[should_panic(expected = "already paused")]
async fn pausing_twice_panics() {
    pause();
}

#[aio::test]
#[should_panic(expected = "not paused")]
async fn resuming_a_running_clock_panics() {
    resume();
}

#[test]
#[should_panic(expected = "aio::time::pause")]
fn pause_outside_a_runtime_panics() {
    pause();
}

#[test]
fn std_instants_are_accepted_as_deadlines() {
    let rt = aio::RuntimeBuilder::new()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let deadline = std::time::Instant::now() + secs(30);
        time::sleep_until(deadline).await;
        assert!(Instant::now() >= deadline);
        assert!(Instant::now().into_std() >= deadline);
    });
}
