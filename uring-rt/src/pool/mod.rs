//! Buffer pools for the io_uring fast path, re-exported as `aio::buf`.
//!
//! - [`BufPool`] / [`PooledBuf`]: equal-size buffers the kernel picks from
//!   when data arrives (an io_uring provided-buffer ring; a free list on
//!   epoll), so an idle connection holds no buffer.
//! - [`FixedBufPool`] / [`FixedBuf`]: equal-size buffers registered with
//!   the io_uring ring (IORING_REGISTER_BUFFERS), for reads and writes that
//!   skip pinning and mapping the buffer's pages on every operation
//!   (READ_FIXED / WRITE_FIXED; plain memory and plain reads and writes on
//!   epoll).
//!
//! - [`RecvMulti`]: the stream of a multishot receive into a pool.
//!
//! These live apart from [`crate::buf`] (the `IoBuf` traits) because they
//! belong to a runtime's driver, which itself depends on those traits.

mod provided;
mod recv;

pub use provided::{BufPool, PooledBuf};
pub use recv::RecvMulti;
pub(crate) use recv::{recv_from_pooled, recv_pooled};
mod fixed;

pub use fixed::{FixedBuf, FixedBufPool};
