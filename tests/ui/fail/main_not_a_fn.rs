#[aio::main]
struct Server;

fn main() {}
