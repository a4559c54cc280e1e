//! Timers: [`sleep`], [`timeout`], [`interval`] and [`cancel_after`] (a
//! deadline that hands an operation's buffer back), driven by the runtime.
//!
//! Every runtime owns one timer wheel; these futures register a deadline and
//! a waker in it, and the runtime bounds its wait for I/O by the nearest
//! deadline, so a timer costs no syscall and no thread. The wheel has 1 ms
//! resolution and rounds deadlines up: a timer never completes before its
//! deadline (`Instant::now() >= deadline` holds when it does) and usually
//! completes within about a millisecond after it. Timers that fall due
//! together wake their tasks in deadline order.
//!
//! # A virtual clock for tests
//!
//! [`pause`] stops the runtime's clock: [`Instant::now`] then returns a
//! virtual time that [`advance`] moves, and that jumps to the next timer
//! whenever every task waits (auto-advance), so a test of an hour-long
//! timeout takes microseconds. `#[aio::test(start_paused = true)]` starts
//! a test paused. [`Instant`] is aio's own type for that reason (as
//! tokio's is); functions taking a deadline accept a `std::time::Instant`
//! too.
//!
//! These are runtime-only: [`sleep`], [`sleep_until`], [`interval`],
//! [`interval_at`], [`timeout`], [`timeout_at`], [`cancel_after`],
//! [`cancel_at`], [`pause`], [`resume`] and [`advance`] panic when called
//! outside an aio runtime, pointing at the caller's line (as tokio's do),
//! and polling their futures outside one panics too.
//!
//! ```
//! use std::time::Duration;
//!
//! use aio::time::{sleep, timeout, Instant};
//!
//! let rt = aio::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let start = Instant::now();
//!     sleep(Duration::from_millis(5)).await;
//!     assert!(start.elapsed() >= Duration::from_millis(5));
//!
//!     let never = std::future::pending::<()>();
//!     let res = timeout(Duration::from_millis(1), never).await;
//!     assert!(res.is_err());
//! });
//! ```

mod cancel_after;
mod error;
mod instant;
mod interval;
mod pause;
mod sleep;
mod timeout;

pub use cancel_after::{cancel_after, cancel_at, CancelAfter};
pub use error::Elapsed;
pub use instant::Instant;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use pause::{advance, pause, resume, Advance};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, Timeout};
