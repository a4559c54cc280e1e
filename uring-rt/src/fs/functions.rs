use std::io;
use std::path::Path;

use super::{cstr, File, Metadata};
use crate::driver::{ops, Op};

/// Reads a whole file into a `Vec`.
///
/// # Errors
///
/// open/read errors.
///
/// # Cancel safety
///
/// Not cancel safe (what was read is dropped).
///
/// # Panics
///
/// Panics outside an aio runtime.
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let file = File::open(path).await?;
    let len = file.metadata().await?.len() as usize;
    let mut buf = Vec::with_capacity(len.max(64));
    loop {
        if buf.len() == buf.capacity() {
            buf.reserve(buf.capacity().max(4096));
        }
        let pos = buf.len() as u64;
        let (res, b) = file.read_at(buf, pos).await;
        buf = b;
        match res {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    file.close().await?;
    Ok(buf)
}

/// Writes `contents` to a file, creating or truncating it.
///
/// # Errors
///
/// open/write/close errors.
///
/// # Cancel safety
///
/// Not cancel safe (the file may be partly written).
///
/// # Panics
///
/// Panics outside an aio runtime.
pub async fn write(path: impl AsRef<Path>, contents: impl Into<Vec<u8>>) -> io::Result<()> {
    let file = File::create(path).await?;
    let (res, _) = file.write_all_at(contents.into(), 0).await;
    res?;
    file.close().await
}

/// Removes a file.
///
/// # Errors
///
/// unlink(2) errors (`NotFound`, `IsADirectory`...).
///
/// # Cancel safety
///
/// The file may or may not be removed.
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    Op::submit(ops::UnlinkAt::new(cstr(path.as_ref())?, false)).await
}

/// Removes an empty directory.
///
/// # Errors
///
/// rmdir(2) errors (`DirectoryNotEmpty`...).
///
/// # Cancel safety
///
/// The directory may or may not be removed.
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    Op::submit(ops::UnlinkAt::new(cstr(path.as_ref())?, true)).await
}

/// Renames `from` to `to`, replacing `to` if it exists.
///
/// # Errors
///
/// rename(2) errors.
///
/// # Cancel safety
///
/// The rename may or may not have happened.
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    Op::submit(ops::RenameAt::new(cstr(from.as_ref())?, cstr(to.as_ref())?)).await
}

/// Creates a directory (mode 0o777 before the umask).
///
/// # Errors
///
/// mkdir(2) errors (`AlreadyExists`, `NotFound` for a missing parent).
///
/// # Cancel safety
///
/// The directory may or may not be created.
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    Op::submit(ops::MkdirAt::new(cstr(path.as_ref())?, 0o777)).await
}

/// Metadata of the file at `path`, following symlinks.
///
/// # Errors
///
/// statx(2) errors (`NotFound`...).
///
/// # Cancel safety
///
/// Cancel safe.
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    Op::submit(ops::Statx::of_path(cstr(path.as_ref())?, true))
        .await
        .map(Metadata::new)
}
