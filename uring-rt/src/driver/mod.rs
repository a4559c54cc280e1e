//! The proactor: one [`Op`] future type for every kernel operation, an
//! in-flight table, and two backends (io_uring and epoll) that run the same
//! op definitions.

mod kind;

pub use kind::Driver;
