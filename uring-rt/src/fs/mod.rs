//! Files on owned buffers: positional reads and writes, sync, metadata,
//! and whole-file helpers.
//!
//! On io_uring every call is a ring op. On epoll (regular files have no
//! readiness) the same ops run on the blocking thread pool.

#![forbid(unsafe_code)]

mod file;
mod functions;
mod metadata;
mod open_options;

pub use file::File;
pub use functions::{create_dir, metadata, read, remove_dir, remove_file, rename, write};
pub use metadata::Metadata;
pub use open_options::OpenOptions;

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// `path` as a C string.
pub(crate) fn cstr(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}
