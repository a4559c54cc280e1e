//! [`Child`]: a spawned process, waited for through its pidfd.
//!
//! # State
//!
//! - `running: Some(Running)` until the process is reaped: `Running` holds
//!   std's handle (pid, reaping with a `WNOHANG` `waitpid` of that pid)
//!   and the pidfd the core waits on; `status: None`.
//! - `running: None, status: Some(_)` once reaped (by [`Child::try_wait`],
//!   or [`Child::wait`] through it). Nothing else moves it.
//! - Dropped while `running`: handed to [`orphan::adopt`], which reaps it
//!   when it exits (after a SIGKILL if `kill_on_drop`).

use std::future::Future;
use std::io;
use std::os::fd::OwnedFd;
use std::task::Poll;
use std::time::Duration;

use super::orphan;
use super::{ChildStderr, ChildStdin, ChildStdout, ExitStatus};
use crate::io::AsyncFd;

/// First and longest sleep between two looks at a child that has no pidfd.
const POLL_START: Duration = Duration::from_millis(1);
const POLL_MAX: Duration = Duration::from_millis(50);

/// An unreaped child process.
pub(super) struct Running {
    std: std::process::Child,
    /// Readable once the process exited; `None` where pidfd_open(2) is not
    /// available (then exits are found by polling, see `exited`).
    pidfd: Option<AsyncFd<OwnedFd>>,
}

impl Running {
    /// `WNOHANG` wait for this exact pid: never blocks.
    pub(super) fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.std.try_wait()
    }

    /// Completes once the process may have exited (a readiness op on the
    /// pidfd; without one, a sleep that doubles up to `POLL_MAX`).
    ///
    /// Under `time::cancel_after` past its deadline both ways end with
    /// `ECANCELED`: the readiness op is cancelled in the kernel, and the
    /// sleep, which is no kernel op, checks the request itself.
    pub(super) async fn exited(&self, backoff: &mut Duration) -> io::Result<()> {
        match &self.pidfd {
            Some(pidfd) => pidfd.readable().await.map(drop),
            None => {
                let mut sleep = std::pin::pin!(crate::time::sleep(*backoff));
                std::future::poll_fn(|cx| {
                    if crate::cancel::requested() {
                        return Poll::Ready(Err(io::Error::from_raw_os_error(libc::ECANCELED)));
                    }
                    sleep.as_mut().poll(cx).map(Ok)
                })
                .await?;
                *backoff = (*backoff * 2).min(POLL_MAX);
                Ok(())
            }
        }
    }

    /// SIGKILL, through the pidfd where there is one: a child reaped
    /// behind our back (another library's `waitpid`, `SIGCHLD` ignored)
    /// has given up its pid, and kill(2) of the number could hit whatever
    /// process the kernel gave it to next; the pidfd names this process
    /// and answers `ESRCH` once it is gone.
    fn kill(&mut self) -> io::Result<()> {
        if let Some(pidfd) = &self.pidfd {
            use std::os::fd::AsFd;
            match crate::sys::pidfd::send_signal(pidfd.get_ref().as_fd(), libc::SIGKILL) {
                Ok(()) => return Ok(()),
                // Reaped already: nothing left to kill (std's `kill` of an
                // exited child is `Ok` too).
                Err(e) if e.raw_os_error() == Some(libc::ESRCH) => return Ok(()),
                // Missing or refused (seccomp; a child that changed its
                // uid): kill(2) of the pid, as std does.
                Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) => {}
                Err(e) => return Err(e),
            }
        }
        self.std.kill()
    }

    /// Gives std's handle up, for the process-wide orphan list.
    pub(super) fn into_std(self) -> std::process::Child {
        self.std
    }
}

/// A child process spawned by [`Command::spawn`](super::Command::spawn).
///
/// Its exit is observed through a pidfd (`pidfd_open(2)`): [`wait`](Self::wait)
/// is one readiness op on it (IORING_OP_POLL_ADD on io_uring, the epoll set
/// on epoll) and then a `WNOHANG` `waitpid` of this pid — no thread per
/// child, no blocking wait on the core, no SIGCHLD handler (other
/// libraries' children stay theirs).
///
/// Dropping a `Child` whose process still runs leaves it running (unless
/// [`kill_on_drop`](super::Command::kill_on_drop) was set: then it is sent
/// SIGKILL) and it is still reaped once it exits, by a small task on the
/// current runtime waiting on its pidfd; if that runtime ends first, by the
/// next process operation (`spawn`, `try_wait`) anywhere in the process.
/// No zombie is left behind.
///
/// `!Send`, as the pipes are (they belong to this core's ring).
#[derive(Debug)]
pub struct Child {
    /// The child's stdin, if it was [`piped`](super::Stdio::piped).
    pub stdin: Option<ChildStdin>,
    /// The child's stdout, if it was [`piped`](super::Stdio::piped).
    pub stdout: Option<ChildStdout>,
    /// The child's stderr, if it was [`piped`](super::Stdio::piped).
    pub stderr: Option<ChildStderr>,
    running: Option<Running>,
    status: Option<ExitStatus>,
    kill_on_drop: bool,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("pid", &self.std.id())
            .field("pidfd", &self.pidfd.as_ref().map(|p| p.get_ref()))
            .finish()
    }
}

impl Child {
    /// Takes over a process std just spawned: its pipes move to this
    /// core's ring and a pidfd is opened for its exit.
    ///
    /// # Errors
    ///
    /// A pipe's mode switch, or pidfd_open(2) failing for want of
    /// descriptors. The process is then killed and reaped (as a dropped
    /// `Child` with `kill_on_drop`).
    #[track_caller]
    pub(super) fn new(mut std: std::process::Child, kill_on_drop: bool) -> io::Result<Child> {
        let stdin = std.stdin.take();
        let stdout = std.stdout.take();
        let stderr = std.stderr.take();
        let pidfd = match crate::sys::pidfd::pidfd_open(std.id()) {
            Ok(fd) => AsyncFd::new(fd).map(Some),
            // Before Linux 5.3, or refused by a seccomp filter: poll.
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::ENOSYS | libc::EPERM | libc::EACCES)
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        };
        let mut child = Child {
            stdin: None,
            stdout: None,
            stderr: None,
            running: None,
            status: None,
            // Until every step succeeded: a failure below kills it.
            kill_on_drop: true,
        };
        match pidfd {
            Ok(pidfd) => child.running = Some(Running { std, pidfd }),
            Err(e) => {
                // ESRCH: reaped already, by someone else; its pid may be
                // another process's by now, so send nothing (not on drop
                // either).
                let gone = e.raw_os_error() == Some(libc::ESRCH);
                if !gone {
                    let _ = std.kill();
                }
                child.kill_on_drop = !gone;
                child.running = Some(Running { std, pidfd: None });
                return Err(e);
            }
        }
        child.stdin = stdin.map(ChildStdin::from_std).transpose()?;
        child.stdout = stdout.map(ChildStdout::from_std).transpose()?;
        child.stderr = stderr.map(ChildStderr::from_std).transpose()?;
        child.kill_on_drop = kill_on_drop;
        Ok(child)
    }

    /// The process id, or `None` once it has been reaped (the number may
    /// then belong to another process).
    pub fn id(&self) -> Option<u32> {
        self.running.as_ref().map(|r| r.std.id())
    }

    /// Waits for the process to exit and reaps it, returning its status
    /// (at once if it was reaped already). Closes `stdin` first, so a
    /// child that reads to end of file does not wait for the parent.
    ///
    /// # Errors
    ///
    /// The readiness op on the pidfd failed (`ECANCELED` when the runtime
    /// shuts down, or under [`cancel_after`](crate::time::cancel_after)
    /// past its deadline), or `waitpid` did (`ECHILD` if someone else
    /// reaped the process, e.g. a `waitpid(-1)` elsewhere in the program).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the process is reaped only when this returns; call it
    /// again to keep waiting.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        let mut backoff = POLL_START;
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            let Some(running) = &self.running else {
                unreachable!("try_wait returns the status once the process is reaped")
            };
            running.exited(&mut backoff).await?;
        }
    }

    /// The exit status if the process has exited (reaping it), `None` if it
    /// still runs. Never blocks. Also reaps dropped children whose runtime
    /// is gone (see the type's docs).
    ///
    /// # Errors
    ///
    /// `waitpid` failed (`ECHILD` if someone else reaped the process).
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        orphan::reap_list();
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        let Some(running) = &mut self.running else {
            unreachable!("a child is running until its status is known")
        };
        let status = running.try_wait()?;
        if status.is_some() {
            self.running = None;
            self.status = status;
        }
        Ok(status)
    }

    /// Sends SIGKILL without waiting for the exit (see [`kill`](Self::kill)).
    /// `Ok(())` if the process was reaped already, as std's `kill`.
    ///
    /// # Errors
    ///
    /// kill(2) failed.
    pub fn start_kill(&mut self) -> io::Result<()> {
        match &mut self.running {
            Some(running) => running.kill(),
            None => Ok(()),
        }
    }

    /// Sends SIGKILL and waits for the process to exit, reaping it: a later
    /// [`wait`](Self::wait) or [`try_wait`](Self::try_wait) returns its
    /// status (killed by signal 9, unless it had exited before).
    ///
    /// # Errors
    ///
    /// As [`start_kill`](Self::start_kill) and [`wait`](Self::wait).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`wait`](Self::wait): the signal is sent on the
    /// first poll.
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await.map(drop)
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let Some(mut running) = self.running.take() else {
            return;
        };
        if self.kill_on_drop {
            // Cannot fail for a child of ours that is not reaped yet.
            let _ = running.kill();
        }
        if let Ok(None) = running.try_wait() {
            orphan::adopt(running);
        }
    }
}
