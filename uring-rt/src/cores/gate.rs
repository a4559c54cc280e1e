//! [`Gate`]: the start-up barrier of [`Cores::run`](super::Cores::run).
//! Every core thread pins itself and builds its runtime, then waits here
//! until the launcher knows whether all of them succeeded; only then does
//! any core start the user's future.

use std::sync::{Condvar, Mutex, PoisonError};

/// Holds every core thread after its set-up until the launcher knows that
/// all of them are ready.
#[derive(Default)]
pub(super) struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

#[derive(Default)]
struct GateState {
    /// Threads that finished their set-up.
    arrived: usize,
    /// Some set-up failed.
    failed: bool,
    /// `Some(go)` once the launcher decided.
    decision: Option<bool>,
}

impl Gate {
    /// Called by a core thread after its set-up; blocks until the launcher
    /// decides and returns whether to run the user's future.
    pub(super) fn arrive(&self, ok: bool) -> bool {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        st.arrived += 1;
        st.failed |= !ok;
        self.changed.notify_all();
        loop {
            if let Some(go) = st.decision {
                return go;
            }
            st = self
                .changed
                .wait(st)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Called by the launcher once `spawned` threads exist: waits for all
    /// of them to arrive (every core thread arrives exactly once, even if
    /// its set-up panics), then lets them go if everything succeeded.
    pub(super) fn open_when_ready(&self, spawned: usize, all_spawned: bool) {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while st.arrived < spawned {
            st = self
                .changed
                .wait(st)
                .unwrap_or_else(PoisonError::into_inner);
        }
        st.decision = Some(all_spawned && !st.failed);
        self.changed.notify_all();
    }
}
