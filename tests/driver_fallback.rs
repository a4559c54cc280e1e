//! `Driver::Auto` where io_uring is unavailable, as a container user meets
//! it: a seccomp filter refusing `io_uring_setup` (Docker's default
//! profile), one refusing only `io_uring_enter`, a tiny `RLIMIT_MEMLOCK`,
//! and the `AIO_DRIVER` override.
//!
//! Each scenario changes process-wide state (a seccomp filter cannot be
//! removed, limits and the environment are per process), so each runs in a
//! child: the test re-executes this binary for just itself, with
//! `AIO_FALLBACK_CHILD` set, and the child does the work.

use std::io;
use std::process::Command;
use std::time::Duration;

use aio::net::{TcpListener, TcpStream};
use aio::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRentExt, Driver, Runtime, RuntimeBuilder};

/// Tells a re-executed test binary which scenario it is the child for.
const CHILD_ENV: &str = "AIO_FALLBACK_CHILD";

mod support;

use support::seccomp::{SYS_IO_URING_ENTER, SYS_IO_URING_SETUP};

fn is_child(test: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|v| v == test)
}

/// Runs the test `test` in a child process (with `env` added, and any
/// inherited `AIO_DRIVER` removed unless `env` sets it) and fails with the
/// child's output if the child fails (and shows it with `--nocapture`).
fn run_child(test: &str, env: &[(&str, &str)]) {
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = Command::new(exe);
    cmd.args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, test);
    cmd.env_remove("AIO_DRIVER");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("spawn the child test process");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "child `{test}` failed ({}):\n{text}",
        out.status
    );
    assert!(
        text.contains("1 passed"),
        "the child did not run `{test}`:\n{text}"
    );
    eprintln!("--- child `{test}` {env:?}:\n{text}");
}

/// Runs a seccomp scenario, telling the child whether io_uring works here.
fn run_seccomp_child(test: &str) {
    if uring_works_here() {
        run_child(test, &[(URING_WORKS_ENV, "1")]);
    } else {
        eprintln!("io_uring does not start here even unfiltered: checking the fallback only");
        run_child(test, &[]);
    }
}

/// Installs a seccomp filter on every thread of this process that makes
/// each syscall in `blocked` fail with `EPERM` (what Docker's and
/// containerd's default profiles do to io_uring) and allows everything else.
fn block_syscalls(blocked: &[u32]) {
    support::seccomp::fail_syscalls(blocked, libc::EPERM);
}

/// A TCP echo round trip on the current runtime: a server task echoes what
/// a client sends, several messages of several sizes.
async fn echo_round_trip() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = aio::spawn(async move {
        let (mut conn, _) = listener.accept().await.unwrap();
        let mut buf = Vec::with_capacity(4096);
        loop {
            buf.clear();
            let (res, b) = conn.read(buf).await;
            let n = res.unwrap();
            if n == 0 {
                break;
            }
            let (res, b) = conn.write_all(b).await;
            res.unwrap();
            buf = b;
        }
    });
    let mut client = TcpStream::connect(addr).await.unwrap();
    for size in [1usize, 100, 4096, 100_000] {
        let msg: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let (res, msg) = client.write_all(msg).await;
        res.unwrap();
        let (res, got) = client.read_exact(Vec::with_capacity(size)).await;
        res.unwrap();
        assert_eq!(got, msg, "echo of {size} bytes");
    }
    drop(client);
    server.await.unwrap();
}

/// Set by the parent for the seccomp children when io_uring works on this
/// machine without the filter, so the failure the child sees is the
/// filter's own (elsewhere, e.g. in a container that already blocks
/// io_uring, only the fallback itself can be checked).
const URING_WORKS_ENV: &str = "AIO_FALLBACK_URING_WORKS";

/// Whether io_uring starts in this (unfiltered) process.
fn uring_works_here() -> bool {
    RuntimeBuilder::new()
        .driver(Driver::IoUring)
        .build()
        .is_ok()
}

/// What a program sees on a machine where io_uring is blocked: Auto comes
/// up on epoll and works (network, timers, files on the blocking pool),
/// the reason is available, and asking for io_uring explicitly fails with
/// a message that says why: the syscall, the errno and seccomp.
fn auto_falls_back_and_uring_is_refused(syscall: &str) {
    let rt = Runtime::new().expect("Driver::Auto must come up without io_uring");
    assert_eq!(rt.driver(), Driver::Epoll);
    let ours = std::env::var_os(URING_WORKS_ENV).is_some();
    let reason = Driver::fallback_reason().expect("the fallback reason is recorded");
    assert!(reason.contains("io_uring"), "reason: {reason}");
    if ours {
        assert!(
            reason.contains(syscall),
            "reason should name {syscall}: {reason}"
        );
    }
    rt.block_on(async {
        assert_eq!(Driver::current(), Driver::Epoll);
        echo_round_trip().await;
        let start = aio::time::Instant::now();
        aio::time::sleep(Duration::from_millis(5)).await;
        assert!(start.elapsed() >= Duration::from_millis(5));
        let path = std::env::temp_dir().join(format!("aio-fallback-{}", std::process::id()));
        aio::fs::write(&path, b"through the blocking pool".to_vec())
            .await
            .unwrap();
        assert_eq!(
            aio::fs::read(&path).await.unwrap(),
            b"through the blocking pool"
        );
        aio::fs::remove_file(&path).await.unwrap();
    });
    drop(rt);

    let err = RuntimeBuilder::new()
        .driver(Driver::IoUring)
        .build()
        .expect_err("io_uring is blocked");
    let msg = err.to_string();
    assert!(
        msg.contains("io_uring"),
        "the error must mention io_uring: {msg}"
    );
    if ours {
        assert!(
            msg.contains(syscall),
            "the error must name {syscall}: {msg}"
        );
        assert!(
            msg.contains("os error 1"),
            "the error must name the errno (EPERM): {msg}"
        );
        assert!(
            msg.contains("seccomp"),
            "EPERM should point at seccomp: {msg}"
        );
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err:?}");
    }
    // Epoll asked for explicitly is fine too.
    let rt = RuntimeBuilder::new().driver(Driver::Epoll).build().unwrap();
    assert_eq!(rt.driver(), Driver::Epoll);
}

#[test]
fn auto_falls_back_to_epoll_when_io_uring_setup_is_blocked() {
    let name = "auto_falls_back_to_epoll_when_io_uring_setup_is_blocked";
    if is_child(name) {
        block_syscalls(&[SYS_IO_URING_SETUP]);
        auto_falls_back_and_uring_is_refused("io_uring_setup");
        return;
    }
    run_seccomp_child(name);
}

#[test]
fn auto_falls_back_to_epoll_when_only_io_uring_enter_is_blocked() {
    let name = "auto_falls_back_to_epoll_when_only_io_uring_enter_is_blocked";
    if is_child(name) {
        // Setup succeeds; the NOP round trip that proves the ring fails.
        block_syscalls(&[SYS_IO_URING_ENTER]);
        auto_falls_back_and_uring_is_refused("io_uring_enter");
        return;
    }
    run_seccomp_child(name);
}

#[test]
fn auto_comes_up_with_64_kib_of_locked_memory() {
    let name = "auto_comes_up_with_64_kib_of_locked_memory";
    if is_child(name) {
        let limit = libc::rlimit {
            rlim_cur: 64 * 1024,
            rlim_max: 64 * 1024,
        };
        support::set_rlimit(libc::RLIMIT_MEMLOCK, limit);
        // A big ring: kernels that charge rings to memlock (before 5.12)
        // refuse it, and Auto must retry smaller or fall back.
        let rt = RuntimeBuilder::new()
            .entries(4096)
            .build()
            .expect("Auto must come up");
        eprintln!(
            "with RLIMIT_MEMLOCK=64KiB: {:?} ({:?})",
            rt.driver(),
            Driver::fallback_reason()
        );
        assert_ne!(rt.driver(), Driver::Auto);
        rt.block_on(echo_round_trip());
        return;
    }
    run_child(name, &[]);
}

#[test]
fn aio_driver_env_overrides_auto_only() {
    let name = "aio_driver_env_overrides_auto_only";
    if is_child(name) {
        match std::env::var("AIO_DRIVER").as_deref() {
            Ok("epoll") => {
                let rt = Runtime::new().unwrap();
                assert_eq!(
                    rt.driver(),
                    Driver::Epoll,
                    "AIO_DRIVER=epoll picks epoll for Auto"
                );
                rt.block_on(async {
                    assert_eq!(Driver::current(), Driver::Epoll);
                    echo_round_trip().await;
                });
                // An explicit choice is not overridden.
                if let Ok(rt) = RuntimeBuilder::new().driver(Driver::IoUring).build() {
                    assert_eq!(rt.driver(), Driver::IoUring);
                }
            }
            Ok("uring") => match Runtime::new() {
                Ok(rt) => assert_eq!(rt.driver(), Driver::IoUring),
                // io_uring is unavailable here: the override does not
                // silently turn into epoll.
                Err(e) => assert!(e.to_string().contains("io_uring"), "{e}"),
            },
            other => panic!("unexpected AIO_DRIVER: {other:?}"),
        }
        return;
    }
    run_child(name, &[("AIO_DRIVER", "epoll")]);
    run_child(name, &[("AIO_DRIVER", "uring")]);
}
