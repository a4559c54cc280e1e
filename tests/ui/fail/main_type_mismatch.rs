#[aio::main]
async fn main() {
    let answer = 42;
    Ok(answer)
}
