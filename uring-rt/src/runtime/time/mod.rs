//! The runtime's timer wheel. The user API (`sleep`, `timeout`, `interval`)
//! is in `crate::time` and registers deadlines here.

mod wheel;

pub(crate) use wheel::{TimerKey, Timers};
