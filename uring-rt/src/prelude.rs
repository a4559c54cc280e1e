//! `use aio::prelude::*;` brings the owned-buffer I/O traits, their
//! extension traits and [`StreamExt`] into scope.

pub use crate::io::{AsyncReadRent, AsyncReadRentExt, AsyncWriteRent, AsyncWriteRentExt};
pub use crate::stream::StreamExt;
