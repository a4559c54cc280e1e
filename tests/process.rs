//! `aio::process` (issue 11): output and exit codes, piped stdio through
//! the rent traits, kill, try_wait, many children without a thread each,
//! and no zombie left by a dropped `Child`. Both drivers (`#[aio::test]`).

mod support;

use std::io::ErrorKind;
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use aio::prelude::*;
use aio::process::{Command, Stdio};

const LIMIT: Duration = Duration::from_secs(20);

#[aio::test]
async fn output_of_sh_echo_hi_exit_3() {
    let out = Command::new("sh")
        .args(["-c", "echo hi; exit 3"])
        .output()
        .await
        .expect("output");
    assert_eq!(out.stdout, b"hi\n");
    assert_eq!(out.stderr, b"");
    assert_eq!(out.status.code(), Some(3));
    assert!(!out.status.success());
}

/// The child fills the stderr pipe (more than its 64 KiB) before writing
/// stdout: reading one pipe to its end before the other would deadlock.
#[aio::test]
async fn output_reads_stdout_and_stderr_at_the_same_time() {
    let out = support::within(
        LIMIT,
        "output",
        Command::new("sh")
            .args([
                "-c",
                "head -c 300000 /dev/zero >&2; head -c 200000 /dev/zero",
            ])
            .output(),
    )
    .await
    .expect("output");
    assert!(out.status.success(), "{:?}", out.status);
    assert_eq!(out.stderr.len(), 300_000);
    assert_eq!(out.stdout.len(), 200_000);
}

#[aio::test]
async fn env_current_dir_and_status() {
    let dir = std::env::temp_dir().canonicalize().unwrap();
    let out = Command::new("sh")
        .args([
            "-c",
            "echo \"$AIO_T_FOO\"; echo \"${AIO_T_GONE-unset}\"; pwd",
        ])
        .env("AIO_T_FOO", "bar")
        .env("AIO_T_GONE", "x")
        .env_remove("AIO_T_GONE")
        .current_dir(&dir)
        .output()
        .await
        .expect("output");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("bar\nunset\n{}\n", dir.display())
    );
    let status = Command::new("false").status().await.expect("status");
    assert_eq!(status.code(), Some(1));
    let status = Command::new("true").status().await.expect("status");
    assert!(status.success());
}

/// 1 MiB written to `cat`'s stdin while its stdout is read, at once (the
/// pipes hold far less), comes back intact.
#[aio::test]
async fn one_mib_through_cat() {
    const LEN: usize = 1 << 20;
    let data = support::pattern(11, LEN);
    let mut child = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn cat");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let write = async move {
        let (res, _) = stdin.write_all(data).await;
        res.expect("write to cat");
        stdin.shutdown().await.expect("close cat's stdin");
    };
    let read = async move {
        let (res, buf) = stdout.read_to_end(Vec::with_capacity(LEN)).await;
        res.expect("read from cat");
        buf
    };
    let ((), got) =
        support::within(LIMIT, "1 MiB through cat", aio::future::join(write, read)).await;
    let want = support::pattern(11, LEN);
    assert_eq!(got.len(), LEN);
    assert_eq!(support::first_difference(&got, &want), None);
    assert!(child.wait().await.expect("wait").success());
}

#[aio::test]
async fn kill_of_sleep_100_is_a_signal_exit() {
    let mut child = Command::new("sleep")
        .arg("100")
        .spawn()
        .expect("spawn sleep");
    assert!(child.id().is_some());
    assert!(child.try_wait().expect("try_wait").is_none());
    let start = Instant::now();
    support::within(LIMIT, "kill", child.kill())
        .await
        .expect("kill");
    assert!(start.elapsed() < Duration::from_secs(10));
    let status = child.wait().await.expect("wait after kill");
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    assert_eq!(status.code(), None);
    assert_eq!(child.id(), None, "a reaped child has no id");
    child
        .start_kill()
        .expect("start_kill on a reaped child is a no-op");
}

/// `try_wait` says `None` while the child runs and the status once it has
/// exited, and again after that.
#[aio::test]
async fn try_wait_before_and_after_exit() {
    let mut child = Command::new("sh")
        .args(["-c", "read line; exit 7"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn sh");
    for _ in 0..3 {
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "exited before its stdin closed"
        );
        aio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(child.stdin.take()); // `read` sees end of file
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        assert!(start.elapsed() < LIMIT, "the child did not exit");
        aio::time::sleep(Duration::from_millis(2)).await;
    };
    assert_eq!(status.code(), Some(7));
    assert_eq!(
        child.try_wait().expect("try_wait again").map(|s| s.code()),
        Some(Some(7))
    );
    assert_eq!(child.wait().await.expect("wait").code(), Some(7));
}

/// 200 children waited for at once on one runtime add no thread each (a
/// thread per child would add 200).
#[aio::test]
async fn two_hundred_concurrent_children_keep_the_thread_count_bounded() {
    const N: usize = 200;
    let before = support::thread_count();
    let mut waits = aio::task::JoinSet::new();
    for i in 0..N {
        let mut child = Command::new("sh")
            .args(["-c", &format!("sleep 0.3; exit {}", i % 100)])
            .spawn()
            .expect("spawn");
        waits.spawn(async move { (i, child.wait().await) });
    }
    aio::time::sleep(Duration::from_millis(50)).await;
    let during = support::thread_count();
    let mut done = 0;
    while let Some(res) = support::within(LIMIT, "the children", waits.join_next()).await {
        let (i, status) = res.expect("wait task");
        assert_eq!(status.expect("wait").code(), Some((i % 100) as i32));
        done += 1;
    }
    assert_eq!(done, N);
    let after = support::thread_count();
    // Other tests of this binary run at once and have threads of their own.
    assert!(
        during.max(after) < before + 50,
        "threads: {before} before, {during} while {N} children ran, {after} after"
    );
}

/// A running child dropped with `kill_on_drop(true)` is killed and reaped:
/// no zombie is left.
#[aio::test]
async fn dropped_child_with_kill_on_drop_leaves_no_zombie() {
    let child = Command::new("sleep")
        .arg("100")
        .kill_on_drop(true)
        .spawn()
        .expect("spawn sleep");
    let pid = child.id().unwrap();
    assert!(!support::reaped(pid));
    drop(child);
    support::wait_until(LIMIT, "the dropped child is reaped", || {
        support::reaped(pid)
    })
    .await;
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| !s.contains(") Z ")),
        "a zombie is left at /proc/{pid}"
    );
}

/// A running child dropped without `kill_on_drop` keeps running and is
/// reaped once it exits.
#[aio::test]
async fn dropped_running_child_is_reaped_once_it_exits() {
    let child = Command::new("sleep")
        .arg("0.2")
        .spawn()
        .expect("spawn sleep");
    let pid = child.id().unwrap();
    drop(child);
    aio::time::sleep(Duration::from_millis(50)).await;
    assert!(!support::reaped(pid), "the child was not left running");
    support::wait_until(LIMIT, "the dropped child is reaped", || {
        support::reaped(pid)
    })
    .await;
}

#[aio::test]
async fn spawn_of_a_missing_program_is_not_found() {
    let err = Command::new("/nonexistent/aio-no-such-program")
        .spawn()
        .expect_err("spawned a program that does not exist");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let err = Command::new("aio-no-such-program-on-path")
        .output()
        .await
        .expect_err("ran a program that does not exist");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

/// A child reaped behind the runtime's back (another library's
/// `waitpid`, or `SIGCHLD` set to `SIG_IGN`) has given up its pid, which
/// the kernel may hand to an unrelated process: `start_kill` must not
/// signal that one. (The pidfd names the process itself, not the number.)
/// Needs a writable `/proc/sys/kernel/ns_last_pid` (root) to make the
/// kernel reuse the pid at once; skipped otherwise.
#[aio::test]
async fn kill_after_an_outside_reap_cannot_hit_a_reused_pid() {
    const LAST_PID: &str = "/proc/sys/kernel/ns_last_pid";
    for _ in 0..50 {
        let mut child = Command::new("sleep").arg("100").spawn().expect("spawn");
        let pid = child.id().unwrap() as libc::pid_t;
        // Someone else reaps it.
        // SAFETY: plain syscalls on a child of this process.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            let mut status = 0;
            assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
        }
        // The next process started gets that pid (unless another one
        // starts first: then try again).
        if std::fs::write(LAST_PID, (pid - 1).to_string()).is_err() {
            eprintln!("skipped: {LAST_PID} is not writable");
            return;
        }
        let mut other = std::process::Command::new("sleep")
            .arg("100")
            .spawn()
            .expect("spawn the other process");
        if other.id() as libc::pid_t != pid {
            other.kill().unwrap();
            other.wait().unwrap();
            continue;
        }
        let _ = child.start_kill();
        aio::time::sleep(Duration::from_millis(100)).await;
        let alive = other.try_wait().unwrap().is_none();
        other.kill().unwrap();
        other.wait().unwrap();
        drop(child);
        assert!(
            alive,
            "start_kill signalled the process that reused the pid"
        );
        return;
    }
    eprintln!("skipped: the pid was never reused");
}

/// `wait` under `time::cancel_after` stops at the deadline with
/// `ECANCELED` (the pidfd's readiness op is cancelled in the kernel), and
/// the child can be waited for again after: `wait` is cancel safe.
#[aio::test]
async fn wait_under_cancel_after_stops_at_the_deadline_and_can_resume() {
    let mut child = Command::new("sleep").arg("100").spawn().expect("spawn");
    let start = Instant::now();
    let res = aio::time::cancel_after(Duration::from_millis(50), child.wait()).await;
    let err = res
        .expect_err("the deadline passed first")
        .expect_err("wait was stopped");
    assert_eq!(err.raw_os_error(), Some(libc::ECANCELED), "{err}");
    assert!(start.elapsed() < LIMIT);
    assert!(child.try_wait().unwrap().is_none(), "still running");
    child.kill().await.unwrap();
    assert_eq!(child.wait().await.unwrap().signal(), Some(libc::SIGKILL));
}
