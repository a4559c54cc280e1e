//! Signals: [`ctrl_c`] and, by number, [`unix::signal`].
//!
//! ```no_run
//! use aio::signal::unix::{signal, SignalKind};
//!
//! #[aio::main]
//! async fn main() -> std::io::Result<()> {
//!     let mut hangups = signal(SignalKind::hangup())?;
//!     loop {
//!         aio::future::select(hangups.recv(), aio::signal::ctrl_c()).await;
//!         // ... reload on SIGHUP, stop on Ctrl-C ...
//!         # break;
//!     }
//!     Ok(())
//! }
//! ```
//!
//! # How signals arrive
//!
//! The first listener of a signal installs a handler for it through
//! `signal-hook`, which chains: a handler the application (or a library)
//! installed before keeps running, first, on every delivery. The handler
//! counts the delivery in a lock-free counter and writes one byte to a
//! socket pair; one thread per process, `aio-signal`, wakes the listeners
//! of the signals whose counter moved, through their wakers (a task on a
//! core is woken through that core's ring). So any number of listeners on
//! any number of cores each see each delivery, nothing waits on a core,
//! and there is never a thread per listener.
//!
//! Deliveries coalesce as in tokio: those that arrive while a listener is
//! not looking count as one, and one that arrives after `recv` returned is
//! always seen by the next `recv`.
//!
//! The shutdown signals of [`aio::cores`](crate::cores)
//! (`shutdown_signal`, `Shutdown::trigger_on_signal`) are listeners of
//! this same registry.

#![deny(unsafe_code)]

pub(crate) mod registry;
pub mod unix;

use std::io;

/// Completes at the next Ctrl-C (SIGINT) that arrives after its first
/// poll.
///
/// The first poll installs the SIGINT handler if nothing did (see
/// [`unix::signal`]): from then on Ctrl-C no longer ends the process,
/// even after this completes — the program decides what Ctrl-C does.
///
/// # Errors
///
/// As [`unix::signal`] (installing the handler or starting the
/// `aio-signal` thread failed).
///
/// # Cancel safety
///
/// Dropping it stops listening; a SIGINT that comes while no `ctrl_c`
/// future exists is not seen by a later one. To see every one, keep a
/// [`unix::Signal`] for [`SignalKind::interrupt`](unix::SignalKind::interrupt).
///
/// # Examples
///
/// ```no_run
/// #[aio::main]
/// async fn main() -> std::io::Result<()> {
///     aio::signal::ctrl_c().await?;
///     println!("Ctrl-C: stopping");
///     Ok(())
/// }
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    let mut interrupts = unix::signal(unix::SignalKind::interrupt())?;
    interrupts.recv().await;
    Ok(())
}
