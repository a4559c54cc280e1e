//! Name resolution off the core thread: [`lookup_host`] and the
//! [`ToSocketAddrs`] trait that the socket constructors take.
//!
//! `getaddrinfo(3)` blocks (files, DNS, NSS modules), so a host name is
//! resolved on the blocking pool ([`spawn_blocking`]) while the core keeps
//! running its other tasks. A numeric address is parsed in place and never
//! touches the pool: it costs no thread hop and no extra poll.
//!
//! [`spawn_blocking`]: crate::task::spawn_blocking

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::net::addr::resolve as resolve_blocking;

/// Values that name one or more socket addresses: what
/// [`TcpStream::connect`](crate::net::TcpStream::connect),
/// [`UdpSocket::connect`](crate::net::UdpSocket::connect) and the `bind`
/// functions take.
///
/// Implemented for the same types as [`std::net::ToSocketAddrs`]:
/// [`SocketAddr`], [`SocketAddrV4`], [`SocketAddrV6`], `(IpAddr, u16)`,
/// `(Ipv4Addr, u16)`, `(Ipv6Addr, u16)`, `(&str, u16)`, `(String, u16)`,
/// `str` and `String` (`"host:port"`), `[SocketAddr]`, and references to
/// any of them. Unlike the std trait, it tells a numeric address (used as
/// is) from a host name (resolved on the blocking pool by the async
/// functions that take it, see [`lookup_host`]).
///
/// The trait is sealed: it cannot be implemented outside this crate.
///
/// ```compile_fail,E0277
/// struct Mine;
/// impl aio::net::ToSocketAddrs for Mine {} // the sealed supertrait is missing
/// ```
pub trait ToSocketAddrs: sealed::ToSocketAddrsPriv {}

pub(crate) mod sealed {
    //! The part of [`ToSocketAddrs`](super::ToSocketAddrs) users cannot
    //! name, which keeps the trait sealed.
    //!
    //! Its items are `pub` so they may appear as a public trait's
    //! supertrait, but this module is private: no one outside the crate can
    //! name them, so no one else can implement the trait (nor rely on these
    //! details, which are free to change).

    use std::io;
    use std::net::SocketAddr;

    /// An address argument, split before any I/O into what is known now and
    /// what needs a lookup.
    #[derive(Debug)]
    pub enum Addrs {
        /// Numeric addresses, or the reason the argument is malformed.
        Ready(io::Result<Vec<SocketAddr>>),
        /// A host name to resolve, and the port to give every address.
        Name(String, u16),
    }

    /// Sealed supertrait of [`ToSocketAddrs`](super::ToSocketAddrs).
    pub trait ToSocketAddrsPriv {
        /// Parses what can be parsed without a lookup.
        fn to_addrs(&self) -> Addrs;

        /// The one address this is, where that is known without parsing
        /// or allocating (a per-datagram `send_to` takes this path).
        fn single(&self) -> Option<SocketAddr> {
            None
        }
    }
}

use sealed::{Addrs, ToSocketAddrsPriv};

/// Resolves `addr` (`"host:port"`) to its socket addresses, running
/// `getaddrinfo(3)` on the blocking pool so the core keeps running its
/// other tasks while the resolver works.
///
/// A numeric address (`"127.0.0.1:80"`, `"[::1]:80"`) is parsed in place:
/// it never touches the pool and the future completes on its first poll.
///
/// The future owns everything it needs (it does not borrow `addr`), so it
/// may be spawned.
///
/// # Errors
///
/// `InvalidInput` if `addr` is not `host:port` with a numeric port (found
/// at once, without a lookup); otherwise the resolver's error, e.g. an
/// unknown host.
///
/// # Panics
///
/// Panics outside an aio runtime when `addr` is a host name (the lookup
/// needs the runtime's blocking pool); a numeric address works anywhere.
///
/// # Cancel safety
///
/// Cancel safe. Dropping the future stops waiting for the lookup; a lookup
/// already running on a pool thread finishes there and its result is
/// discarded.
///
/// # Examples
///
/// ```
/// # aio::Runtime::new()?.block_on(async {
/// for addr in aio::net::lookup_host("localhost:80").await? {
///     assert!(addr.ip().is_loopback());
///     assert_eq!(addr.port(), 80);
/// }
///
/// // A numeric address comes back as is, without a lookup.
/// let mut addrs = aio::net::lookup_host("127.0.0.1:8080").await?;
/// assert_eq!(addrs.next(), Some("127.0.0.1:8080".parse().unwrap()));
/// assert_eq!(addrs.next(), None);
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn lookup_host(
    addr: &str,
) -> impl Future<Output = io::Result<impl Iterator<Item = SocketAddr>>> {
    let addrs = addr.to_addrs();
    async move { lookup(addrs).await.map(Vec::into_iter) }
}

/// `addrs` resolved, names on the blocking pool; may be empty.
async fn lookup(addrs: Addrs) -> io::Result<Vec<SocketAddr>> {
    match addrs {
        Addrs::Ready(ready) => ready,
        Addrs::Name(host, port) => {
            crate::task::spawn_blocking(move || resolve_blocking((host.as_str(), port)))
                .await
                .unwrap_or_else(|e| {
                    if e.is_panic() {
                        std::panic::resume_unwind(e.into_panic())
                    }
                    Err(io::Error::other(format!(
                        "the name lookup was cancelled: {e}"
                    )))
                })
        }
    }
}

/// `addr`'s addresses for a connect: numeric ones at once, names on the
/// blocking pool.
///
/// # Errors
///
/// As for [`lookup_host`], and `InvalidInput` when there is no address.
pub(crate) async fn resolve(addr: &impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    non_empty(lookup(addr.to_addrs()).await?)
}

/// `addr`'s addresses for a bind: numeric ones at once, names through the
/// system resolver on this thread (it may block).
///
/// # Errors
///
/// As for [`resolve`].
pub(crate) fn resolve_now(addr: &impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    match addr.to_addrs() {
        Addrs::Ready(ready) => non_empty(ready?),
        Addrs::Name(host, port) => resolve_blocking((host.as_str(), port)),
    }
}

fn non_empty(addrs: Vec<SocketAddr>) -> io::Result<Vec<SocketAddr>> {
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "no address to use (an empty list)",
        ));
    }
    Ok(addrs)
}

fn ready(addr: impl Into<SocketAddr>) -> Addrs {
    Addrs::Ready(Ok(vec![addr.into()]))
}

impl ToSocketAddrs for SocketAddr {}
impl ToSocketAddrsPriv for SocketAddr {
    fn to_addrs(&self) -> Addrs {
        ready(*self)
    }

    fn single(&self) -> Option<SocketAddr> {
        Some(*self)
    }
}

impl ToSocketAddrs for SocketAddrV4 {}
impl ToSocketAddrsPriv for SocketAddrV4 {
    fn to_addrs(&self) -> Addrs {
        ready(*self)
    }

    fn single(&self) -> Option<SocketAddr> {
        Some((*self).into())
    }
}

impl ToSocketAddrs for SocketAddrV6 {}
impl ToSocketAddrsPriv for SocketAddrV6 {
    fn to_addrs(&self) -> Addrs {
        ready(*self)
    }

    fn single(&self) -> Option<SocketAddr> {
        Some((*self).into())
    }
}

impl ToSocketAddrs for (IpAddr, u16) {}
impl ToSocketAddrsPriv for (IpAddr, u16) {
    fn to_addrs(&self) -> Addrs {
        ready(*self)
    }

    fn single(&self) -> Option<SocketAddr> {
        Some((*self).into())
    }
}

impl ToSocketAddrs for (Ipv4Addr, u16) {}
impl ToSocketAddrsPriv for (Ipv4Addr, u16) {
    fn to_addrs(&self) -> Addrs {
        ready(*self)
    }

    fn single(&self) -> Option<SocketAddr> {
        Some((*self).into())
    }
}

impl ToSocketAddrs for (Ipv6Addr, u16) {}
impl ToSocketAddrsPriv for (Ipv6Addr, u16) {
    fn to_addrs(&self) -> Addrs {
        ready(*self)
    }

    fn single(&self) -> Option<SocketAddr> {
        Some((*self).into())
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl ToSocketAddrsPriv for (&str, u16) {
    fn to_addrs(&self) -> Addrs {
        let (host, port) = *self;
        // As std: a numeric host (IPv4 or IPv6, no brackets) needs no lookup.
        match host.parse::<IpAddr>() {
            Ok(ip) => ready((ip, port)),
            Err(_) => Addrs::Name(host.to_owned(), port),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl ToSocketAddrsPriv for (String, u16) {
    fn to_addrs(&self) -> Addrs {
        (self.0.as_str(), self.1).to_addrs()
    }
}

impl ToSocketAddrs for str {}
impl ToSocketAddrsPriv for str {
    fn to_addrs(&self) -> Addrs {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return ready(addr);
        }
        // As std: split at the last colon; a malformed argument is an error
        // found here, before any lookup, with std's messages.
        let Some((host, port)) = self.rsplit_once(':') else {
            return invalid("invalid socket address");
        };
        let Ok(port) = port.parse::<u16>() else {
            return invalid("invalid port value");
        };
        // An unbracketed IPv6 host ("::1:80") is still numeric.
        (host, port).to_addrs()
    }
}

fn invalid(msg: &'static str) -> Addrs {
    Addrs::Ready(Err(io::Error::new(io::ErrorKind::InvalidInput, msg)))
}

impl ToSocketAddrs for String {}
impl ToSocketAddrsPriv for String {
    fn to_addrs(&self) -> Addrs {
        self.as_str().to_addrs()
    }
}

impl ToSocketAddrs for [SocketAddr] {}
impl ToSocketAddrsPriv for [SocketAddr] {
    fn to_addrs(&self) -> Addrs {
        Addrs::Ready(Ok(self.to_vec()))
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrs + ?Sized> ToSocketAddrsPriv for &T {
    fn to_addrs(&self) -> Addrs {
        (**self).to_addrs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(addr: &(impl ToSocketAddrs + ?Sized)) -> Vec<SocketAddr> {
        match addr.to_addrs() {
            Addrs::Ready(Ok(v)) => v,
            other => panic!("expected numeric addresses, got {other:?}"),
        }
    }

    fn name(addr: &(impl ToSocketAddrs + ?Sized)) -> (String, u16) {
        match addr.to_addrs() {
            Addrs::Name(host, port) => (host, port),
            other => panic!("expected a name, got {other:?}"),
        }
    }

    fn error(addr: &(impl ToSocketAddrs + ?Sized)) -> io::Error {
        match addr.to_addrs() {
            Addrs::Ready(Err(e)) => e,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn numeric_forms_need_no_lookup() {
        let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let v6: SocketAddr = "[::1]:80".parse().unwrap();
        assert_eq!(parsed("127.0.0.1:80"), [v4]);
        assert_eq!(parsed("[::1]:80"), [v6]);
        assert_eq!(parsed(&String::from("[::1]:80")), [v6]);
        // Unbracketed, as std accepts it (through the resolver there).
        assert_eq!(parsed("::1:80"), [v6]);
        assert_eq!(parsed(&("127.0.0.1", 80)), [v4]);
        assert_eq!(parsed(&("::1", 80)), [v6]);
        assert_eq!(parsed(&(String::from("::1"), 80)), [v6]);
        assert_eq!(parsed(&(Ipv4Addr::LOCALHOST, 80)), [v4]);
        assert_eq!(parsed(&(Ipv6Addr::LOCALHOST, 80)), [v6]);
        assert_eq!(parsed(&(IpAddr::from(Ipv4Addr::LOCALHOST), 80)), [v4]);
        assert_eq!(parsed(&v4), [v4]);
        assert_eq!(parsed(&&v4), [v4]);
        assert_eq!(parsed(&SocketAddrV4::new(Ipv4Addr::LOCALHOST, 80)), [v4]);
        assert_eq!(parsed(&[v4, v6][..]), [v4, v6]);
    }

    #[test]
    fn names_are_split_for_the_pool() {
        assert_eq!(name("localhost:80"), ("localhost".into(), 80));
        assert_eq!(
            name(&("example.invalid", 443)),
            ("example.invalid".into(), 443)
        );
        assert_eq!(name("[localhost]:80"), ("[localhost]".into(), 80));
    }

    #[test]
    fn malformed_strings_fail_without_a_lookup() {
        for bad in [
            "not an address",
            "localhost",
            "localhost:http",
            "localhost:65536",
            "",
        ] {
            let e = error(bad);
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{bad:?}: {e}");
        }
    }
}
