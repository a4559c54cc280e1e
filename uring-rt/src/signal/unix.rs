//! Unix signals by number: [`signal`], [`SignalKind`] and [`Signal`].

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::registry::Listener;

/// A kind of Unix signal: one of the usual ones by name, or any number
/// with [`from_raw`](Self::from_raw).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalKind(libc::c_int);

impl SignalKind {
    /// Any signal by number. Whether it may be listened for is checked by
    /// [`signal`].
    pub const fn from_raw(signum: i32) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal number.
    pub const fn as_raw_value(&self) -> i32 {
        self.0
    }

    /// SIGALRM: a timer set with `alarm(2)` expired.
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// SIGCHLD: a child process stopped or exited. Listening reaps
    /// nothing (the children stay their owners' to wait for).
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// SIGHUP: the terminal went away; by convention, "reload".
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// SIGINT: Ctrl-C at the terminal.
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// SIGIO: I/O is possible on a descriptor set up for it.
    pub const fn io() -> SignalKind {
        SignalKind(libc::SIGIO)
    }

    /// SIGPIPE: a write to a pipe or socket with no reader.
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }

    /// SIGQUIT: Ctrl-\ at the terminal.
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// SIGTERM: a polite request to end (`kill`'s default).
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// SIGUSR1: for the application's own use.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// SIGUSR2: for the application's own use.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// SIGWINCH: the terminal's window size changed.
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }
}

impl From<i32> for SignalKind {
    fn from(signum: i32) -> SignalKind {
        SignalKind::from_raw(signum)
    }
}

/// Listens for `kind`: the returned [`Signal`] receives every delivery of
/// it from now on (deliveries between two [`recv`](Signal::recv) calls
/// coalesce into one).
///
/// The first listener of a signal installs its handler, process-wide and
/// for the life of the process: from then on the signal's default action
/// (for most, ending the process) no longer happens, even once every
/// listener is gone, and a handler installed before keeps running, called
/// first on each delivery. Any number of listeners may exist, on any
/// thread or core, each seeing each delivery. Works inside or outside a
/// runtime.
///
/// # Errors
///
/// `InvalidInput` for a signal that may not be listened for: SIGKILL and
/// SIGSTOP (they cannot be caught), SIGILL, SIGFPE, SIGSEGV and SIGBUS
/// (a handler that returns would re-run the faulting instruction), or a
/// number out of range. The error of installing the handler (`EINVAL`
/// from `sigaction` for a real-time signal the C library keeps for itself)
/// or of starting the one `aio-signal` thread, reported to every later
/// caller for that signal.
///
/// # Examples
///
/// ```
/// use aio::signal::unix::{signal, SignalKind};
///
/// # aio::Runtime::new()?.block_on(async {
/// let mut hangups = signal(SignalKind::hangup())?;
/// // SAFETY: raise(3) has no preconditions; SIGHUP is now handled.
/// unsafe { libc::raise(libc::SIGHUP) };
/// hangups.recv().await; // "reload the configuration"
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    Ok(Signal {
        listener: Listener::new(kind.0)?,
    })
}

/// A listener for one kind of signal, made by [`signal`].
///
/// [`recv`](Self::recv) completes once per batch of deliveries: those
/// that arrive while nobody waits coalesce into one, and one that arrives
/// after a `recv` returned is always seen by the next `recv` (none is
/// lost between two calls). It is also a [`Stream`] of `()`.
///
/// `Send`, and woken through its waker, so it may be awaited on any core
/// (or moved between them). Dropping it stops nothing process-wide (see
/// [`signal`]).
#[derive(Debug)]
pub struct Signal {
    listener: Listener,
}

impl Signal {
    /// Waits for the next delivery (see the type's docs on coalescing).
    /// `None` never comes today: a handler stays installed for the life
    /// of the process; it is there for tokio's signature.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a delivery is taken only when this returns, so one
    /// that arrives while a dropped `recv` waited is seen by the next.
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery, registering `cx`'s waker if none came.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.listener.poll(cx).map(Some)
    }
}

impl Stream for Signal {
    type Item = ();

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.get_mut().poll_recv(cx)
    }
}
