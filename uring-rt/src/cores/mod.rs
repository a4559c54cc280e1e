//! Thread-per-core: one pinned runtime per CPU, cross-core channels,
//! broadcast and meshes, and graceful shutdown.
//!
//! # The model
//!
//! [`Cores::run`] starts one OS thread per CPU of a set, pins it there
//! (`sched_setaffinity`) and runs one single-threaded runtime on it. Tasks
//! never migrate: everything a task touches is core-local, so the hot path
//! takes no locks and no atomics. Cores share work in two ways:
//!
//! - **Sharded listening**: every core binds the same address with
//!   `SO_REUSEPORT` (`NetConfig::default().reuse_port(true)`) and accepts on
//!   its own listener; the kernel spreads incoming connections over the
//!   listeners (by a hash of the 4-tuple), so every core accepts and serves
//!   its own connections.
//! - **Messages**: [`channel`] is a bounded MPSC queue whose receiver parks
//!   its task (its core sleeps in the ring) and is woken through its ring
//!   when a message arrives; senders may be other cores or plain threads.
//!   [`mesh`] builds one such inbox per core with a sender to every core;
//!   [`broadcast()`] delivers every value to every subscribed receiver,
//!   with tokio's `broadcast` shape (lag reported, never blocking senders).
//!
//! Each core gets its own value (a receiver, a shard, its end of a mesh)
//! with [`Cores::run_with`], in core order:
//!
//! ```
//! use aio::cores::{mesh, Cores};
//!
//! # fn main() -> std::io::Result<()> {
//! let cores = Cores::all();
//! let n = cores.cpus()?.len();
//! let heard = cores.run_with(mesh::<usize>(n, 1024), |core, end| async move {
//!     // Tell the next core who we are (to itself when alone).
//!     let next = (core.index() + 1) % end.peers.len();
//!     end.peers[next].send(core.index()).await.expect("inbox gone");
//!     let mut inbox = end.inbox;
//!     inbox.recv().await
//! })?;
//! for (i, from) in heard.into_iter().enumerate() {
//!     assert_eq!(from, Some((i + n - 1) % n));
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ```no_run
//! use aio::cores::Cores;
//! use aio::net::{NetConfig, TcpListener};
//! use aio::io::{AsyncReadRent, AsyncWriteRentExt};
//!
//! fn main() -> std::io::Result<()> {
//!     let config = NetConfig::default().reuse_port(true);
//!     Cores::all().run(move |core| {
//!         let config = config.clone();
//!         async move {
//!             let listener = TcpListener::bind_with("127.0.0.1:7000", &config)?;
//!             println!("{core} listening");
//!             loop {
//!                 let (mut stream, _) = listener.accept().await?;
//!                 aio::spawn(async move {
//!                     let mut buf = Vec::with_capacity(4096);
//!                     loop {
//!                         let (res, b) = stream.read(buf).await;
//!                         if !matches!(res, Ok(n) if n > 0) { break; }
//!                         let (res, b) = stream.write_all(b).await;
//!                         if res.is_err() { break; }
//!                         buf = b;
//!                         buf.clear();
//!                     }
//!                 });
//!             }
//!             #[allow(unreachable_code)]
//!             Ok::<(), std::io::Error>(())
//!         }
//!     })?;
//!     Ok(())
//! }
//! ```
//!
//! # Graceful shutdown
//!
//! A [`Shutdown`] token is shared by every core. On SIGINT/SIGTERM
//! ([`Shutdown::trigger_on_signal`], or any code calling
//! [`trigger`](Shutdown::trigger)):
//!
//! 1. each core's accept loop, raced against the token with
//!    [`Shutdown::until`], ends, and the core drops its listener, so no new
//!    connection is taken;
//! 2. each connection task holds an [`InFlight`] guard from
//!    [`Shutdown::track`] and keeps serving until its client is done;
//! 3. each core waits for [`Shutdown::drained`] (no guard left anywhere),
//!    bounded by a grace period with `aio::time::timeout`, and returns; the
//!    runtime's drop cancels whatever is still running after the grace.
//!
//! ```no_run
//! use std::time::Duration;
//! use aio::cores::{Cores, Shutdown};
//! use aio::net::{NetConfig, TcpListener};
//!
//! fn main() -> std::io::Result<()> {
//!     let shutdown = Shutdown::new();
//!     shutdown.trigger_on_signal()?;
//!     let config = NetConfig::default().reuse_port(true);
//!     Cores::all().run(move |_core| {
//!         let (shutdown, config) = (shutdown.clone(), config.clone());
//!         async move {
//!             let listener = TcpListener::bind_with("127.0.0.1:7000", &config)?;
//!             while let Some(accepted) = shutdown.until(listener.accept()).await {
//!                 let (stream, _) = accepted?;
//!                 let guard = shutdown.track();
//!                 aio::spawn(async move {
//!                     // ... serve `stream` until the client closes ...
//!                     # drop(stream);
//!                     drop(guard);
//!                 });
//!             }
//!             drop(listener);
//!             let _ = aio::time::timeout(Duration::from_secs(10), shutdown.drained()).await;
//!             Ok::<(), std::io::Error>(())
//!         }
//!     })?;
//!     Ok(())
//! }
//! ```
//!
//! `aio/examples/graceful_shutdown.rs` is the runnable version.
//!
//! ## Signals
//!
//! [`shutdown_signal`] and [`Shutdown::trigger_on_signal`] catch SIGINT and
//! SIGTERM without replacing a handler the application installed: theirs
//! chains to it, so it keeps running on every signal. After the first
//! signal the process keeps running until the program returns; by default a
//! second signal does not end it either. [`exit_on_second_signal(true)`]
//! opts in to the usual "press Ctrl-C again to quit now": the second
//! signal then ends the process at once with status `128 + signal`. They
//! are listeners of [`aio::signal`](crate::signal)'s registry, like any
//! [`Signal`](crate::signal::unix::Signal).
//!
//! [`exit_on_second_signal(true)`]: exit_on_second_signal

pub mod broadcast;
mod channel;
mod core_error;
mod core_id;
mod current;
mod gate;
mod launcher;
mod mesh;
mod shutdown;
mod signal;
mod thread_waker;
mod waiters;

pub use broadcast::channel as broadcast;
pub use channel::{
    channel, Receiver, RecvFuture, SendError, SendFuture, Sender, TryRecvError, TrySendError,
};
pub use core_id::CoreId;
pub use current::current;
pub use launcher::Cores;
pub use mesh::{mesh, MeshEnd};
pub use shutdown::{InFlight, Shutdown, ShutdownWait};
pub use signal::{exit_on_second_signal, shutdown_signal};
