#![allow(dead_code)]

#[aio::main(threads = 0)]
async fn zero() {}

#[aio::main(threads = -1)]
async fn negative() {}

#[aio::main(threads = "4")]
async fn string() {}

#[aio::main(threads = 1.5)]
async fn float() {}

#[aio::main(threads = N)]
async fn constant() {}

fn main() {}
