//! Thin wrappers over the Linux facilities the harness needs: CPU pinning,
//! per-thread CPU time of another process, tying the server's life to ours,
//! and a description of the machine for the report header.

use std::fs;
use std::io;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Pins the calling thread (and every thread it creates afterwards, which
/// inherit the mask) to one CPU.
pub fn pin_to_cpu(cpu: usize) -> io::Result<()> {
    // SAFETY: `cpu_set_t` is a plain bit array for which all-zeroes is a valid
    // (empty) value.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: CPU_SET only writes the bit for `cpu` inside `set`; it checks
    // `cpu` against the set's size itself.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: pid 0 means the calling thread; the pointer and size describe
    // `set`, which lives across the call.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) };
    if rc != 0 {
        let err = io::Error::last_os_error();
        return Err(io::Error::new(
            err.kind(),
            format!("sched_setaffinity(cpu {cpu}): {err}"),
        ));
    }
    Ok(())
}

/// Sets the calling thread's nice value; threads and processes it creates
/// afterwards inherit it. Negative values need CAP_SYS_NICE.
pub fn set_nice(nice: i32) -> io::Result<()> {
    // SAFETY: setpriority takes plain integers; who = 0 is the caller.
    let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) };
    if rc != 0 {
        let err = io::Error::last_os_error();
        return Err(io::Error::new(
            err.kind(),
            format!("setpriority(nice {nice}): {err}"),
        ));
    }
    Ok(())
}

/// Asks the kernel to SIGKILL this process when its parent dies, so a server
/// child never outlives a load generator that crashed or was interrupted.
pub fn die_with_parent() -> io::Result<()> {
    // SAFETY: PR_SET_PDEATHSIG takes a signal number and touches no memory.
    let rc = unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Total time, in nanoseconds, that every current thread of process `pid` has
/// spent running on a CPU (user and kernel), from
/// `/proc/<pid>/task/<tid>/schedstat` (first field).
///
/// schedstat is accounted by the scheduler in nanoseconds, unlike the
/// tick-based utime/stime of `/proc/<pid>/stat`, so short windows are exact.
/// A thread that exits between two samples takes its time with it; the
/// servers measured here create no threads while serving, so the sum over
/// the threads present at each sample is the process's CPU time.
pub fn process_cpu_ns(pid: u32) -> io::Result<u64> {
    let dir = format!("/proc/{pid}/task");
    let mut total = 0;
    for entry in fs::read_dir(&dir).map_err(|e| annotate(e, &dir))? {
        match on_cpu_ns(&entry?.path().join("schedstat")) {
            Ok(ns) => total += ns,
            // The thread exited between read_dir and open.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}

/// Time, in nanoseconds, the calling thread has spent on a CPU.
pub fn thread_cpu_ns() -> io::Result<u64> {
    on_cpu_ns(Path::new("/proc/thread-self/schedstat"))
}

/// The first field of a schedstat file: time spent on a CPU, in ns.
fn on_cpu_ns(path: &Path) -> io::Result<u64> {
    let text = fs::read_to_string(path).map_err(|e| annotate(e, &path.display().to_string()))?;
    text.split_whitespace()
        .next()
        .and_then(|field| field.parse::<u64>().ok())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {text:?}", path.display()),
            )
        })
}

fn annotate(err: io::Error, what: &str) -> io::Error {
    io::Error::new(err.kind(), format!("{what}: {err}"))
}

/// Where and when a run happened, for the report header.
#[derive(Debug, Clone)]
pub struct MachineInfo {
    /// CPU model name from /proc/cpuinfo.
    pub cpu_model: String,
    /// Online CPUs.
    pub cores: usize,
    /// `uname -r`.
    pub kernel: String,
    /// UTC date and time of the run, `YYYY-MM-DD HH:MM UTC`.
    pub date: String,
}

impl MachineInfo {
    /// Reads the machine description; fields that cannot be read say so
    /// rather than failing the run.
    pub fn collect() -> MachineInfo {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|line| line.strip_prefix("model name"))
            .and_then(|rest| rest.split_once(':'))
            .map(|(_, model)| model.trim().to_string())
            .unwrap_or_else(|| "unknown".to_string());
        // Online CPUs of the machine; not available_parallelism(), which
        // honours this thread's affinity mask (one CPU once pinned).
        // SAFETY: sysconf reads a system constant and touches no memory.
        let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
        let cores = usize::try_from(online).unwrap_or(0);
        let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "unknown".to_string());
        MachineInfo {
            cpu_model,
            cores,
            kernel,
            date: utc_now(),
        }
    }
}

/// The current UTC time as `YYYY-MM-DD HH:MM UTC`, without a date crate.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Converts days since 1970-01-01 to a proleptic Gregorian (year, month,
/// day); Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
