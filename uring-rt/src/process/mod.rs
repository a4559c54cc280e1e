//! Child processes: [`Command`], [`Child`] and piped stdio with
//! owned-buffer I/O.
//!
//! ```
//! use aio::prelude::*;
//! use aio::process::{Command, Stdio};
//!
//! # aio::Runtime::new()?.block_on(async {
//! let mut child = Command::new("tr")
//!     .arg("a-z")
//!     .arg("A-Z")
//!     .stdin(Stdio::piped())
//!     .stdout(Stdio::piped())
//!     .spawn()?;
//! let mut stdin = child.stdin.take().unwrap();
//! let (res, _) = stdin.write_all(b"hello".to_vec()).await;
//! res?;
//! drop(stdin); // end of file for `tr`
//! let (res, upper) = child.stdout.take().unwrap().read_to_end(Vec::new()).await;
//! res?;
//! assert_eq!(upper, b"HELLO");
//! assert!(child.wait().await?.success());
//! # Ok::<(), std::io::Error>(())
//! # })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # How exits are observed
//!
//! Spawning is std's. The runtime then opens a pidfd for the child
//! (`pidfd_open(2)`, Linux 5.3): waiting is one readiness op on it
//! (IORING_OP_POLL_ADD on io_uring, the epoll set on epoll), and once it is
//! readable a `WNOHANG` `waitpid` of that pid reaps the child. No thread per
//! child, no blocking wait on a core, and no SIGCHLD handler, which would
//! steal other libraries' children. Where pidfd_open(2) is missing (older
//! kernels, seccomp), the wait polls `waitpid(WNOHANG)` on a timer instead
//! (1 ms, doubling to 50 ms).
//!
//! A dropped [`Child`] is still reaped: see its docs. The pipes ([`ChildStdin`],
//! [`ChildStdout`], [`ChildStderr`]) implement the rent traits.

#![deny(unsafe_code)]

mod child;
#[allow(unsafe_code)] // `Command::pre_exec` forwards to std's unsafe method.
mod command;
mod orphan;
mod pipe;

pub use child::Child;
pub use command::Command;
pub use pipe::{ChildStderr, ChildStdin, ChildStdout};
pub use std::process::{ExitStatus, Output, Stdio};
