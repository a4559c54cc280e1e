use std::sync::atomic::{AtomicUsize, Ordering};

static RAN: AtomicUsize = AtomicUsize::new(0);

// One runtime per CPU of the affinity mask, each running the body.
#[aio::main(threads = "all")]
async fn serve() {
    RAN.fetch_add(1, Ordering::SeqCst);
}

fn main() {
    serve();
    let cpus = aio::cores::Cores::all().cpus().unwrap().len();
    assert_eq!(RAN.load(Ordering::SeqCst), cpus);
}
