use std::rc::Rc;

async fn touch(_: &Rc<u32>) {}

// Each core builds its own copy of the body, so the body future itself need
// not be `Send`: holding an `Rc` across an `.await` is fine. Only the output
// travels between threads.
#[aio::main(threads = 2)]
async fn main() -> Result<(), String> {
    let local = Rc::new(7);
    touch(&local).await;
    if *local == 7 {
        Ok(())
    } else {
        Err(format!("{local}"))
    }
}
