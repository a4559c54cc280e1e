#[aio::main(threads = 0, bogus = 1)]
fn main() {}
