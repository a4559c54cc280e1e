#![cfg(feature = "hyper")]
//! hyper 1.x on aio through `aio::compat` (feature `hyper`): HTTP/1.1
//! keep-alive with bodies up to 1 MiB both ways, h2c with 100 concurrent
//! streams (HyperExecutor, HyperTimer), hyper's header-read timeout on
//! HyperTimer, and HyperTimer's reset. On both drivers.

mod support;

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use aio::compat::{Compat, HyperExecutor, HyperTimer};
use aio::io::AsyncReadRent;
use aio::net::{TcpListener, TcpStream};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::rt::Timer;
use hyper::service::service_fn;
use hyper::{Request, Response};
use support::{first_difference, pattern, within};

const LIMIT: Duration = Duration::from_secs(60);

/// Echoes the request body, with the request's path in a header.
async fn echo(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let path = req.uri().path().to_string();
    let body = req.into_body().collect().await?.to_bytes();
    Ok(Response::builder()
        .header("x-path", path)
        .body(Full::new(body))
        .unwrap())
}

/// The request body size of request `i`: mostly small, every 20th 1 MiB.
fn size_of(i: usize) -> usize {
    if i % 20 == 0 {
        1 << 20
    } else {
        (i * 7919) % 70_000
    }
}

#[aio::test]
async fn http1_keep_alive_200_requests_bodies_up_to_1_mib() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Rc::new(Cell::new(0));
    let server = {
        let accepted = accepted.clone();
        aio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                accepted.set(accepted.get() + 1);
                aio::spawn(async move {
                    hyper::server::conn::http1::Builder::new()
                        .timer(HyperTimer::new())
                        .serve_connection(Compat::new(stream), service_fn(echo))
                        .await
                        .unwrap();
                });
            }
        })
    };
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(Compat::new(stream))
        .await
        .unwrap();
    let conn = aio::spawn(conn);
    within(LIMIT, "200 requests", async {
        for i in 0..200 {
            let body = pattern(i as u64, size_of(i));
            sender.ready().await.unwrap();
            let req = Request::post(format!("/r/{i}"))
                .header("host", "aio.test")
                .body(Full::new(Bytes::from(body.clone())))
                .unwrap();
            let resp = sender.send_request(req).await.unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.headers()["x-path"], format!("/r/{i}").as_str());
            let got = resp.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(got.len(), body.len(), "request {i}: echoed length");
            assert_eq!(
                first_difference(&got, &body),
                None,
                "request {i}: bytes differ"
            );
        }
    })
    .await;
    assert_eq!(
        accepted.get(),
        1,
        "all 200 requests went over one connection"
    );
    drop(sender);
    within(LIMIT, "client connection ends", conn)
        .await
        .unwrap()
        .unwrap();
    server.abort();
}

#[aio::test]
async fn h2c_100_concurrent_streams() {
    const STREAMS: usize = 100;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // Every handler waits for all the others: the test only finishes if
    // all 100 streams are open at once on the one connection.
    let barrier = Rc::new(aio::sync::Barrier::new(STREAMS));
    let server = aio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let service = service_fn(move |req: Request<Incoming>| {
            let barrier = barrier.clone();
            async move {
                barrier.wait().await;
                echo(req).await
            }
        });
        hyper::server::conn::http2::Builder::new(HyperExecutor::new())
            .timer(HyperTimer::new())
            .max_concurrent_streams(STREAMS as u32 * 2)
            .keep_alive_interval(Duration::from_secs(5))
            .serve_connection(Compat::new(stream), service)
            .await
    });
    let stream = TcpStream::connect(addr).await.unwrap();
    support::h2::echo_streams(stream, STREAMS, 1000, 2_000, "http://aio.test", LIMIT).await;
    within(LIMIT, "server connection ends", server)
        .await
        .unwrap()
        .unwrap();
}

#[aio::test]
async fn hyper_header_read_timeout_fires_on_hyper_timer() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = aio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        hyper::server::conn::http1::Builder::new()
            .timer(HyperTimer::new())
            .header_read_timeout(Duration::from_millis(100))
            .serve_connection(Compat::new(stream), service_fn(echo))
            .await
    });
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let start = Instant::now();
    // The client sends half a request line and stops.
    aio::io::AsyncWriteRentExt::write_all(&mut silent, b"GET / HT")
        .await
        .0
        .unwrap();
    let res = within(LIMIT, "header read timeout", server).await.unwrap();
    assert!(
        res.is_err(),
        "the server should give up on the silent client"
    );
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(90),
        "timed out after {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(10),
        "timed out after {waited:?}"
    );
    // The connection is closed.
    let (res, _) = silent.read(Vec::with_capacity(1024)).await;
    assert!(matches!(res, Ok(0) | Err(_)), "{res:?}");
}

#[aio::test]
async fn hyper_timer_sleeps_and_resets() {
    let timer = HyperTimer::new();
    let start = Instant::now();
    timer.sleep(Duration::from_millis(20)).await;
    assert!(start.elapsed() >= Duration::from_millis(20));
    // An hour-long sleep, reset to a few milliseconds, completes then.
    let mut long = timer.sleep(Duration::from_secs(3600));
    let polled = aio::time::timeout(Duration::from_millis(5), long.as_mut()).await;
    assert!(polled.is_err(), "not due yet");
    let start = Instant::now();
    timer.reset(&mut long, Instant::now() + Duration::from_millis(10));
    within(Duration::from_secs(5), "reset sleep", long).await;
    assert!(start.elapsed() >= Duration::from_millis(10));
}
