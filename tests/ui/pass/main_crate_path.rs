// `crate = "..."` names aio when it is reachable under another path.
mod reexport {
    pub use ::aio as runtime;
}

#[aio::main(crate = "reexport::runtime")]
async fn main() {}
