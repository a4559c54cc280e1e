//! The aio runtime: a single-threaded io_uring proactor per core (with an
//! epoll readiness fallback), a local executor, owned-buffer ("rent") I/O,
//! networking, files, timers, core-local synchronisation and the
//! thread-per-core launcher.
//!
//! Users depend on the `aio` facade, which re-exports this crate under the
//! same paths (`aio::net`, `aio::io`, ...); documentation examples are
//! written against `aio`.

mod blocking;
pub mod buf;
mod cancel;
#[cfg(any(feature = "tokio-io", feature = "futures-io", feature = "hyper"))]
pub mod compat;
mod coop;
pub mod cores;
mod driver;
pub mod fs;
pub mod future;
pub mod io;
mod macro_support;
pub mod marker;
pub mod metrics;
pub mod net;
pub mod pool;
pub mod prelude;
pub mod process;
mod runtime;
pub mod signal;
pub mod stream;
pub mod sync;
mod sys;
pub mod task;
pub mod time;
#[cfg(feature = "rustls")]
pub mod tls;
mod trace;

pub use buf::BufResult;
pub use driver::Driver;
pub use io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRent, AsyncWriteRentExt};
pub use runtime::{Runtime, RuntimeBuilder};
pub use task::{spawn, JoinError, JoinHandle};

#[doc(hidden)]
pub mod __private {
    //! Support for the `aio-macros` expansions. Not public API.
    pub use crate::macro_support::*;
}
