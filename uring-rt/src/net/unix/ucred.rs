//! `UCred`: the credentials of a Unix stream's peer.

/// The credentials of the process at the other end of a
/// [`UnixStream`](super::UnixStream), as the kernel recorded them when the
/// connection was made (`SO_PEERCRED`), from
/// [`UnixStream::peer_cred`](super::UnixStream::peer_cred).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UCred {
    pid: i32,
    uid: u32,
    gid: u32,
}

impl UCred {
    pub(crate) fn from_raw(cred: libc::ucred) -> UCred {
        UCred {
            pid: cred.pid,
            uid: cred.uid,
            gid: cred.gid,
        }
    }

    /// The peer's user id.
    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// The peer's group id.
    pub fn gid(&self) -> u32 {
        self.gid
    }

    /// The peer's process id; `None` when the kernel reports none (0: the
    /// peer is in a pid namespace this process cannot see into).
    pub fn pid(&self) -> Option<i32> {
        (self.pid != 0).then_some(self.pid)
    }
}
