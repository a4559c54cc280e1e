//! The epoll readiness backend (placeholder until it lands).

use std::io;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::time::Duration;

use super::{Call, Completion};
use crate::runtime::Shared;

pub(crate) struct Epoll {
    _shared: Arc<Shared>,
}

impl Epoll {
    pub(crate) fn new(_shared: Arc<Shared>) -> io::Result<Epoll> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "the epoll backend is not built yet"))
    }
    pub(crate) fn push(&mut self, _key: u64, _call: Call, _out: &mut Vec<Completion>) -> io::Result<Option<i32>> {
        unreachable!()
    }
    pub(crate) fn cancel(&mut self, _key: u64, _out: &mut Vec<Completion>) {}
    pub(crate) fn turn(&mut self, _timeout: Option<Duration>, _out: &mut Vec<Completion>) -> io::Result<()> {
        Ok(())
    }
    pub(crate) fn shutdown(&mut self, _out: &mut Vec<Completion>) {}
    pub(crate) fn busy(&self) -> bool {
        false
    }
    pub(crate) fn forget_fd(&mut self, _fd: RawFd) {}
}
