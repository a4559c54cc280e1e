//! Passing file descriptors over Unix sockets (`SCM_RIGHTS`):
//! `send_with_fds` and `recv_with_fds`, generated for the stream and the
//! datagram socket.

use std::io;

/// The error for descriptors with no byte to go with.
pub(super) fn no_bytes() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "send_with_fds needs at least one byte to carry the descriptors",
    )
}

/// The error for more descriptors than one message may carry.
pub(super) fn too_many() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "send_with_fds passes at most 253 descriptors (SCM_MAX_FD) per call",
    )
}

/// `send_with_fds`/`recv_with_fds` for a type whose `socket` field is a
/// `Socket`; `$example` is a doc example's setup of `a` and `b`.
macro_rules! fds_impl {
    ($ty:ty, $example:literal) => {
        impl $ty {
            /// Sends `buf`'s initialized bytes with the descriptors `fds`
            /// attached (sendmsg(2) with an `SCM_RIGHTS` message); the
            /// receiver gets its own descriptors for the same open files,
            /// with [`recv_with_fds`](Self::recv_with_fds).
            ///
            /// The descriptors are duplicated (close-on-exec) for the
            /// send and the duplicates closed when it completes, so `fds`
            /// only need to live for the call. On a stream, the
            /// descriptors travel with the bytes sent: if fewer bytes than
            /// `buf` holds were sent (a full send buffer), they went with
            /// those, and the rest is plain data to write.
            ///
            /// ```
            /// use std::os::fd::AsFd;
            /// # aio::Runtime::new().unwrap().block_on(async {
            #[doc = $example]
            /// let file = std::fs::File::open("/dev/null").unwrap();
            /// let (res, _) = a.send_with_fds(&b"x"[..], &[file.as_fd()]).await;
            /// assert_eq!(res.unwrap(), 1);
            /// let (res, buf) = b.recv_with_fds(Vec::with_capacity(16), 4).await;
            /// let (n, fds) = res.unwrap();
            /// assert_eq!((&buf[..n], fds.len()), (&b"x"[..], 1));
            /// # });
            /// ```
            ///
            /// # Errors
            ///
            /// `InvalidInput` if `fds` is not empty but `buf` is (at least
            /// one byte must carry them), or holds more than 253
            /// descriptors (`SCM_MAX_FD`); dup(2) or sendmsg(2) errors.
            /// The buffer comes back either way.
            ///
            /// # Cancel safety
            ///
            /// Dropping the future may or may not send the bytes and the
            /// descriptors.
            ///
            /// # Panics
            ///
            /// Panics outside an aio runtime.
            pub async fn send_with_fds<B: crate::buf::IoBuf>(
                &self,
                buf: B,
                fds: &[std::os::fd::BorrowedFd<'_>],
            ) -> crate::BufResult<usize, B> {
                if !fds.is_empty() && buf.bytes_init() == 0 {
                    return (Err(crate::net::unix::fds::no_bytes()), buf);
                }
                if fds.len() > crate::driver::ops::MAX_FDS {
                    return (Err(crate::net::unix::fds::too_many()), buf);
                }
                // `new` duplicates before `buf` moves in: take it back if
                // that fails.
                let op = crate::driver::ops::SendFds::new(self.socket.fd().clone(), buf, fds);
                match op {
                    Ok(op) => crate::driver::Op::submit(op).await,
                    Err((e, buf)) => (Err(e), buf),
                }
            }

            /// Receives into `buf`'s writable region, with the descriptors
            /// that came with the bytes (recvmsg(2), `SCM_RIGHTS`), up to
            /// `max_fds` of them (at most 253, `SCM_MAX_FD`). Each arrives
            /// close-on-exec (`MSG_CMSG_CLOEXEC`) and is owned by the
            /// returned [`OwnedFd`](std::os::fd::OwnedFd).
            ///
            /// If the sender attached more than `max_fds`, the kernel
            /// closes the extra ones: they are lost (and not an error).
            /// Size `max_fds` for the most the peer may send. The control
            /// buffer has room for `SCM_RIGHTS` only: on a socket with
            /// `SO_PASSCRED` set, the credentials message takes that room
            /// and the kernel closes every descriptor sent.
            ///
            /// # Errors
            ///
            /// `InvalidInput` if `buf` has no room (as for reads), or
            /// recvmsg(2) errors; the buffer comes back either way.
            ///
            /// # Cancel safety
            ///
            /// Dropping the future may lose bytes the kernel had already
            /// received; descriptors that came with them (even after the
            /// drop) are closed, never leaked.
            ///
            /// # Panics
            ///
            /// Panics outside an aio runtime.
            pub async fn recv_with_fds<B: crate::buf::IoBufMut>(
                &self,
                buf: B,
                max_fds: usize,
            ) -> crate::BufResult<(usize, Vec<std::os::fd::OwnedFd>), B> {
                if buf.bytes_total() == 0 {
                    return (Err(crate::buf::no_room()), buf);
                }
                let op = crate::driver::ops::RecvFds::new(self.socket.fd().clone(), buf, max_fds);
                crate::driver::Op::submit(op).await
            }
        }
    };
}

pub(crate) use fds_impl;
