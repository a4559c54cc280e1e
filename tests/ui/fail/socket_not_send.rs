// Moving a socket to another thread: the error names aio's documented
// marker (`aio::marker::CoreLocal`), not the runtime's internals.
fn main() {
    aio::Runtime::new().unwrap().block_on(async {
        let socket = aio::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        std::thread::spawn(move || drop(socket));
    });
}
