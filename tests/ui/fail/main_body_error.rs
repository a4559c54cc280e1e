#[aio::main]
async fn main() -> std::io::Result<()> {
    let n: u32 = "not a number";
    let _ = n;
    Ok(())
}
