#[aio::test(driver = "epoll", driver = "uring")]
async fn twice() {}

fn main() {}
