//! What TCP and Unix streams share about splitting: borrowed halves
//! (`split(&mut self)`), and putting owned halves back together
//! (`reunite`). One macro, expanded in each protocol's `split` module next
//! to its owned halves, so both protocols have the same API from one
//! definition.

/// Defines `ReadHalf<'a>`, `WriteHalf<'a>` and `ReuniteError` for
/// `$stream`, and `reunite` on the module's `OwnedReadHalf` and
/// `OwnedWriteHalf` (whose `socket` fields, and the write half's
/// `shutdown_on_drop`, it uses).
macro_rules! split_halves {
    ($stream:ident) => {
        #[doc = concat!("The read half of a [`", stringify!($stream), "`](super::", stringify!($stream), "), borrowed by")]
        #[doc = concat!("[`split`](super::", stringify!($stream), "::split): reads through it while the")]
        /// [`WriteHalf`] writes, from one task (for instance in a
        /// `future::join`), without moving the stream.
        #[derive(Debug)]
        pub struct ReadHalf<'a> {
            socket: &'a $crate::net::socket::Socket,
        }

        #[doc = concat!("The write half of a [`", stringify!($stream), "`](super::", stringify!($stream), "), borrowed by")]
        #[doc = concat!("[`split`](super::", stringify!($stream), "::split). Its `shutdown` shuts the stream's")]
        /// write side down; dropping it does nothing (the stream is still
        /// there).
        #[derive(Debug)]
        pub struct WriteHalf<'a> {
            socket: &'a $crate::net::socket::Socket,
        }

        pub(super) fn borrowed(socket: &$crate::net::socket::Socket) -> (ReadHalf<'_>, WriteHalf<'_>) {
            (ReadHalf { socket }, WriteHalf { socket })
        }

        $crate::net::socket::stream_read_impl!(ReadHalf<'_>);
        $crate::net::socket::stream_write_impl!(WriteHalf<'_>);

        // Readiness on every half, as tokio's: `select!` loops over a split
        // stream wait on the half they hold.
        $crate::net::readiness::ready_impl!(ReadHalf<'_>);
        $crate::net::readiness::ready_impl!(WriteHalf<'_>);
        $crate::net::readiness::ready_impl!(OwnedReadHalf);
        $crate::net::readiness::ready_impl!(OwnedWriteHalf);
        $crate::net::readiness::stream_try_read_impl!(ReadHalf<'_>);
        $crate::net::readiness::stream_try_write_impl!(WriteHalf<'_>);
        $crate::net::readiness::stream_try_read_impl!(OwnedReadHalf);
        $crate::net::readiness::stream_try_write_impl!(OwnedWriteHalf);

        /// Two owned halves that did not come from the same stream, given
        /// back to the caller.
        pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

        impl std::fmt::Debug for ReuniteError {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple("ReuniteError").finish_non_exhaustive()
            }
        }

        impl std::fmt::Display for ReuniteError {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("tried to reunite halves that are not from the same stream")
            }
        }

        impl std::error::Error for ReuniteError {}

        impl OwnedReadHalf {
            #[doc = concat!("Puts the halves back into the [`", stringify!($stream), "`](super::", stringify!($stream), ") they came from.")]
            ///
            /// # Errors
            ///
            /// [`ReuniteError`] with both halves if they are from different
            /// streams.
            pub fn reunite(self, other: OwnedWriteHalf) -> Result<super::$stream, ReuniteError> {
                if !self.socket.same(&other.socket) {
                    return Err(ReuniteError(self, other));
                }
                let mut write = other;
                // The stream lives on: its write side stays open.
                write.shutdown_on_drop = false;
                drop(write);
                Ok(super::$stream::from_socket(self.socket))
            }
        }

        impl OwnedWriteHalf {
            #[doc = concat!("Puts the halves back into the [`", stringify!($stream), "`](super::", stringify!($stream), ") they came from.")]
            ///
            /// # Errors
            ///
            /// [`ReuniteError`] with both halves if they are from different
            /// streams.
            pub fn reunite(self, other: OwnedReadHalf) -> Result<super::$stream, ReuniteError> {
                other.reunite(self)
            }
        }
    };
}

pub(crate) use split_halves;
