//! The optional `tracing` instrumentation, in one place: with the
//! `tracing` feature, a span per task (its id and spawn location) entered
//! around each poll, and events for slow polls (warn), `Driver::Auto`
//! falling back to epoll (info) and a panicking core of `Cores` (error).
//! Without the feature every item here is a no-op the compiler removes, and
//! [`TaskSpan`] is zero-sized, so the task cell does not grow.
//!
//! A leaf: callers hand it plain values (ids as numbers, locations,
//! messages), so it knows nothing of tasks, drivers or cores.

use std::fmt::Display;
use std::panic::Location;
use std::time::Duration;

/// The span of one task; entered while the task is polled.
#[derive(Debug)]
pub(crate) struct TaskSpan {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

/// Keeps a [`TaskSpan`] entered until dropped.
pub(crate) struct Entered<'a> {
    #[cfg(feature = "tracing")]
    _entered: tracing::span::Entered<'a>,
    #[cfg(not(feature = "tracing"))]
    _span: std::marker::PhantomData<&'a TaskSpan>,
}

impl TaskSpan {
    /// The span of the task `id`, spawned at `location`. Disabled (and
    /// cheap: no allocation) unless a subscriber wants `TRACE` spans of
    /// `uring_rt`.
    #[allow(unused_variables)]
    pub(crate) fn new(id: u64, location: &'static Location<'static>) -> TaskSpan {
        TaskSpan {
            #[cfg(feature = "tracing")]
            span: tracing::trace_span!(
                "task",
                task.id = id,
                spawned_at = %location,
            ),
        }
    }

    /// Enters the span (for one poll or one drop of the task's future).
    pub(crate) fn enter(&self) -> Entered<'_> {
        Entered {
            #[cfg(feature = "tracing")]
            _entered: self.span.enter(),
            #[cfg(not(feature = "tracing"))]
            _span: std::marker::PhantomData,
        }
    }
}

/// A task poll took `duration` (over `threshold`).
#[allow(unused_variables)]
pub(crate) fn slow_poll(
    id: u64,
    location: &'static Location<'static>,
    duration: Duration,
    threshold: Duration,
) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        task.id = id,
        spawned_at = %location,
        duration_us = duration.as_micros() as u64,
        threshold_us = threshold.as_micros() as u64,
        "a task poll blocked its core past the slow-poll threshold",
    );
}

/// `Driver::Auto` could not start io_uring and runs on epoll.
#[allow(unused_variables)]
pub(crate) fn driver_fallback(reason: &dyn Display) {
    #[cfg(feature = "tracing")]
    tracing::info!(%reason, "io_uring is unavailable; the runtime falls back to epoll");
}

/// The core at `index` (on CPU `cpu`) of a `Cores` launch panicked.
#[allow(unused_variables)]
pub(crate) fn core_panic(index: usize, cpu: usize, message: &str) {
    #[cfg(feature = "tracing")]
    tracing::error!(core = index, cpu, panic = message, "an aio core panicked");
}
