use std::rc::Rc;

// With one thread the root future and its output may be `!Send`.
#[aio::main]
async fn main() {
    let shared = Rc::new(String::from("local"));
    let copy = Rc::clone(&shared);
    async {}.await;
    assert_eq!(Rc::strong_count(&copy), 2);
}
