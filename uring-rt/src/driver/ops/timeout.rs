use std::io;
use std::time::Duration;

use io_uring::types::Timespec;

use crate::driver::{Call, OpCode};

/// A kernel timeout: completes after the duration. (aio's timers use the
/// runtime's wheel instead; the drivers use this to bound waits on kernels
/// without `IORING_FEAT_EXT_ARG`, and it is the op for one-off kernel timers.)
pub(crate) struct Timeout {
    ts: Box<Timespec>,
}

impl Timeout {
    pub(crate) fn new(d: Duration) -> Timeout {
        Timeout {
            ts: Box::new(Timespec::new().sec(d.as_secs()).nsec(d.subsec_nanos())),
        }
    }
}

impl OpCode for Timeout {
    type Output = io::Result<()>;

    fn call(&mut self) -> Call {
        Call::Timeout { ts: &*self.ts }
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> io::Result<()> {
        match res {
            Err(e) if e.raw_os_error() == Some(libc::ETIME) => Ok(()),
            other => other.map(drop),
        }
    }
}
