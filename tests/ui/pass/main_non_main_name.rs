// Any function name works; the annotated function becomes a sync fn that
// runs its body on a runtime.
#[aio::main(entries = 8)]
async fn serve() -> u32 {
    async { 40 }.await + 2
}

fn main() {
    assert_eq!(serve(), 42);
}
