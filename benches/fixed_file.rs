//! Registered buffers against plain ones for random file reads:
//! `File::read_fixed_at` (IORING_OP_READ_FIXED from a `FixedBufPool`)
//! against `File::read_at` into a reused `Vec`, on the io_uring driver.
//!
//! ```text
//! cargo bench --bench fixed_file                       # 4 KiB and 128 KiB, depth 1 and 16, 7 rounds
//! cargo bench --bench fixed_file -- --rounds 9 --secs 2 --depths 1,64
//! cargo bench --bench fixed_file -- --smoke            # CI: a few reads each, verified, no timing asserted
//! cargo bench --bench fixed_file -- --direct           # O_DIRECT instead of the page cache
//! ```
//!
//! Run without any argument (as `cargo test --benches` does) it runs the
//! smoke mode too.
//!
//! Method
//! - A 64 MiB file (in the temp directory unless `--file` names one) is
//!   filled with a pattern that tells each 8-byte word's offset, then read
//!   once so that it sits in the page cache: the reads measure the kernel's
//!   per-read work (where registration saves pinning and mapping the
//!   buffer's pages), not the disk.
//! - With `--direct` the file is opened `O_DIRECT` instead (it must live
//!   on a file system that supports it, not tmpfs): each read then goes
//!   to the device, and a plain read pins the buffer's pages for it, which
//!   is the work registration saves.
//! - Both buffers are page aligned (the `Vec` reads into its spare
//!   capacity from an aligned offset), as `O_DIRECT` requires.
//! - Reads are random and aligned to their size. `depth` tasks read at once
//!   on one runtime, each with its own buffer (depth 1: one read in flight,
//!   a syscall each; more: the submissions batch).
//! - Every read is checked: full length, and the first word names the
//!   offset read.
//! - The two methods run interleaved (A B, B A, ...) for several rounds,
//!   after a warm-up, so slow drifts of the machine hit both alike. Each
//!   round prints reads/s and CPU time per read (user + system of the
//!   whole process, from getrusage: io-wq workers included) for both, and
//!   their ratio; the summary gives the medians. No target is asserted.

use std::cell::Cell;
use std::fs;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aio::buf::{FixedBufPool, IoBufMut};
use aio::fs::{File, OpenOptions};

const USAGE: &str = "\
usage: fixed_file [--smoke] [--direct] [--rounds 7] [--secs 1] [--warmup 0.3]
                  [--sizes 4096,131072] [--depths 1,16] [--file PATH]";

const MIB: usize = 1 << 20;

#[derive(Debug, Clone)]
struct Options {
    rounds: usize,
    measure: Duration,
    warmup: Duration,
    sizes: Vec<usize>,
    depths: Vec<usize>,
    file: PathBuf,
    file_size: usize,
    smoke: bool,
    direct: bool,
}

impl Options {
    fn parse(args: &[String]) -> io::Result<Options> {
        let mut opts = Options {
            rounds: 7,
            measure: Duration::from_secs(1),
            warmup: Duration::from_millis(300),
            sizes: vec![4 * 1024, 128 * 1024],
            depths: vec![1, 16],
            file: std::env::temp_dir().join(format!("aio-fixed-file-{}", std::process::id())),
            file_size: 64 * MIB,
            // `cargo test --benches` runs this with no arguments at all;
            // `cargo bench` always passes --bench.
            smoke: args.is_empty(),
            direct: false,
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = || {
                it.next()
                    .cloned()
                    .ok_or_else(|| invalid(format!("{arg} needs a value\n{USAGE}")))
            };
            match arg.as_str() {
                "--bench" => {}
                "--smoke" => opts.smoke = true,
                "--direct" => opts.direct = true,
                "--rounds" => opts.rounds = parse(arg, &value()?)?,
                "--secs" => opts.measure = Duration::from_secs_f64(parse(arg, &value()?)?),
                "--warmup" => opts.warmup = Duration::from_secs_f64(parse(arg, &value()?)?),
                "--sizes" => opts.sizes = parse_list(arg, &value()?)?,
                "--depths" => opts.depths = parse_list(arg, &value()?)?,
                "--file" => opts.file = PathBuf::from(value()?),
                "-h" | "--help" => return Err(invalid(USAGE.to_string())),
                other => return Err(invalid(format!("unknown argument {other:?}\n{USAGE}"))),
            }
        }
        if opts.smoke {
            opts.rounds = 1;
            opts.measure = Duration::from_millis(50);
            opts.warmup = Duration::from_millis(10);
            opts.file_size = 8 * MIB;
        }
        let largest = opts.sizes.iter().copied().max().unwrap_or(0);
        if opts.rounds == 0
            || opts.depths.contains(&0)
            || opts.sizes.iter().any(|&s| s < 8 || s % 8 != 0)
            || (opts.direct && opts.sizes.iter().any(|&s| s % 4096 != 0))
            || largest > opts.file_size
        {
            return Err(invalid(format!(
                "rounds and depths must be at least 1, sizes multiples of 8 up to the file's \
                 {} bytes (multiples of 4096 with --direct)\n{USAGE}",
                opts.file_size
            )));
        }
        Ok(opts)
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

fn parse<T: std::str::FromStr>(arg: &str, v: &str) -> io::Result<T>
where
    T::Err: std::fmt::Display,
{
    v.parse()
        .map_err(|e| invalid(format!("{arg} {v:?}: {e}\n{USAGE}")))
}

fn parse_list(arg: &str, v: &str) -> io::Result<Vec<usize>> {
    v.split(',').map(|s| parse(arg, s.trim())).collect()
}

/// The two contenders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    /// `read_at` into a `Vec` reused for every read (its spare capacity,
    /// from a page-aligned offset).
    Plain,
    /// `read_fixed_at` into a `FixedBuf` of a registered pool.
    Fixed,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Plain => "read_at",
            Method::Fixed => "read_fixed_at",
        }
    }
}

/// One measurement: reads done and what they cost.
#[derive(Debug, Clone, Copy)]
struct Sample {
    reads: u64,
    wall: Duration,
    cpu: Duration,
}

impl Sample {
    fn per_sec(&self) -> f64 {
        self.reads as f64 / self.wall.as_secs_f64()
    }

    fn cpu_us(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.reads.max(1) as f64
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match Options::parse(&args).and_then(|opts| run(&opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fixed_file: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(opts: &Options) -> io::Result<()> {
    let rt = match aio::RuntimeBuilder::new()
        .driver(aio::Driver::IoUring)
        .build()
    {
        Ok(rt) => rt,
        Err(e) if opts.smoke => {
            println!("fixed_file: io_uring cannot start here, nothing to compare: {e}");
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    println!("# fixed_file: read_fixed_at (registered) vs read_at (reused Vec), io_uring");
    println!("# cpu:    {}", cpu_model());
    println!("# kernel: {}", kernel());
    println!("# date:   {}", utc_now());
    println!(
        "# file:   {} ({} MiB, {}), rounds {}, {:?} each after a {:?} warm-up{}",
        opts.file.display(),
        opts.file_size / MIB,
        if opts.direct {
            "O_DIRECT"
        } else {
            "page cache"
        },
        opts.rounds,
        opts.measure,
        opts.warmup,
        if opts.smoke { " (smoke)" } else { "" }
    );
    create_file(&opts.file, opts.file_size)?;
    let result = rt.block_on(bench(opts));
    let _ = fs::remove_file(&opts.file);
    result
}

/// Writes the pattern (each 8-byte word is its own offset), then reads the
/// file back once so it is in the page cache.
fn create_file(path: &PathBuf, size: usize) -> io::Result<()> {
    let mut out = fs::File::create(path)?;
    let mut chunk = Vec::with_capacity(MIB);
    for base in (0..size).step_by(MIB) {
        chunk.clear();
        for word in (base..(base + MIB).min(size)).step_by(8) {
            chunk.extend_from_slice(&(word as u64).to_le_bytes());
        }
        out.write_all(&chunk)?;
    }
    out.sync_all()?;
    drop(out);
    let mut sink = vec![0u8; MIB];
    let mut file = fs::File::open(path)?;
    while file.read(&mut sink)? > 0 {}
    Ok(())
}

async fn bench(opts: &Options) -> io::Result<()> {
    let mut open = OpenOptions::new();
    open.read(true);
    if opts.direct {
        open.custom_flags(libc::O_DIRECT);
    }
    let file = Rc::new(open.open(&opts.file).await?);
    for &depth in &opts.depths {
        for &size in &opts.sizes {
            let pool = FixedBufPool::new(depth as u16, size)?;
            println!(
                "\n## {} reads, depth {depth}: pool of {depth} x {} registered: {}",
                human(size),
                human(size),
                pool.is_registered()
            );
            let case = Case {
                file: file.clone(),
                pool,
                size,
                depth,
                blocks: (opts.file_size / size) as u64,
            };
            for method in [Method::Plain, Method::Fixed] {
                case.measure(method, opts.warmup).await?;
            }
            let mut ratios_rate = Vec::new();
            let mut ratios_cpu = Vec::new();
            let mut by_method: [Vec<Sample>; 2] = [Vec::new(), Vec::new()];
            for round in 0..opts.rounds {
                let order = if round % 2 == 0 {
                    [Method::Plain, Method::Fixed]
                } else {
                    [Method::Fixed, Method::Plain]
                };
                let mut got = [None, None];
                for method in order {
                    got[method as usize] = Some(case.measure(method, opts.measure).await?);
                }
                let [Some(plain), Some(fixed)] = got else {
                    unreachable!("both methods ran")
                };
                let rate = fixed.per_sec() / plain.per_sec();
                let cpu = fixed.cpu_us() / plain.cpu_us();
                println!(
                    "round {:>2}  {:>14}: {:>9.0} reads/s {:>7.2} us cpu/read | {:>14}: \
                     {:>9.0} reads/s {:>7.2} us cpu/read | fixed/plain: reads/s x{rate:.3}, \
                     cpu/read x{cpu:.3}",
                    round + 1,
                    Method::Plain.name(),
                    plain.per_sec(),
                    plain.cpu_us(),
                    Method::Fixed.name(),
                    fixed.per_sec(),
                    fixed.cpu_us(),
                );
                ratios_rate.push(rate);
                ratios_cpu.push(cpu);
                by_method[0].push(plain);
                by_method[1].push(fixed);
            }
            let med =
                |v: &[Sample], f: fn(&Sample) -> f64| median(v.iter().map(f).collect::<Vec<_>>());
            println!(
                "median     {:>14}: {:>9.0} reads/s {:>7.2} us cpu/read | {:>14}: {:>9.0} \
                 reads/s {:>7.2} us cpu/read | fixed/plain: reads/s x{:.3}, cpu/read x{:.3}",
                Method::Plain.name(),
                med(&by_method[0], Sample::per_sec),
                med(&by_method[0], Sample::cpu_us),
                Method::Fixed.name(),
                med(&by_method[1], Sample::per_sec),
                med(&by_method[1], Sample::cpu_us),
                median(ratios_rate),
                median(ratios_cpu),
            );
        }
    }
    Ok(())
}

/// One size and depth.
struct Case {
    file: Rc<File>,
    pool: FixedBufPool,
    size: usize,
    depth: usize,
    /// Aligned blocks of `size` in the file.
    blocks: u64,
}

impl Case {
    /// `depth` tasks read with `method` for `span`; every read checked.
    async fn measure(&self, method: Method, span: Duration) -> io::Result<Sample> {
        let reads = Rc::new(Cell::new(0u64));
        let cpu0 = cpu_time();
        let start = Instant::now();
        let deadline = start + span;
        let mut tasks = Vec::new();
        for t in 0..self.depth {
            let (file, reads, size, blocks) =
                (self.file.clone(), reads.clone(), self.size, self.blocks);
            let fixed = self.pool.get().expect("one buffer per task");
            let seed = 0x9E37_79B9_7F4A_7C15u64 ^ ((t as u64 + 1) << 32) ^ start_nanos();
            tasks.push(aio::spawn(async move {
                let mut rng = seed | 1;
                let mut plain: Vec<u8> = Vec::with_capacity(size + 4096);
                let pad = plain.as_ptr().align_offset(4096);
                plain.resize(pad, 0);
                let mut fixed = fixed;
                while Instant::now() < deadline {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    let pos = (rng % blocks) * size as u64;
                    let (n, first) = match method {
                        Method::Plain => {
                            plain.truncate(pad);
                            let (res, b) = file.read_at(plain.slice_mut(..size), pos).await;
                            plain = b.into_inner();
                            (res?, word(&plain[pad..]))
                        }
                        Method::Fixed => {
                            fixed.clear();
                            let (res, b) = file.read_fixed_at(fixed, pos).await;
                            fixed = b;
                            (res?, word(&fixed))
                        }
                    };
                    if n != size || first != pos {
                        return Err(io::Error::other(format!(
                            "{}: read {n} bytes at {pos} starting with word {first}",
                            method.name()
                        )));
                    }
                    reads.set(reads.get() + 1);
                }
                Ok::<(), io::Error>(())
            }));
        }
        for task in tasks {
            task.await.map_err(|e| io::Error::other(e.to_string()))??;
        }
        Ok(Sample {
            reads: reads.get(),
            wall: start.elapsed(),
            cpu: cpu_time() - cpu0,
        })
    }
}

/// The first 8-byte word of `buf` (the offset it was read from).
fn word(buf: &[u8]) -> u64 {
    buf.get(..8)
        .map_or(u64::MAX, |w| u64::from_le_bytes(w.try_into().unwrap()))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn human(bytes: usize) -> String {
    if bytes >= 1024 && bytes % 1024 == 0 {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} B")
    }
}

/// User + system CPU time of the whole process (io-wq workers included).
fn cpu_time() -> Duration {
    // SAFETY: rusage is plain data; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes one rusage through a valid pointer.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    assert_eq!(rc, 0, "getrusage: {}", io::Error::last_os_error());
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn start_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos().into())
}

fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_else(|| "unknown".to_string())
        + &format!(" ({} online CPUs)", online_cpus())
}

fn online_cpus() -> libc::c_long {
    // SAFETY: sysconf reads a system constant and touches no memory.
    unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }
}

/// `uname -r`.
fn kernel() -> String {
    fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".to_string())
}

/// The current UTC time as `YYYY-MM-DD HH:MM UTC`, without a date crate.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}
