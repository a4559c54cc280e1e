//! `cargo bench --bench sendfile [-- --rounds 5 | --smoke]`: what one
//! `TcpStream::sendfile` costs, file after file, as a static-file server
//! sends them.
//!
//! An aio runtime (CPU 0) sends a page-cached file of each size over
//! loopback TCP, one call at a time; a std thread (CPU 1) reads each file
//! whole, checks it, and answers one byte, which the sender awaits before
//! the next call. Three modes, interleaved in every round:
//!
//! - `uring`: `sendfile` on io_uring (a read and a send through a buffer up
//!   to 64 KiB, splices through a pipe above);
//! - `uring-splice`: the same bytes by `aio::io::splice`, file to pipe and
//!   pipe to socket, through a pipe made per call: what io_uring's
//!   `sendfile` did for every size before the copy path;
//! - `epoll`: `sendfile` on epoll (sendfile(2)).
//!
//! Reported: µs per call (wall) and sender CPU per call: the process's CPU
//! time (getrusage) less the reader thread's, so io_uring's worker threads
//! (which run the splices) are counted. Then, per size, the medians over
//! rounds of each mode's time and CPU over `epoll`'s, and of `uring`'s CPU
//! over `uring-splice`'s, paired by round. Wall time per call is mostly
//! the two cross-CPU wakeups of the exchange, and noisy on a shared host;
//! CPU per call is the steadier figure.

#[path = "echo/sys.rs"]
#[allow(dead_code)]
mod sys;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Instant;

use aio::io::AsyncReadRent;

const MODES: [&str; 3] = ["uring", "uring-splice", "epoll"];
const SIZES: [usize; 5] = [4 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let smoke = args.iter().any(|a| a == "--smoke");
    let rounds = if smoke {
        1
    } else {
        args.iter()
            .position(|a| a == "--rounds")
            .and_then(|i| args.get(i + 1))
            .map_or(5, |v| v.parse().expect("a number"))
    };
    let m = sys::MachineInfo::collect();
    println!(
        "sendfile: {} ({} cores), Linux {}, {}; {rounds} round(s)",
        m.cpu_model, m.cores, m.kernel, m.date
    );
    let path = std::env::temp_dir().join(format!("aio-sendfile-bench-{}", std::process::id()));
    // (size, mode) -> per-round (µs per call, CPU µs per call)
    let mut results = vec![vec![Vec::new(); MODES.len()]; SIZES.len()];
    for round in 1..=rounds {
        for (s, &size) in SIZES.iter().enumerate() {
            let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            std::fs::write(&path, &data).unwrap();
            // A run of about 64 MiB per mode (a few calls in the smoke run).
            let calls = if smoke {
                8
            } else {
                ((64 << 20) / size).clamp(100, 5000)
            };
            for (m, mode) in MODES.iter().enumerate() {
                let (wall, cpu) = run(mode, &path, &data, calls);
                println!(
                    "round {round}: {:>5} KiB {mode:>12}  {wall:9.1} µs/call  {cpu:9.1} µs CPU/call",
                    size >> 10
                );
                results[s][m].push((wall, cpu));
            }
        }
    }
    let _ = std::fs::remove_file(&path);
    println!("\nmedians over {rounds} round(s); ratios paired by round, median [min..max]");
    println!(
        "{:>9} {:>12} {:>9} {:>9} {:>20} {:>20} {:>24}",
        "size", "mode", "µs/call", "CPU µs", "time ÷ epoll", "CPU ÷ epoll", "CPU ÷ uring-splice"
    );
    // Mode `m` against mode `base` at size `s`, by `f` (time or CPU).
    let ratio = |s: usize, m: usize, base: usize, f: fn(&(f64, f64)) -> f64| {
        let mut r: Vec<f64> = results[s][m]
            .iter()
            .zip(&results[s][base])
            .map(|(a, b)| f(a) / f(b))
            .collect();
        r.sort_by(f64::total_cmp);
        format!("{:.2} [{:.2}..{:.2}]", r[r.len() / 2], r[0], r[r.len() - 1])
    };
    for (s, &size) in SIZES.iter().enumerate() {
        for (m, mode) in MODES.iter().enumerate() {
            let median = |f: fn(&(f64, f64)) -> f64| {
                let mut v: Vec<f64> = results[s][m].iter().map(f).collect();
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            let vs_splice = if m == 0 {
                ratio(s, 0, 1, |x| x.1)
            } else {
                String::new()
            };
            println!(
                "{:>5} KiB {mode:>12} {:>9.1} {:>9.1} {:>20} {:>20} {:>24}",
                size >> 10,
                median(|x| x.0),
                median(|x| x.1),
                ratio(s, m, 2, |x| x.0),
                ratio(s, m, 2, |x| x.1),
                vs_splice
            );
        }
    }
}

/// Sends `data` (the file at `path`) `calls` times in `mode`; returns µs
/// per call and sender CPU µs per call.
fn run(mode: &str, path: &std::path::Path, data: &[u8], calls: usize) -> (f64, f64) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let want = data.to_vec();
    let reader = std::thread::spawn(move || {
        let _ = sys::pin_to_cpu(1);
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_nodelay(true).unwrap();
        let cpu0 = sys::thread_cpu_ns().unwrap();
        let mut buf = vec![0u8; want.len()];
        for _ in 0..calls {
            s.read_exact(&mut buf).unwrap();
            assert!(buf == want, "the file arrived changed");
            s.write_all(b"k").unwrap();
        }
        sys::thread_cpu_ns().unwrap() - cpu0
    });
    let (conn, _) = listener.accept().unwrap();
    let driver = if mode == "epoll" {
        aio::Driver::Epoll
    } else {
        aio::Driver::IoUring
    };
    let _ = sys::pin_to_cpu(0);
    let rt = aio::RuntimeBuilder::new()
        .driver(driver)
        .build()
        .expect("a runtime");
    let size = data.len();
    let (wall, process_cpu) = rt.block_on(async {
        let mut stream = aio::net::TcpStream::from_std(conn).unwrap();
        let file = aio::fs::File::open(path).await.unwrap();
        let cpu0 = process_cpu_ns();
        let t0 = Instant::now();
        let mut ack = Vec::with_capacity(1);
        for _ in 0..calls {
            let sent = if mode == "uring-splice" {
                by_splice(&mut stream, &file, size).await
            } else {
                stream.sendfile(&file, 0, size).await.unwrap()
            };
            assert_eq!(sent, size);
            ack.clear();
            let (res, back) = stream.read(ack).await;
            assert_eq!(res.unwrap(), 1);
            ack = back;
        }
        let wall = t0.elapsed();
        let cpu = process_cpu_ns() - cpu0;
        (wall, cpu)
    });
    let reader_cpu = reader.join().unwrap();
    let per = |ns: f64| ns / 1e3 / calls as f64;
    (
        per(wall.as_nanos() as f64),
        per(process_cpu.saturating_sub(reader_cpu) as f64),
    )
}

/// The CPU time of the whole process, exited threads included (the reader
/// may be gone, and io_uring's idle workers exit), from getrusage(2),
/// which the kernel derives from its nanosecond runtime accounting.
fn process_cpu_ns() -> u64 {
    // SAFETY: an all-zero rusage is a valid value for getrusage to fill.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a live rusage; RUSAGE_SELF is always valid.
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) }, 0);
    let ns = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1_000;
    ns(ru.ru_utime) + ns(ru.ru_stime)
}

/// The splice pair through a pipe made for the call (sized to the file, up
/// to 1 MiB), as io_uring's `sendfile` ran for every size before its copy
/// path; `aio::io::splice` also duplicates the two descriptors of each
/// splice, which the old internal path did not.
async fn by_splice(stream: &mut aio::net::TcpStream, file: &aio::fs::File, size: usize) -> usize {
    use std::os::fd::AsRawFd;
    let (r, w) = aio::io::pipe().unwrap();
    // SAFETY: fcntl and lseek take descriptors and integers only; both
    // descriptors are open for the calls (borrowed from live owners).
    unsafe {
        libc::fcntl(
            w.as_raw_fd(),
            libc::F_SETPIPE_SZ,
            size.min(1 << 20) as libc::c_int,
        );
        // splice reads from the file's position: back to the start.
        libc::lseek(file.as_raw_fd(), 0, libc::SEEK_SET);
    }
    let mut sent = 0;
    while sent < size {
        let filled = aio::io::splice(file, &w, size - sent).await.unwrap();
        assert!(filled > 0, "the file ended early");
        let mut left = filled;
        while left > 0 {
            left -= aio::io::splice(&r, &*stream, left).await.unwrap();
        }
        sent += filled;
    }
    sent
}
