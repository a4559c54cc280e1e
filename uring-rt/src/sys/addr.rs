//! Conversions between `std::net::SocketAddr` and the kernel's sockaddr.

use std::io;
use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// A sockaddr in storage big enough for any family, with its length.
#[derive(Clone, Copy)]
pub(crate) struct RawAddr {
    pub(crate) storage: libc::sockaddr_storage,
    pub(crate) len: libc::socklen_t,
}

impl Default for RawAddr {
    fn default() -> RawAddr {
        // SAFETY: sockaddr_storage is plain data; all-zero is valid.
        let storage = unsafe { mem::zeroed() };
        RawAddr { storage, len: 0 }
    }
}

impl RawAddr {
    pub(crate) fn family(&self) -> libc::c_int {
        libc::c_int::from(self.storage.ss_family)
    }

    pub(crate) fn as_ptr(&self) -> *const libc::sockaddr {
        (&self.storage as *const libc::sockaddr_storage).cast()
    }

    /// Room for any address, for the kernel to fill in (`len` is the
    /// storage's size until then).
    pub(crate) fn empty() -> RawAddr {
        RawAddr {
            len: mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t,
            ..RawAddr::default()
        }
    }

    pub(crate) fn as_mut_ptr(&mut self) -> *mut libc::sockaddr {
        (&mut self.storage as *mut libc::sockaddr_storage).cast()
    }
}

/// `addr` as a kernel sockaddr.
pub(crate) fn to_raw(addr: &SocketAddr) -> RawAddr {
    let mut raw = RawAddr::default();
    match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for
            // sockaddr_in.
            unsafe {
                (&mut raw.storage as *mut libc::sockaddr_storage)
                    .cast::<libc::sockaddr_in>()
                    .write(sin)
            };
            raw.len = mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than and aligned for
            // sockaddr_in6.
            unsafe {
                (&mut raw.storage as *mut libc::sockaddr_storage)
                    .cast::<libc::sockaddr_in6>()
                    .write(sin6)
            };
            raw.len = mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t;
        }
    }
    raw
}

/// The kernel's sockaddr as a `SocketAddr` (IPv4 and IPv6 only).
pub(crate) fn from_raw(raw: &RawAddr) -> io::Result<SocketAddr> {
    let base = &raw.storage as *const libc::sockaddr_storage;
    match raw.family() {
        libc::AF_INET if raw.len as usize >= mem::size_of::<libc::sockaddr_in>() => {
            // SAFETY: the family and length say the storage holds a sockaddr_in.
            let sin = unsafe { &*base.cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Ok(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 if raw.len as usize >= mem::size_of::<libc::sockaddr_in6>() => {
            // SAFETY: the family and length say the storage holds a sockaddr_in6.
            let sin6 = unsafe { &*base.cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Ok(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        family => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "unexpected socket address family {family} (length {})",
                raw.len
            ),
        )),
    }
}

/// A Unix socket path or abstract name (leading NUL byte) as a
/// sockaddr_un.
pub(crate) fn unix_to_raw(bytes: &[u8]) -> io::Result<RawAddr> {
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

/// The path bytes of a sockaddr_un (an abstract name keeps its leading
/// NUL; a path loses its terminator), or `None` for an unnamed socket or
/// another family.
pub(crate) fn unix_from_raw(raw: &RawAddr) -> Option<Vec<u8>> {
    let base = mem::size_of::<libc::sa_family_t>();
    let len = raw.len as usize;
    if len <= base || raw.family() != libc::AF_UNIX {
        return None;
    }
    // SAFETY: the family says the storage holds a sockaddr_un.
    let sun =
        unsafe { &*(&raw.storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_un>() };
    let path: Vec<u8> = sun.sun_path[..(len - base).min(sun.sun_path.len())]
        .iter()
        .map(|c| *c as u8)
        .collect();
    if path.first() == Some(&0) {
        return Some(path);
    }
    let end = path.iter().position(|b| *b == 0).unwrap_or(path.len());
    Some(path[..end].to_vec())
}
