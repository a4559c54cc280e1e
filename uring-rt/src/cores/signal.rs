//! Shutdown on SIGINT / SIGTERM: [`shutdown_signal`],
//! [`Shutdown::trigger_on_signal`] and [`exit_on_second_signal`].
//!
//! # Mechanism
//!
//! These are listeners of the process-wide signal registry under
//! [`aio::signal`](crate::signal) (one mechanism for both): the first use
//! installs the registry's handlers for SIGINT and SIGTERM (if no
//! [`aio::signal::unix::signal`](crate::signal::unix::signal) listener did
//! already) and adds one permanent waker to each. When the registry's one
//! `aio-signal` thread sees a delivery it calls that waker, which triggers
//! a process-wide [`Shutdown`] token (waking every [`shutdown_signal`]
//! future through its waker, i.e. through each core's ring) and every token
//! registered with [`trigger_on_signal`](Shutdown::trigger_on_signal).
//! Nothing waits on a core.
//!
//! `signal-hook` chains: it saves the action in place when it installs its
//! handler and calls it on every delivery, before the registry's, so a
//! handler the application installed keeps running (see
//! [`shutdown_signal`]).
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

use std::io;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};
use std::task::{Wake, Waker};

use super::Shutdown;
use crate::signal::registry;

/// The signals that ask for shutdown.
const SIGNALS: [libc::c_int; 2] = [libc::SIGINT, libc::SIGTERM];

/// Triggered on the first signal after the installation.
static SIGNALLED: LazyLock<Shutdown> = LazyLock::new(Shutdown::new);
/// Tokens registered with `trigger_on_signal`.
static REGISTERED: Mutex<Vec<Shutdown>> = Mutex::new(Vec::new());
/// The outcome of the one installation: `Err(errno)` if it failed.
static INSTALLED: OnceLock<Result<(), i32>> = OnceLock::new();
/// SIGINT plus SIGTERM deliveries when the installation began: a sum past
/// it means a shutdown signal arrived.
static BASELINE: AtomicU64 = AtomicU64::new(0);

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
/// The error of starting the registry's `aio-signal` thread or its socket
/// pair, or of registering the handler, if it could not be installed (the
/// same errno is reported to every later caller).
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
    registry::set_exit_on_second(enable);
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
    for sig in SIGNALS {
        registry::check(sig)?;
    }
    // Counted from here on: a signal that arrived before shutdown handling
    // was installed is not the first of the escalation.
    BASELINE.store(deliveries(), SeqCst);
    for sig in SIGNALS {
        registry::arm_escalation(sig);
        registry::install(sig)?;
    }
    let waker = Waker::from(Arc::new(OnSignal));
    for sig in SIGNALS {
        registry::add_permanent_waker(sig, waker.clone());
    }
    // A signal that came before the wakers were in place woke nobody.
    waker.wake();
    Ok(())
}

/// SIGINT plus SIGTERM deliveries so far.
fn deliveries() -> u64 {
    SIGNALS.into_iter().map(registry::deliveries).sum()
}

/// The registry's waker for the shutdown signals: called by the
/// `aio-signal` thread when SIGINT or SIGTERM was delivered.
struct OnSignal;

impl Wake for OnSignal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if deliveries() == BASELINE.load(SeqCst) {
            return; // Woken for a delivery from before the installation.
        }
        SIGNALLED.trigger();
        let tokens =
            std::mem::take(&mut *REGISTERED.lock().unwrap_or_else(PoisonError::into_inner));
        for t in tokens {
            t.trigger();
        }
    }
}
