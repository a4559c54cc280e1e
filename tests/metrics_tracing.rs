//! The `tracing` feature (`cargo test --features tracing`): each task has
//! a span naming its spawn location, entered while it is polled; a slow
//! poll is a `WARN` event and a panicking core of `Cores` an `ERROR` one.
//! Recorded with a minimal subscriber installed for the test's thread.
#![cfg(feature = "tracing")]

mod support;

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aio::cores::Cores;
use support::drivers;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// What the subscriber saw: spans (name and fields), events (level and
/// fields), and how many times a span was entered.
#[derive(Default)]
struct Seen {
    spans: Mutex<Vec<String>>,
    events: Mutex<Vec<String>>,
    enters: AtomicU64,
    next: AtomicU64,
}

#[derive(Clone, Default)]
struct Recorder(Arc<Seen>);

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut line = format!("{} ", span.metadata().name());
        span.record(&mut Fields(&mut line));
        self.0.spans.lock().unwrap().push(line);
        Id::from_u64(self.0.next.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut line = format!("{} ", event.metadata().level());
        event.record(&mut Fields(&mut line));
        self.0.events.lock().unwrap().push(line);
    }

    fn enter(&self, _: &Id) {
        self.0.enters.fetch_add(1, Ordering::Relaxed);
    }

    fn exit(&self, _: &Id) {}
}

#[test]
fn a_task_span_names_the_spawn_location_and_a_slow_poll_is_a_warning() {
    for driver in drivers() {
        let recorder = Recorder::default();
        let line = tracing::subscriber::with_default(recorder.clone(), || {
            let rt = aio::RuntimeBuilder::new()
                .driver(driver)
                .slow_poll_threshold(Duration::from_millis(10))
                .on_slow_poll(|_| {})
                .build()
                .unwrap();
            rt.block_on(async {
                #[rustfmt::skip]
                let (task, line) = (aio::spawn(async { std::thread::sleep(Duration::from_millis(30)) }), line!());
                task.await.unwrap();
                line
            })
        });
        let spans = recorder.0.spans.lock().unwrap();
        let at = format!("metrics_tracing.rs:{line}:");
        assert!(
            spans
                .iter()
                .any(|s| s.starts_with("task ") && s.contains(&at)),
            "{driver:?}: no task span at {at}: {spans:?}"
        );
        assert!(recorder.0.enters.load(Ordering::Relaxed) >= 1, "{driver:?}");
        let events = recorder.0.events.lock().unwrap();
        assert!(
            events
                .iter()
                .any(|e| e.starts_with("WARN") && e.contains("slow-poll") && e.contains(&at)),
            "{driver:?}: no slow-poll warning: {events:?}"
        );
    }
}

#[test]
fn a_panicking_core_is_an_error_event() {
    let recorder = Recorder::default();
    let result = tracing::subscriber::with_default(recorder.clone(), || {
        Cores::first(1).run(|_| async { panic!("core boom") })
    });
    assert!(result.is_err());
    let events = recorder.0.events.lock().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("ERROR") && e.contains("core boom")),
        "{events:?}"
    );
}

const FALLBACK_CHILD: &str = "an_epoll_fallback_is_an_info_event_child";

/// Where io_uring is refused (a seccomp filter answering io_uring_setup
/// with `EPERM`, as Docker's default profile does), `Driver::Auto` comes up
/// on epoll and says why in an `INFO` event. In a child process: the
/// filter cannot be removed.
#[test]
fn an_epoll_fallback_is_an_info_event() {
    let (status, out) = support::run_child(FALLBACK_CHILD);
    assert!(status.success(), "the child failed:\n{out}");
    assert!(out.contains("fallback event recorded"), "{out}");
}

#[test]
fn an_epoll_fallback_is_an_info_event_child() {
    if !support::is_child(FALLBACK_CHILD) {
        return;
    }
    // `AIO_DRIVER=epoll` (the epoll pass of CI) would choose epoll outright;
    // this child is single-threaded (`--test-threads=1`) at this point.
    std::env::remove_var("AIO_DRIVER");
    support::seccomp::fail_syscalls(&[support::seccomp::SYS_IO_URING_SETUP], libc::EPERM);
    let recorder = Recorder::default();
    let rt = tracing::subscriber::with_default(recorder.clone(), || {
        aio::RuntimeBuilder::new()
            .build()
            .expect("Auto comes up on epoll")
    });
    assert_eq!(rt.driver(), aio::Driver::Epoll);
    let events = recorder.0.events.lock().unwrap();
    assert!(
        events.iter().any(|e| e.starts_with("INFO")
            && e.contains("falls back to epoll")
            && e.contains("io_uring_setup")
            && e.contains("seccomp")),
        "no fallback event naming the refused call: {events:?}"
    );
    println!("fallback event recorded");
}
