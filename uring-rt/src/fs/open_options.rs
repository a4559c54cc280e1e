use std::io;
use std::path::Path;

use super::{cstr, File};
use crate::driver::{ops, Op};

/// Options for opening a file, as `std::fs::OpenOptions`.
///
/// ```no_run
/// # aio::Runtime::new()?.block_on(async {
/// let file = aio::fs::OpenOptions::new().append(true).create(true).open("log.txt").await?;
/// # let _ = file;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions {
    read: bool,
    write: bool,
    append: bool,
    truncate: bool,
    create: bool,
    create_new: bool,
    mode: u32,
    custom_flags: i32,
}

impl OpenOptions {
    /// All options off; mode 0o666 (before the umask).
    pub fn new() -> OpenOptions {
        OpenOptions {
            read: false,
            write: false,
            append: false,
            truncate: false,
            create: false,
            create_new: false,
            mode: 0o666,
            custom_flags: 0,
        }
    }

    /// Open for reading.
    pub fn read(&mut self, on: bool) -> &mut Self {
        self.read = on;
        self
    }

    /// Open for writing.
    pub fn write(&mut self, on: bool) -> &mut Self {
        self.write = on;
        self
    }

    /// Open for appending (implies write).
    pub fn append(&mut self, on: bool) -> &mut Self {
        self.append = on;
        self
    }

    /// Truncate to 0 bytes (needs write).
    pub fn truncate(&mut self, on: bool) -> &mut Self {
        self.truncate = on;
        self
    }

    /// Create the file if it doesn't exist (needs write or append).
    pub fn create(&mut self, on: bool) -> &mut Self {
        self.create = on;
        self
    }

    /// Create the file, failing if it exists (needs write or append).
    pub fn create_new(&mut self, on: bool) -> &mut Self {
        self.create_new = on;
        self
    }

    /// Permission bits for a created file.
    pub fn mode(&mut self, mode: u32) -> &mut Self {
        self.mode = mode;
        self
    }

    /// Extra open(2) flags (e.g. `O_DIRECT`).
    pub fn custom_flags(&mut self, flags: i32) -> &mut Self {
        self.custom_flags = flags;
        self
    }

    fn flags(&self) -> io::Result<i32> {
        let write = self.write || self.append;
        let access = match (self.read, write) {
            (true, false) => libc::O_RDONLY,
            (false, true) => libc::O_WRONLY,
            (true, true) => libc::O_RDWR,
            (false, false) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "open needs read, write or append",
                ))
            }
        };
        if (self.create || self.create_new || self.truncate) && !write {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "create, create_new and truncate need write or append",
            ));
        }
        let mut flags = access | self.custom_flags;
        if self.append {
            flags |= libc::O_APPEND;
        }
        if self.truncate {
            flags |= libc::O_TRUNC;
        }
        if self.create_new {
            flags |= libc::O_CREAT | libc::O_EXCL;
        } else if self.create {
            flags |= libc::O_CREAT;
        }
        Ok(flags)
    }

    /// Opens `path` with these options.
    ///
    /// # Errors
    ///
    /// Invalid option combinations (`InvalidInput`) and open(2) errors
    /// (`NotFound`, `PermissionDenied`, `AlreadyExists` with `create_new`).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future closes the file if the kernel had opened it.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let flags = self.flags()?;
        let path = cstr(path.as_ref())?;
        let fd = Op::submit(ops::OpenAt::new(path, flags, self.mode)).await?;
        Ok(File::from_owned(fd))
    }
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions::new()
    }
}
