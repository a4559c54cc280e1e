//! [`Command`]: std's process builder, spawning [`Child`]ren of this core.

use std::ffi::OsStr;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;

use super::{Child, ExitStatus, Output, Stdio};
use crate::io::AsyncReadRentExt;

/// A process builder with std's shape (it wraps a
/// [`std::process::Command`]), plus [`kill_on_drop`](Self::kill_on_drop),
/// whose [`spawn`](Self::spawn) returns an aio [`Child`].
///
/// Spawning is std's (`posix_spawn` or `vfork`+`exec`, waiting only for
/// the `exec` to succeed or fail, which is quick), done on the calling
/// core.
///
/// ```
/// use aio::process::Command;
///
/// # aio::Runtime::new()?.block_on(async {
/// let out = Command::new("sh").args(["-c", "echo hi; exit 3"]).output().await?;
/// assert_eq!(out.stdout, b"hi\n");
/// assert_eq!(out.status.code(), Some(3));
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
    /// Which of stdin, stdout and stderr were set, so `output` knows its
    /// defaults (std keeps no getter for them).
    stdio_set: [bool; 3],
}

impl Command {
    /// A command running `program` (found on `PATH` if it has no slash),
    /// with no arguments, the parent's environment and working directory,
    /// and inherited stdio (except for [`output`](Self::output)).
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command::from(std::process::Command::new(program))
    }

    /// Adds an argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(&mut self, key: impl AsRef<OsStr>, val: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, val);
        self
    }

    /// Sets environment variables for the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Clears the child's environment (only variables set afterwards are
    /// passed).
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// The child's stdin: [`Stdio::piped`] gives [`Child::stdin`].
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self.stdio_set[0] = true;
        self
    }

    /// The child's stdout: [`Stdio::piped`] gives [`Child::stdout`].
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self.stdio_set[1] = true;
        self
    }

    /// The child's stderr: [`Stdio::piped`] gives [`Child::stderr`].
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self.stdio_set[2] = true;
        self
    }

    /// Whether dropping the [`Child`] (or a `status`/`output` future) while
    /// the process runs sends it SIGKILL (default `false`: it keeps
    /// running). Either way it is reaped once it exits.
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// Whether [`kill_on_drop`](Self::kill_on_drop) is set.
    pub fn get_kill_on_drop(&self) -> bool {
        self.kill_on_drop
    }

    /// Runs the child as user `id` (`setuid` before `exec`).
    pub fn uid(&mut self, id: u32) -> &mut Command {
        self.std.uid(id);
        self
    }

    /// Runs the child as group `id` (`setgid` before `exec`).
    pub fn gid(&mut self, id: u32) -> &mut Command {
        self.std.gid(id);
        self
    }

    /// Puts the child in process group `pgroup` (0: a new group led by the
    /// child).
    pub fn process_group(&mut self, pgroup: i32) -> &mut Command {
        self.std.process_group(pgroup);
        self
    }

    /// Sets the child's `argv[0]`.
    pub fn arg0(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg0(arg);
        self
    }

    /// Runs `f` in the child after `fork` and before `exec`, as std's
    /// [`CommandExt::pre_exec`].
    ///
    /// # Safety
    ///
    /// As for std's `pre_exec`: `f` runs in a forked copy of a
    /// multi-threaded process, so it may only do async-signal-safe things
    /// (no allocation, no locks another thread may have held).
    pub unsafe fn pre_exec<F>(&mut self, f: F) -> &mut Command
    where
        F: FnMut() -> io::Result<()> + Send + Sync + 'static,
    {
        // SAFETY: our caller takes on std's contract, stated above.
        unsafe { self.std.pre_exec(f) };
        self
    }

    /// The std builder underneath.
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// The std builder underneath, mutably (stdio set through it is not
    /// seen by [`output`](Self::output)'s defaults).
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Starts the process.
    ///
    /// # Errors
    ///
    /// std's: `NotFound` for a program that does not exist,
    /// `PermissionDenied` for one that may not be run, and so on. Also
    /// pidfd_open(2) or a pipe's setup failing (the process is then killed
    /// and reaped). Where pidfd_open(2) does not exist (Linux before 5.3)
    /// or a seccomp filter refuses it, spawning still works and the exit
    /// is found by polling `waitpid(WNOHANG)` at growing intervals (1 to
    /// 50 ms).
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    #[track_caller]
    pub fn spawn(&mut self) -> io::Result<Child> {
        crate::runtime::context::assert_in_runtime("aio::process::Command::spawn");
        super::orphan::reap_list();
        let std = self.std.spawn()?;
        Child::new(std, self.kill_on_drop)
    }

    /// Runs the process to its end and returns its status. Stdio is
    /// inherited unless set; a pipe set with [`Stdio::piped`] is closed at
    /// once.
    ///
    /// # Errors
    ///
    /// As [`spawn`](Self::spawn) and [`Child::wait`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future drops the [`Child`]: the process keeps running
    /// (or is killed with [`kill_on_drop`](Self::kill_on_drop)) and is
    /// reaped when it exits.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        let mut child = self.spawn()?;
        drop(child.stdin.take());
        drop(child.stdout.take());
        drop(child.stderr.take());
        child.wait().await
    }

    /// Runs the process to its end, collecting its stdout and stderr
    /// (read at the same time, so a child filling one pipe never blocks
    /// the other) and its status. Unless set, stdin is null and stdout and
    /// stderr are piped, as std's `output`; the builder's own settings are
    /// unchanged afterwards.
    ///
    /// # Errors
    ///
    /// As [`spawn`](Self::spawn), a read from a pipe, and [`Child::wait`].
    ///
    /// # Cancel safety
    ///
    /// As [`status`](Self::status); what was read is lost.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    pub async fn output(&mut self) -> io::Result<Output> {
        let [stdin_set, stdout_set, stderr_set] = self.stdio_set;
        if !stdin_set {
            self.std.stdin(Stdio::null());
        }
        if !stdout_set {
            self.std.stdout(Stdio::piped());
        }
        if !stderr_set {
            self.std.stderr(Stdio::piped());
        }
        let child = self.spawn();
        // Back to spawn's default (inherit) for what was not set.
        if !stdin_set {
            self.std.stdin(Stdio::inherit());
        }
        if !stdout_set {
            self.std.stdout(Stdio::inherit());
        }
        if !stderr_set {
            self.std.stderr(Stdio::inherit());
        }
        let mut child = child?;
        let stdout = read_all(child.stdout.take());
        let stderr = read_all(child.stderr.take());
        let (stdout, stderr) = crate::future::join(stdout, stderr).await;
        let status = child.wait().await?;
        Ok(Output {
            status,
            stdout: stdout?,
            stderr: stderr?,
        })
    }
}

/// Everything a pipe yields until end of file (nothing for no pipe).
async fn read_all<R: AsyncReadRentExt>(pipe: Option<R>) -> io::Result<Vec<u8>> {
    let Some(mut pipe) = pipe else {
        return Ok(Vec::new());
    };
    let (res, buf) = pipe.read_to_end(Vec::with_capacity(4096)).await;
    res.map(|_| buf)
}

impl From<std::process::Command> for Command {
    /// Wraps a std builder (stdio it already set counts as unset for
    /// [`output`](Command::output)'s defaults).
    fn from(std: std::process::Command) -> Command {
        Command {
            std,
            kill_on_drop: false,
            stdio_set: [false; 3],
        }
    }
}
