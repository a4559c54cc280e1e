//! The driver's counters for `aio::metrics`: kept in the driver's state
//! (borrowed mutably on every path that counts anyway), plain integers.

/// What the driver counted since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct DriverStats {
    /// Ops given a slot (`IoDriver::submit`).
    pub(crate) submitted: u64,
    /// Ops whose last completion arrived (cancelled ones included).
    pub(crate) completed: u64,
    /// Cancellations requested: an op's future dropped while in flight,
    /// a stream dropped before its end, `cancel_op`.
    pub(crate) cancelled: u64,
    /// Driver turns (`IoDriver::turn`).
    pub(crate) turns: u64,
    /// Waits in the kernel: `io_uring_enter` or `epoll_wait` calls.
    pub(crate) syscalls: u64,
    /// io_uring: turns that found the completion queue overflowing, plus
    /// completions the kernel dropped (kernels before 5.5). 0 on epoll.
    pub(crate) cq_overflows: u64,
}

impl DriverStats {
    /// Ops submitted whose last completion has not arrived yet.
    pub(crate) fn in_flight(&self) -> u64 {
        self.submitted.wrapping_sub(self.completed)
    }
}
