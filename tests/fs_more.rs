//! More of `aio::fs` (issue 14, "Files and I/O helpers"): `create_dir_all`,
//! `symlink_metadata`, `File::from_std`, `File::set_len`,
//! `File::read_to_end_at` and the `Metadata` timestamps. Both drivers
//! (`#[aio::test]`).
//!
//! Modelled on tokio's `tests/fs_dir.rs` (`create_all`), `tests/fs_file.rs`
//! (`set_len`, `from_std`) and `tests/fs_link.rs` (`test_symlink`).

use std::io::ErrorKind;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use aio::fs::{self, File, OpenOptions};

/// A fresh directory under the temp dir, removed with its contents on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("aio-fs-more-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir(&path).expect("create the temp dir");
        TempDir(path)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[aio::test]
async fn create_dir_all_creates_parents_and_accepts_existing() {
    let dir = TempDir::new("mkdirs");
    let nested = dir.join("a/b/c");
    fs::create_dir_all(&nested).await.unwrap();
    assert!(fs::metadata(&nested).await.unwrap().is_dir());
    // Already there: Ok, as std's.
    fs::create_dir_all(&nested).await.unwrap();
    fs::create_dir_all(dir.join("a")).await.unwrap();
    // A file in the way is an error.
    std::fs::write(dir.join("file"), b"x").unwrap();
    assert!(fs::create_dir_all(dir.join("file/sub")).await.is_err());
}

#[aio::test]
async fn symlink_metadata_does_not_follow_but_metadata_does() {
    let dir = TempDir::new("symlink");
    let target = dir.join("target");
    let link = dir.join("link");
    std::fs::write(&target, b"twelve bytes").unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();

    let own = fs::symlink_metadata(&link).await.unwrap();
    assert!(own.is_symlink());
    assert!(!own.is_file());

    let followed = fs::metadata(&link).await.unwrap();
    assert!(followed.is_file());
    assert!(!followed.is_symlink());
    assert_eq!(followed.len(), 12);

    let plain = fs::symlink_metadata(&target).await.unwrap();
    assert!(plain.is_file());
    let missing = fs::symlink_metadata(dir.join("missing")).await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
}

#[aio::test]
async fn set_len_grows_and_shrinks() {
    let dir = TempDir::new("set-len");
    let path = dir.join("f");
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .await
        .unwrap();
    file.write_all_at(b"hello world".to_vec(), 0)
        .await
        .0
        .unwrap();

    file.set_len(5).await.unwrap();
    assert_eq!(file.metadata().await.unwrap().len(), 5);
    let (res, buf) = file.read_to_end_at(Vec::new(), 0).await;
    assert_eq!(res.unwrap(), 5);
    assert_eq!(buf, b"hello");

    file.set_len(8).await.unwrap();
    assert_eq!(file.metadata().await.unwrap().len(), 8);
    let (res, buf) = file.read_to_end_at(Vec::new(), 0).await;
    assert_eq!(res.unwrap(), 8);
    assert_eq!(buf, b"hello\0\0\0", "the extension reads as zeros");
    file.close().await.unwrap();

    // Not open for writing: ftruncate's EINVAL.
    let ro = File::open(&path).await.unwrap();
    assert!(ro.set_len(0).await.is_err());
}

#[aio::test]
async fn read_to_end_at_reads_from_the_position_and_appends() {
    let dir = TempDir::new("read-to-end-at");
    let path = dir.join("f");
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let file = File::open(&path).await.unwrap();

    let (res, buf) = file.read_to_end_at(b"hd".to_vec(), 1000).await;
    assert_eq!(res.unwrap(), data.len() - 1000);
    assert_eq!(&buf[..2], b"hd");
    assert!(buf[2..] == data[1000..]);

    let (res, buf) = file
        .read_to_end_at(Vec::new(), data.len() as u64 + 10)
        .await;
    assert_eq!(res.unwrap(), 0, "past the end reads nothing");
    assert!(buf.is_empty());
}

#[aio::test]
async fn metadata_times_are_close_to_now() {
    let dir = TempDir::new("times");
    let path = dir.join("f");
    let before = SystemTime::now() - Duration::from_secs(5);
    fs::write(&path, b"x").await.unwrap();
    let after = SystemTime::now() + Duration::from_secs(5);

    let meta = fs::metadata(&path).await.unwrap();
    let modified = meta.modified().unwrap();
    assert!(before <= modified && modified <= after, "{modified:?}");
    let accessed = meta.accessed().unwrap();
    assert!(before <= accessed && accessed <= after, "{accessed:?}");
    // Birth time is optional: either it is near now, or Unsupported.
    match meta.created() {
        Ok(created) => assert!(before <= created && created <= after, "{created:?}"),
        Err(e) => assert_eq!(e.kind(), ErrorKind::Unsupported),
    }
    // std agrees on the modification time.
    let std_modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    assert_eq!(modified, std_modified);
}

#[aio::test]
async fn from_std_adopts_an_open_file() {
    let dir = TempDir::new("from-std");
    let path = dir.join("f");
    std::fs::write(&path, b"from std").unwrap();
    let std_file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let file = File::from_std(std_file).unwrap();
    let (res, buf) = file.read_to_end_at(Vec::new(), 0).await;
    assert_eq!(res.unwrap(), 8);
    assert_eq!(buf, b"from std");
    file.write_all_at(b"FROM".to_vec(), 0).await.0.unwrap();
    file.close().await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"FROM std");
}

#[test]
#[should_panic(expected = "aio::fs::File::from_std")]
fn from_std_outside_a_runtime_panics() {
    let file = std::fs::File::open("/dev/null").unwrap();
    let _ = File::from_std(file);
}

/// `fs::rename` (IORING_OP_RENAMEAT; the blocking pool on epoll) moves a
/// file, replaces an existing target, and gives `NotFound` for a missing
/// source, as std's does (tokio's `tests/fs_rename.rs`).
#[aio::test]
async fn rename_moves_replaces_and_reports_a_missing_source() {
    let dir = TempDir::new("rename");
    let (a, b) = (dir.join("a"), dir.join("b"));
    fs::write(&a, b"first".to_vec()).await.unwrap();
    fs::rename(&a, &b).await.unwrap();
    assert!(!a.exists(), "the old name is gone");
    assert_eq!(fs::read(&b).await.unwrap(), b"first");
    fs::write(&a, b"second".to_vec()).await.unwrap();
    fs::rename(&a, &b).await.unwrap();
    assert_eq!(
        fs::read(&b).await.unwrap(),
        b"second",
        "the target was replaced"
    );
    let err = fs::rename(&a, dir.join("c")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}
