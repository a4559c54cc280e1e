//! Shutdown on SIGINT / SIGTERM: [`shutdown_signal`] and
//! [`Shutdown::trigger_on_signal`].
//!
//! # Mechanism
//!
//! The first use installs a handler for SIGINT and SIGTERM (`sigaction`)
//! that only writes one byte to a pipe, and starts one plain thread,
//! `aio-signal`, that sleeps in a blocking `read` of that pipe. When a byte
//! arrives the thread triggers a process-wide [`Shutdown`] token (which wakes
//! every [`shutdown_signal`] future through its waker, i.e. through each
//! core's ring) and every token registered with
//! [`trigger_on_signal`](Shutdown::trigger_on_signal).
//!
//! A handler is used rather than blocking the signals and reading a
//! `signalfd`: a signalfd only sees signals that every thread of the process
//! blocks, and threads started before the first call (a test harness, a
//! blocking pool, library threads) would keep the default action and kill
//! the process. The handler works whatever the other threads' masks are.
//! Nothing waits on a core: the cost is one sleeping thread per process.
//!
//! A second SIGINT/SIGTERM after the first exits the process at once
//! (`_exit(128 + signal)`), so a shutdown that hangs can still be
//! interrupted from the terminal.

use std::io;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering::SeqCst};
use std::sync::{LazyLock, Mutex, OnceLock, PoisonError};
use std::thread;

use super::Shutdown;

/// Write end of the self-pipe, for the handler; -1 before installation.
static PIPE_WR: AtomicI32 = AtomicI32::new(-1);
/// Signals received so far.
static RECEIVED: AtomicUsize = AtomicUsize::new(0);
/// Triggered by the `aio-signal` thread on the first signal.
static SIGNALLED: LazyLock<Shutdown> = LazyLock::new(Shutdown::new);
/// Tokens registered with `trigger_on_signal`.
static REGISTERED: Mutex<Vec<Shutdown>> = Mutex::new(Vec::new());
/// The outcome of the one installation: `Err(errno)` if it failed.
static INSTALLED: OnceLock<Result<(), i32>> = OnceLock::new();

/// Completes when the process receives SIGINT (Ctrl-C) or SIGTERM, or at
/// once if one already arrived since the handler was installed. Every call,
/// on every core, sees the same first signal.
///
/// The handler is installed by the first call of this function or of
/// [`Shutdown::trigger_on_signal`]; a signal that arrives before that has its
/// default effect (the process ends). Call it early, e.g. before
/// [`Cores::run`](super::Cores::run). From then on the process no longer
/// dies on the first SIGINT/SIGTERM; a second one ends it at once.
///
/// # Errors
/// The errno of `pipe2`, `sigaction` or the thread spawn if the handler
/// could not be installed (reported to every caller).
///
/// # Cancel safety
/// Cancel safe: a signal is never consumed by a dropped future.
pub async fn shutdown_signal() -> io::Result<()> {
    install()?;
    SIGNALLED.wait().await;
    Ok(())
}

impl Shutdown {
    /// Triggers this token when the process receives SIGINT or SIGTERM (at
    /// once if one already arrived since the handler was installed). See
    /// [`shutdown_signal`] for how signals are caught.
    ///
    /// # Errors
    /// As [`shutdown_signal`].
    pub fn trigger_on_signal(&self) -> io::Result<()> {
        install()?;
        REGISTERED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(self.clone());
        // A signal that arrived before the push may have been handled
        // already; the thread triggers `SIGNALLED` before it reads the list.
        if SIGNALLED.is_triggered() {
            self.trigger();
        }
        Ok(())
    }
}

fn install() -> io::Result<()> {
    INSTALLED
        .get_or_init(|| try_install().map_err(|e| e.raw_os_error().unwrap_or(libc::EIO)))
        .map_err(io::Error::from_raw_os_error)
}

fn try_install() -> io::Result<()> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` is a writable array of two ints, as pipe2 requires.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let [rd, wr] = fds;
    // The handler must never block: make the write end non-blocking (a full
    // pipe already holds a byte that will wake the thread).
    // SAFETY: `wr` is an open descriptor we own; F_SETFL takes an int flag.
    if unsafe { libc::fcntl(wr, libc::F_SETFL, libc::O_NONBLOCK) } != 0 {
        return Err(io::Error::last_os_error());
    }
    PIPE_WR.store(wr, SeqCst);

    thread::Builder::new()
        .name("aio-signal".into())
        .spawn(move || signal_thread(rd))?;

    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: an all-zero `sigaction` is a valid value (no flags, empty
        // mask) that is filled in below.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        // SAFETY: `action.sa_mask` is a valid `sigset_t` to initialise.
        unsafe { libc::sigemptyset(&mut action.sa_mask) };
        // SAFETY: `action` is fully initialised and `on_signal` is
        // async-signal-safe (only atomics, `write`, `_exit` and errno); the
        // old action is not requested.
        if unsafe { libc::sigaction(sig, &action, std::ptr::null_mut()) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The signal handler: async-signal-safe only.
extern "C" fn on_signal(sig: libc::c_int) {
    if RECEIVED.fetch_add(1, SeqCst) > 0 {
        // Second signal: the user insists.
        // SAFETY: `_exit` is async-signal-safe and ends the process.
        unsafe { libc::_exit(128 + sig) };
    }
    // SAFETY: `__errno_location` returns this thread's errno slot, valid for
    // the thread's life; it is restored so the interrupted code sees no
    // change.
    let errno = unsafe { *libc::__errno_location() };
    let byte = 1u8;
    // SAFETY: `byte` is a live 1-byte buffer; `PIPE_WR` is the pipe's open,
    // non-blocking write end (stored before the handler was installed, never
    // closed). A failed write (pipe full) is fine: a byte is already there.
    unsafe { libc::write(PIPE_WR.load(SeqCst), (&byte as *const u8).cast(), 1) };
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = errno };
}

fn signal_thread(rd: libc::c_int) {
    let mut byte = 0u8;
    loop {
        // SAFETY: `byte` is a live, writable 1-byte buffer and `rd` the
        // pipe's read end, owned by this thread and never closed.
        let n = unsafe { libc::read(rd, (&mut byte as *mut u8).cast(), 1) };
        if n == 1 {
            SIGNALLED.trigger();
            let tokens =
                std::mem::take(&mut *REGISTERED.lock().unwrap_or_else(PoisonError::into_inner));
            for t in tokens {
                t.trigger();
            }
        } else if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        } else {
            // EOF or an unexpected error: nothing more can arrive.
            return;
        }
    }
}
