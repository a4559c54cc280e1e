#![allow(dead_code)]

#[aio::main(crate = "not a path")]
async fn spaces() {}

#[aio::main(crate = "")]
async fn empty() {}

#[aio::main(crate = aio)]
async fn not_a_string() {}

fn main() {}
