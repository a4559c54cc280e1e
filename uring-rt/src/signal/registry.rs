//! The process-wide signal registry under [`aio::signal`](super) and the
//! shutdown signals of `aio::cores`: one handler per signal, one wake-up
//! thread per process, any number of listeners.
//!
//! # Mechanism
//!
//! The first listener for a signal installs its handler through
//! `signal-hook` (which chains: a handler the application installed before
//! keeps running, first, on every delivery). The handler does three
//! async-signal-safe things: it adds one to the signal's **generation**
//! (a lock-free atomic counter of deliveries), applies the shutdown
//! escalation below, and writes one byte to a nonblocking socket pair.
//!
//! One plain thread, `aio-signal`, sleeps in a blocking `read` of the other
//! end (started with the first handler; never one per listener or per
//! runtime). When it wakes it compares every signal's generation with the
//! one it saw last and wakes the listeners of those that moved, through
//! their wakers: a task on a core is woken through that core's ring, so no
//! core ever waits for a signal and any number of cores can listen. A byte
//! lost to a full socket buffer loses nothing: the thread has unread bytes,
//! wakes again and compares every generation.
//!
//! A listener ([`Listener`]) remembers the generation it saw last: it is
//! ready whenever the generation differs, and taking the readiness moves
//! its mark to the current value. Deliveries between two looks therefore
//! coalesce into one, and a delivery after a look is always seen by the
//! next (it moves the generation past the mark). A listener registers its
//! waker under its slot's lock and then looks at the generation again; the
//! thread reads the generation after the handler moved it and takes the
//! same lock to wake, so whichever comes second sees the other.
//!
//! A handler is used rather than a `signalfd`: a signalfd only sees signals
//! that every thread of the process blocks, and threads started before the
//! first listener (a test harness, library threads) would keep the default
//! action and end the process.
//!
//! # Shutdown escalation
//!
//! `aio::cores::exit_on_second_signal(true)` must end the process at the
//! second SIGINT/SIGTERM even when every core is stuck, so that decision is
//! taken in the handler: signals [armed](arm_escalation) for it are counted
//! there, and the second one calls `_exit(128 + signal)` when enabled.

#![allow(unsafe_code)]

use std::io::{self, Read};
use std::os::fd::{IntoRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread;

use signal_hook::low_level;
use slab::Slab;

/// Slots for signal numbers 0..=64 (Linux's `SIGRTMAX` is 64; 0 is unused).
const SLOTS: usize = 65;

/// Signals nobody may listen for: catching them is impossible (SIGKILL,
/// SIGSTOP) or a handler that returns re-runs the faulting instruction for
/// ever (the synchronous faults), as tokio and `signal-hook` refuse them.
const FORBIDDEN: [libc::c_int; 6] = [
    libc::SIGKILL,
    libc::SIGSTOP,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGSEGV,
    libc::SIGBUS,
];

/// What the registry keeps for one signal number.
struct Slot {
    /// Deliveries since the handler was installed (moved by the handler).
    generation: AtomicU64,
    /// The outcome of installing the handler: `Err(errno)` if it failed
    /// (reported to every later listener).
    installed: OnceLock<Result<(), i32>>,
    /// The wakers of this signal's listeners.
    listeners: Mutex<Slab<Waker>>,
    /// Whether deliveries count towards the shutdown escalation.
    escalates: AtomicBool,
}

impl Slot {
    const fn new() -> Slot {
        Slot {
            generation: AtomicU64::new(0),
            installed: OnceLock::new(),
            listeners: Mutex::new(Slab::new()),
            escalates: AtomicBool::new(false),
        }
    }

    fn listeners(&self) -> MutexGuard<'_, Slab<Waker>> {
        self.listeners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes every listener (outside the lock: a waker may do anything).
    fn wake_all(&self) {
        let wakers: Vec<Waker> = self.listeners().iter().map(|(_, w)| w.clone()).collect();
        for waker in wakers {
            waker.wake();
        }
    }
}

static TABLE: [Slot; SLOTS] = [const { Slot::new() }; SLOTS];

/// The write end of the wake-up socket pair once the `aio-signal` thread
/// runs, or the errno of starting it.
static WAKE_FD: OnceLock<Result<RawFd, i32>> = OnceLock::new();

/// Shutdown escalation: deliveries of armed signals, and whether the second
/// ends the process.
static ESCALATION_COUNT: AtomicUsize = AtomicUsize::new(0);
static EXIT_ON_SECOND: AtomicBool = AtomicBool::new(false);

/// Checks that `sig` may be listened for.
///
/// # Errors
///
/// `InvalidInput`, saying why, for a forbidden or out-of-range number.
pub(crate) fn check(sig: libc::c_int) -> io::Result<()> {
    if sig <= 0 || sig as usize >= SLOTS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("signal number {sig} is out of range (1..={})", SLOTS - 1),
        ));
    }
    if FORBIDDEN.contains(&sig) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "signal {sig} cannot be listened for (SIGKILL, SIGSTOP, SIGILL, SIGFPE, \
                 SIGSEGV and SIGBUS are refused: they cannot be caught, or a handler that \
                 returns would re-run the faulting instruction)"
            ),
        ));
    }
    Ok(())
}

/// Installs the handler for `sig` (once per process; later calls return
/// the first outcome).
///
/// # Errors
///
/// As [`check`]; the error of starting the `aio-signal` thread or its
/// socket pair; `sigaction`'s error (e.g. `EINVAL` for the real-time
/// signals the C library keeps for itself).
pub(crate) fn install(sig: libc::c_int) -> io::Result<()> {
    check(sig)?;
    TABLE[sig as usize]
        .installed
        .get_or_init(|| try_install(sig).map_err(|e| e.raw_os_error().unwrap_or(libc::EIO)))
        .map_err(io::Error::from_raw_os_error)
}

fn try_install(sig: libc::c_int) -> io::Result<()> {
    let fd = wake_fd()?;
    // SAFETY: `on_signal` is async-signal-safe: it touches lock-free
    // atomics in a static, may call `_exit`, and calls `send(2)` on a
    // descriptor that stays open for the life of the process. It
    // allocates nothing, takes no lock and cannot panic. `sig` is not one
    // of `signal-hook`'s forbidden signals (`check` refused those).
    unsafe { low_level::register(sig, move || on_signal(sig, fd)) }?;
    Ok(())
}

/// The registry's action in the signal handler: async-signal-safe only.
fn on_signal(sig: libc::c_int, fd: RawFd) {
    let slot = &TABLE[sig as usize];
    slot.generation.fetch_add(1, SeqCst);
    if slot.escalates.load(SeqCst)
        && ESCALATION_COUNT.fetch_add(1, SeqCst) > 0
        && EXIT_ON_SECOND.load(SeqCst)
    {
        // A second shutdown signal, and the application asked for this.
        low_level::exit(128 + sig);
    }
    let byte = sig as u8;
    // SAFETY: sends one byte from a live local; `fd` is the write end of
    // the wake-up pair, never closed. MSG_DONTWAIT: a full buffer drops
    // the byte (the thread has unread ones then, and compares every
    // generation when it wakes), it never blocks the handler.
    unsafe {
        libc::send(
            fd,
            (&byte as *const u8).cast(),
            1,
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
}

/// Starts the `aio-signal` thread (once) and returns the write end of its
/// socket pair.
fn wake_fd() -> io::Result<RawFd> {
    WAKE_FD
        .get_or_init(|| {
            let start = || -> io::Result<RawFd> {
                let (rd, wr) = UnixStream::pair()?;
                thread::Builder::new()
                    .name("aio-signal".into())
                    .spawn(move || wake_thread(rd))?;
                // Kept open for the life of the process: handlers write to
                // it from any thread at any time.
                Ok(wr.into_raw_fd())
            };
            start().map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))
        })
        .map_err(io::Error::from_raw_os_error)
}

fn wake_thread(mut rd: UnixStream) {
    let mut seen = [0u64; SLOTS];
    // Several deliveries may have written a byte each; one read takes them.
    let mut bytes = [0u8; 64];
    loop {
        match rd.read(&mut bytes) {
            Ok(0) => return, // The writer is never closed: unreachable.
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return, // Unexpected: listeners stop being woken.
        }
        for (sig, slot) in TABLE.iter().enumerate() {
            let generation = slot.generation.load(SeqCst);
            if generation != seen[sig] {
                seen[sig] = generation;
                slot.wake_all();
            }
        }
    }
}

/// Deliveries of `sig` since its handler was installed (0 before that).
pub(crate) fn deliveries(sig: libc::c_int) -> u64 {
    TABLE[sig as usize].generation.load(SeqCst)
}

/// Adds a waker woken on every later delivery of `sig`, for the life of
/// the process (the shutdown handling's; a listener uses [`Listener`]).
/// Its owner must look at [`deliveries`] after this returns: one that came
/// before the registration woke nobody.
pub(crate) fn add_permanent_waker(sig: libc::c_int, waker: Waker) {
    TABLE[sig as usize].listeners().insert(waker);
}

/// Counts `sig` towards the shutdown escalation from now on.
pub(crate) fn arm_escalation(sig: libc::c_int) {
    TABLE[sig as usize].escalates.store(true, SeqCst);
}

/// Whether the second escalating delivery ends the process.
pub(crate) fn set_exit_on_second(enable: bool) {
    EXIT_ON_SECOND.store(enable, SeqCst);
}

/// One listener of one signal: ready once per batch of deliveries that
/// came after its last readiness (or after it was created).
#[derive(Debug)]
pub(crate) struct Listener {
    sig: usize,
    /// The generation seen last.
    seen: u64,
    /// Its waker's key in the slot, once it has been polled.
    key: Option<usize>,
}

impl Listener {
    /// A listener of `sig`, installing its handler if it is the first.
    ///
    /// # Errors
    ///
    /// As [`install`].
    pub(crate) fn new(sig: libc::c_int) -> io::Result<Listener> {
        install(sig)?;
        Ok(Listener {
            sig: sig as usize,
            seen: deliveries(sig),
            key: None,
        })
    }

    /// `Ready` if a delivery came since the last `Ready` (taking it), or
    /// `Pending` with `cx`'s waker registered for the next delivery.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.take() {
            return Poll::Ready(());
        }
        let slot = &TABLE[self.sig];
        {
            let mut listeners = slot.listeners();
            match self.key {
                Some(key) => {
                    let waker = &mut listeners[key];
                    if !waker.will_wake(cx.waker()) {
                        waker.clone_from(cx.waker());
                    }
                }
                None => self.key = Some(listeners.insert(cx.waker().clone())),
            }
        }
        // A delivery the thread handled before the waker was in place.
        if self.take() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    fn take(&mut self) -> bool {
        let now = TABLE[self.sig].generation.load(SeqCst);
        let moved = now != self.seen;
        self.seen = now;
        moved
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            TABLE[self.sig].listeners().remove(key);
        }
    }
}
