//! `readable()`, `writable()`, `ready()` and the nonblocking `try_*` calls,
//! generated once for every socket type (tokio's names and semantics).
//!
//! The waits are single-shot readiness ops (IORING_OP_POLL_ADD on io_uring,
//! the descriptor's readiness queue on epoll); the `try_*` calls are
//! recv(2)/send(2) with `MSG_DONTWAIT`, so they never block whatever mode
//! the backend keeps the socket in.

/// The readiness waits, for a type whose `socket` field is a `Socket`.
macro_rules! ready_impl {
    ($ty:ty) => {
        impl $ty {
            /// Waits until the socket is ready for any of `interest`, and
            /// says which readiness was found.
            ///
            /// Readiness is a hint: another task may consume it first, so
            /// the `try_*` call that follows can still return `WouldBlock`
            /// (then wait again).
            ///
            /// # Errors
            ///
            /// An error from the readiness op (`EBADF`, or `ECANCELED`
            /// when the runtime shuts down). A socket error or hangup is
            /// reported as readiness, not as an error.
            ///
            /// # Cancel safety
            ///
            /// Cancel safe: dropping the future cancels the readiness op;
            /// no data is consumed by waiting.
            ///
            /// # Panics
            ///
            /// Panics outside an aio runtime.
            pub async fn ready(
                &self,
                interest: crate::io::Interest,
            ) -> std::io::Result<crate::io::Ready> {
                self.socket.ready(interest).await
            }

            /// Waits until the socket is readable (data, end of stream or
            /// an error). As [`ready`](Self::ready) with
            /// [`Interest::READABLE`](crate::io::Interest::READABLE).
            ///
            /// # Errors
            ///
            /// As [`ready`](Self::ready).
            ///
            /// # Cancel safety
            ///
            /// Cancel safe, as [`ready`](Self::ready).
            pub async fn readable(&self) -> std::io::Result<()> {
                self.ready(crate::io::Interest::READABLE).await.map(drop)
            }

            /// Waits until the socket is writable (room in the send
            /// buffer, or an error). As [`ready`](Self::ready) with
            /// [`Interest::WRITABLE`](crate::io::Interest::WRITABLE).
            ///
            /// # Errors
            ///
            /// As [`ready`](Self::ready).
            ///
            /// # Cancel safety
            ///
            /// Cancel safe, as [`ready`](Self::ready).
            pub async fn writable(&self) -> std::io::Result<()> {
                self.ready(crate::io::Interest::WRITABLE).await.map(drop)
            }
        }
    };
}

/// `try_read` for a stream type or a read half.
macro_rules! stream_try_read_impl {
    ($ty:ty) => {
        impl $ty {
            /// Reads what is queued into `buf` without waiting: recv(2)
            /// with `MSG_DONTWAIT`. `Ok(0)` is the end of the stream (or
            /// an empty `buf`).
            ///
            /// # Errors
            ///
            /// `WouldBlock` when nothing is queued (wait with
            /// [`readable`](Self::readable)), or the socket's error.
            pub fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.socket.try_recv(buf)
            }
        }
    };
}

/// `try_write` for a stream type or a write half.
macro_rules! stream_try_write_impl {
    ($ty:ty) => {
        impl $ty {
            /// Writes as much of `buf` as fits without waiting: send(2)
            /// with `MSG_DONTWAIT | MSG_NOSIGNAL` (never SIGPIPE).
            ///
            /// # Errors
            ///
            /// `WouldBlock` when the send buffer is full (wait with
            /// [`writable`](Self::writable)); `EPIPE`/`ECONNRESET` for a
            /// gone peer.
            pub fn try_write(&self, buf: &[u8]) -> std::io::Result<usize> {
                self.socket.try_send(buf)
            }
        }
    };
}

/// `try_read`/`try_write` for a stream type.
macro_rules! stream_try_impl {
    ($ty:ty) => {
        $crate::net::readiness::stream_try_read_impl!($ty);
        $crate::net::readiness::stream_try_write_impl!($ty);
    };
}

pub(crate) use ready_impl;
pub(crate) use stream_try_impl;
pub(crate) use stream_try_read_impl;
pub(crate) use stream_try_write_impl;
