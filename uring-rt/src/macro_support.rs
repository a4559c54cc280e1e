//! What `#[aio::main]` and `#[aio::test]` expand to. Hidden, not public API.

use std::future::Future;

use crate::driver::{available_drivers, env_override};
use crate::{Driver, RuntimeBuilder};

/// Settings parsed from `#[aio::main(..)]`.
#[derive(Debug, Clone, Copy)]
pub struct MainConfig {
    /// Number of pinned runtimes (one per core) running the body; 0: one
    /// per CPU of the affinity mask (`threads = "all"`).
    pub threads: usize,
    /// Ring size, if given.
    pub entries: Option<u32>,
    /// Backend choice.
    pub driver: Driver,
}

/// Settings parsed from `#[aio::test(..)]`.
#[derive(Debug, Clone, Copy)]
pub struct TestConfig {
    /// Run only on this backend (`None`: once per available backend).
    pub driver: Option<Driver>,
    /// Ring size, if given.
    pub entries: Option<u32>,
    /// Start each runtime with its clock paused.
    pub start_paused: bool,
}

/// What an async main or test may return: `()` or a `Result`.
#[diagnostic::on_unimplemented(
    message = "`#[aio::main]` must return `()` or a `Result`, not `{Self}`",
    label = "this type is returned by the async main"
)]
pub trait MainOutput {
    /// Whether this output reports a failure.
    fn is_failure(&self) -> bool;
}

impl MainOutput for () {
    fn is_failure(&self) -> bool {
        false
    }
}

impl<T, E> MainOutput for Result<T, E> {
    fn is_failure(&self) -> bool {
        self.is_err()
    }
}

/// What an async test may return: `()` or `Result<(), E>`.
#[diagnostic::on_unimplemented(
    message = "`#[aio::test]` must return `()` or `Result<(), E>`, not `{Self}`",
    label = "this type is returned by the async test"
)]
pub trait TestOutput: MainOutput {
    /// The output of a test skipped because its backend is missing.
    fn skipped() -> Self;
}

impl TestOutput for () {
    fn skipped() -> Self {}
}

impl<E> TestOutput for Result<(), E> {
    fn skipped() -> Self {
        Ok(())
    }
}

fn builder(entries: Option<u32>, driver: Driver) -> RuntimeBuilder {
    let b = RuntimeBuilder::new().driver(driver);
    match entries {
        Some(n) => b.entries(n),
        None => b,
    }
}

/// `#[aio::main]` with one thread: builds a runtime and blocks on `fut`.
#[track_caller]
pub fn run_main<Fut: Future>(cfg: MainConfig, fut: Fut) -> Fut::Output {
    let rt = match builder(cfg.entries, cfg.driver).build() {
        Ok(rt) => rt,
        Err(e) => panic!("aio: failed to start the runtime: {e}"),
    };
    rt.block_on(fut)
}

/// `#[aio::main(threads = N)]`: N pinned runtimes, one per core, each
/// running a body made by `make`. Returns the first failing output, or the
/// first core's output if none failed. A panic on a core is re-raised here
/// after the other cores finish.
#[track_caller]
pub fn run_main_threads<F, Fut>(cfg: MainConfig, make: F) -> Fut::Output
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future + 'static,
    Fut::Output: MainOutput + Send + 'static,
{
    let cores = match cfg.threads {
        0 => crate::cores::Cores::all(),
        n => crate::cores::Cores::first(n),
    };
    let outputs = cores
        .runtime(builder(cfg.entries, cfg.driver))
        .run(move |_core| make());
    let outputs = match outputs {
        Ok(v) => v,
        Err(e) => panic!("aio: {e}"),
    };
    let mut first = None;
    for out in outputs {
        if out.is_failure() {
            return out;
        }
        first.get_or_insert(out);
    }
    first.expect("at least one core ran")
}

/// `#[aio::test]`: runs the body on a fresh runtime once per available
/// driver (or only on the one the test names), stopping at the first
/// failure. A driver a test names but this machine lacks is skipped with a
/// note on stderr.
#[track_caller]
pub fn run_test<F, Fut>(cfg: TestConfig, make: F) -> Fut::Output
where
    F: Fn() -> Fut,
    Fut: Future,
    Fut::Output: TestOutput,
{
    let drivers: Vec<Driver> = match cfg.driver {
        Some(Driver::Auto) | None => match env_override() {
            Some(d) => vec![d],
            None if cfg.driver == Some(Driver::Auto) => vec![Driver::Auto],
            None => available_drivers(),
        },
        Some(d) => vec![d],
    };
    let mut last = None;
    for driver in drivers {
        let rt = match builder(cfg.entries, driver)
            .start_paused(cfg.start_paused)
            .build()
        {
            Ok(rt) => rt,
            Err(e) if cfg.driver == Some(driver) && driver == Driver::IoUring => {
                eprintln!("aio::test: skipped on io_uring, which cannot start here: {e}");
                continue;
            }
            Err(e) => panic!("aio::test: failed to start a {driver:?} runtime: {e}"),
        };
        let out = rt.block_on(make());
        drop(rt);
        if out.is_failure() {
            return out;
        }
        last = Some(out);
    }
    match last {
        Some(out) => out,
        // Every requested driver was skipped.
        None => Fut::Output::skipped(),
    }
}
