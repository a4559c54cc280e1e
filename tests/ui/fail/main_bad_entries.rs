#![allow(dead_code)]

#[aio::main(entries = 0)]
async fn zero() {}

#[aio::main(entries = 4294967296)]
async fn too_large() {}

fn main() {}
