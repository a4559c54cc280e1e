//! `SO_REUSEPORT` sharing between processes: plain `reuse_port(true)`
//! lets another process join silently (documented), and
//! `reuse_port_exclusive(true)` refuses with `AddrInUse` while shards of
//! one process still share the port.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use aio::net::{NetConfig, TcpListener};
use support::CHILD_ENV;

const CHILD: &str = "child_holds_a_reuse_port_listener";

/// Child body: listens on `$AIO_TEST_PORT` with SO_REUSEPORT, says READY,
/// and holds the listener until its stdin closes.
#[test]
fn child_holds_a_reuse_port_listener() {
    if !support::is_child(CHILD) {
        return;
    }
    let port: u16 = std::env::var("AIO_TEST_PORT").unwrap().parse().unwrap();
    aio::Runtime::new().unwrap().block_on(async {
        let cfg = NetConfig::default().reuse_port(true);
        let _listener = TcpListener::bind_with(("127.0.0.1", port), &cfg).unwrap();
        println!("READY");
        let _ = std::io::stdin().read_line(&mut String::new());
    });
}

#[aio::test]
async fn exclusive_reuse_port_refuses_another_process_but_not_our_shards() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let exclusive = NetConfig::default().reuse_port_exclusive(true);

    // Our own shards share the port, exclusive or not.
    let a = TcpListener::bind_with(("127.0.0.1", port), &exclusive).unwrap();
    let b = TcpListener::bind_with(("127.0.0.1", port), &exclusive).unwrap();
    drop((a, b));

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", CHILD, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, CHILD)
        .env("AIO_TEST_PORT", port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(
        lines.any(|l| l.map(|l| l.contains("READY")).unwrap_or(false)),
        "the child did not start listening"
    );

    // Plain reuse_port: joining another process's group succeeds silently
    // (the trap the docs warn about).
    let shared =
        TcpListener::bind_with(("127.0.0.1", port), &NetConfig::default().reuse_port(true));
    assert!(shared.is_ok(), "plain SO_REUSEPORT shares across processes");
    drop(shared);

    // Exclusive: refused, with a message that says why; also for a
    // wildcard address overlapping the child's.
    for host in ["127.0.0.1", "0.0.0.0"] {
        let err = TcpListener::bind_with((host, port), &exclusive).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "{err}");
        assert!(err.to_string().contains("another process"), "{err}");
    }

    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    // The child is gone: the port is ours alone again.
    support::wait_until(Duration::from_secs(5), "port free", || {
        TcpListener::bind_with(("127.0.0.1", port), &exclusive).is_ok()
    })
    .await;
}
