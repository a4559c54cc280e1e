#![allow(dead_code)]

#[aio::main(driver = "foo")]
async fn unknown() {}

#[aio::main(driver = "io_uring")]
async fn close_but_wrong() {}

#[aio::main(driver = epoll)]
async fn not_a_string() {}

fn main() {}
