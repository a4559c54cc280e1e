//! # aio
//!
//! A thread-per-core async runtime for Linux built on io_uring, with an
//! epoll fallback where io_uring is unavailable (blocked by a container,
//! an old kernel, `AIO_DRIVER=epoll`): the same API and behaviour on both.
//!
//! ```no_run
//! use aio::prelude::*;
//!
//! #[aio::main(threads = "all")] // one pinned runtime per core
//! async fn main() -> std::io::Result<()> {
//!     let config = aio::net::NetConfig::default().reuse_port(true);
//!     let listener = aio::net::TcpListener::bind_with("0.0.0.0:7000", &config)?;
//!     loop {
//!         let (mut conn, _) = listener.accept().await?;
//!         aio::spawn(async move {
//!             let mut buf = Vec::with_capacity(4096);
//!             loop {
//!                 let (res, back) = conn.read(buf).await;
//!                 if !matches!(res, Ok(n) if n > 0) {
//!                     return;
//!                 }
//!                 let (res, mut back) = conn.write_all(back).await;
//!                 if res.is_err() {
//!                     return;
//!                 }
//!                 back.clear();
//!                 buf = back;
//!             }
//!         });
//!     }
//! }
//! ```
//!
//! Start with the guides: [coming from tokio](guide::coming_from_tokio)
//! (what maps to what, and the three things that differ) and [timeouts,
//! `select` and owned buffers](guide::timeouts).
//!
//! | module | what |
//! |--------|------|
//! | [`net`] | TCP, UDP and Unix sockets with owned-buffer I/O |
//! | [`io`] | the rent traits, `BufReader`/`BufWriter`, framing |
//! | [`buf`] | buffer traits and the runtime's buffer pools |
//! | [`fs`] | files |
//! | [`time`] | `sleep`, `timeout`, `interval`, `cancel_after` |
//! | [`task`] | `spawn`, `JoinHandle`, `JoinSet`, `spawn_blocking` |
//! | [`future`], [`stream`] | `join`, `select`, `StreamExt::next` |
//! | [`sync`] | core-local locks and channels |
//! | [`cores`] | one runtime per core: launching, cross-core channels, shutdown |
//! | [`metrics`] | what a runtime is doing: counters, slow-poll reports |
//! | [`signal`] | `ctrl_c` and Unix signals, for any number of listeners |
//! | [`process`] | child processes with piped stdio as rent I/O |
//! | `tls` | TLS streams with rustls over rent I/O (feature `rustls`) |
//!
//! Everything here is re-exported from the `uring-rt` crate and the
//! `aio-macros` procedural macros.

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

/// Guides (documentation only).
pub mod guide {
    #[doc = include_str!("../guide/coming-from-tokio.md")]
    pub mod coming_from_tokio {}

    #[doc = include_str!("../guide/timeouts.md")]
    pub mod timeouts {}
}
