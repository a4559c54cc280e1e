use std::io;

use crate::driver::{Call, OpCode};

/// Does nothing, through the whole submission path (used to probe and test
/// the driver).
pub(crate) struct Nop;

impl OpCode for Nop {
    type Output = io::Result<()>;

    fn call(&mut self) -> Call {
        Call::Nop
    }

    fn complete(self, res: io::Result<u32>, _flags: u32) -> io::Result<()> {
        res.map(drop)
    }
}
