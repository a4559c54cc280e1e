use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::sys::addr::RawAddr;

/// The address of a Unix-domain socket: a filesystem path, an abstract name,
/// or unnamed (an unbound or socketpair socket).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct UnixSocketAddr {
    kind: Kind,
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Kind {
    Pathname(Vec<u8>),
    Abstract(Vec<u8>),
    Unnamed,
}

impl UnixSocketAddr {
    /// The filesystem path, if it is one.
    pub fn as_pathname(&self) -> Option<&Path> {
        match &self.kind {
            Kind::Pathname(p) => Some(Path::new(OsStr::from_bytes(p))),
            _ => None,
        }
    }

    /// The abstract name (without the leading NUL), if it is one.
    pub fn as_abstract_name(&self) -> Option<&[u8]> {
        match &self.kind {
            Kind::Abstract(n) => Some(n),
            _ => None,
        }
    }

    /// Whether the socket has no address.
    pub fn is_unnamed(&self) -> bool {
        matches!(self.kind, Kind::Unnamed)
    }
}

impl fmt::Debug for UnixSocketAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Pathname(p) => write!(f, "{:?} (pathname)", Path::new(OsStr::from_bytes(p))),
            Kind::Abstract(n) => write!(f, "{:?} (abstract)", String::from_utf8_lossy(n)),
            Kind::Unnamed => f.write_str("(unnamed)"),
        }
    }
}

/// `path` as a sockaddr_un; a leading NUL byte makes it abstract.
pub(crate) fn to_raw(path: &Path) -> io::Result<RawAddr> {
    crate::sys::addr::unix_to_raw(path.as_os_str().as_bytes())
}

/// The kernel's sockaddr_un as a `UnixSocketAddr`.
pub(crate) fn from_raw(raw: &RawAddr) -> UnixSocketAddr {
    let kind = match crate::sys::addr::unix_from_raw(raw) {
        None => Kind::Unnamed,
        Some(path) if path.first() == Some(&0) => Kind::Abstract(path[1..].to_vec()),
        Some(path) => Kind::Pathname(path),
    };
    UnixSocketAddr { kind }
}
