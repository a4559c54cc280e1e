#![allow(dead_code)]

#[aio::main(threads)]
async fn no_value() {}

#[aio::main(threads(4))]
async fn call_syntax() {}

#[aio::main(threads =)]
async fn empty_value() {}

#[aio::main(4)]
async fn no_key() {}

#[aio::main(threads = 2 entries = 8)]
async fn missing_comma() {}

fn main() {}
