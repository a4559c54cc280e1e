/// Which I/O backend a runtime uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Driver {
    /// io_uring when it works here (proved by a full round trip), epoll
    /// otherwise. The environment variable `AIO_DRIVER=uring|epoll`
    /// overrides this choice (and only this one).
    #[default]
    Auto,
    /// io_uring; building a runtime fails with the reason if it cannot start.
    IoUring,
    /// The epoll readiness backend.
    Epoll,
}

impl Driver {
    /// The backend of the runtime running on this thread (never `Auto`).
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn current() -> Driver {
        super::context::current().kind()
    }

    /// Why `Driver::Auto` last fell back to epoll in this process (the error
    /// io_uring gave: errno and likely cause), for the program's own logs;
    /// `None` if it never did. aio itself prints nothing.
    pub fn fallback_reason() -> Option<String> {
        super::detect::fallback_reason()
    }
}
