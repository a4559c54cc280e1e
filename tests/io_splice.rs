//! `aio::io::{pipe, copy, splice}` and `TcpStream::sendfile` (issue 11),
//! on both drivers: bytes verified end to end, partial and empty cases,
//! errors, and no descriptor left behind. Modelled on tokio's
//! `tests/io_copy.rs` (`copy`, a flushed writer at the end) and
//! tokio-uring's splice and monoio's `sendfile` examples.

// Every test holds the process lock across awaits on purpose: the sendfile
// test counts sockets and pipes, and no other test may open any meanwhile.
#![allow(clippy::await_holding_lock)]

mod support;

use std::io::ErrorKind;
use std::time::Duration;

use aio::io::{AsyncReadRentExt, AsyncWriteRent, AsyncWriteRentExt};
use support::{pattern, tcp_pair, within};

const LIMIT: Duration = Duration::from_secs(30);

fn temp_path(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "aio-splice-{tag}-{}-{:?}",
        std::process::id(),
        aio::Driver::current()
    ))
}

#[aio::test]
async fn a_pipe_carries_bytes_in_order_and_ends_when_the_writer_goes() {
    let _fds = support::process_lock();
    let (mut reader, mut writer) = aio::io::pipe().unwrap();
    let data = pattern(1, 300_000); // more than a pipe holds: the writer waits
    let expected = data.clone();
    let write = aio::spawn(async move {
        let (res, _) = writer.write_all(data).await;
        res.unwrap();
        // dropped here: the reader sees the end
    });
    let (res, got) = within(LIMIT, "read_to_end", reader.read_to_end(Vec::new())).await;
    res.unwrap();
    write.await.unwrap();
    assert!(got == expected, "the pipe reordered or lost bytes");

    // A write after the reader is gone is BrokenPipe, not a SIGPIPE death.
    let (reader, mut writer) = aio::io::pipe().unwrap();
    drop(reader);
    let (res, _) = writer.write(b"nobody".to_vec()).await;
    assert_eq!(res.unwrap_err().kind(), ErrorKind::BrokenPipe);
}

#[aio::test]
async fn copy_moves_4_mib_between_tcp_streams_and_flushes() {
    let _fds = support::process_lock();
    let (mut a, b) = tcp_pair().await;
    let (mut c, mut d) = tcp_pair().await;
    let data = pattern(2, 4 << 20);
    let expected = data.clone();
    let send = aio::spawn(async move {
        let (res, _) = a.write_all(data).await;
        res.unwrap();
        a.shutdown().await.unwrap();
    });
    let relay = aio::spawn(async move {
        let mut b = b;
        let n = aio::io::copy(&mut b, &mut c).await.unwrap();
        c.shutdown().await.unwrap();
        n
    });
    let (res, got) = within(LIMIT, "copy 4 MiB", d.read_to_end(Vec::new())).await;
    res.unwrap();
    send.await.unwrap();
    assert_eq!(relay.await.unwrap(), 4 << 20);
    assert!(got == expected, "copy changed the bytes");
}

#[aio::test]
async fn copy_of_an_empty_reader_is_zero() {
    let _fds = support::process_lock();
    let mut out = std::io::Cursor::new(Vec::new());
    let n = aio::io::copy(&mut aio::io::empty(), &mut out)
        .await
        .unwrap();
    assert_eq!(n, 0);
    assert!(out.into_inner().is_empty());
}

/// A file is a splice source too (`fs::File: AsFd`): its bytes go into a
/// pipe from the file's position, which moves with them.
#[aio::test]
async fn splice_moves_a_file_into_a_pipe() {
    let _fds = support::process_lock();
    let path = temp_path("splice-file");
    let data = pattern(8, 48 << 10);
    std::fs::write(&path, &data).unwrap();
    let file = aio::fs::File::open(&path).await.unwrap();
    let (mut r, w) = aio::io::pipe().unwrap();
    let mut moved = 0;
    while moved < data.len() {
        let n = within(
            LIMIT,
            "splice file to pipe",
            aio::io::splice(&file, &w, 16 << 10),
        )
        .await
        .unwrap();
        assert!(n > 0, "the file ended early");
        moved += n;
        let (res, got) = r.read_exact(Vec::with_capacity(n)).await;
        res.unwrap();
        assert!(
            got[..] == data[moved - n..moved],
            "bytes {}..{moved} changed",
            moved - n
        );
    }
    assert_eq!(
        aio::io::splice(&file, &w, 10).await.unwrap(),
        0,
        "at the end"
    );
    drop(file);
    std::fs::remove_file(&path).unwrap();
}

#[aio::test]
async fn splice_moves_a_socket_into_a_pipe_and_a_pipe_into_a_socket() {
    let _fds = support::process_lock();
    let (mut a, b) = tcp_pair().await;
    let (c, mut d) = tcp_pair().await;
    let (pipe_r, pipe_w) = aio::io::pipe().unwrap();
    let data = pattern(3, 1 << 20);
    let expected = data.clone();
    let send = aio::spawn(async move {
        let (res, _) = a.write_all(data).await;
        res.unwrap();
        drop(a);
    });
    let relay = aio::spawn(async move {
        let mut total = 0usize;
        loop {
            // socket -> pipe, then all of it pipe -> socket.
            let n = aio::io::splice(&b, &pipe_w, 64 * 1024).await.unwrap();
            if n == 0 {
                break;
            }
            let mut left = n;
            while left > 0 {
                left -= aio::io::splice(&pipe_r, &c, left).await.unwrap();
            }
            total += n;
        }
        drop(c);
        total
    });
    let (res, got) = within(LIMIT, "splice 1 MiB", d.read_to_end(Vec::new())).await;
    res.unwrap();
    send.await.unwrap();
    assert_eq!(relay.await.unwrap(), 1 << 20);
    assert!(got == expected, "splice changed the bytes");
}

#[aio::test]
async fn splice_waits_for_an_empty_pipe_and_rejects_two_non_pipes() {
    let _fds = support::process_lock();
    let (r, mut w) = aio::io::pipe().unwrap();
    let (mut a, b) = tcp_pair().await;
    // Nothing in the pipe yet: the splice waits (on epoll, for readiness).
    let waiting = aio::spawn(async move { aio::io::splice(&r, &a, 100).await.map(|n| (n, a)) });
    aio::time::sleep(Duration::from_millis(30)).await;
    assert!(!waiting.is_finished());
    w.write_all(b"late bytes").await.0.unwrap();
    let (n, a2) = within(LIMIT, "splice after the write", waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 10);
    let mut b = b;
    let (res, got) = b.read_exact(Vec::with_capacity(10)).await;
    res.unwrap();
    assert_eq!(got, b"late bytes");
    a = a2;

    // Neither side a pipe: EINVAL, nothing moved.
    let err = aio::io::splice(&a, &b, 10).await.unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");
    assert_eq!(aio::io::splice(&a, &b, 0).await.unwrap(), 0);
}

#[aio::test]
async fn sendfile_sends_a_3_mib_file_and_stops_at_its_end() {
    let _fds = support::process_lock();
    let path = temp_path("sendfile");
    let data = pattern(4, 3 << 20);
    std::fs::write(&path, &data).unwrap();
    let file = aio::fs::File::open(&path).await.unwrap();
    let (mut a, mut b) = tcp_pair().await;
    let fds_before = support::io_fd_count();

    let recv = aio::spawn(async move {
        let (res, got) = b.read_to_end(Vec::new()).await;
        res.unwrap();
        got
    });
    let sent = within(LIMIT, "sendfile 3 MiB", a.sendfile(&file, 0, 3 << 20))
        .await
        .unwrap();
    assert_eq!(sent, 3 << 20);
    // A range from an offset, running past the end: what is there.
    let tail = a.sendfile(&file, (3 << 20) - 1000, 5000).await.unwrap();
    assert_eq!(tail, 1000);
    assert_eq!(a.sendfile(&file, 3 << 20, 10).await.unwrap(), 0);
    drop(a);
    let got = within(LIMIT, "the receiver", recv).await.unwrap();
    assert_eq!(got.len(), (3 << 20) + 1000);
    assert!(got[..3 << 20] == data[..], "sendfile changed the bytes");
    assert!(got[3 << 20..] == data[(3 << 20) - 1000..]);
    // The io_uring path's pipe is closed again. Every test of this file
    // holds `process_lock`, so no other test's sockets or pipes come and go
    // meanwhile (the count once rose under a parallel test); a test waiting
    // for the lock has opened only its runtime's descriptors, which
    // `io_fd_count` leaves out.
    assert!(support::io_fd_count() <= fds_before + 1);
    drop(file);
    std::fs::remove_file(&path).unwrap();
}

/// Ranges on both sides of io_uring's copy limit (64 KiB: read and send
/// through a buffer; above: splices), from offsets, one running past the
/// end of the file: every byte arrives, in order (epoll: sendfile(2) for
/// all). A small send to a closed peer then fails as the large one does.
#[aio::test]
async fn sendfile_ranges_around_the_copy_limit_arrive_intact() {
    let _fds = support::process_lock();
    let path = temp_path("sendfile-ranges");
    let data = pattern(6, 200 << 10);
    std::fs::write(&path, &data).unwrap();
    let file = aio::fs::File::open(&path).await.unwrap();
    let (mut a, mut b) = tcp_pair().await;
    let recv = aio::spawn(async move {
        let (res, got) = b.read_to_end(Vec::new()).await;
        res.unwrap();
        got
    });
    // (offset, len, what comes back)
    let ranges: [(usize, usize, usize); 6] = [
        (0, 4096, 4096),
        (100, 64 << 10, 64 << 10),
        (1000, (64 << 10) + 1, (64 << 10) + 1),
        (5, 1, 1),
        ((200 << 10) - 10, 64 << 10, 10),
        (200 << 10, 4096, 0),
    ];
    let mut want = Vec::new();
    for (offset, len, back) in ranges {
        let sent = within(LIMIT, "sendfile", a.sendfile(&file, offset as u64, len))
            .await
            .unwrap();
        assert_eq!(sent, back, "sendfile({offset}, {len})");
        want.extend_from_slice(&data[offset..offset + back]);
    }
    drop(a);
    let got = within(LIMIT, "the receiver", recv).await.unwrap();
    assert_eq!(got.len(), want.len());
    assert!(
        got == want,
        "first difference at {:?}",
        support::first_difference(&got, &want)
    );

    let (mut a, b) = tcp_pair().await;
    drop(b);
    let res = within(LIMIT, "small sendfiles to a closed peer", async {
        loop {
            if let Err(e) = a.sendfile(&file, 0, 4096).await {
                return e;
            }
        }
    })
    .await;
    assert!(
        matches!(
            res.kind(),
            ErrorKind::BrokenPipe | ErrorKind::ConnectionReset
        ),
        "{res}"
    );
    drop(file);
    std::fs::remove_file(&path).unwrap();
}

#[aio::test]
async fn sendfile_to_a_closed_peer_is_an_error_not_a_hang() {
    let _fds = support::process_lock();
    let path = temp_path("sendfile-peer");
    std::fs::write(&path, pattern(5, 4 << 20)).unwrap();
    let file = aio::fs::File::open(&path).await.unwrap();
    let (mut a, b) = tcp_pair().await;
    drop(b);
    let res = within(LIMIT, "sendfile to a closed peer", async {
        // The first chunk may still fit in the send buffer; more must fail.
        let mut last = Ok(0);
        for _ in 0..8 {
            last = a.sendfile(&file, 0, 4 << 20).await;
            if last.is_err() {
                break;
            }
        }
        last
    })
    .await;
    let err = res.unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::BrokenPipe | ErrorKind::ConnectionReset
        ),
        "{err}"
    );
    std::fs::remove_file(&path).unwrap();
}
