use std::io;

use super::core::Core;
use super::Runtime;
use crate::Driver;

/// Configures and builds a [`Runtime`].
///
/// ```
/// let rt = aio::RuntimeBuilder::new().entries(512).driver(aio::Driver::Auto).build()?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RuntimeBuilder {
    pub(crate) entries: u32,
    pub(crate) driver: Driver,
    pub(crate) start_paused: bool,
}

impl RuntimeBuilder {
    /// Default settings: 256 submission entries, [`Driver::Auto`].
    pub fn new() -> RuntimeBuilder {
        RuntimeBuilder {
            entries: 256,
            driver: Driver::Auto,
            start_paused: false,
        }
    }

    /// The io_uring submission queue size (rounded up to a power of two by
    /// the kernel). More operations than this may be in flight at once: a
    /// full queue is flushed to the kernel, never an error. Ignored by epoll.
    ///
    /// # Panics
    ///
    /// Panics if `entries` is 0.
    #[track_caller]
    pub fn entries(mut self, entries: u32) -> RuntimeBuilder {
        assert!(entries > 0, "RuntimeBuilder::entries must be at least 1");
        self.entries = entries;
        self
    }

    /// Which backend to use. [`Driver::Auto`] (the default) picks io_uring
    /// when it works and epoll otherwise; `AIO_DRIVER=uring|epoll` in the
    /// environment overrides `Auto` (only).
    pub fn driver(mut self, driver: Driver) -> RuntimeBuilder {
        self.driver = driver;
        self
    }

    /// Starts the runtime with its clock paused (default `false`), as
    /// [`aio::time::pause`](crate::time::pause) would as the first thing
    /// it runs: for tests of timeouts and intervals, which then take no
    /// real time. `#[aio::test(start_paused = true)]` sets it.
    pub fn start_paused(mut self, paused: bool) -> RuntimeBuilder {
        self.start_paused = paused;
        self
    }

    /// Builds the runtime on the current thread.
    ///
    /// # Errors
    ///
    /// With [`Driver::IoUring`], fails if io_uring cannot start here; the
    /// error names the errno and the likely cause (seccomp, the
    /// `kernel.io_uring_disabled` sysctl, the memlock limit, the kernel
    /// version). Any driver fails if the process is out of file descriptors
    /// or memory.
    pub fn build(&self) -> io::Result<Runtime> {
        Ok(Runtime::from_core(Core::new(self)?))
    }
}

impl Default for RuntimeBuilder {
    fn default() -> Self {
        RuntimeBuilder::new()
    }
}
