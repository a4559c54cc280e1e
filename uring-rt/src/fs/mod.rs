//! Files on owned buffers: positional reads and writes, sync, metadata,
//! whole-file helpers, links and directory listings.
//!
//! On io_uring every call is a ring op, links included, except those
//! io_uring has no opcode for ([`read_dir`], [`copy`], [`remove_dir_all`],
//! [`canonicalize`]), which run on the blocking thread pool. On epoll
//! (regular files have no readiness) every call runs on that pool.
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
mod read_dir;

pub use file::File;
pub use functions::{
    canonicalize, copy, create_dir, create_dir_all, hard_link, metadata, read, remove_dir,
    remove_dir_all, remove_file, rename, symlink, symlink_metadata, write,
};
pub use metadata::Metadata;
pub use open_options::OpenOptions;
pub use read_dir::{read_dir, DirEntry, ReadDir};
/// The type of a file (regular, directory, symbolic link, ...): std's.
pub use std::fs::FileType;

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// `path` as a C string.
pub(crate) fn cstr(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}
