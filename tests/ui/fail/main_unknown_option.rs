#![allow(dead_code)]

#[aio::main(foo = 1)]
async fn unknown() {}

#[aio::main(worker_threads = 4)]
async fn from_tokio() {}

#[aio::main(flavor = "multi_thread")]
async fn flavor() {}

fn main() {}
