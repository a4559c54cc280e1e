//! An HTTP/2 client check shared by the hyper tests (over plain TCP and
//! over TLS): many concurrent echo streams on one connection.

use std::time::Duration;

use aio::compat::{Compat, HyperExecutor, HyperTimer};
use aio::io::AsyncRentDuplex;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;

use super::{first_difference, pattern, within};

/// Opens an HTTP/2 client connection over `io`, sends `streams` POSTs at
/// once (stream `i` carries `pattern(seed + i, 1000 + i * step)` to
/// `{base}/s/{i}`), and checks each answer: 200, HTTP/2, the echoed body
/// and an `x-path: /s/{i}` header. Returns once the client connection has
/// ended cleanly.
pub async fn echo_streams<T: AsyncRentDuplex + 'static>(
    io: T,
    streams: usize,
    seed: u64,
    step: usize,
    base: &str,
    limit: Duration,
) {
    let (sender, conn) = hyper::client::conn::http2::Builder::new(HyperExecutor::new())
        .timer(HyperTimer::new())
        .handshake::<_, Full<Bytes>>(Compat::new(io))
        .await
        .unwrap();
    let conn = aio::spawn(conn);
    let mut tasks = Vec::new();
    for i in 0..streams {
        let mut sender = sender.clone();
        let url = format!("{base}/s/{i}");
        tasks.push(aio::spawn(async move {
            let body = pattern(seed + i as u64, 1000 + i * step);
            sender.ready().await.unwrap();
            let req = Request::post(url)
                .body(Full::new(Bytes::from(body.clone())))
                .unwrap();
            let resp = sender.send_request(req).await.unwrap();
            assert_eq!(resp.status(), 200);
            assert_eq!(resp.version(), hyper::Version::HTTP_2);
            assert_eq!(resp.headers()["x-path"], format!("/s/{i}").as_str());
            let got = resp.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(got.len(), body.len(), "stream {i}: echoed length");
            assert_eq!(
                first_difference(&got, &body),
                None,
                "stream {i}: bytes differ"
            );
        }));
    }
    within(limit, &format!("{streams} concurrent h2 streams"), async {
        for t in tasks {
            t.await.unwrap();
        }
    })
    .await;
    drop(sender);
    within(limit, "client connection ends", conn)
        .await
        .unwrap()
        .unwrap();
}
