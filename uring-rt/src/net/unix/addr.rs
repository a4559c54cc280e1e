use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::mem;
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
    let bytes = path.as_os_str().as_bytes();
    let mut raw = RawAddr::default();
    // SAFETY: sockaddr_un is plain data, all-zero is valid.
    let mut sun: libc::sockaddr_un = unsafe { mem::zeroed() };
    sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
    // A path needs its NUL terminator; an abstract name does not.
    let abstract_name = bytes.first() == Some(&0);
    let room = sun.sun_path.len() - usize::from(!abstract_name);
    if bytes.is_empty() || bytes.len() > room {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "unix socket path must be 1 to {room} bytes long (got {})",
                bytes.len()
            ),
        ));
    }
    if !abstract_name && bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "unix socket path contains a NUL byte",
        ));
    }
    for (dst, src) in sun.sun_path.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    let base = mem::size_of::<libc::sa_family_t>();
    raw.len = (base + bytes.len() + usize::from(!abstract_name)) as libc::socklen_t;
    // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_un.
    unsafe {
        (&mut raw.storage as *mut libc::sockaddr_storage)
            .cast::<libc::sockaddr_un>()
            .write(sun)
    };
    Ok(raw)
}

/// The kernel's sockaddr_un as a `UnixSocketAddr`.
pub(crate) fn from_raw(raw: &RawAddr) -> UnixSocketAddr {
    let base = mem::size_of::<libc::sa_family_t>();
    let len = raw.len as usize;
    if len <= base || raw.family() != libc::AF_UNIX {
        return UnixSocketAddr {
            kind: Kind::Unnamed,
        };
    }
    // SAFETY: the family says the storage holds a sockaddr_un.
    let sun =
        unsafe { &*(&raw.storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_un>() };
    let path: Vec<u8> = sun.sun_path[..(len - base).min(sun.sun_path.len())]
        .iter()
        .map(|c| *c as u8)
        .collect();
    let kind = if path.first() == Some(&0) {
        Kind::Abstract(path[1..].to_vec())
    } else {
        let end = path.iter().position(|b| *b == 0).unwrap_or(path.len());
        Kind::Pathname(path[..end].to_vec())
    };
    UnixSocketAddr { kind }
}
