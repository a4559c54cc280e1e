#[aio::test(threads = 2)]
async fn on_two_cores() {}

fn main() {}
