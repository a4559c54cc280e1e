//! `FromRawFd` for every socket type: the one place in `net` that may
//! write `unsafe` (an `unsafe fn` in a trait impl is unsafe code to the
//! lint). Each impl wraps the descriptor in its std type, under the
//! caller's promise, and adopts that with the safe `from_std`, which sets
//! the blocking mode the current backend needs.

#![allow(unsafe_code)]

use std::os::fd::{FromRawFd, RawFd};

use super::{TcpListener, TcpSocket, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};

macro_rules! from_raw_fd {
    ($ty:ident, $std:ty) => {
        #[doc = concat!("Adopts a descriptor as a [`", stringify!($ty), "`], as [`from_std`](", stringify!($ty), "::from_std) adopts a [`", stringify!($std), "`].")]
        impl FromRawFd for $ty {
            #[doc = concat!("Adopts `fd` as a [`", stringify!($ty), "`] of the current runtime, switching it to the blocking mode the")]
            /// runtime's backend needs (see `from_std`).
            ///
            /// # Safety
            ///
            /// As for std's `FromRawFd`: `fd` must be an open descriptor
            #[doc = concat!("of a socket of the kind a [`", stringify!($std), "`] holds, owned by")]
            /// the caller, who hands that ownership over (nothing else may
            /// close or use it afterwards).
            ///
            /// # Panics
            ///
            /// Panics outside an aio runtime, or if the mode switch fails
            /// (then `fd` is closed).
            #[track_caller]
            unsafe fn from_raw_fd(fd: RawFd) -> $ty {
                // SAFETY: the caller promises `fd` is an open socket of
                // this kind that it owns and hands over (our contract above
                // is std's).
                let std = unsafe { <$std>::from_raw_fd(fd) };
                match <$ty>::from_std(std) {
                    Ok(socket) => socket,
                    Err(e) => panic!("{}::from_raw_fd: {e}", stringify!($ty)),
                }
            }
        }
    };
}

from_raw_fd!(TcpStream, std::net::TcpStream);
from_raw_fd!(TcpListener, std::net::TcpListener);
from_raw_fd!(UdpSocket, std::net::UdpSocket);
from_raw_fd!(UnixStream, std::os::unix::net::UnixStream);
from_raw_fd!(UnixListener, std::os::unix::net::UnixListener);
from_raw_fd!(UnixDatagram, std::os::unix::net::UnixDatagram);

/// Adopts a descriptor as a [`TcpSocket`], as
/// [`from_std_stream`](TcpSocket::from_std_stream) adopts a std stream.
impl FromRawFd for TcpSocket {
    /// Adopts `fd` as a [`TcpSocket`] of the current runtime, switching it
    /// to the blocking mode the runtime's backend needs.
    ///
    /// # Safety
    ///
    /// As for std's `FromRawFd`: `fd` must be an open descriptor of an
    /// IPv4 or IPv6 TCP socket, owned by the caller, who hands that
    /// ownership over (nothing else may close or use it afterwards).
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime, if the mode switch fails, or if `fd`
    /// is not an IP socket (then `fd` is closed).
    #[track_caller]
    unsafe fn from_raw_fd(fd: RawFd) -> TcpSocket {
        // SAFETY: the caller promises `fd` is an open TCP socket that it
        // owns and hands over (our contract above is std's).
        let owned = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
        match TcpSocket::from_owned(owned) {
            Ok(socket) => socket,
            Err(e) => panic!("TcpSocket::from_raw_fd: {e}"),
        }
    }
}
