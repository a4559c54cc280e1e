//! Shutdown on SIGINT / SIGTERM: [`shutdown_signal`],
//! [`Shutdown::trigger_on_signal`] and [`exit_on_second_signal`].
//!
//! # Mechanism
//!
//! The first use registers two actions for SIGINT and SIGTERM through
//! `signal-hook`: one counts the signal (and, only when
//! [`exit_on_second_signal`] is enabled, ends the process on the second), the
//! other writes one byte to a socket pair. One plain thread, `aio-signal`,
//! sleeps in a blocking `read` of the other end. When a byte arrives it
//! triggers a process-wide [`Shutdown`] token (which wakes every
//! [`shutdown_signal`] future through its waker, i.e. through each core's
//! ring) and every token registered with
//! [`trigger_on_signal`](Shutdown::trigger_on_signal). Nothing waits on a
//! core: the cost is one sleeping thread per process.
//!
//! `signal-hook` chains: it saves the action in place when it installs its
//! handler and calls it on every delivery, before the actions above, so a
//! handler the application installed keeps running (see
//! [`shutdown_signal`]).
//!
//! A handler is used rather than blocking the signals and reading a
//! `signalfd`: a signalfd only sees signals that every thread of the process
//! blocks, and threads started before the first call (a test harness, a
//! blocking pool, library threads) would keep the default action and kill
//! the process. The handler works whatever the other threads' masks are.
//!
//! # A second signal
//!
//! By default a SIGINT/SIGTERM after the first one does not end the
//! process: it reaches the chained handlers again and changes nothing for
//! the (already triggered) listeners. A shutdown that hangs can then only be
//! stopped from outside (SIGKILL, or SIGQUIT with Ctrl-\\). A program that
//! wants the usual "press Ctrl-C twice to quit now" calls
//! [`exit_on_second_signal(true)`](exit_on_second_signal): a second signal
//! then ends the process at once, from the signal handler, with `_exit(128 +
//! signal)` (no destructors, no `atexit` hooks, no flushing of buffered
//! output).

use std::io::{self, Read};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{LazyLock, Mutex, OnceLock, PoisonError};
use std::thread;

use signal_hook::low_level::{self, pipe};
use signal_hook::SigId;

use super::Shutdown;

/// The signals that ask for shutdown.
const SIGNALS: [libc::c_int; 2] = [libc::SIGINT, libc::SIGTERM];

/// Signals received so far (counted in the handler).
static RECEIVED: AtomicUsize = AtomicUsize::new(0);
/// Whether a signal after the first ends the process ([`exit_on_second_signal`]).
static EXIT_ON_SECOND: AtomicBool = AtomicBool::new(false);
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
/// [`Shutdown::trigger_on_signal`]; a signal that arrives before that has
/// the effect of whatever was in place (by default the process ends). Call
/// it early, e.g. before [`Cores::run`](super::Cores::run). From then on:
///
/// - a SIGINT/SIGTERM handler the application (or a library) installed
///   before keeps running on every signal: the runtime's handler, installed
///   through `signal-hook`, saves the action it replaces and calls it on
///   each delivery, before its own work. Only a real handler is called: the
///   default action (ending the process) and `SIG_IGN` are not, since the
///   runtime now handles shutdown. Other users of `signal-hook` share the
///   handler. A handler installed *later* with a plain `sigaction` replaces
///   the runtime's unless it chains to the one it found;
/// - the process no longer dies on SIGINT/SIGTERM, neither the first nor a
///   later one, unless [`exit_on_second_signal(true)`](exit_on_second_signal)
///   was called, in which case the second one ends it at once.
///
/// # Errors
/// The error of creating the socket pair, spawning the `aio-signal` thread
/// or registering the handler if it could not be installed (the same errno
/// is reported to every later caller).
///
/// # Cancel safety
/// Cancel safe: a signal is never consumed by a dropped future.
pub async fn shutdown_signal() -> io::Result<()> {
    install()?;
    SIGNALLED.wait().await;
    Ok(())
}

/// Chooses what a SIGINT/SIGTERM after the first one does, process-wide.
///
/// - `false` (the default): nothing more than the first. The process keeps
///   running (its shutdown goes on); handlers the application installed
///   before are called again.
/// - `true`: the second signal ends the process at once with exit status
///   `128 + signal` (130 for SIGINT, 143 for SIGTERM), as a shell reports a
///   process killed by it. It calls `_exit` from the signal handler, after
///   the chained handlers: no destructors or `atexit` hooks run and buffered
///   output is not flushed. This is the "press Ctrl-C again to quit now"
///   escape for a shutdown that hangs.
///
/// It may be called at any time, before or after the handler is installed
/// (it installs nothing itself); it takes effect for the next signal. A
/// signal that arrived before it was enabled still counts as the first.
///
/// ```no_run
/// use aio::cores::{exit_on_second_signal, Shutdown};
///
/// fn main() -> std::io::Result<()> {
///     let shutdown = Shutdown::new();
///     shutdown.trigger_on_signal()?;
///     // Ctrl-C starts a graceful shutdown; Ctrl-C again quits at once.
///     exit_on_second_signal(true);
///     // ... run the cores until `shutdown` drains ...
///     Ok(())
/// }
/// ```
pub fn exit_on_second_signal(enable: bool) {
    EXIT_ON_SECOND.store(enable, SeqCst);
}

impl Shutdown {
    /// Triggers this token when the process receives SIGINT or SIGTERM (at
    /// once if one already arrived since the handler was installed). See
    /// [`shutdown_signal`] for how signals are caught, what happens to a
    /// handler the application installed, and what a second signal does.
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
    // Everything that can fail for want of resources comes first, so the
    // handler is registered only once nothing else can fail.
    let (rd, wr) = UnixStream::pair()?;
    let writers = [wr.try_clone()?, wr];
    thread::Builder::new()
        .name("aio-signal".into())
        .spawn(move || signal_thread(rd))?;

    let mut ids: Vec<SigId> = Vec::with_capacity(2 * SIGNALS.len());
    let registered = SIGNALS
        .into_iter()
        .zip(writers)
        .try_for_each(|(sig, writer)| {
            // SAFETY: `count_signal` is async-signal-safe: it only touches
            // lock-free atomics and may call `_exit`
            // (`signal_hook::low_level::exit`). It allocates nothing, takes
            // no lock and does not panic.
            ids.push(unsafe { low_level::register(sig, move || count_signal(sig)) }?);
            // Registered second, so the count above is taken before the
            // `aio-signal` thread is woken.
            ids.push(pipe::register(sig, writer)?);
            Ok::<(), io::Error>(())
        });
    if registered.is_err() {
        // Take back what was registered; dropping the writers closes them,
        // so the thread reads end-of-file and ends.
        for id in ids {
            low_level::unregister(id);
        }
    }
    registered
}

/// The first action of the handler: async-signal-safe only.
fn count_signal(sig: libc::c_int) {
    if RECEIVED.fetch_add(1, SeqCst) > 0 && EXIT_ON_SECOND.load(SeqCst) {
        // Second signal, and the application asked for this: the user
        // insists.
        low_level::exit(128 + sig);
    }
}

fn signal_thread(mut rd: UnixStream) {
    // Several signals may have written a byte each; one read takes them all.
    let mut bytes = [0u8; 64];
    loop {
        match rd.read(&mut bytes) {
            Ok(0) => return, // Every writer is gone: nothing more can arrive.
            Ok(_) => {
                SIGNALLED.trigger();
                let tokens =
                    std::mem::take(&mut *REGISTERED.lock().unwrap_or_else(PoisonError::into_inner));
                for t in tokens {
                    t.trigger();
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return, // Unexpected: treat as the end.
        }
    }
}
