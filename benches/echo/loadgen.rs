//! The load generator: one thread, N nonblocking connections, raw epoll.
//!
//! Why not a runtime: the same client must drive every server, so it cannot
//! be one of the runtimes under test (a tokio client would share code paths,
//! and cache footprint, with the tokio server and none with the others), and
//! it must cost as little CPU per request as possible so that, on its own
//! core, it keeps every connection busy. A level-triggered epoll loop over
//! blocking-free `read`/`write` calls is the floor: per request it makes one
//! `write`, usually one `read`, and shares one `epoll_wait` with every other
//! connection that became ready at the same time. It is also the most common
//! shape of a production load tester (wrk, memtier), so its behaviour is well
//! understood.
//!
//! Protocol, per connection, closed loop: send `size` bytes, read back
//! exactly `size` bytes, compare them byte for byte with what was sent, record
//! the latency (first byte written to last byte read), start the next
//! request at once. Every connection always has exactly one request in
//! flight, so the offered load is "as fast as the server answers N clients".

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::histogram::Histogram;
use crate::sys;

/// What to run against a server.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    /// The server's listening address.
    pub addr: SocketAddr,
    /// Concurrent connections, each with one request in flight.
    pub conns: usize,
    /// Bytes per request (and per response).
    pub size: usize,
    /// Load applied before the measured window opens; lets the server
    /// accept everything, grow its buffers and reach a steady state.
    pub warmup: Duration,
    /// Length of the measured window.
    pub measure: Duration,
}

/// What one run measured. Requests, latency and server CPU cover only the
/// measured window; errors cover the whole run, warm-up included, because a
/// wrong byte is a bug whenever it happens.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// Requests completed inside the window.
    pub requests: u64,
    /// Exact length of the window.
    pub elapsed: Duration,
    /// Server CPU time spent inside the window.
    pub server_cpu_ns: u64,
    /// The load generator's own CPU time inside the window: near the whole
    /// window means the client, not the server, limited the request rate.
    pub client_cpu_ns: u64,
    /// Latency of the requests completed inside the window, in ns.
    pub latency: Histogram,
    /// Responses whose bytes differed from the request, plus connections
    /// that failed (reset, unexpected end of stream, socket error).
    pub errors: u64,
    /// The first error seen, for the log.
    pub first_error: Option<String>,
}

/// Runs the closed-loop load described by `spec` and samples the server's
/// CPU time with `server_cpu_ns` when the measured window opens and closes.
pub fn run(
    spec: &LoadSpec,
    mut server_cpu_ns: impl FnMut() -> io::Result<u64>,
) -> io::Result<Measurement> {
    let payload = Payload::new(spec.size);
    let epoll = Epoll::new()?;
    let mut conns = Vec::with_capacity(spec.conns);
    for index in 0..spec.conns {
        let conn = Conn::connect(spec.addr, spec.size).map_err(|e| {
            io::Error::new(e.kind(), format!("connect #{index} to {}: {e}", spec.addr))
        })?;
        epoll.add(conn.fd, libc::EPOLLIN as u32, index as u64)?;
        conns.push(conn);
    }

    let mut gen = Generator {
        epoll,
        payload,
        conns,
        latency: Histogram::new(),
        requests: 0,
        errors: 0,
        first_error: None,
        alive: spec.conns,
    };
    let started = Instant::now();
    for index in 0..gen.conns.len() {
        gen.start_request(index, started);
    }

    // Warm-up, then the measured window; counters restart when it opens.
    gen.drive_until(started + spec.warmup)?;
    gen.latency.clear();
    gen.requests = 0;
    let (server_start, client_start) = (server_cpu_ns()?, sys::thread_cpu_ns()?);
    let window_start = Instant::now();
    gen.drive_until(window_start + spec.measure)?;
    let (server_end, client_end) = (server_cpu_ns()?, sys::thread_cpu_ns()?);
    let elapsed = window_start.elapsed();

    Ok(Measurement {
        requests: gen.requests,
        elapsed,
        server_cpu_ns: server_end.saturating_sub(server_start),
        client_cpu_ns: client_end.saturating_sub(client_start),
        latency: gen.latency,
        errors: gen.errors,
        first_error: gen.first_error,
    })
}

/// The bytes clients send. Request `seq` on connection `conn` sends a window
/// of a pseudo-random pattern starting at an offset that depends on both, so
/// a response that was misrouted, reordered or stale fails verification.
struct Payload {
    pattern: Vec<u8>,
    size: usize,
}

/// Distinct offsets into the pattern (a prime, so that offsets of
/// consecutive requests and neighbouring connections do not line up).
const OFFSETS: usize = 251;

impl Payload {
    fn new(size: usize) -> Payload {
        // xorshift64: reproducible, no dependency, no zero runs.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let pattern = (0..size + OFFSETS)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        Payload { pattern, size }
    }

    fn request(&self, conn: usize, seq: u64) -> &[u8] {
        let offset = (conn * 31 + seq as usize) % OFFSETS;
        &self.pattern[offset..offset + self.size]
    }
}

/// One client connection and the state of its single in-flight request.
struct Conn {
    stream: TcpStream,
    fd: RawFd,
    /// Sequence number of the in-flight request.
    seq: u64,
    /// Request bytes written so far.
    sent: usize,
    /// Response bytes read so far, into `buf[..received]`.
    received: usize,
    buf: Box<[u8]>,
    /// When the in-flight request's first byte was written.
    started: Instant,
    /// Whether EPOLLOUT is registered (only while a write is partial).
    want_write: bool,
    alive: bool,
}

impl Conn {
    fn connect(addr: SocketAddr, size: usize) -> io::Result<Conn> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_nodelay(true)?;
        stream.set_nonblocking(true)?;
        let fd = stream.as_raw_fd();
        Ok(Conn {
            stream,
            fd,
            seq: 0,
            sent: 0,
            received: 0,
            buf: vec![0; size].into_boxed_slice(),
            started: Instant::now(),
            want_write: false,
            alive: true,
        })
    }
}

struct Generator {
    epoll: Epoll,
    payload: Payload,
    conns: Vec<Conn>,
    latency: Histogram,
    requests: u64,
    errors: u64,
    first_error: Option<String>,
    alive: usize,
}

impl Generator {
    /// Runs the event loop until `deadline` (or until every connection has
    /// failed).
    fn drive_until(&mut self, deadline: Instant) -> io::Result<()> {
        let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; self.conns.len().max(1)];
        loop {
            let now = Instant::now();
            if now >= deadline || self.alive == 0 {
                return Ok(());
            }
            // Bounded wait, so a server that stops answering cannot hang us.
            let timeout = (deadline - now).min(Duration::from_millis(100));
            let ready = self.epoll.wait(&mut events, timeout)?;
            for event in &events[..ready] {
                // Copy out of the (packed) event before use.
                let (flags, index) = (event.events, event.u64 as usize);
                self.on_event(index, flags);
            }
        }
    }

    fn on_event(&mut self, index: usize, flags: u32) {
        if !self.conns[index].alive {
            return;
        }
        if flags & libc::EPOLLOUT as u32 != 0 && self.conns[index].want_write {
            self.write_request(index);
        }
        if flags & (libc::EPOLLIN | libc::EPOLLERR | libc::EPOLLHUP) as u32 != 0 {
            self.read_response(index);
        }
    }

    fn start_request(&mut self, index: usize, now: Instant) {
        let conn = &mut self.conns[index];
        conn.sent = 0;
        conn.received = 0;
        conn.started = now;
        self.write_request(index);
    }

    /// Writes as much of the request as the socket takes; registers for
    /// EPOLLOUT only when a write was partial (rare: requests are far smaller
    /// than the socket buffer).
    fn write_request(&mut self, index: usize) {
        let conn = &mut self.conns[index];
        let request = self.payload.request(index, conn.seq);
        while conn.sent < request.len() {
            match (&conn.stream).write(&request[conn.sent..]) {
                Ok(n) => conn.sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if !conn.want_write {
                        let interest = (libc::EPOLLIN | libc::EPOLLOUT) as u32;
                        if let Err(e) = self.epoll.modify(conn.fd, interest, index as u64) {
                            self.fail(index, "epoll_ctl(MOD)", e);
                            return;
                        }
                        conn.want_write = true;
                    }
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.fail(index, "write", e),
            }
        }
        if conn.want_write {
            if let Err(e) = self
                .epoll
                .modify(conn.fd, libc::EPOLLIN as u32, index as u64)
            {
                return self.fail(index, "epoll_ctl(MOD)", e);
            }
            conn.want_write = false;
        }
    }

    /// Reads what has arrived (one `read`: the event is level-triggered, so
    /// a partial response simply reports ready again); on a complete
    /// response, verifies it, records it and starts the next request.
    fn read_response(&mut self, index: usize) {
        let conn = &mut self.conns[index];
        let want = self.payload.size;
        let n = loop {
            match (&conn.stream).read(&mut conn.buf[conn.received..want]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.fail(index, "read", e),
            }
        };
        if n == 0 {
            let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "server closed the connection");
            return self.fail(index, "read", eof);
        }
        conn.received += n;
        if conn.received < want {
            return;
        }
        let now = Instant::now();
        if conn.buf[..] != *self.payload.request(index, conn.seq) {
            self.errors += 1;
            if self.first_error.is_none() {
                self.first_error = Some(format!(
                    "connection {index}, request {}: echoed bytes differ",
                    conn.seq
                ));
            }
        }
        self.latency
            .record(now.duration_since(conn.started).as_nanos() as u64);
        self.requests += 1;
        conn.seq += 1;
        self.start_request(index, now);
    }

    /// Counts a failed connection and stops driving it.
    fn fail(&mut self, index: usize, what: &str, err: io::Error) {
        let conn = &mut self.conns[index];
        conn.alive = false;
        self.alive -= 1;
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(format!("connection {index}: {what}: {err}"));
        }
        // Best effort: the socket is closed with the generator anyway, and a
        // failed DEL only means a few more events for a dead connection,
        // which on_event ignores.
        if let Err(e) = self.epoll.delete(conn.fd) {
            eprintln!("echo: epoll_ctl(DEL) on a failed connection: {e}");
        }
    }
}

/// An owned epoll instance.
struct Epoll {
    fd: OwnedFd,
}

impl Epoll {
    fn new() -> io::Result<Epoll> {
        // SAFETY: epoll_create1 takes only flags.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(os_error("epoll_create1"));
        }
        // SAFETY: `fd` was just returned by the kernel and nothing else owns it.
        Ok(Epoll {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        let mut event = libc::epoll_event { events, u64: token };
        // SAFETY: `event` is a valid epoll_event that outlives the call; the
        // kernel copies it and keeps no pointer.
        let rc = unsafe { libc::epoll_ctl(self.fd.as_raw_fd(), op, fd, &mut event) };
        if rc < 0 {
            return Err(os_error("epoll_ctl"));
        }
        Ok(())
    }

    fn add(&self, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, events, token)
    }

    fn modify(&self, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_MOD, fd, events, token)
    }

    fn delete(&self, fd: RawFd) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_DEL, fd, 0, 0)
    }

    /// Waits up to `timeout` and returns how many entries of `events` were
    /// filled; an interrupted wait returns 0.
    fn wait(&self, events: &mut [libc::epoll_event], timeout: Duration) -> io::Result<usize> {
        let max = events.len().min(libc::c_int::MAX as usize) as libc::c_int;
        let timeout_ms = timeout.as_millis().clamp(1, 1000) as libc::c_int;
        // SAFETY: the pointer and `max` describe the writable `events` slice,
        // which outlives the call.
        let n =
            unsafe { libc::epoll_wait(self.fd.as_raw_fd(), events.as_mut_ptr(), max, timeout_ms) };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                return Ok(0);
            }
            return Err(io::Error::new(err.kind(), format!("epoll_wait: {err}")));
        }
        Ok(n as usize)
    }
}

fn os_error(what: &str) -> io::Error {
    let err = io::Error::last_os_error();
    io::Error::new(err.kind(), format!("{what}: {err}"))
}
