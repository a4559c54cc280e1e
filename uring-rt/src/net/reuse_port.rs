//! `NetConfig::reuse_port_exclusive`: `SO_REUSEPORT` for this process's
//! own shards only.
//!
//! The kernel lets any process of the same effective user join a
//! `SO_REUSEPORT` group, and then silently splits the connections between
//! them: a second copy of a server started by mistake takes half the
//! traffic. It offers no flag against that, so the check is ours: after
//! binding and listening, the listeners in `/proc/net/tcp{,6}` on an
//! overlapping address are compared with this process's own sockets
//! (`/proc/self/fd`); a listener that is not ours fails the bind with
//! `AddrInUse`. Two servers starting at the same instant both see each
//! other and both refuse, never share. A process that binds *without* the
//! check can still join afterwards: only the kernel could stop that.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// `Err(AddrInUse)` if a TCP listener overlapping `local` belongs to a
/// socket this process does not hold.
pub(crate) fn check_exclusive(local: SocketAddr) -> io::Result<()> {
    let ours = own_socket_inodes()?;
    for path in ["/proc/net/tcp", "/proc/net/tcp6"] {
        // Absent without IPv6, or without /proc (then nothing can be
        // checked, and nothing is refused: say so in the docs).
        let Ok(table) = fs::read_to_string(path) else {
            continue;
        };
        for (addr, inode) in table.lines().skip(1).filter_map(listener) {
            if inode != 0 && !ours.contains(&inode) && overlaps(addr, local) {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!(
                        "{local}: another process already listens on {addr} with SO_REUSEPORT \
                         (socket inode {inode}); NetConfig::reuse_port_exclusive refuses to \
                         share the port with it"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A `/proc/net/tcp` row's local address and inode, if it is a listener.
fn listener(row: &str) -> Option<(SocketAddr, u64)> {
    let fields: Vec<&str> = row.split_whitespace().collect();
    const LISTEN: &str = "0A";
    if fields.len() < 10 || fields[3] != LISTEN {
        return None;
    }
    let (ip, port) = fields[1].split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    Some((
        SocketAddr::new(parse_ip(ip)?, port),
        fields[9].parse().ok()?,
    ))
}

/// `/proc/net/tcp`'s address: the in-memory (network order) words printed
/// as host-order hex, one word for IPv4, four for IPv6.
fn parse_ip(hex: &str) -> Option<IpAddr> {
    let word = |i: usize| {
        u32::from_str_radix(hex.get(i * 8..i * 8 + 8)?, 16)
            .ok()
            .map(u32::to_ne_bytes)
    };
    match hex.len() {
        8 => Some(IpAddr::V4(Ipv4Addr::from(word(0)?))),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            Some(IpAddr::V6(Ipv6Addr::from(bytes)))
        }
        _ => None,
    }
}

/// Whether a listener on `a` takes connections meant for `b`: same port,
/// and the same address or a wildcard on either side.
fn overlaps(a: SocketAddr, b: SocketAddr) -> bool {
    let canonical = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let (x, y) = (canonical(a.ip()), canonical(b.ip()));
    a.port() == b.port() && (x.is_unspecified() || y.is_unspecified() || x == y)
}

/// The inodes of the sockets this process holds.
fn own_socket_inodes() -> io::Result<HashSet<u64>> {
    let mut inodes = HashSet::new();
    for entry in fs::read_dir("/proc/self/fd")? {
        let Ok(target) = fs::read_link(entry?.path()) else {
            continue; // closed since the listing
        };
        let target = target.to_string_lossy();
        if let Some(inode) = target
            .strip_prefix("socket:[")
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|n| n.parse().ok())
        {
            inodes.insert(inode);
        }
    }
    Ok(inodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_net_tcp_rows() {
        let v4 = "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 \
                  00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0";
        assert_eq!(
            listener(v4),
            Some(("127.0.0.1:8080".parse().unwrap(), 4242))
        );
        let v6 = "   0: 00000000000000000000000001000000:1F90 \
                  00000000000000000000000000000000:0000 0A 00000000:00000000 \
                  00:00000000 00000000  1000        0 77 1 0000000000000000 100 0 0 10 0";
        assert_eq!(listener(v6), Some(("[::1]:8080".parse().unwrap(), 77)));
        let established = v4.replace(" 0A ", " 01 ");
        assert_eq!(listener(&established), None);
    }

    #[test]
    fn wildcards_overlap_everything_on_the_port() {
        let any: SocketAddr = "0.0.0.0:80".parse().unwrap();
        let any6: SocketAddr = "[::]:80".parse().unwrap();
        let lo: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:80".parse().unwrap();
        assert!(overlaps(any, lo) && overlaps(lo, any6) && overlaps(mapped, lo));
        assert!(!overlaps(lo, "127.0.0.2:80".parse().unwrap()));
        assert!(!overlaps(any, "0.0.0.0:81".parse().unwrap()));
    }
}
