//! [`read_dir`]: a directory's entries as a `Stream`, listed on the
//! blocking pool (io_uring has no getdents op) in batches, so one pool
//! round trip serves many entries.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::FileType;
use std::future::{poll_fn, Future};
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::Metadata;
use crate::stream::Stream;
use crate::task::JoinHandle;

/// Entries fetched per trip to the blocking pool.
const BATCH: usize = 128;

/// One batch from the pool: the entries, and the listing to go on with
/// (`None` once it is exhausted).
type Batch = (VecDeque<io::Result<DirEntry>>, Option<std::fs::ReadDir>);

/// Lists the directory at `path`: a [`ReadDir`] yielding its entries (not
/// `.` and `..`), in the order the file system keeps them (as
/// `std::fs::read_dir`, which it runs on the blocking pool, 128 entries per
/// trip).
///
/// # Errors
///
/// `NotFound`, `NotADirectory`, a permission error: when opening the
/// directory. An error while listing comes as an item of the stream.
///
/// # Panics
///
/// Panics if polled outside an aio runtime.
///
/// # Examples
///
/// ```
/// use aio::stream::StreamExt;
///
/// aio::Runtime::new().unwrap().block_on(async {
///     let mut dir = aio::fs::read_dir(".").await.unwrap();
///     let mut names = Vec::new();
///     while let Some(entry) = dir.next().await {
///         names.push(entry.unwrap().file_name());
///     }
///     assert!(names.iter().any(|n| n == "Cargo.toml"));
/// });
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let iter = crate::task::spawn_blocking(move || std::fs::read_dir(path)).await??;
    Ok(ReadDir {
        ready: VecDeque::new(),
        state: State::Idle(Some(iter)),
    })
}

/// The entries of a directory, from [`read_dir`]: a
/// `Stream<Item = io::Result<DirEntry>>`, or call
/// [`next_entry`](Self::next_entry).
///
/// Dropping it while a batch is being listed lets the pool finish that
/// batch and drops it there.
pub struct ReadDir {
    /// Entries listed and not yet handed out.
    ready: VecDeque<io::Result<DirEntry>>,
    state: State,
}

enum State {
    /// Not listing; `None` once the directory is exhausted.
    Idle(Option<std::fs::ReadDir>),
    /// A batch is being listed on the pool.
    Listing(JoinHandle<Batch>),
}

impl ReadDir {
    /// The next entry, `Ok(None)` after the last (tokio's `next_entry`).
    ///
    /// # Errors
    ///
    /// An error reading the directory (the listing goes on after it).
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_entry(cx)).await.transpose()
    }

    fn poll_entry(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<DirEntry>>> {
        loop {
            if let Some(entry) = self.ready.pop_front() {
                return Poll::Ready(Some(entry));
            }
            match &mut self.state {
                State::Idle(None) => return Poll::Ready(None),
                State::Idle(iter) => {
                    let mut iter = iter.take().expect("checked above");
                    self.state = State::Listing(crate::task::spawn_blocking(move || {
                        let batch: VecDeque<_> = iter
                            .by_ref()
                            .take(BATCH)
                            .map(|e| e.map(DirEntry::from_std))
                            .collect();
                        let more = (batch.len() == BATCH).then_some(iter);
                        (batch, more)
                    }));
                }
                State::Listing(handle) => {
                    let (batch, more) = match Pin::new(handle).poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Ok(batch)) => batch,
                        Poll::Ready(Err(e)) => {
                            self.state = State::Idle(None);
                            return Poll::Ready(Some(Err(e.into())));
                        }
                    };
                    self.ready = batch;
                    self.state = State::Idle(more);
                }
            }
        }
    }
}

impl Stream for ReadDir {
    type Item = io::Result<DirEntry>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_entry(cx)
    }
}

impl std::fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadDir")
            .field("buffered", &self.ready.len())
            .field("done", &matches!(self.state, State::Idle(None)))
            .finish()
    }
}

/// One entry of a directory listing, from [`ReadDir`].
#[derive(Debug)]
pub struct DirEntry {
    path: PathBuf,
    file_type: io::Result<FileType>,
}

impl DirEntry {
    fn from_std(entry: std::fs::DirEntry) -> DirEntry {
        DirEntry {
            path: entry.path(),
            // Listed on the pool thread: from the directory entry itself
            // where the file system says (`d_type`), else an lstat there.
            file_type: entry.file_type(),
        }
    }

    /// The directory's path joined with the entry's name.
    pub fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// The entry's name, without the directory.
    pub fn file_name(&self) -> OsString {
        self.path
            .file_name()
            .map(OsString::from)
            .unwrap_or_default()
    }

    /// The entry's type (file, directory, symbolic link, ...), not
    /// following a symbolic link; found while listing, so no call is made
    /// here.
    ///
    /// # Errors
    ///
    /// The lstat made while listing failed (the entry was removed meanwhile).
    pub fn file_type(&self) -> io::Result<FileType> {
        match &self.file_type {
            Ok(t) => Ok(*t),
            Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
        }
    }

    /// The entry's metadata, not following a symbolic link (statx on the
    /// ring, as [`symlink_metadata`](super::symlink_metadata)).
    ///
    /// # Errors
    ///
    /// statx(2) errors (`NotFound` if the entry was removed meanwhile).
    ///
    /// # Panics
    ///
    /// Panics if polled outside an aio runtime.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        super::symlink_metadata(&self.path).await
    }
}
