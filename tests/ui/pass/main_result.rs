use std::io;

async fn answer() -> io::Result<u32> {
    Ok(42)
}

#[aio::main(entries = 64, driver = "auto")]
async fn main() -> io::Result<()> {
    let n = answer().await?;
    if n != 42 {
        return Err(io::Error::other("wrong answer"));
    }
    Ok(())
}
