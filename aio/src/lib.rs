//! # aio
//!
//! A thread-per-core async runtime for Linux built on io_uring, with an
//! epoll fallback where io_uring is unavailable. See the README for a tour.
//!
//! Everything here is re-exported from the `uring-rt` crate and the
//! `aio-macros` procedural macros, under the paths in DESIGN.md.

pub use aio_macros::{main, test};
pub use uring_rt::*;

/// Owned buffers for completion I/O, and the runtime's buffer pools.
///
/// The `IoBuf` traits come from `uring_rt::buf`, the pools (which belong to
/// a runtime's driver) from `uring_rt::pool`; users see one module.
pub mod buf {
    pub use uring_rt::buf::*;
    pub use uring_rt::pool::*;
}
