//! `raw-uring`: the physical-limit proxy. One thread drives one io_uring
//! with the `io-uring` crate directly: no runtime, no tasks, no wakers, no
//! allocation per message. What aio-uring spends beyond this server's CPU
//! per request is what the runtime costs.
//!
//! The loop is the plainest one that still does what the other servers do:
//! - one single-shot ACCEPT in flight on the listener, re-armed after each
//!   completion; an accepted socket gets TCP_NODELAY and a slot;
//! - each slot owns its socket and one `buf_size` buffer (the size aio's
//!   server reads into) and has exactly one op in flight: a RECV into the
//!   buffer, then SENDs of what arrived until all of it went out (a short
//!   send is continued from where it stopped), then the next RECV;
//! - a RECV of 0 (the peer closed) or any error closes the socket and frees
//!   the slot for the next accept;
//! - one `submit_and_wait(1)` per turn submits everything the previous turn
//!   queued and waits for at least one completion, then every completion
//!   ready is handled.
//!
//! The ring is set up with the flags aio's driver asks for (see
//! `uring-rt/src/driver/detect.rs`), newest first, falling back while the
//! kernel rejects them with EINVAL, and its fd is registered for
//! `io_uring_enter` where the kernel allows, as aio does.

use std::io;
use std::mem::ManuallyDrop;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd};

use io_uring::{opcode, squeue, types, IoUring};

/// Submission queue size; the completion queue is twice that.
const ENTRIES: u32 = 4096;

/// The op kind lives in the low bits of `user_data`, the slot index above.
const KIND_BITS: u32 = 2;
const KIND_MASK: u64 = (1 << KIND_BITS) - 1;
const ACCEPT: u64 = 0;
const RECV: u64 = 1;
const SEND: u64 = 2;

/// Binds `addr`, announces the bound address and serves until killed.
/// Returns only on a setup, accept or `io_uring_enter` error.
pub(super) fn serve(
    addr: SocketAddr,
    buf_size: usize,
    announce: impl FnOnce(SocketAddr) -> io::Result<()>,
) -> io::Result<()> {
    let len = u32::try_from(buf_size)
        .map_err(|_| io::Error::other(format!("buffer of {buf_size} bytes is too big")))?;
    let listener = TcpListener::bind(addr)?;
    let mut ring = build_ring()?;
    announce(listener.local_addr()?)?;

    // Never dropped: the loop below only ends in an error, and ops still in
    // flight then point into these buffers; the process ends right after.
    let mut slots = ManuallyDrop::new(Slots::default());
    let (mut submitter, mut sq, mut cq) = ring.split();
    // Enter by registered index rather than fd, as aio's driver does. Before
    // 5.18 that is EINVAL, and the plain fd serves, with one more lookup per
    // enter.
    match submitter.register_ring_fd() {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {}
        Err(e) => return Err(e),
    }
    let mut queue = Queue {
        sq: &mut sq,
        submitter: &submitter,
    };
    queue.push(Op::Accept(&listener))?;
    loop {
        queue.sq.sync();
        match submitter.submit_and_wait(1) {
            Ok(_) => {}
            // EINTR: a signal; EBUSY: the CQ overflowed and completions must
            // be reaped before the kernel takes more. Both: reap and go on.
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINTR | libc::EBUSY)) => {}
            Err(e) => return Err(e),
        }
        cq.sync();
        for cqe in &mut cq {
            let (index, kind) = (cqe.user_data() >> KIND_BITS, cqe.user_data() & KIND_MASK);
            let res = cqe.result();
            let index = usize::try_from(index).expect("user_data holds a slot index");
            match kind {
                ACCEPT => {
                    if res < 0 {
                        return Err(io::Error::from_raw_os_error(-res));
                    }
                    // SAFETY: a successful ACCEPT returns a new descriptor that
                    // nothing else owns.
                    let stream = unsafe { TcpStream::from_raw_fd(res) };
                    stream.set_nodelay(true)?;
                    let index = slots.insert(stream, buf_size);
                    queue.push(Op::Recv(index, slots.get(index), len))?;
                    queue.push(Op::Accept(&listener))?;
                }
                RECV => {
                    let conn = slots.get(index);
                    if res <= 0 {
                        slots.close(index);
                        continue;
                    }
                    conn.filled = res as usize;
                    conn.sent = 0;
                    queue.push(Op::Send(index, conn))?;
                }
                SEND => {
                    let conn = slots.get(index);
                    if res <= 0 {
                        slots.close(index);
                        continue;
                    }
                    conn.sent += res as usize;
                    if conn.sent < conn.filled {
                        queue.push(Op::Send(index, conn))?;
                    } else {
                        queue.push(Op::Recv(index, conn, len))?;
                    }
                }
                _ => unreachable!("user_data kind {kind} was never submitted"),
            }
        }
    }
}

/// Sets up the ring with the best flags the kernel accepts, as aio's driver
/// does: task work deferred to our own `io_uring_enter` where possible.
fn build_ring() -> io::Result<IoUring> {
    type Configure = fn(&mut io_uring::Builder);
    let tiers: [Configure; 4] = [
        // 6.1+
        |b| {
            b.setup_coop_taskrun()
                .setup_single_issuer()
                .setup_defer_taskrun()
                .setup_submit_all();
        },
        // 6.0
        |b| {
            b.setup_coop_taskrun()
                .setup_single_issuer()
                .setup_submit_all();
        },
        // 5.19
        |b| {
            b.setup_coop_taskrun().setup_submit_all();
        },
        |_| {},
    ];
    let mut last = None;
    for configure in tiers {
        let mut builder = IoUring::builder();
        builder.setup_clamp();
        configure(&mut builder);
        match builder.build(ENTRIES) {
            Ok(ring) => return Ok(ring),
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from_raw_os_error(libc::EINVAL)))
}

/// One accepted connection. Its one op in flight (a RECV or a SEND) points
/// into `buf`, which is boxed so that it stays put while `Slots::conns`
/// grows; the slot is only freed from that op's completion.
struct Conn {
    stream: TcpStream,
    buf: Box<[u8]>,
    /// Bytes the last RECV put in `buf`.
    filled: usize,
    /// How many of them SENDs have written back so far.
    sent: usize,
}

/// The connection table: `conns[i]` is slot `i`; `free` lists the empty
/// slots, reused before the table grows.
#[derive(Default)]
struct Slots {
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
}

impl Slots {
    fn insert(&mut self, stream: TcpStream, buf_size: usize) -> usize {
        let conn = Conn {
            stream,
            buf: vec![0; buf_size].into_boxed_slice(),
            filled: 0,
            sent: 0,
        };
        match self.free.pop() {
            Some(index) => {
                self.conns[index] = Some(conn);
                index
            }
            None => {
                self.conns.push(Some(conn));
                self.conns.len() - 1
            }
        }
    }

    /// The connection whose op just completed.
    fn get(&mut self, index: usize) -> &mut Conn {
        match self.conns.get_mut(index) {
            Some(Some(conn)) => conn,
            _ => unreachable!("a completion for empty slot {index}"),
        }
    }

    /// Closes the connection in slot `index`; its op has completed, so
    /// nothing in the kernel points into its buffer any more.
    fn close(&mut self, index: usize) {
        self.conns[index] = None;
        self.free.push(index);
    }
}

/// An op to submit, borrowing what its SQE will point into.
enum Op<'a> {
    Accept(&'a TcpListener),
    /// Receive up to `u32` bytes into the slot's buffer.
    Recv(usize, &'a mut Conn, u32),
    /// Send the slot's `buf[sent..filled]`.
    Send(usize, &'a Conn),
}

/// The submission side: the one place that pushes entries.
struct Queue<'a, 'r> {
    sq: &'a mut squeue::SubmissionQueue<'r>,
    submitter: &'a io_uring::Submitter<'r>,
}

impl Queue<'_, '_> {
    /// Builds the SQE for `op` and queues it; a full queue is submitted
    /// first to make room.
    fn push(&mut self, op: Op<'_>) -> io::Result<()> {
        let entry = match op {
            Op::Accept(listener) => opcode::Accept::new(
                types::Fd(listener.as_raw_fd()),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
            .flags(libc::SOCK_CLOEXEC)
            .build()
            .user_data(ACCEPT),
            Op::Recv(index, conn, len) => opcode::Recv::new(
                types::Fd(conn.stream.as_raw_fd()),
                conn.buf.as_mut_ptr(),
                len,
            )
            .build()
            .user_data(((index as u64) << KIND_BITS) | RECV),
            Op::Send(index, conn) => {
                let pending = &conn.buf[conn.sent..conn.filled];
                opcode::Send::new(
                    types::Fd(conn.stream.as_raw_fd()),
                    pending.as_ptr(),
                    pending.len() as u32,
                )
                .flags(libc::MSG_NOSIGNAL)
                .build()
                .user_data(((index as u64) << KIND_BITS) | SEND)
            }
        };
        loop {
            // SAFETY: the entry points only into memory that outlives the
            // op: the listener lives as long as the loop, and a RECV or
            // SEND points into its slot's boxed buffer, which is freed only
            // once that op has completed (`Slots::close` is called from its
            // completion) or never (`serve` never drops the slots). Each
            // slot has one op in flight, so nothing else touches the buffer
            // meanwhile. Descriptors are owned by the listener and slots
            // and closed under the same rule.
            if unsafe { self.sq.push(&entry) }.is_ok() {
                return Ok(());
            }
            self.sq.sync();
            self.submitter.submit()?;
            self.sq.sync();
        }
    }
}
