// A `-> !` main (a server that never returns) is accepted.
#[aio::main]
async fn main() -> ! {
    async {}.await;
    std::process::exit(0)
}
