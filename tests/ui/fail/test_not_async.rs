#[aio::test]
fn plain() {}

fn main() {}
