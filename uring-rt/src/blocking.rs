//! A process-wide pool of threads for blocking work: `spawn_blocking`, and
//! the epoll backend's file operations (which have no readiness to wait on).
//! A leaf: it runs closures and knows nothing of tasks or drivers.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Threads are started on demand up to this many, and exit after being idle
/// for `KEEP_ALIVE`.
const MAX_THREADS: usize = 512;
const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// The blocking thread pool (one per process).
pub(crate) struct BlockingPool {
    state: Mutex<PoolState>,
    cond: Condvar,
}

struct PoolState {
    queue: VecDeque<Job>,
    threads: usize,
    /// Threads waiting on the condvar.
    idle: usize,
    /// Idle threads already claimed by a notify (not yet awake).
    notified: usize,
}

impl BlockingPool {
    /// The process-wide pool.
    pub(crate) fn global() -> &'static BlockingPool {
        static POOL: OnceLock<BlockingPool> = OnceLock::new();
        POOL.get_or_init(|| BlockingPool {
            state: Mutex::new(PoolState {
                queue: VecDeque::new(),
                threads: 0,
                idle: 0,
                notified: 0,
            }),
            cond: Condvar::new(),
        })
    }

    /// The pool's threads (busy or idle) and the jobs waiting for one, read
    /// under the pool's lock (for `aio::metrics`).
    pub(crate) fn stats(&self) -> (usize, usize) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        (state.threads, state.queue.len())
    }

    /// Runs `job` on a pool thread. If no thread can be started (the system
    /// is out of threads) and none is running, the job runs inline.
    pub(crate) fn execute(&'static self, job: Job) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.queue.push_back(job);
        if state.idle > state.notified {
            state.notified += 1;
            drop(state);
            self.cond.notify_one();
            return;
        }
        if state.threads < MAX_THREADS {
            state.threads += 1;
            drop(state);
            let spawned = std::thread::Builder::new()
                .name("aio-blocking".into())
                .spawn(move || self.worker());
            if spawned.is_ok() {
                return;
            }
            state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.threads -= 1;
            if state.threads > 0 {
                return; // a running thread will pick the job up
            }
            // No thread at all: run it here rather than never.
            if let Some(job) = state.queue.pop_back() {
                drop(state);
                job();
            }
        }
    }

    fn worker(&'static self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(job) = state.queue.pop_front() {
                drop(state);
                // Jobs catch their own panics (see spawn_blocking); a stray
                // one must not take the pool thread's count with it.
                let _ = catch_unwind(AssertUnwindSafe(job));
                state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                continue;
            }
            state.idle += 1;
            loop {
                let (s, timeout) = self
                    .cond
                    .wait_timeout(state, KEEP_ALIVE)
                    .unwrap_or_else(|e| e.into_inner());
                state = s;
                if state.notified > 0 {
                    // Claimed by execute: go run the job.
                    state.notified -= 1;
                    state.idle -= 1;
                    break;
                }
                if timeout.timed_out() {
                    state.idle -= 1;
                    state.threads -= 1;
                    return;
                }
                // Spurious wake-up: keep waiting.
            }
        }
    }
}
