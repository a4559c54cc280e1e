//! `#[aio::main]` and `#[aio::test]`: run an `async fn` on aio runtimes.
//!
//! Use them through the `aio` crate (`#[aio::main]`, `#[aio::test]`), which
//! re-exports them; the expansion refers to `::aio` (or the path given with
//! `crate = "..."`). They are tested in the workspace's `tests/macros_ui.rs`
//! (compile errors, pinned with trybuild) and `tests/macros_expand.rs`
//! (behaviour on a real runtime); the examples below are not compiled here
//! because a proc-macro crate cannot depend on `aio`.
//!
//! A misused macro (not an `async fn`, arguments, generics, an unknown or
//! repeated option, a bad value) is a compile error at the offending token,
//! and the function is still emitted beside the error so that IDEs keep
//! checking its body.

mod expand;
mod item;
mod options;

use options::Kind;
use proc_macro::TokenStream;

/// Runs an `async fn` on an aio runtime: the function becomes a plain `fn`
/// that starts a runtime, runs the body to completion and returns its
/// output.
///
/// ```ignore
/// #[aio::main]
/// async fn main() -> std::io::Result<()> {
///     let listener = aio::net::TcpListener::bind("127.0.0.1:0")?;
///     println!("listening on {}", listener.local_addr()?);
///     Ok(())
/// }
/// ```
///
/// The function must be `async`, take no arguments and have no generic
/// parameters; any name, visibility, attributes and doc comments are kept.
/// It may return anything; `fn main` may return what `fn main` may (`()`,
/// `Result<(), E: Debug>`, ...).
///
/// # Options
///
/// Written as `#[aio::main(key = value, ...)]`:
///
/// - `threads = N` (integer, at least 1; default 1): with 1, the body runs on
///   one runtime on the calling thread, and neither the future nor its
///   output needs to be `Send`. With more, `N` runtimes are started, one per
///   core and pinned to it (`aio::cores::Cores::first(N)`), and **each runs
///   its own copy of the body**. The body future still need not be `Send`
///   (each core builds its own), but its output must be `Send + 'static` and
///   be `()` or a `Result`: the first failing output is returned, or the
///   first core's if none failed; a panic on a core is re-raised after the
///   others finish. `threads = "all"` starts one per CPU the process may
///   run on (`aio::cores::Cores::all()`), the usual choice for a sharded
///   server.
/// - `entries = N` (integer, at least 1): the io_uring ring size, as
///   `aio::RuntimeBuilder::entries`; the runtime's default when absent.
/// - `driver = "auto" | "uring" | "epoll"` (default `"auto"`): the backend,
///   as `aio::Driver::{Auto, IoUring, Epoll}`. `"auto"` picks io_uring when
///   it works and epoll otherwise, and honours `AIO_DRIVER=uring|epoll`.
/// - `crate = "path"` (default `"::aio"`): where the `aio` crate is, for
///   code that renames or re-exports it.
///
/// ```ignore
/// // One pinned runtime per core on 4 cores, each with a 1024-entry ring.
/// #[aio::main(threads = 4, entries = 1024, driver = "uring")]
/// async fn main() {
///     let core = aio::cores::current().expect("runs on a pinned core");
///     println!("hello from {core:?}");
/// }
/// ```
///
/// # Panics
///
/// The generated function panics if the runtime cannot start (for example
/// `driver = "uring"` where io_uring is unavailable), with the reason. A
/// panic in the body propagates to the caller.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Main, args.into(), item.into()).into()
}

/// Marks an `async fn` as a test that runs on a fresh runtime **once per
/// available driver** (io_uring and epoll), so `cargo test` covers both
/// backends.
///
/// ```ignore
/// #[aio::test]
/// async fn sleeps() {
///     let start = std::time::Instant::now();
///     aio::time::sleep(std::time::Duration::from_millis(10)).await;
///     assert!(start.elapsed() >= std::time::Duration::from_millis(10));
/// }
///
/// #[aio::test(driver = "epoll")]
/// async fn only_on_epoll() -> std::io::Result<()> {
///     assert_eq!(aio::Driver::current(), aio::Driver::Epoll);
///     Ok(())
/// }
/// ```
///
/// The function must be `async`, take no arguments and have no generic
/// parameters; it may return `()` or `Result<(), E>` where `E: Debug`. The
/// body runs once per driver, stopping at the first failure. Other
/// attributes (`#[should_panic]`, `#[ignore]`, `#[cfg(..)]`, ...) are kept on
/// the generated `#[test]` function; do not add `#[test]` yourself.
///
/// # Options
///
/// - `driver = "auto" | "uring" | "epoll"`: run only on that backend
///   (`"auto"`: once, on whichever backend `aio::Driver::Auto` picks). A test
///   that names `"uring"` on a machine without io_uring is skipped with a
///   note on stderr.
/// - `entries = N` (integer, at least 1): the io_uring ring size.
/// - `start_paused = true | false` (default `false`): start the runtime
///   with its clock paused (`aio::time::pause`): timers then fire as soon
///   as every task waits, in deadline order, with `Instant::now()` moved
///   to each deadline; a test of an hour-long timeout takes microseconds.
/// - `crate = "path"` (default `"::aio"`): where the `aio` crate is.
///
/// `threads` is not an option here: a test runs on one runtime per driver.
/// To exercise several cores, use `aio::cores::Cores` inside the test.
///
/// The environment variable `AIO_DRIVER=uring|epoll` narrows tests that do
/// not name a driver to that one backend.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Test, args.into(), item.into()).into()
}
