#[aio::test]
async fn takes_input(n: u32) {
    let _ = n;
}

fn main() {}
