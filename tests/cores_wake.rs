//! Cross-thread wakeups: a parked receiver costs no CPU, and tasks on two
//! cores woken 100,000 times from 8 plain threads all finish (no lost
//! wakeups).

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aio::cores::{channel, Cores, Receiver, Sender};

fn two_cores() -> Option<Cores> {
    match Cores::first(2).cpus() {
        Ok(_) => Some(Cores::first(2)),
        Err(e) => {
            eprintln!("note: skipping, this test needs 2 CPUs: {e}");
            None
        }
    }
}

/// CPU time (user + system) used so far by the calling thread.
fn thread_cpu_time() -> Duration {
    // SAFETY: all-zero is a valid `rusage`, which getrusage overwrites.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a live, writable `rusage`.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    assert_eq!(rc, 0, "getrusage: {}", io::Error::last_os_error());
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Core 1 waits a second for a message that core 0 sends after that second;
/// core 1's thread must have slept, not spun, meanwhile.
#[test]
fn a_parked_receiver_uses_no_cpu() {
    let Some(cores) = two_cores() else { return };
    let (tx, rx) = channel::<Instant>(1);
    let slots = Arc::new((Mutex::new(Some(tx)), Mutex::new(Some(rx))));
    let out = cores
        .run(move |core| {
            let slots = Arc::clone(&slots);
            async move {
                if core.index() == 0 {
                    let tx = slots.0.lock().unwrap().take().unwrap();
                    // Block this core's thread (the sender's, not the
                    // receiver's) so the wait depends on nothing but the wake.
                    std::thread::sleep(Duration::from_secs(1));
                    tx.send(Instant::now()).await.unwrap();
                    None
                } else {
                    let mut rx = slots.1.lock().unwrap().take().unwrap();
                    let (cpu0, t0) = (thread_cpu_time(), Instant::now());
                    let sent = rx.recv().await.expect("message");
                    let woke_after = sent.elapsed();
                    Some((thread_cpu_time() - cpu0, t0.elapsed(), woke_after))
                }
            }
        })
        .unwrap();
    let (cpu, waited, latency) = out[1].unwrap();
    println!("receiver waited {waited:?}, used {cpu:?} CPU, woke {latency:?} after the send");
    assert!(
        waited >= Duration::from_millis(900),
        "did not wait: {waited:?}"
    );
    assert!(
        cpu < Duration::from_millis(50),
        "a parked receiver used {cpu:?} of CPU in {waited:?}"
    );
    assert!(
        latency < Duration::from_millis(250),
        "woken {latency:?} after the send"
    );
}

/// 8 plain threads wake tasks on 2 cores 100,000 times in total: 16 tasks
/// per core each wait on their own channel of capacity 1, and the threads
/// send to all 32 round-robin. Every send to a parked task is a cross-thread
/// wake; every task must see all its messages and the end.
#[test]
fn eight_threads_waking_tasks_on_two_cores_lose_no_wakeup() {
    let Some(cores) = two_cores() else { return };
    const TASKS_PER_CORE: usize = 16;
    const THREADS: usize = 8;
    const TOTAL: usize = 100_000;
    let tasks = 2 * TASKS_PER_CORE;

    let (senders, receivers): (Vec<Sender<u32>>, Vec<Receiver<u32>>) =
        (0..tasks).map(|_| channel(1)).unzip();
    let receivers: Arc<Mutex<Vec<Option<Receiver<u32>>>>> =
        Arc::new(Mutex::new(receivers.into_iter().map(Some).collect()));

    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let senders = senders.clone();
            std::thread::spawn(move || {
                for i in (t..TOTAL).step_by(THREADS) {
                    senders[i % tasks].send_blocking(i as u32).unwrap();
                }
            })
        })
        .collect();
    drop(senders);

    let start = Instant::now();
    let counts = cores
        .run(move |core| {
            let mine: Vec<Receiver<u32>> = {
                let mut all = receivers.lock().unwrap();
                (0..TASKS_PER_CORE)
                    .map(|k| all[core.index() * TASKS_PER_CORE + k].take().unwrap())
                    .collect()
            };
            async move {
                let handles: Vec<_> = mine
                    .into_iter()
                    .map(|mut rx| {
                        aio::spawn(async move {
                            let mut n = 0usize;
                            while rx.recv().await.is_some() {
                                n += 1;
                            }
                            n
                        })
                    })
                    .collect();
                let mut per_task = Vec::new();
                for h in handles {
                    per_task.push(h.await.expect("task failed"));
                }
                per_task
            }
        })
        .unwrap();
    for t in threads {
        t.join().unwrap();
    }
    let per_task: Vec<usize> = counts.into_iter().flatten().collect();
    println!(
        "{TOTAL} cross-thread sends to {tasks} tasks in {:?}",
        start.elapsed()
    );
    assert_eq!(per_task.iter().sum::<usize>(), TOTAL);
    for (i, n) in per_task.iter().enumerate() {
        assert_eq!(
            *n,
            TOTAL / tasks + usize::from(i < TOTAL % tasks),
            "task {i}"
        );
    }
}
