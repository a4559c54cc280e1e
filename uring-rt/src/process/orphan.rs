//! Reaping children whose [`Child`](super::Child) was dropped while they
//! ran, so that no zombie is left behind.
//!
//! Each such child gets a small task on the current runtime that waits on
//! its pidfd (one readiness op: no thread) and reaps it. If there is no
//! runtime, or the task is dropped first (its runtime ended), the child
//! goes to a process-wide list, which every later `Command::spawn` and
//! `Child::try_wait`, on any core, reaps with `WNOHANG` waits. No SIGCHLD
//! handler is installed (it would steal other libraries' children), so a
//! program that leaves such a child behind and then starts no other
//! process keeps that zombie until it exits.

use std::sync::{Mutex, PoisonError, TryLockError};
use std::time::Duration;

use super::child::Running;

/// Children whose reaping task could not run or was dropped.
static ORPHANS: Mutex<Vec<std::process::Child>> = Mutex::new(Vec::new());

/// Reaps `running` once it exits (see the module docs).
pub(super) fn adopt(running: Running) {
    let mut orphan = Orphan(Some(running));
    let task = async move { orphan.reap().await };
    // Outside a runtime the closure (and the task in it) is dropped
    // unused, which puts the child on the list.
    // Spawned here (this line is the task's spawn location in reports).
    let at = std::panic::Location::caller();
    crate::runtime::context::try_with_core(move |core| drop(core.spawn(task, at)));
}

/// Reaps the children on the process-wide list that have exited. Skipped
/// if another thread is at it.
pub(super) fn reap_list() {
    let mut list = match ORPHANS.try_lock() {
        Ok(list) => list,
        Err(TryLockError::Poisoned(p)) => p.into_inner(),
        Err(TryLockError::WouldBlock) => return,
    };
    // An error (ECHILD: reaped by someone else) also ends our interest.
    list.retain_mut(|child| matches!(child.try_wait(), Ok(None)));
}

/// A child being reaped by a task; dropped before that, it goes to the
/// list.
struct Orphan(Option<Running>);

impl Orphan {
    async fn reap(&mut self) {
        let mut backoff = Duration::from_millis(1);
        while let Some(running) = &mut self.0 {
            match running.try_wait() {
                Ok(None) => {}
                // Reaped, or not ours to reap any more (ECHILD).
                Ok(Some(_)) | Err(_) => {
                    self.0 = None;
                    return;
                }
            }
            if running.exited(&mut backoff).await.is_err() {
                // The runtime is shutting down: leave it to the list.
                return;
            }
        }
    }
}

impl Drop for Orphan {
    fn drop(&mut self) {
        if let Some(running) = self.0.take() {
            ORPHANS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(running.into_std());
        }
    }
}
