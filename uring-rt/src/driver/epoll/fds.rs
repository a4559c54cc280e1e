//! Per-descriptor readiness state, in a table indexed by the descriptor
//! number (descriptors are small dense integers, so a `Vec` beats a map).

use std::collections::VecDeque;
use std::os::fd::RawFd;

use crate::driver::Call;

/// Which readiness an op waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dir {
    Read,
    Write,
}

/// What kind of descriptor this is, as far as the "short transfer means
/// drained" shortcut is concerned (see [`FdState::read_ready`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Not asked yet.
    Unknown,
    /// A `SOCK_STREAM` socket: a short recv or send leaves the buffer empty
    /// or full, and the next change brings a new edge.
    Stream,
    /// Anything else (datagrams, pipes, devices): no shortcut.
    Other,
}

/// An op parked until its descriptor is ready.
#[derive(Debug, Clone, Copy)]
pub(super) struct Waiter {
    pub(super) key: u64,
    /// The call as it is retried: already adjusted for nonblocking use. A
    /// `Connect` here has been started and is finished by checking
    /// `SO_ERROR`, never by calling connect(2) again.
    pub(super) call: Call,
}

/// One descriptor's state.
///
/// - `readers`/`writers`: parked ops, FIFO. Non-empty implies `registered`.
/// - `registered`: added to the epoll set (done once, on the first
///   `EAGAIN`; never modified afterwards).
/// - `read_ready`/`write_ready`: false once the direction is known to be
///   drained (an `EAGAIN`, or a short transfer on a stream socket) and no
///   event has arrived since; a new op in that direction then parks without
///   trying the call it knows would fail. True (unknown, try) otherwise.
/// - `read_closed`/`write_closed`: an event reported the end of the stream
///   or an error (`EPOLLRDHUP`, `EPOLLHUP`, `EPOLLERR`). Final: no further
///   edge will come, so the direction is never again assumed drained.
/// - `nonblocking`: `O_NONBLOCK` is known to be set on the descriptor.
/// - `kind`: see [`Kind`].
///
/// Reset by [`FdState::reset`] when the number is closed or handed out anew.
#[derive(Debug)]
pub(super) struct FdState {
    pub(super) readers: VecDeque<Waiter>,
    pub(super) writers: VecDeque<Waiter>,
    pub(super) registered: bool,
    pub(super) read_ready: bool,
    pub(super) write_ready: bool,
    pub(super) read_closed: bool,
    pub(super) write_closed: bool,
    pub(super) nonblocking: bool,
    pub(super) kind: Kind,
}

impl FdState {
    fn new() -> FdState {
        FdState {
            readers: VecDeque::new(),
            writers: VecDeque::new(),
            registered: false,
            read_ready: true,
            write_ready: true,
            read_closed: false,
            write_closed: false,
            nonblocking: false,
            kind: Kind::Unknown,
        }
    }

    pub(super) fn queue(&mut self, dir: Dir) -> &mut VecDeque<Waiter> {
        match dir {
            Dir::Read => &mut self.readers,
            Dir::Write => &mut self.writers,
        }
    }

    pub(super) fn ready(&self, dir: Dir) -> bool {
        match dir {
            Dir::Read => self.read_ready,
            Dir::Write => self.write_ready,
        }
    }

    /// An event made `dir` ready; `closed` if it also reported the end of
    /// the stream or an error.
    pub(super) fn mark_ready(&mut self, dir: Dir, closed: bool) {
        match dir {
            Dir::Read => {
                self.read_ready = true;
                self.read_closed |= closed;
            }
            Dir::Write => {
                self.write_ready = true;
                self.write_closed |= closed;
            }
        }
    }

    /// `dir` is known drained (an `EAGAIN`, or a short transfer on a
    /// stream socket): until the next event, new ops in that direction park
    /// without trying. Never after a final event.
    pub(super) fn mark_drained(&mut self, dir: Dir) {
        match dir {
            Dir::Read => self.read_ready = self.read_closed,
            Dir::Write => self.write_ready = self.write_closed,
        }
    }

    /// Back to "never seen" (keeping the queues' memory). Waiting ops must
    /// have been taken out first.
    pub(super) fn reset(&mut self) {
        debug_assert!(self.readers.is_empty() && self.writers.is_empty());
        self.registered = false;
        self.read_ready = true;
        self.write_ready = true;
        self.read_closed = false;
        self.write_closed = false;
        self.nonblocking = false;
        self.kind = Kind::Unknown;
    }
}

/// The table: entry `fd` describes descriptor `fd`.
#[derive(Debug, Default)]
pub(super) struct FdTable {
    fds: Vec<FdState>,
}

impl FdTable {
    /// The state of `fd`, created on first use.
    pub(super) fn get(&mut self, fd: RawFd) -> &mut FdState {
        let i = fd as usize;
        if i >= self.fds.len() {
            let len = (i + 1).next_power_of_two().max(64);
            self.fds.resize_with(len, FdState::new);
        }
        &mut self.fds[i]
    }

    /// The state of `fd` if it was ever used.
    pub(super) fn get_existing(&mut self, fd: RawFd) -> Option<&mut FdState> {
        self.fds.get_mut(fd as usize)
    }

    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = (RawFd, &mut FdState)> {
        self.fds
            .iter_mut()
            .enumerate()
            .map(|(i, s)| (i as RawFd, s))
    }
}
