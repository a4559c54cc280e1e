//! Bridges to the poll-based I/O traits of the Rust ecosystem, and the
//! runtime glue hyper needs.
//!
//! - [`Compat`] adapts an aio stream ([`AsyncRentDuplex`](crate::io::AsyncRentDuplex):
//!   a [`TcpStream`](crate::net::TcpStream), a
//!   [`UnixStream`](crate::net::UnixStream)) to `tokio::io::{AsyncRead,
//!   AsyncWrite, AsyncBufRead}` (feature `tokio-io`),
//!   `futures_io::{AsyncRead, AsyncWrite, AsyncBufRead}` (feature
//!   `futures-io`) and `hyper::rt::{Read, Write}` (feature `hyper`).
//! - [`HyperExecutor`] and [`HyperTimer`] (feature `hyper`) let hyper 1.x
//!   spawn its `!Send` connection tasks on the current core and arm its
//!   timers on aio's timer wheel.
//!
//! ```no_run
//! # #[cfg(all(feature = "hyper", feature = "tokio-io"))]
//! # aio::Runtime::new()?.block_on(async {
//! # let service = hyper::service::service_fn(|_req| async {
//! #     Ok::<_, std::convert::Infallible>(hyper::Response::new(String::from("hi")))
//! # });
//! let listener = aio::net::TcpListener::bind("127.0.0.1:8080")?;
//! let (stream, _) = listener.accept().await?;
//! hyper::server::conn::http1::Builder::new()
//!     .timer(aio::compat::HyperTimer::new())
//!     .serve_connection(aio::compat::Compat::new(stream), service)
//!     .await
//!     .map_err(std::io::Error::other)?;
//! # Ok::<(), std::io::Error>(())
//! # })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! (The server needs hyper's `server` and `http1` features, and a body
//! type; `aio/examples/http_server.rs` is a complete one.)

#![forbid(unsafe_code)]

mod adapter;
#[cfg(feature = "futures-io")]
mod futures_io;
#[cfg(feature = "hyper")]
mod hyper_executor;
#[cfg(feature = "hyper")]
mod hyper_io;
#[cfg(feature = "hyper")]
mod hyper_timer;
mod read_side;
#[cfg(feature = "tokio-io")]
mod tokio_io;
mod write_side;

pub use adapter::Compat;
#[cfg(feature = "hyper")]
pub use hyper_executor::HyperExecutor;
#[cfg(feature = "hyper")]
pub use hyper_timer::HyperTimer;
