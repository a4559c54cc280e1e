//! Choosing and starting a backend: `Driver::Auto` proves io_uring works
//! with a full round trip and falls back to epoll when it does not.

use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use io_uring::{IoUring, Probe};

use super::epoll::Epoll;
use super::uring::{sqe, Uring, OPCODES};
use super::{Backend, Unparker};
use crate::Driver;

/// Smallest ring tried when the kernel reports ENOMEM (memlock limits).
const MIN_ENTRIES: u32 = 8;

/// `AIO_DRIVER=uring|epoll` (also `io_uring`/`iouring`), which overrides
/// `Driver::Auto`. Unknown values are ignored.
pub(crate) fn env_override() -> Option<Driver> {
    match std::env::var("AIO_DRIVER")
        .ok()?
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "uring" | "io_uring" | "iouring" => Some(Driver::IoUring),
        "epoll" => Some(Driver::Epoll),
        _ => None,
    }
}

/// The backends that can start here: io_uring (if it works) and epoll.
pub(crate) fn available_drivers() -> Vec<Driver> {
    static URING_WORKS: OnceLock<bool> = OnceLock::new();
    let uring = *URING_WORKS.get_or_init(|| setup_ring(32).is_ok());
    if uring {
        vec![Driver::IoUring, Driver::Epoll]
    } else {
        vec![Driver::Epoll]
    }
}

/// Why the last `Driver::Auto` runtime on this process fell back to epoll.
static FALLBACK_REASON: Mutex<Option<String>> = Mutex::new(None);

/// Why `Driver::Auto` chose epoll the last time it did, if it ever did.
pub(crate) fn fallback_reason() -> Option<String> {
    FALLBACK_REASON
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// Starts the backend `kind` asks for; returns the backend that runs.
pub(crate) fn start(
    kind: Driver,
    entries: u32,
    unparker: &Arc<Unparker>,
) -> io::Result<(Driver, Backend)> {
    let kind = match kind {
        Driver::Auto => env_override().unwrap_or(Driver::Auto),
        k => k,
    };
    match kind {
        Driver::IoUring => {
            let ring = setup_ring(entries)?;
            Ok((Driver::IoUring, Backend::Uring(Uring::new(ring, unparker))))
        }
        Driver::Epoll => Ok((Driver::Epoll, Backend::Epoll(Epoll::new(unparker)?))),
        Driver::Auto => match setup_ring(entries) {
            Ok(ring) => Ok((Driver::IoUring, Backend::Uring(Uring::new(ring, unparker)))),
            Err(e) => {
                crate::trace::driver_fallback(&e);
                *FALLBACK_REASON.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
                Ok((Driver::Epoll, Backend::Epoll(Epoll::new(unparker)?)))
            }
        },
    }
}

/// Sets up a ring with the best flags the kernel accepts, retrying with
/// fewer entries on ENOMEM, then proves it: every opcode aio uses is
/// supported and a NOP makes the round trip. Errors explain the likely cause.
fn setup_ring(entries: u32) -> io::Result<IoUring> {
    let mut entries = entries.max(1);
    loop {
        match build_with_best_flags(entries) {
            Ok(ring) => return prove(ring),
            Err(e) if e.raw_os_error() == Some(libc::ENOMEM) && entries > MIN_ENTRIES => {
                entries = (entries / 2).max(MIN_ENTRIES);
            }
            Err(e) => return Err(explain("io_uring_setup", e)),
        }
    }
}

/// Tries the setup flag sets from newest to oldest; EINVAL means the kernel
/// doesn't know a flag, so the next set is tried.
fn build_with_best_flags(entries: u32) -> io::Result<IoUring> {
    type Configure = fn(&mut io_uring::Builder);
    let tiers: [Configure; 4] = [
        // 6.1+: task work runs only when we enter, on our thread.
        |b| {
            b.setup_coop_taskrun()
                .setup_single_issuer()
                .setup_defer_taskrun()
                .setup_submit_all();
        },
        // 6.0
        |b| {
            b.setup_coop_taskrun()
                .setup_single_issuer()
                .setup_submit_all();
        },
        // 5.19
        |b| {
            b.setup_coop_taskrun().setup_submit_all();
        },
        |_| {},
    ];
    let mut last = None;
    for configure in tiers {
        let mut builder = IoUring::builder();
        // More entries than the kernel's maximum (32768) are clamped to
        // it rather than rejected with EINVAL.
        builder.setup_clamp();
        configure(&mut builder);
        match builder.build(entries) {
            Ok(ring) => return Ok(ring),
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from_raw_os_error(libc::EINVAL)))
}

fn prove(mut ring: IoUring) -> io::Result<IoUring> {
    let mut probe = Probe::new();
    ring.submitter().register_probe(&mut probe).map_err(|e| {
        if e.raw_os_error() == Some(libc::EINVAL) {
            io::Error::new(
                e.kind(),
                format!(
                    "io_uring unavailable: IORING_REGISTER_PROBE failed: {e}; the kernel is \
                     too old to report its opcodes (probing arrived in Linux 5.6; aio's \
                     io_uring backend needs {MIN_LINUX} or newer)"
                ),
            )
        } else {
            explain("IORING_REGISTER_PROBE", e)
        }
    })?;
    let missing: Vec<String> = OPCODES
        .iter()
        .filter(|(code, _)| !probe.is_supported(*code))
        .map(|(_, n)| match added_in(n) {
            Some(v) => format!("{n} (Linux {v})"),
            None => n.to_string(),
        })
        .collect();
    if !missing.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "io_uring is missing opcodes aio needs: {}; the kernel is older than that, or \
                 implements only part of io_uring (aio's io_uring backend needs {MIN_LINUX} or \
                 newer)",
                missing.join(", ")
            ),
        ));
    }
    let nop = sqe::entry(super::Call::Nop).user_data(0x4e4f50);
    // SAFETY: a NOP carries no pointers.
    unsafe { sqe::push(&mut ring.submission(), &nop) }
        .map_err(|_| io::Error::other("io_uring SQ full at setup"))?;
    ring.submit_and_wait(1)
        .map_err(|e| explain("io_uring_enter", e))?;
    let cqe = ring.completion().next();
    match cqe {
        Some(cqe) if cqe.user_data() == 0x4e4f50 && cqe.result() >= 0 => Ok(ring),
        Some(cqe) => Err(io::Error::other(format!(
            "io_uring unavailable: a NOP completed with {} instead of succeeding; the kernel's \
             io_uring is restricted or broken",
            io::Error::from_raw_os_error(-cqe.result())
        ))),
        None => Err(io::Error::other(
            "io_uring unavailable: a NOP was submitted and waited for but no completion arrived; \
             io_uring_enter is filtered or the kernel's io_uring is broken",
        )),
    }
}

/// The oldest kernel that has every opcode in `OPCODES` (MKDIRAT is the
/// newest of them). Newer features (MSG_RING wakes, COOP_TASKRUN,
/// SINGLE_ISSUER, DEFER_TASKRUN, EXT_ARG waits) are used when present and
/// are never required.
const MIN_LINUX: &str = "Linux 5.15";

/// The kernel release that added an opcode in `OPCODES`, by its name there.
fn added_in(opcode: &str) -> Option<&'static str> {
    Some(match opcode {
        "NOP" | "READV" | "WRITEV" | "FSYNC" | "POLL_ADD" | "READ_FIXED" | "WRITE_FIXED" => "5.1",
        "SENDMSG" | "RECVMSG" => "5.3",
        "TIMEOUT" => "5.4",
        "ACCEPT" | "ASYNC_CANCEL" | "CONNECT" => "5.5",
        "READ" | "WRITE" | "SEND" | "RECV" | "OPENAT" | "CLOSE" | "STATX" => "5.6",
        "SHUTDOWN" | "RENAMEAT" | "UNLINKAT" => "5.11",
        "MKDIRAT" => "5.15",
        _ => return None,
    })
}

/// Wraps a setup error with what most likely caused it.
fn explain(what: &str, e: io::Error) -> io::Error {
    let errno = e.raw_os_error().unwrap_or(0);
    let cause = match errno {
        libc::EPERM | libc::EACCES => {
            let sysctl = std::fs::read_to_string("/proc/sys/kernel/io_uring_disabled")
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| "absent".into());
            format!(
                "io_uring is blocked: a seccomp filter (Docker's and containerd's default \
                 profiles block it) or the kernel.io_uring_disabled sysctl (here: {sysctl})"
            )
        }
        libc::ENOSYS => "the kernel has no io_uring (built without CONFIG_IO_URING, or older \
                         than 5.1), or a seccomp filter returns ENOSYS for it"
            .into(),
        libc::ENOMEM => "not enough locked memory for the ring (raise RLIMIT_MEMLOCK, \
                         `ulimit -l`; kernels before 5.12 charge rings to it)"
            .into(),
        libc::EINVAL => "the kernel rejected the ring parameters (kernel too old?)".into(),
        libc::EMFILE | libc::ENFILE => "out of file descriptors".into(),
        _ => "unexpected error".into(),
    };
    io::Error::new(
        e.kind(),
        format!("io_uring unavailable: {what} failed: {e}; {cause}"),
    )
}

#[cfg(test)]
mod tests {
    use super::{added_in, MIN_LINUX, OPCODES};

    /// A setup error names the release that added each missing opcode, and
    /// `MIN_LINUX` is the newest of them: adding an opcode to `OPCODES`
    /// means saying when it arrived.
    #[test]
    fn every_required_opcode_has_a_release_and_min_linux_is_the_newest() {
        let version = |v: &str| -> (u32, u32) {
            let (major, minor) = v.split_once('.').unwrap();
            (major.parse().unwrap(), minor.parse().unwrap())
        };
        let newest = OPCODES
            .iter()
            .map(|(_, name)| {
                version(added_in(name).unwrap_or_else(|| panic!("no release recorded for {name}")))
            })
            .max()
            .unwrap();
        let min = MIN_LINUX.strip_prefix("Linux ").unwrap();
        assert_eq!(newest, version(min));
    }
}
