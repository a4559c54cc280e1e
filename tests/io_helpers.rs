//! I/O helpers (issue 14, "Files and I/O helpers"): `read_to_end` and
//! `readv_exact` over real sockets, `empty`/`sink`, and the rent traits for
//! `&[u8]`, `Cursor<Vec<u8>>` and `Box<T>`. Both drivers (`#[aio::test]`).
//!
//! Modelled on tokio's `tests/io_read_to_end.rs` (`read_to_end` of a
//! large stream), `tests/io_util_empty.rs`/`io_sink` and the `Cursor` and
//! `&[u8]` cases of `tests/io_read.rs`.

use std::io::{Cursor, ErrorKind};

use aio::buf::IoBufMut;
use aio::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRent, AsyncWriteRentExt};
use aio::net::{TcpListener, TcpStream};

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[aio::test]
async fn read_to_end_reads_3_mib_over_tcp() {
    let data = pattern(3 << 20);
    let (mut client, mut server) = tcp_pair().await;
    let sent = data.clone();
    let writer = aio::spawn(async move {
        let (res, _) = server.write_all(sent).await;
        res.unwrap();
        server.shutdown().await.unwrap();
    });
    let (res, buf) = client.read_to_end(b"prefix".to_vec()).await;
    assert_eq!(res.unwrap(), data.len());
    assert_eq!(&buf[..6], b"prefix");
    assert!(buf[6..] == data[..], "the bytes arrive intact and in order");
    writer.await.unwrap();
}

#[aio::test]
async fn readv_exact_fills_buffers_over_tcp() {
    let (mut client, mut server) = tcp_pair().await;
    let writer = aio::spawn(async move {
        // Two writes, so the reads may see them separately.
        server.write_all(b"0123".to_vec()).await.0.unwrap();
        aio::time::sleep(std::time::Duration::from_millis(5)).await;
        server.write_all(b"456789rest".to_vec()).await.0.unwrap();
        server
    });
    let bufs = vec![
        Vec::with_capacity(3).slice_mut(..3),
        Vec::with_capacity(7).slice_mut(..7),
    ];
    let (res, bufs) = client.readv_exact(bufs).await;
    assert_eq!(res.unwrap(), 10);
    let bufs: Vec<Vec<u8>> = bufs.into_iter().map(|s| s.into_inner()).collect();
    assert_eq!(bufs, [b"012".to_vec(), b"3456789".to_vec()]);
    let _server = writer.await.unwrap();
    let (res, rest) = client
        .read_exact(Vec::with_capacity(4).slice_mut(..4))
        .await;
    res.unwrap();
    assert_eq!(rest.into_inner(), b"rest");
}

#[aio::test]
async fn readv_exact_reports_eof_over_tcp() {
    let (mut client, mut server) = tcp_pair().await;
    server.write_all(b"abc".to_vec()).await.0.unwrap();
    drop(server);
    let bufs = vec![Vec::with_capacity(8).slice_mut(..8)];
    let (res, bufs) = client.readv_exact(bufs).await;
    assert_eq!(res.unwrap_err().kind(), ErrorKind::UnexpectedEof);
    assert_eq!(bufs.into_iter().next().unwrap().into_inner(), b"abc");
}

#[aio::test]
async fn empty_is_at_end_of_stream_but_rejects_no_room() {
    let mut empty = aio::io::empty();
    let (res, buf) = empty.read(Vec::with_capacity(16)).await;
    assert_eq!(res.unwrap(), 0);
    assert!(buf.is_empty());
    let (res, _) = empty.read(Vec::new()).await;
    assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidInput);
    let (res, _) = empty.readv(vec![Vec::with_capacity(4)]).await;
    assert_eq!(res.unwrap(), 0);
    let (res, buf) = empty.read_to_end(b"kept".to_vec()).await;
    assert_eq!(res.unwrap(), 0);
    assert_eq!(buf, b"kept");
}

#[aio::test]
async fn sink_accepts_everything() {
    let mut sink = aio::io::sink();
    let (res, buf) = sink.write(vec![1u8; 1000]).await;
    assert_eq!(res.unwrap(), 1000);
    assert_eq!(buf.len(), 1000, "the buffer comes back untouched");
    let (res, _) = sink.writev(vec![vec![0u8; 3], vec![], vec![0u8; 5]]).await;
    assert_eq!(res.unwrap(), 8);
    let (res, _) = sink.write_all(vec![9u8; 1 << 20]).await;
    assert_eq!(res.unwrap(), 1 << 20);
    sink.flush().await.unwrap();
    sink.shutdown().await.unwrap();
}

#[aio::test]
async fn byte_slice_reads_and_advances() {
    let mut src: &[u8] = b"hello world";
    let (res, buf) = src.read(Vec::with_capacity(5).slice_mut(..5)).await;
    assert_eq!(res.unwrap(), 5);
    assert_eq!(buf.into_inner(), b"hello");
    assert_eq!(src, b" world");
    let (res, _) = src.read(Vec::new()).await;
    assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidInput);
    let (res, bufs) = src
        .readv(vec![
            Vec::with_capacity(1).slice_mut(..1),
            Vec::with_capacity(3).slice_mut(..3),
        ])
        .await;
    assert_eq!(res.unwrap(), 4);
    let bufs: Vec<Vec<u8>> = bufs.into_iter().map(|s| s.into_inner()).collect();
    assert_eq!(bufs, [b" ".to_vec(), b"wor".to_vec()]);
    let (res, buf) = src.read_to_end(Vec::new()).await;
    assert_eq!(res.unwrap(), 2);
    assert_eq!(buf, b"ld");
    let (res, _) = src.read(Vec::with_capacity(4)).await;
    assert_eq!(res.unwrap(), 0, "an empty slice is at end of stream");
}

#[aio::test]
async fn cursor_reads_and_writes_at_its_position() {
    let mut cursor = Cursor::new(Vec::new());
    cursor.write_all(b"hello world".to_vec()).await.0.unwrap();
    assert_eq!(cursor.position(), 11);
    cursor.set_position(6);
    let (res, _) = cursor.writev(vec![b"W".to_vec(), b"O".to_vec()]).await;
    assert_eq!(res.unwrap(), 2);
    assert_eq!(cursor.get_ref(), b"hello WOrld");
    cursor.set_position(0);
    let (res, buf) = cursor
        .read_exact(Vec::with_capacity(5).slice_mut(..5))
        .await;
    res.unwrap();
    assert_eq!(buf.into_inner(), b"hello");
    assert_eq!(cursor.position(), 5);
    let (res, buf) = cursor.read_to_end(Vec::new()).await;
    assert_eq!(res.unwrap(), 6);
    assert_eq!(buf, b" WOrld");
    // Past the end: reads see end of stream; a write zero-fills the gap.
    cursor.set_position(20);
    let (res, _) = cursor.read(Vec::with_capacity(4)).await;
    assert_eq!(res.unwrap(), 0);
    let (res, _) = cursor.write(b"!".to_vec()).await;
    assert_eq!(res.unwrap(), 1);
    assert_eq!(cursor.get_ref().len(), 21);
    assert_eq!(&cursor.get_ref()[11..20], &[0u8; 9]);
    let (res, _) = cursor.read(Vec::new()).await;
    assert_eq!(res.unwrap_err().kind(), ErrorKind::InvalidInput);
}

#[aio::test]
async fn box_forwards_to_what_it_holds() {
    let (client, server) = tcp_pair().await;
    let mut writer: Box<TcpStream> = Box::new(server);
    let mut reader: Box<TcpStream> = Box::new(client);
    writer.write_all(b"boxed".to_vec()).await.0.unwrap();
    writer.flush().await.unwrap();
    writer.shutdown().await.unwrap();
    let (res, buf) = reader.read_to_end(Vec::new()).await;
    assert_eq!(res.unwrap(), 5);
    assert_eq!(buf, b"boxed");

    let mut boxed: Box<Cursor<Vec<u8>>> = Box::new(Cursor::new(b"xy".to_vec()));
    let (res, buf) = boxed.read_to_end(Vec::new()).await;
    assert_eq!(res.unwrap(), 2);
    assert_eq!(buf, b"xy");
}
