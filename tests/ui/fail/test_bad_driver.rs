#[aio::test(driver = "kqueue")]
async fn unknown_driver() {}

fn main() {}
