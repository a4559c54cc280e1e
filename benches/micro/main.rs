//! Criterion micro-benchmarks of aio's building blocks against the same
//! operation on tokio (current_thread) and monoio (io_uring driver).
//!
//! ```text
//! cargo bench --bench micro                 # everything, a few minutes
//! cargo bench --bench micro -- spawn_join   # one group (criterion filter)
//! ```
//!
//! Every runtime benchmark times the loop *inside* one `block_on` with
//! `iter_custom`, so entering and leaving the runtime is not part of the
//! figure, only the operation: `iters` repetitions, total elapsed time.
//! Groups: `spawn_join`, `yield_pingpong`, `timer_cancel`, `sleep_zero`,
//! `tcp_rtt_1b` (one runtime runs both ends of a loopback connection),
//! `channel_stream` and `channel_pingpong` (aio's cross-core channel between
//! two pinned threads, against `std::sync::mpsc` on the same threads).
//!
//! An aio backend that cannot start here (io_uring disabled, epoll backend
//! not built) is skipped with a message rather than failing the suite.

mod channel;
mod runtimes;
mod tasks;
mod tcp;
mod timers;

use criterion::{criterion_group, criterion_main};

criterion_group!(
    benches,
    tasks::spawn_join,
    tasks::yield_pingpong,
    timers::timer_cancel,
    timers::sleep_zero,
    tcp::tcp_rtt,
    channel::channel_stream,
    channel::channel_pingpong
);
criterion_main!(benches);
