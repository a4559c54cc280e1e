//! Attributes, visibility and doc comments survive the expansion.
#![deny(unused_mut, missing_docs)]

/// The entry point (a doc comment: `missing_docs` is denied above).
#[aio::main(driver = "epoll")]
#[allow(unused_variables)]
pub async fn main() {
    #![allow(unused_assignments)]
    let unused = 1;
    let mut x = 1;
    x = 2;
    let _ = x;
}
