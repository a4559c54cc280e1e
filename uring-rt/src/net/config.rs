//! `NetConfig`: the socket options aio applies when it creates a socket.

use std::time::Duration;

/// Socket options for listeners, streams and datagram sockets, applied when
/// aio creates the socket (`bind_with`, `connect_with`). Listeners pass the
/// stream options (`nodelay`, `quickack`, `keepalive`, buffer sizes, `tos`)
/// on to the sockets they accept.
///
/// The default is tuned for low latency: `nodelay` on, `reuse_addr` on for
/// listeners, a backlog of 1024.
///
/// ```
/// let cfg = aio::net::NetConfig::default().reuse_port(true).backlog(4096);
/// # let _ = cfg;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetConfig {
    pub(crate) reuse_addr: bool,
    pub(crate) reuse_port: bool,
    pub(crate) reuse_port_exclusive: bool,
    pub(crate) backlog: u32,
    pub(crate) nodelay: bool,
    pub(crate) quickack: bool,
    pub(crate) keepalive: Option<Duration>,
    pub(crate) recv_buffer_size: Option<usize>,
    pub(crate) send_buffer_size: Option<usize>,
    pub(crate) busy_poll: Option<u32>,
    pub(crate) tos: Option<u32>,
    pub(crate) ipv6_only: Option<bool>,
    pub(crate) ttl: Option<u32>,
}

impl Default for NetConfig {
    fn default() -> NetConfig {
        NetConfig {
            reuse_addr: true,
            reuse_port: false,
            reuse_port_exclusive: false,
            backlog: 1024,
            nodelay: true,
            quickack: false,
            keepalive: None,
            recv_buffer_size: None,
            send_buffer_size: None,
            busy_poll: None,
            tos: None,
            ipv6_only: None,
            ttl: None,
        }
    }
}

impl NetConfig {
    /// `SO_REUSEADDR` on listeners (default on): rebinding right after a
    /// restart works while old connections sit in TIME_WAIT.
    pub fn reuse_addr(mut self, on: bool) -> Self {
        self.reuse_addr = on;
        self
    }

    /// `SO_REUSEPORT`: several sockets (one per core) bind the same port and
    /// the kernel spreads incoming connections across them. This is how a
    /// sharded server listens on every core.
    ///
    /// **Any process of the same user can join the group**: a second copy
    /// of the server, started by mistake, binds without an error and takes
    /// its share of the connections, silently. Use
    /// [`reuse_port_exclusive`](Self::reuse_port_exclusive) for listeners
    /// that must not share their port with another process.
    pub fn reuse_port(mut self, on: bool) -> Self {
        self.reuse_port = on;
        self
    }

    /// `SO_REUSEPORT` among this process's own listeners only (implies
    /// [`reuse_port`](Self::reuse_port) when on): a TCP listener's
    /// `bind_with` fails with `AddrInUse` if a listener of another process
    /// already serves an overlapping address and port.
    ///
    /// Linux has no flag for this, so aio checks after `listen`: it
    /// compares the listeners in `/proc/net/tcp` and `/proc/net/tcp6` with
    /// the sockets this process holds. Two processes starting at once both
    /// refuse rather than share. What it cannot stop: a process that binds
    /// later *without* the check (only the kernel could), and a system
    /// without `/proc` (nothing is checked there). The kernel already
    /// refuses other users' processes.
    ///
    /// ```no_run
    /// # aio::Runtime::new().unwrap().block_on(async {
    /// use aio::net::{NetConfig, TcpListener};
    /// let cfg = NetConfig::default().reuse_port_exclusive(true);
    /// // Fails with AddrInUse if another process already serves port 8080.
    /// let listener = TcpListener::bind_with("0.0.0.0:8080", &cfg)?;
    /// # let _ = listener;
    /// # Ok::<(), std::io::Error>(())
    /// # });
    /// ```
    pub fn reuse_port_exclusive(mut self, on: bool) -> Self {
        self.reuse_port_exclusive = on;
        if on {
            self.reuse_port = true;
        }
        self
    }

    /// The listen(2) backlog (default 1024; the kernel caps it at
    /// `net.core.somaxconn`).
    pub fn backlog(mut self, backlog: u32) -> Self {
        self.backlog = backlog;
        self
    }

    /// `TCP_NODELAY` (default on): send small writes immediately.
    pub fn nodelay(mut self, on: bool) -> Self {
        self.nodelay = on;
        self
    }

    /// `TCP_QUICKACK`: acknowledge immediately instead of delaying ACKs.
    pub fn quickack(mut self, on: bool) -> Self {
        self.quickack = on;
        self
    }

    /// `SO_KEEPALIVE` with `TCP_KEEPIDLE` set to the given idle time
    /// (`None`, the default, leaves keepalive off).
    pub fn keepalive(mut self, idle: Option<Duration>) -> Self {
        self.keepalive = idle;
        self
    }

    /// `SO_RCVBUF`.
    pub fn recv_buffer_size(mut self, bytes: usize) -> Self {
        self.recv_buffer_size = Some(bytes);
        self
    }

    /// `SO_SNDBUF`.
    pub fn send_buffer_size(mut self, bytes: usize) -> Self {
        self.send_buffer_size = Some(bytes);
        self
    }

    /// `SO_BUSY_POLL` in microseconds (may need CAP_NET_ADMIN to raise).
    pub fn busy_poll(mut self, micros: u32) -> Self {
        self.busy_poll = Some(micros);
        self
    }

    /// `IP_TOS` / `IPV6_TCLASS`.
    pub fn tos(mut self, tos: u32) -> Self {
        self.tos = Some(tos);
        self
    }

    /// `IPV6_V6ONLY` for IPv6 sockets.
    pub fn ipv6_only(mut self, on: bool) -> Self {
        self.ipv6_only = Some(on);
        self
    }

    /// `IP_TTL` (IPv4) / `IPV6_UNICAST_HOPS` (IPv6).
    pub fn ttl(mut self, ttl: u32) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Same as [`ttl`](Self::ttl), under its IPv6 name.
    pub fn hop_limit(self, hops: u32) -> Self {
        self.ttl(hops)
    }
}
