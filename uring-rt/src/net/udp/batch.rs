//! Batched datagrams: many per system call (recvmmsg(2)/sendmmsg(2)).

use std::io;
use std::net::SocketAddr;

use super::UdpSocket;
use crate::buf::{IoBuf, IoBufMut};
use crate::driver::ops;
use crate::net::addr::from_raw;
use crate::BufResult;

impl UdpSocket {
    /// Receives at least one datagram and at most `bufs.len()`, one per
    /// buffer, in one system call (recvmmsg(2)); waits for the first.
    ///
    /// On success, result `i` is the size and source of the datagram in
    /// `bufs[i]`: it lands in the buffer's writable region, whose first
    /// `size` bytes become initialized, as for
    /// [`recv_from`](Self::recv_from) (so a `Vec` gets it appended after
    /// its length: pass empty ones to get the datagram alone). A datagram
    /// longer than that region is truncated. Buffers past the last result are
    /// returned untouched. Whatever was queued when the call ran is taken,
    /// up to `bufs.len()` datagrams; the call does not wait to fill more
    /// buffers. Linux takes at most 1024 buffers per call.
    ///
    /// On epoll this is recvmmsg(2) when the socket is readable; io_uring
    /// has no such operation, so there it is recvmmsg(2) with
    /// `MSG_DONTWAIT`, and a POLL_ADD readiness wait when nothing is queued.
    ///
    /// ```
    /// use aio::net::UdpSocket;
    ///
    /// # aio::Runtime::new().unwrap().block_on(async {
    /// let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let to = rx.local_addr().unwrap();
    /// let (res, _) = tx.send_to_many(vec![(&b"one"[..], to), (&b"two"[..], to)]).await;
    /// assert_eq!(res.unwrap(), 2);
    ///
    /// let bufs = (0..32).map(|_| Vec::with_capacity(1500)).collect();
    /// let (res, bufs) = rx.recv_from_many(bufs).await;
    /// for (i, (len, from)) in res.unwrap().into_iter().enumerate() {
    ///     assert_eq!(from, tx.local_addr().unwrap());
    ///     println!("{:?}", &bufs[i][..len]);
    /// }
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `bufs` is empty or any buffer has no room
    /// (`bytes_total() == 0`; no datagram is consumed), or recvmmsg(2)
    /// errors; the buffers come back either way.
    ///
    /// # Cancel safety
    ///
    /// As for [`recv_from`](Self::recv_from): dropping the future may lose
    /// datagrams the system call had already received into the buffers
    /// (it never runs after the drop: nothing is left in flight but a
    /// readiness wait).
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    pub async fn recv_from_many<B: IoBufMut>(
        &self,
        bufs: Vec<B>,
    ) -> BufResult<Vec<(usize, SocketAddr)>, Vec<B>> {
        if bufs.is_empty() {
            return (Err(no_messages("recv_from_many")), bufs);
        }
        if bufs.iter().any(|b| b.bytes_total() == 0) {
            return (Err(crate::buf::no_room()), bufs);
        }
        let op = ops::RecvMmsg::new(self.socket.fd().clone(), bufs);
        let (res, op) = ops::until_done(op).await;
        let (res, bufs) = op.finish(res);
        let res = res.and_then(|got| {
            got.iter()
                .map(|(n, raw)| Ok((*n, from_raw(raw)?)))
                .collect::<io::Result<Vec<_>>>()
        });
        (res, bufs)
    }

    /// Sends each buffer's initialized bytes as one datagram to its
    /// address, in order, in one system call (sendmmsg(2)); returns how
    /// many were sent.
    ///
    /// The send may be partial: it stops at the first datagram that fails
    /// once at least one was sent, and returns the count (that datagram's
    /// error is not reported; send the rest, `msgs[n..]`, again to see
    /// it). Linux takes at most 1024 datagrams per call.
    ///
    /// On epoll this is sendmmsg(2) when the socket is writable; on
    /// io_uring sendmmsg(2) with `MSG_DONTWAIT`, and a POLL_ADD readiness
    /// wait when the send buffer is full.
    ///
    /// ```
    /// use aio::net::UdpSocket;
    ///
    /// # aio::Runtime::new().unwrap().block_on(async {
    /// let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let peer = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    /// let msgs: Vec<(Vec<u8>, _)> = (0..10u8).map(|i| (vec![i; 64], peer)).collect();
    /// let mut msgs = msgs;
    /// while !msgs.is_empty() {
    ///     let (res, mut back) = socket.send_to_many(msgs).await;
    ///     let sent = res.unwrap();
    ///     msgs = back.split_off(sent); // resend the rest
    /// }
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `msgs` is empty; sendmmsg(2) errors (e.g.
    /// `EMSGSIZE`) when the first datagram fails, none sent. The messages
    /// come back either way.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future may or may not have sent the datagrams (none is
    /// sent after the drop: nothing is left in flight but a readiness
    /// wait).
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    pub async fn send_to_many<B: IoBuf>(
        &self,
        msgs: Vec<(B, SocketAddr)>,
    ) -> BufResult<usize, Vec<(B, SocketAddr)>> {
        if msgs.is_empty() {
            return (Err(no_messages("send_to_many")), msgs);
        }
        let op = ops::SendMmsg::new(self.socket.fd().clone(), msgs);
        let (res, op) = ops::until_done(op).await;
        op.finish(res)
    }
}

fn no_messages(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{what} needs at least one buffer"),
    )
}
