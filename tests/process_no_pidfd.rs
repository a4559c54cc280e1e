//! `aio::process` where pidfd_open(2) is missing (Linux before 5.3, or a
//! seccomp profile that refuses it): exits are then found by `WNOHANG`
//! waits on a backing-off timer (1 ms doubling to 50 ms), still with no
//! thread per child and no SIGCHLD handler. A re-executed child of this
//! test installs a seccomp filter answering pidfd_open with `ENOSYS` and
//! runs the scenarios of tests/process.rs that depend on how an exit is
//! seen, on every driver.

mod support;

use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use aio::prelude::*;
use aio::process::{Command, Stdio};
use support::{drivers, is_child, reaped, run_child, thread_count, wait_until};

const LIMIT: Duration = Duration::from_secs(20);

/// x86_64 (<asm/unistd_64.h>).
const SYS_PIDFD_OPEN: u32 = 434;

const CHILD: &str = "processes_work_without_pidfd_open_child";

#[test]
fn processes_work_without_pidfd_open() {
    let (status, out) = run_child(CHILD);
    assert!(status.success(), "the child failed:\n{out}");
    for driver in drivers() {
        assert!(
            out.contains(&format!("{driver:?}: every scenario passed")),
            "{driver:?} did not finish:\n{out}"
        );
    }
}

#[test]
fn processes_work_without_pidfd_open_child() {
    if !is_child(CHILD) {
        return;
    }
    support::seccomp::fail_syscalls(&[SYS_PIDFD_OPEN], libc::ENOSYS);
    // SAFETY: pidfd_open takes a pid and flags; the filter answers it.
    let rc = unsafe { libc::syscall(libc::SYS_pidfd_open, std::process::id(), 0) };
    let err = std::io::Error::last_os_error();
    assert_eq!(
        (rc, err.raw_os_error()),
        (-1, Some(libc::ENOSYS)),
        "the filter is not in place"
    );
    for driver in drivers() {
        support::runtime(driver).block_on(scenarios());
        println!("{driver:?}: every scenario passed");
    }
}

async fn scenarios() {
    // Output and exit code (tests/process.rs: output_of_sh_echo_hi_exit_3).
    let out = Command::new("sh")
        .args(["-c", "echo hi; exit 3"])
        .output()
        .await
        .expect("output");
    assert_eq!(out.stdout, b"hi\n");
    assert_eq!(out.status.code(), Some(3));

    // Piped stdin/stdout through `cat` while the exit is polled for.
    let mut child = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn cat");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let data = support::pattern(7, 256 * 1024);
    let writer = aio::spawn(async move {
        let (res, _) = stdin.write_all(data).await;
        res.unwrap();
    });
    let (res, got) = stdout.read_to_end(Vec::new()).await;
    res.unwrap();
    writer.await.unwrap();
    assert_eq!(got, support::pattern(7, 256 * 1024));
    assert!(child.wait().await.unwrap().success());

    // An exit is noticed within about the timer's longest step (50 ms),
    // not late: `sleep 0.3` is waited for in well under 3 s (slack for a
    // loaded CI machine; a broken re-poll would hang to the test's limit).
    let start = Instant::now();
    let status = Command::new("sleep").arg("0.3").status().await.unwrap();
    let took = start.elapsed();
    assert!(status.success());
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "waiting for `sleep 0.3` took {took:?}"
    );

    // kill of `sleep 100` is a signal exit (process.rs:
    // kill_of_sleep_100_is_a_signal_exit).
    let mut child = Command::new("sleep").arg("100").spawn().unwrap();
    assert!(child.try_wait().unwrap().is_none());
    child.kill().await.unwrap();
    let status = child.wait().await.unwrap();
    assert_eq!(status.signal(), Some(libc::SIGKILL));
    assert_eq!(child.id(), None);

    // `wait` under `cancel_after` stops at the deadline with ECANCELED on
    // this path too (a sleep, not a kernel op, checks the request), and
    // resumes after (process.rs:
    // wait_under_cancel_after_stops_at_the_deadline_and_can_resume).
    let mut child = Command::new("sleep").arg("100").spawn().unwrap();
    let res = aio::time::cancel_after(Duration::from_millis(50), child.wait()).await;
    let err = res.expect_err("the deadline passed first").unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ECANCELED), "{err}");
    child.kill().await.unwrap();
    assert_eq!(child.wait().await.unwrap().signal(), Some(libc::SIGKILL));

    // try_wait before and after the exit.
    let mut child = Command::new("sh").args(["-c", "exit 7"]).spawn().unwrap();
    let pid = child.id().unwrap();
    wait_until(LIMIT, "try_wait sees the exit", || {
        matches!(child.try_wait(), Ok(Some(_)))
    })
    .await;
    assert_eq!(child.try_wait().unwrap().unwrap().code(), Some(7));
    assert!(reaped(pid));

    // Many children at once, each with its own code, and no thread each.
    let before = thread_count();
    let children: Vec<_> = (0..50)
        .map(|i| {
            let child = Command::new("sh")
                .args(["-c", &format!("sleep 0.05; exit {i}")])
                .spawn()
                .unwrap();
            aio::spawn(async move {
                let mut child = child;
                child.wait().await.unwrap().code()
            })
        })
        .collect();
    let during = thread_count();
    for (i, t) in children.into_iter().enumerate() {
        assert_eq!(t.await.unwrap(), Some(i as i32));
    }
    assert!(
        during <= before + 4,
        "threads went from {before} to {during} for 50 children"
    );

    // A dropped running child with kill_on_drop is killed and reaped; one
    // without is reaped once it exits: no zombie either way.
    let child = Command::new("sleep")
        .arg("100")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let killed = child.id().unwrap();
    drop(child);
    let child = Command::new("sleep").arg("0.1").spawn().unwrap();
    let exits = child.id().unwrap();
    drop(child);
    assert!(!reaped(exits), "the child was not left running");
    wait_until(LIMIT, "both dropped children are reaped", || {
        reaped(killed) && reaped(exits)
    })
    .await;
}
