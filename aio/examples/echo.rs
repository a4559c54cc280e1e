//! A TCP echo server on one core.
//!
//! ```text
//! cargo run --release --example echo -- 127.0.0.1:7000
//! ```

use aio::io::{AsyncReadRent, AsyncWriteRentExt};
use aio::net::TcpListener;

#[aio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7000".into());
    let listener = TcpListener::bind(&addr)?;
    println!(
        "echo server on {} ({:?} backend)",
        listener.local_addr()?,
        aio::Driver::current()
    );
    loop {
        let (mut stream, _peer) = listener.accept().await?;
        aio::spawn(async move {
            let mut buf = Vec::with_capacity(16 * 1024);
            loop {
                // The buffer moves into the read and comes back with the result.
                let (res, b) = stream.read(buf).await;
                match res {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let (res, mut b) = stream.write_all(b).await;
                if res.is_err() {
                    return;
                }
                b.clear();
                buf = b;
            }
        });
    }
}
