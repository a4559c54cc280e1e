//! [`HyperExecutor`]: hyper's background tasks as aio tasks (feature
//! `hyper`).

use std::future::Future;

/// Runs the tasks hyper spawns (HTTP/2 streams and connection drivers) on
/// the current core, with [`aio::spawn`](crate::spawn): they need not be
/// `Send`, and they never leave the core.
///
/// Pass it to `hyper::server::conn::http2::Builder::new` or
/// `hyper::client::conn::http2::handshake`.
///
/// # Panics
///
/// `execute` panics outside an aio runtime (as `aio::spawn` does).
#[derive(Clone, Copy, Debug, Default)]
pub struct HyperExecutor;

impl HyperExecutor {
    /// The executor (a unit value: it spawns on whichever core calls it).
    pub fn new() -> HyperExecutor {
        HyperExecutor
    }
}

impl<F: Future + 'static> hyper::rt::Executor<F> for HyperExecutor {
    #[track_caller]
    fn execute(&self, fut: F) {
        // Detached: hyper learns of the task's end through its own channels.
        drop(crate::task::spawn(async move {
            fut.await;
        }));
    }
}
