//! [`CoreError`]: why a core of [`Cores::run`](super::Cores::run) failed,
//! and how several failures become one `io::Error`.

use std::any::Any;
use std::error::Error;
use std::fmt;
use std::io;

use super::CoreId;

/// A core that failed: which one, and why.
#[derive(Debug)]
pub(super) struct CoreError {
    pub(super) core: CoreId,
    what: Failure,
}

#[derive(Debug)]
enum Failure {
    /// A set-up step failed with this error.
    Io(&'static str, io::Error),
    /// The thread panicked with this message.
    Panic(String),
}

impl CoreError {
    pub(super) fn io(core: CoreId, step: &'static str, e: io::Error) -> CoreError {
        CoreError {
            core,
            what: Failure::Io(step, e),
        }
    }

    pub(super) fn panic(core: CoreId, payload: Box<dyn Any + Send>) -> CoreError {
        let msg = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "<panic payload is not a string>".to_owned()
        };
        CoreError {
            core,
            what: Failure::Panic(msg),
        }
    }

    /// Reports a core's panic to `tracing` (with the `tracing` feature).
    pub(super) fn trace_panic(&self) {
        if let Failure::Panic(msg) = &self.what {
            crate::trace::core_panic(self.core.index(), self.core.id(), msg);
        }
    }

    /// One `io::Error` for all failures, in core order: the first failure
    /// is the source; the message lists them all.
    pub(super) fn into_io(mut failures: Vec<CoreError>) -> io::Error {
        let first = failures.remove(0);
        let kind = match &first.what {
            Failure::Io(_, e) => e.kind(),
            Failure::Panic(_) => io::ErrorKind::Other,
        };
        if failures.is_empty() {
            return io::Error::new(kind, first);
        }
        let others: Vec<String> = failures.iter().map(ToString::to_string).collect();
        io::Error::new(
            kind,
            Combined {
                first,
                others: others.join("; "),
            },
        )
    }
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.what {
            Failure::Io(step, e) => write!(f, "{} failed {step}: {e}", self.core),
            Failure::Panic(msg) => write!(f, "{} panicked: {msg}", self.core),
        }
    }
}

impl Error for CoreError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match &self.what {
            Failure::Io(_, e) => Some(e),
            Failure::Panic(_) => None,
        }
    }
}

/// Several cores failed; the first (in core order) is the source.
#[derive(Debug)]
struct Combined {
    first: CoreError,
    others: String,
}

impl fmt::Display for Combined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; also {}", self.first, self.others)
    }
}

impl Error for Combined {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.first)
    }
}
