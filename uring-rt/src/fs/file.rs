use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::path::Path;

use super::{Metadata, OpenOptions};
use crate::buf::{IoBuf, IoBufMut, SliceMut};
use crate::driver::fd::SharedFd;
use crate::driver::{ops, Op};
use crate::pool::FixedBuf;
use crate::BufResult;

/// An open file. I/O is positional (`read_at`/`write_at`), so there is no
/// cursor to share between concurrent operations.
///
/// ```no_run
/// # aio::Runtime::new()?.block_on(async {
/// let file = aio::fs::File::create("hello.txt").await?;
/// let (res, _) = file.write_all_at(b"hello".to_vec(), 0).await;
/// res?;
/// file.sync_all().await?;
/// file.close().await?;
/// # Ok::<(), std::io::Error>(())
/// # })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct File {
    _core: crate::marker::NotSend,
    fd: SharedFd,
}

impl File {
    /// The descriptor, for ops of other modules (`TcpStream::sendfile`).
    pub(crate) fn shared_fd(&self) -> &SharedFd {
        &self.fd
    }

    pub(crate) fn from_owned(fd: OwnedFd) -> File {
        File {
            _core: std::marker::PhantomData,
            fd: SharedFd::new(fd),
        }
    }

    /// Adopts an open `std::fs::File` (as tokio's `File::from_std`): its
    /// descriptor, offset-independent from now on, since aio's I/O is
    /// positional.
    ///
    /// ```no_run
    /// # aio::Runtime::new()?.block_on(async {
    /// let file = aio::fs::File::from_std(std::fs::File::open("Cargo.toml")?)?;
    /// let (res, head) = file.read_at(Vec::with_capacity(64), 0).await;
    /// res?;
    /// # let _ = head;
    /// # Ok::<(), std::io::Error>(())
    /// # })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// None today; the `Result` leaves room for a backend that must
    /// register the descriptor.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime (a `File` belongs to the core that
    /// made it).
    #[track_caller]
    pub fn from_std(file: std::fs::File) -> io::Result<File> {
        crate::runtime::context::assert_in_runtime("aio::fs::File::from_std");
        Ok(File::from_owned(OwnedFd::from(file)))
    }

    /// Opens a file for reading.
    ///
    /// # Errors
    ///
    /// open(2) errors (`NotFound`, `PermissionDenied`...).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future closes the file if it was opened.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Creates (or truncates) a file for writing.
    ///
    /// # Errors
    ///
    /// open(2) errors.
    ///
    /// # Cancel safety
    ///
    /// As for [`open`](Self::open).
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// Reads at `pos` into `buf`'s writable region; `Ok(0)` at end of file.
    ///
    /// # Errors
    ///
    /// pread(2) errors; the buffer comes back.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future cancels the read; the buffer is freed only once
    /// the kernel is done with it.
    pub async fn read_at<B: IoBufMut>(&self, buf: B, pos: u64) -> BufResult<usize, B> {
        if buf.bytes_total() == 0 {
            return (Err(crate::buf::no_room()), buf);
        }
        Op::submit(ops::Read::new(self.fd.clone(), buf, pos)).await
    }

    /// Writes `buf`'s initialized bytes at `pos`; may be partial.
    ///
    /// # Errors
    ///
    /// pwrite(2) errors; the buffer comes back.
    ///
    /// # Cancel safety
    ///
    /// As for [`read_at`](Self::read_at); some bytes may have been written.
    pub async fn write_at<B: IoBuf>(&self, buf: B, pos: u64) -> BufResult<usize, B> {
        Op::submit(ops::Write::new(self.fd.clone(), buf, pos)).await
    }

    /// Reads at `pos` into a registered buffer, appending to its bytes as
    /// [`read_at`](Self::read_at) appends to a `Vec`; `Ok(0)` at end of
    /// file.
    ///
    /// With a pool registered on this runtime's ring
    /// ([`FixedBufPool::is_registered`]) this is IORING_OP_READ_FIXED: the
    /// kernel uses the pages it pinned at registration instead of pinning
    /// the buffer for this read. Elsewhere (epoll, another runtime's pool)
    /// it is a plain pread(2) into the same memory.
    ///
    /// ```no_run
    /// use aio::buf::FixedBufPool;
    /// use aio::fs::File;
    ///
    /// # aio::Runtime::new()?.block_on(async {
    /// let pool = FixedBufPool::new(8, 4096)?;
    /// let file = File::open("data.bin").await?;
    /// let buf = pool.get().expect("a free buffer");
    /// let (res, buf) = file.read_fixed_at(buf, 0).await;
    /// let n = res?;
    /// assert_eq!(buf.len(), n);
    /// # Ok::<(), std::io::Error>(())
    /// # })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidInput` if the buffer is full (`len() == capacity()`), which
    /// would read nothing and look like end of file; pread(2) errors. The
    /// buffer comes back either way.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future cancels the read; the buffer goes back to its
    /// pool only once the kernel is done with it.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    ///
    /// [`FixedBufPool::is_registered`]: crate::pool::FixedBufPool::is_registered
    pub async fn read_fixed_at(&self, buf: FixedBuf, pos: u64) -> BufResult<usize, FixedBuf> {
        if let Err(e) = buf.check_room() {
            return (Err(e), buf);
        }
        Op::submit(ops::ReadFixed::new(self.fd.clone(), buf, pos)).await
    }

    /// Writes a registered buffer's bytes at `pos`; may be partial.
    ///
    /// IORING_OP_WRITE_FIXED with a pool registered on this runtime's ring,
    /// a plain pwrite(2) elsewhere (see
    /// [`read_fixed_at`](Self::read_fixed_at)).
    ///
    /// ```no_run
    /// use aio::buf::FixedBufPool;
    /// use aio::fs::File;
    ///
    /// # aio::Runtime::new()?.block_on(async {
    /// let pool = FixedBufPool::new(8, 4096)?;
    /// let file = File::create("data.bin").await?;
    /// let mut buf = pool.get().expect("a free buffer");
    /// buf.extend_from_slice(b"hello");
    /// let (res, _buf) = file.write_fixed_at(buf, 0).await;
    /// assert_eq!(res?, 5);
    /// # Ok::<(), std::io::Error>(())
    /// # })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// pwrite(2) errors; the buffer comes back.
    ///
    /// # Cancel safety
    ///
    /// As for [`read_fixed_at`](Self::read_fixed_at); some bytes may have
    /// been written.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    pub async fn write_fixed_at(&self, buf: FixedBuf, pos: u64) -> BufResult<usize, FixedBuf> {
        Op::submit(ops::WriteFixed::new(self.fd.clone(), buf, pos)).await
    }

    /// Reads at `pos` into several buffers in order (preadv).
    ///
    /// # Errors
    ///
    /// preadv(2) errors; the buffers come back.
    ///
    /// # Cancel safety
    ///
    /// As for [`read_at`](Self::read_at).
    pub async fn readv_at<B: IoBufMut>(&self, bufs: Vec<B>, pos: u64) -> BufResult<usize, Vec<B>> {
        if bufs.iter().all(|b| b.bytes_total() == 0) {
            return (Err(crate::buf::no_room()), bufs);
        }
        Op::submit(ops::Readv::new(self.fd.clone(), bufs, pos)).await
    }

    /// Writes several buffers in order at `pos` (pwritev); may be partial.
    ///
    /// # Errors
    ///
    /// pwritev(2) errors; the buffers come back.
    ///
    /// # Cancel safety
    ///
    /// As for [`write_at`](Self::write_at).
    pub async fn writev_at<B: IoBuf>(&self, bufs: Vec<B>, pos: u64) -> BufResult<usize, Vec<B>> {
        Op::submit(ops::Writev::new(self.fd.clone(), bufs, pos)).await
    }

    /// Fills `buf`'s whole writable region from `pos`.
    ///
    /// # Errors
    ///
    /// `UnexpectedEof` if the file ends first (the bytes read are in the
    /// returned buffer), or a read error.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: bytes read before the drop are lost.
    pub async fn read_exact_at<B: IoBufMut>(&self, buf: B, pos: u64) -> BufResult<(), B> {
        if buf.bytes_total() == 0 {
            return (Err(crate::buf::no_room()), buf);
        }
        // The slice advances over the region as reads land, and marks the
        // bytes initialized in the buffer once, when it is unwrapped.
        let mut slice = SliceMut::whole(buf);
        let mut done = 0u64;
        while slice.bytes_total() > 0 {
            let (res, back) = self.read_at(slice, pos + done).await;
            slice = back;
            match res {
                Ok(0) => {
                    let eof = io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "file ended before the buffer was full",
                    );
                    return (Err(eof), slice.into_inner());
                }
                Ok(n) => done += n as u64,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Err(e), slice.into_inner()),
            }
        }
        (Ok(()), slice.into_inner())
    }

    /// Reads from `pos` to the end of the file, appending to `buf`, and
    /// returns how many bytes were read. Capacity grows geometrically
    /// (at least 4 KiB at a time) while the file goes on.
    ///
    /// ```no_run
    /// # aio::Runtime::new()?.block_on(async {
    /// let file = aio::fs::File::open("Cargo.toml").await?;
    /// let (res, tail) = file.read_to_end_at(Vec::new(), 10).await;
    /// println!("{} bytes after the first 10", res?);
    /// # let _ = tail;
    /// # Ok::<(), std::io::Error>(())
    /// # })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A read error other than `Interrupted` (retried); the buffer comes
    /// back with the bytes read before it.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: bytes read before the drop are lost.
    pub async fn read_to_end_at(&self, mut buf: Vec<u8>, pos: u64) -> BufResult<usize, Vec<u8>> {
        let start = buf.len();
        loop {
            if buf.len() == buf.capacity() {
                buf.reserve(buf.capacity().max(4096));
            }
            let at = pos + (buf.len() - start) as u64;
            let (res, back) = self.read_at(buf, at).await;
            buf = back;
            match res {
                Ok(0) => return (Ok(buf.len() - start), buf),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Err(e), buf),
            }
        }
    }

    /// Writes all of `buf`'s initialized bytes starting at `pos`.
    ///
    /// # Errors
    ///
    /// `WriteZero` if the kernel writes nothing, or a write error.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: a prefix may have been written.
    pub async fn write_all_at<B: IoBuf>(&self, buf: B, pos: u64) -> BufResult<(), B> {
        let total = buf.bytes_init();
        let mut buf = buf;
        let mut done = 0;
        while done < total {
            let slice = buf.slice(done..total);
            let (res, s) = self.write_at(slice, pos + done as u64).await;
            buf = s.into_inner();
            match res {
                Ok(0) => {
                    return (
                        Err(io::Error::new(io::ErrorKind::WriteZero, "write returned 0")),
                        buf,
                    )
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Err(e), buf),
            }
        }
        (Ok(()), buf)
    }

    /// Flushes data and metadata to the device (fsync).
    ///
    /// # Errors
    ///
    /// fsync(2) errors (e.g. `EIO`).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, but the sync may or may not have happened.
    pub async fn sync_all(&self) -> io::Result<()> {
        Op::submit(ops::Fsync::new(self.fd.clone(), false)).await
    }

    /// Flushes data (and the metadata needed to read it back) (fdatasync).
    ///
    /// # Errors
    ///
    /// fdatasync(2) errors.
    ///
    /// # Cancel safety
    ///
    /// As for [`sync_all`](Self::sync_all).
    pub async fn sync_data(&self) -> io::Result<()> {
        Op::submit(ops::Fsync::new(self.fd.clone(), true)).await
    }

    /// Truncates or extends the file to `size` bytes (ftruncate(2)), as
    /// `std::fs::File::set_len`; an extension reads as zeros.
    ///
    /// It runs on the blocking pool, on a duplicate of the descriptor
    /// (io_uring's `IORING_OP_FTRUNCATE` needs Linux 6.9).
    ///
    /// ```no_run
    /// # aio::Runtime::new()?.block_on(async {
    /// let file = aio::fs::File::create("sparse.bin").await?;
    /// file.set_len(1 << 20).await?;
    /// assert_eq!(file.metadata().await?.len(), 1 << 20);
    /// # Ok::<(), std::io::Error>(())
    /// # })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// dup(2) or ftruncate(2) errors (`InvalidInput` for a file not open
    /// for writing, `FileTooLarge`...).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not stop the job: the size may or may not
    /// change.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    pub async fn set_len(&self, size: u64) -> io::Result<()> {
        let file = std::fs::File::from(self.fd.as_fd().try_clone_to_owned()?);
        crate::task::spawn_blocking(move || file.set_len(size)).await?
    }

    /// The file's metadata.
    ///
    /// # Errors
    ///
    /// statx(2) errors.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        Op::submit(ops::Statx::of_fd(self.fd.clone()))
            .await
            .map(Metadata::new)
    }

    /// Closes the file and reports the close's own error, which dropping
    /// cannot. If operations still hold the descriptor (their futures were
    /// dropped and the kernel has not finished with them yet), this waits
    /// until they let it go, then closes it; it never reports success
    /// without having closed.
    ///
    /// Dropping a `File` closes it too, without blocking the core on a
    /// flush: on io_uring the close goes to the ring; on epoll it is a plain
    /// close(2).
    ///
    /// # Errors
    ///
    /// close(2) errors, e.g. a deferred write error reported when NFS
    /// flushes, or `EBADF` if the descriptor was closed behind aio's back.
    /// The descriptor is released even then.
    ///
    /// # Cancel safety
    ///
    /// The file is closed either way: dropping the future while it waits
    /// leaves the close to whichever operation lets go last, and dropping it
    /// once the close is submitted lets the close complete unobserved.
    ///
    /// # Panics
    ///
    /// Panics outside an aio runtime.
    pub async fn close(self) -> io::Result<()> {
        let fd = self.fd.into_unique().await;
        Op::submit(ops::Close::new(fd)).await
    }
}

impl AsRawFd for File {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.raw()
    }
}

/// For calls that take any descriptor, as `aio::io::splice` from a file
/// into a pipe, or `fstat`/`flock` through rustix or libc.
impl AsFd for File {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File").field("fd", &self.fd.raw()).finish()
    }
}
