//! Calls with no readiness to wait for (regular files and path operations:
//! the kernel always reports a regular file readable, then blocks) run on
//! the process-wide blocking pool, and their completions come back here.

use std::sync::{Arc, Mutex};

use crate::blocking::BlockingPool;
use crate::driver::syscall;
use crate::driver::{Call, Completion, Unparker};

/// The runtime side of the blocking pool: sends calls, collects results.
pub(super) struct Pool {
    unparker: Arc<Unparker>,
    done: Arc<Mutex<Vec<Completion>>>,
    /// Calls sent and not yet collected.
    outstanding: usize,
}

impl Pool {
    pub(super) fn new(unparker: Arc<Unparker>) -> Pool {
        Pool {
            unparker,
            done: Arc::new(Mutex::new(Vec::new())),
            outstanding: 0,
        }
    }

    /// Runs `call` on a pool thread; its completion is collected by
    /// [`Pool::collect`]. The memory `call` points to stays valid until then
    /// (`Call`'s contract: the driver frees an op only after its completion
    /// has been reported, and leaks it at shutdown if it never is).
    pub(super) fn execute(&mut self, key: u64, call: Call) {
        self.outstanding += 1;
        let done = self.done.clone();
        let unparker = self.unparker.clone();
        BlockingPool::global().execute(Box::new(move || {
            let res = syscall::run_restarting(call);
            let first = {
                let mut done = done.lock().unwrap_or_else(|e| e.into_inner());
                done.push(Completion { key, res, flags: 0 });
                done.len() == 1
            };
            // One wake-up per batch: later results find the queue non-empty
            // and ride on it. Not `Unparker::unpark`: that one signals once
            // per executor drain, and the driver also waits outside ticks
            // (at shutdown).
            if first {
                unparker.signal_eventfd();
            }
        }));
    }

    /// Whether calls are still running on the pool.
    pub(super) fn busy(&self) -> bool {
        self.outstanding > 0
    }

    /// Moves finished calls' completions into `out`.
    pub(super) fn collect(&mut self, out: &mut Vec<Completion>) {
        if self.outstanding == 0 {
            return;
        }
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        self.outstanding -= done.len();
        out.append(&mut done);
    }
}
