//! The runtime's clock and timer wheel. The user API (`sleep`, `timeout`,
//! `interval`, `pause`) is in `crate::time` and registers deadlines here.

mod clock;
mod wheel;

pub(crate) use clock::Clock;
pub(crate) use wheel::{TimerKey, Timers, TICK};
