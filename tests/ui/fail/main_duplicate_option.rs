#[aio::main(threads = 2, entries = 64, threads = 4)]
async fn main() {}
