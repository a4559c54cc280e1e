use std::future::Future;
use std::panic::Location;

use super::JoinHandle;
use crate::runtime::context;

/// Spawns a task on the current runtime and returns a handle to its output.
///
/// The future need not be `Send`: it runs on this runtime's thread only.
/// It starts running at the runtime's next turn, whether or not the handle
/// is awaited. A panic inside the task is caught and returned through the
/// handle; the runtime keeps running.
///
/// # Panics
///
/// Panics if called outside an aio runtime.
///
/// # Examples
///
/// ```
/// # aio::Runtime::new().unwrap().block_on(async {
/// let handle = aio::spawn(async { 6 * 7 });
/// assert_eq!(handle.await.unwrap(), 42);
/// # });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    // Read here: a closure does not carry `#[track_caller]` through.
    let location = Location::caller();
    context::with_core(|core| core.spawn(future, location))
}
