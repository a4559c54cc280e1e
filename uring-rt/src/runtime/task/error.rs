use std::any::Any;
use std::fmt;
use std::sync::Mutex;

/// Why a task did not produce its output.
///
/// `Send + Sync` (the panic payload, which is only `Send`, is kept behind a
/// mutex, as tokio wraps it), so it converts into `io::Error`, boxes into
/// `Box<dyn Error + Send + Sync>` and works with `anyhow`.
pub struct JoinError {
    repr: Repr,
}

enum Repr {
    Cancelled,
    Panic(Mutex<Box<dyn Any + Send + 'static>>),
}

/// The payload out of its mutex (never poisoned: nothing panics holding
/// it; a poisoned one still holds the payload).
fn take(p: Mutex<Box<dyn Any + Send + 'static>>) -> Box<dyn Any + Send + 'static> {
    p.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// The panic message of a payload behind its mutex, if it is a string.
fn message(p: &Mutex<Box<dyn Any + Send + 'static>>) -> Option<String> {
    let payload = p.lock().unwrap_or_else(|e| e.into_inner());
    panic_message(payload.as_ref()).map(str::to_owned)
}

impl JoinError {
    pub(crate) fn cancelled() -> JoinError {
        JoinError {
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError {
            repr: Repr::Panic(Mutex::new(payload)),
        }
    }

    /// The task was aborted (or its runtime shut down) before it finished.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// The task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic payload, to inspect or to resume with
    /// `std::panic::resume_unwind`.
    ///
    /// # Panics
    ///
    /// Panics if the error is not a panic; check [`is_panic`](Self::is_panic).
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self.repr {
            Repr::Panic(p) => take(p),
            Repr::Cancelled => panic!("`JoinError::into_panic` called on a cancelled task's error"),
        }
    }

    /// The panic payload, or the error itself if the task was cancelled.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(p) => Ok(take(p)),
            Repr::Cancelled => Err(self),
        }
    }
}

/// The panic message of a payload, when it is a string.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => f.write_str("task was cancelled"),
            Repr::Panic(p) => match message(p) {
                Some(msg) => write!(f, "task panicked with message {msg:?}"),
                None => f.write_str("task panicked"),
            },
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => f.write_str("JoinError::Cancelled"),
            Repr::Panic(p) => match message(p) {
                Some(msg) => write!(f, "JoinError::Panic({msg:?})"),
                None => f.write_str("JoinError::Panic(..)"),
            },
        }
    }
}

impl std::error::Error for JoinError {}

/// An `io::Error` of kind `Other` whose source is the `JoinError` (so
/// `is_panic`/`is_cancelled` stay reachable by downcasting).
impl From<JoinError> for std::io::Error {
    fn from(e: JoinError) -> std::io::Error {
        std::io::Error::other(e)
    }
}
