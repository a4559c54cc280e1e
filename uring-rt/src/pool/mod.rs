//! Buffer pools for the io_uring fast path, re-exported as `aio::buf`.
//!
//! - [`BufPool`] / [`PooledBuf`]: equal-size buffers the kernel picks from
//!   when data arrives (an io_uring provided-buffer ring; a free list on
//!   epoll), so an idle connection holds no buffer.
//!
//! These live apart from [`crate::buf`] (the `IoBuf` traits) because they
//! belong to a runtime's driver, which itself depends on those traits.
