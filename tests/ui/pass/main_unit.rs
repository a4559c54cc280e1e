#[aio::main]
async fn main() {}
