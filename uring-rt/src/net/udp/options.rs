//! `UdpSocket`'s socket options: TTL, broadcast, multicast.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::UdpSocket;

impl UdpSocket {
    /// Sets `IP_TTL`, the time-to-live of outgoing packets.
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed (e.g. `EINVAL` for a TTL over 255).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.socket.set_ttl(ttl)
    }

    /// `IP_TTL`.
    ///
    /// # Errors
    ///
    /// getsockopt(2) failed.
    pub fn ttl(&self) -> io::Result<u32> {
        self.socket.ttl()
    }

    /// Sets `SO_BROADCAST`: whether datagrams may go to a broadcast address.
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.socket
            .set_flag(libc::SOL_SOCKET, libc::SO_BROADCAST, on)
    }

    /// Whether `SO_BROADCAST` is set.
    ///
    /// # Errors
    ///
    /// getsockopt(2) failed.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.socket.flag(libc::SOL_SOCKET, libc::SO_BROADCAST)
    }

    /// Sets `IP_MULTICAST_LOOP`: whether this host receives its own IPv4 multicast datagrams (on by default).
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.socket
            .set_flag(libc::IPPROTO_IP, libc::IP_MULTICAST_LOOP, on)
    }

    /// Whether `IP_MULTICAST_LOOP` is set.
    ///
    /// # Errors
    ///
    /// getsockopt(2) failed.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.socket.flag(libc::IPPROTO_IP, libc::IP_MULTICAST_LOOP)
    }

    /// Sets `IPV6_MULTICAST_LOOP`: whether this host receives its own IPv6 multicast datagrams (on by default).
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed.
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.socket
            .set_flag(libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_LOOP, on)
    }

    /// Whether `IPV6_MULTICAST_LOOP` is set.
    ///
    /// # Errors
    ///
    /// getsockopt(2) failed.
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.socket
            .flag(libc::IPPROTO_IPV6, libc::IPV6_MULTICAST_LOOP)
    }

    /// Sets `IP_MULTICAST_TTL`, the time-to-live of outgoing IPv4
    /// multicast datagrams (1 by default: they stay on the local network).
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed.
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.socket
            .set_opt(libc::IPPROTO_IP, libc::IP_MULTICAST_TTL, ttl as libc::c_int)
    }

    /// `IP_MULTICAST_TTL`.
    ///
    /// # Errors
    ///
    /// getsockopt(2) failed.
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.socket
            .get_opt::<libc::c_int>(libc::IPPROTO_IP, libc::IP_MULTICAST_TTL)
            .map(|v| v as u32)
    }

    /// Joins the IPv4 multicast group `multiaddr` on the interface with
    /// address `interface` (`Ipv4Addr::UNSPECIFIED`: the kernel picks one
    /// by its routes) (`IP_ADD_MEMBERSHIP`).
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed: e.g. `ENODEV` when no interface fits (a
    /// host without a multicast route), `EINVAL` for a non-multicast
    /// address.
    pub fn join_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.socket.set_opt(
            libc::IPPROTO_IP,
            libc::IP_ADD_MEMBERSHIP,
            mreq_v4(multiaddr, interface),
        )
    }

    /// Leaves a group joined with
    /// [`join_multicast_v4`](Self::join_multicast_v4)
    /// (`IP_DROP_MEMBERSHIP`).
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed (e.g. `EADDRNOTAVAIL`: not a member).
    pub fn leave_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.socket.set_opt(
            libc::IPPROTO_IP,
            libc::IP_DROP_MEMBERSHIP,
            mreq_v4(multiaddr, interface),
        )
    }

    /// Joins the IPv6 multicast group `multiaddr` on the interface with
    /// index `interface` (0: the kernel picks one) (`IPV6_ADD_MEMBERSHIP`).
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed: e.g. `ENODEV` when no interface fits,
    /// `EINVAL` for a non-multicast address.
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.socket.set_opt(
            libc::IPPROTO_IPV6,
            libc::IPV6_ADD_MEMBERSHIP,
            mreq_v6(multiaddr, interface),
        )
    }

    /// Leaves a group joined with
    /// [`join_multicast_v6`](Self::join_multicast_v6)
    /// (`IPV6_DROP_MEMBERSHIP`).
    ///
    /// # Errors
    ///
    /// setsockopt(2) failed (e.g. `EADDRNOTAVAIL`: not a member).
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.socket.set_opt(
            libc::IPPROTO_IPV6,
            libc::IPV6_DROP_MEMBERSHIP,
            mreq_v6(multiaddr, interface),
        )
    }
}

/// An `ip_mreq` (addresses in network byte order).
fn mreq_v4(multiaddr: Ipv4Addr, interface: Ipv4Addr) -> libc::ip_mreq {
    libc::ip_mreq {
        imr_multiaddr: libc::in_addr {
            s_addr: u32::from_ne_bytes(multiaddr.octets()),
        },
        imr_interface: libc::in_addr {
            s_addr: u32::from_ne_bytes(interface.octets()),
        },
    }
}

/// An `ipv6_mreq`.
fn mreq_v6(multiaddr: &Ipv6Addr, interface: u32) -> libc::ipv6_mreq {
    libc::ipv6_mreq {
        ipv6mr_multiaddr: libc::in6_addr {
            s6_addr: multiaddr.octets(),
        },
        ipv6mr_interface: interface as libc::c_uint,
    }
}
