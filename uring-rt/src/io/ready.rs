//! Readiness: which events to wait for ([`Interest`]) and which arrived
//! ([`Ready`]), for `readable()`/`writable()`/`ready()` on sockets.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

/// The readiness a task waits for: [`READABLE`](Interest::READABLE),
/// [`WRITABLE`](Interest::WRITABLE), or both (`Interest::READABLE |
/// Interest::WRITABLE`). As tokio's `Interest`, without the priority and
/// error kinds.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Interest(u32);

impl Interest {
    /// Data to read, a connection to accept, or the end of the stream.
    pub const READABLE: Interest = Interest((libc::POLLIN | libc::POLLRDHUP) as u32);
    /// Room to write.
    pub const WRITABLE: Interest = Interest(libc::POLLOUT as u32);

    /// Whether this includes [`READABLE`](Interest::READABLE).
    pub fn is_readable(self) -> bool {
        self.0 & libc::POLLIN as u32 != 0
    }

    /// Whether this includes [`WRITABLE`](Interest::WRITABLE).
    pub fn is_writable(self) -> bool {
        self.0 & libc::POLLOUT as u32 != 0
    }

    /// Both interests together (as `|`, usable in `const`).
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// The `POLL*` mask to wait for.
    pub(crate) fn mask(self) -> u32 {
        self.0
    }
}

impl BitOr for Interest {
    type Output = Interest;

    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl BitOrAssign for Interest {
    fn bitor_assign(&mut self, other: Interest) {
        *self = self.add(other);
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.is_readable(), self.is_writable()) {
            (true, true) => f.write_str("READABLE | WRITABLE"),
            (true, false) => f.write_str("READABLE"),
            (false, true) => f.write_str("WRITABLE"),
            (false, false) => f.write_str("(none)"),
        }
    }
}

/// The readiness that was found: what a `ready()` call reports. It is a
/// snapshot: another task (or the kernel) may have consumed it since, so
/// the I/O that follows can still meet `WouldBlock`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Ready(u32);

impl Ready {
    /// Nothing is ready.
    pub const EMPTY: Ready = Ready(0);

    /// From the `POLL*` mask a readiness op completed with.
    pub(crate) fn from_mask(mask: u32) -> Ready {
        Ready(mask)
    }

    /// Whether nothing is ready.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Data (or the end of the stream, or an error) can be read.
    pub fn is_readable(self) -> bool {
        self.0 & (libc::POLLIN | libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) as u32 != 0
    }

    /// There is room to write (or an error to report).
    pub fn is_writable(self) -> bool {
        self.0 & (libc::POLLOUT | libc::POLLHUP | libc::POLLERR) as u32 != 0
    }

    /// The peer shut its write side (or the connection is gone): reads
    /// will reach the end of the stream.
    pub fn is_read_closed(self) -> bool {
        self.0 & (libc::POLLRDHUP | libc::POLLHUP) as u32 != 0
    }

    /// Writes can no longer succeed (the connection is gone, or failed).
    pub fn is_write_closed(self) -> bool {
        self.0 & (libc::POLLHUP | libc::POLLERR) as u32 != 0
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ready")
            .field("is_readable", &self.is_readable())
            .field("is_writable", &self.is_writable())
            .field("is_read_closed", &self.is_read_closed())
            .field("is_write_closed", &self.is_write_closed())
            .finish()
    }
}
