//! Files on owned buffers: positional reads and writes, sync, metadata,
//! and whole-file helpers.
//!
//! On io_uring every call is a ring op. On epoll (regular files have no
//! readiness) the same ops run on the blocking thread pool.
//!
//! Dropping a [`File`] closes it without blocking the core on a flush (NFS,
//! FUSE): on io_uring the close is submitted to the ring, which flushes on
//! a worker thread (an error, if any, is lost); on epoll it is a plain
//! close(2). [`File::close`] closes it and reports the close's own error (a
//! deferred write error on NFS, for one).

#![forbid(unsafe_code)]

mod file;
mod functions;
mod metadata;
mod open_options;

pub use file::File;
pub use functions::{
    create_dir, create_dir_all, metadata, read, remove_dir, remove_file, rename, symlink_metadata,
    write,
};
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
