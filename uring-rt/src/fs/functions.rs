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

/// Creates a directory and every missing parent, as
/// `std::fs::create_dir_all`: a path that already is a directory is
/// `Ok(())`, and so is one another process creates meanwhile.
///
/// It runs on the blocking pool (one mkdir(2) per component, and the
/// retries that make it race-free, as std does) while the core goes on.
///
/// ```no_run
/// # aio::Runtime::new()?.block_on(async {
/// aio::fs::create_dir_all("data/2024/01").await?;
/// aio::fs::create_dir_all("data/2024/01").await?; // already there: Ok
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
///
/// mkdir(2) errors other than `AlreadyExists` for a directory (a parent
/// that is a file: `NotADirectory` or `AlreadyExists`; `PermissionDenied`).
///
/// # Cancel safety
///
/// Dropping the future does not stop the job: some or all of the
/// directories may be created.
///
/// # Panics
///
/// Panics outside an aio runtime.
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    crate::task::spawn_blocking(move || std::fs::create_dir_all(path)).await?
}

/// Metadata of the file at `path` without following a final symlink (a
/// symlink's own metadata: [`Metadata::is_symlink`] is true), as
/// `std::fs::symlink_metadata`; statx(2) with `AT_SYMLINK_NOFOLLOW`.
///
/// ```no_run
/// # aio::Runtime::new()?.block_on(async {
/// std::os::unix::fs::symlink("target.txt", "link")?;
/// assert!(aio::fs::symlink_metadata("link").await?.is_symlink());
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Errors
///
/// statx(2) errors (`NotFound`...).
///
/// # Cancel safety
///
/// Cancel safe.
///
/// # Panics
///
/// Panics outside an aio runtime.
pub async fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    Op::submit(ops::Statx::of_path(cstr(path.as_ref())?, false))
        .await
        .map(Metadata::new)
}

/// Runs `f` on the blocking pool: for the file-system calls io_uring has no
/// opcode for.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    crate::task::spawn_blocking(f).await?
}

/// Creates a hard link `link` to the file at `original` (as
/// `std::fs::hard_link`; IORING_OP_LINKAT on io_uring).
///
/// # Errors
///
/// linkat(2) errors: `AlreadyExists`, `NotFound`, `EXDEV` across file
/// systems, `EPERM` for a directory.
///
/// # Cancel safety
///
/// The link may or may not be created.
///
/// # Panics
///
/// Polling it outside an aio runtime panics.
pub async fn hard_link(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let op = ops::LinkAt::new(cstr(original.as_ref())?, cstr(link.as_ref())?);
    Op::submit(op).await
}

/// Creates a symbolic link `link` whose content is `original` (as
/// `std::os::unix::fs::symlink`; IORING_OP_SYMLINKAT on io_uring). A
/// relative `original` is resolved from `link`'s directory when the link is
/// followed; it need not exist.
///
/// # Errors
///
/// symlinkat(2) errors (`AlreadyExists`, `NotFound` for a missing parent
/// of `link`).
///
/// # Cancel safety
///
/// The link may or may not be created.
///
/// # Panics
///
/// Polling it outside an aio runtime panics.
pub async fn symlink(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let op = ops::SymlinkAt::new(cstr(original.as_ref())?, cstr(link.as_ref())?);
    Op::submit(op).await
}

/// Copies the contents and permissions of the file `from` to `to`,
/// replacing `to`; returns the number of bytes copied (as `std::fs::copy`,
/// which it runs on the blocking pool: the copy is `copy_file_range(2)`,
/// inside the kernel, reflinked where the file system can).
///
/// # Errors
///
/// `from` is missing or not a regular file, `to` cannot be written.
///
/// # Cancel safety
///
/// Dropping the future does not stop the copy, which finishes on the pool.
///
/// # Panics
///
/// Panics if polled outside an aio runtime.
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    blocking(move || std::fs::copy(from, to)).await
}

/// Removes a directory and everything in it, without following symbolic
/// links (as `std::fs::remove_dir_all`, run on the blocking pool: io_uring
/// has no directory-listing op).
///
/// # Errors
///
/// `NotFound`, a permission error on any entry (what was removed before
/// stays removed).
///
/// # Cancel safety
///
/// Dropping the future does not stop the removal, which finishes on the
/// pool.
///
/// # Panics
///
/// Panics if polled outside an aio runtime.
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    blocking(move || std::fs::remove_dir_all(path)).await
}

/// The absolute path of `path` with every symbolic link, `.` and `..`
/// resolved (as `std::fs::canonicalize`, run on the blocking pool).
///
/// # Errors
///
/// `NotFound` if `path` or a component does not exist.
///
/// # Cancel safety
///
/// Cancel safe.
///
/// # Panics
///
/// Panics if polled outside an aio runtime.
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<std::path::PathBuf> {
    let path = path.as_ref().to_owned();
    blocking(move || std::fs::canonicalize(path)).await
}
