//! `aio::fs::{read_dir, hard_link, symlink, copy, remove_dir_all,
//! canonicalize}` (issue 11), on both drivers. Modelled on tokio's
//! `tests/fs_dir.rs` (`read_dir_entry_info`, `remove_dir_all`) and
//! `tests/fs_link.rs` (`test_hard_link`, `test_symlink`).

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::path::PathBuf;

use aio::stream::StreamExt;

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "aio-fsdir-{tag}-{}-{:?}",
        std::process::id(),
        aio::Driver::current()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[aio::test]
async fn read_dir_lists_50_files_and_a_subdirectory() {
    let dir = temp_dir("list");
    let mut expected = BTreeSet::new();
    for i in 0..50 {
        let name = format!("file-{i:02}");
        std::fs::write(dir.join(&name), [i as u8]).unwrap();
        expected.insert(name);
    }
    std::fs::create_dir(dir.join("sub")).unwrap();

    let mut listing = aio::fs::read_dir(&dir).await.unwrap();
    let mut files = BTreeSet::new();
    let mut dirs = Vec::new();
    while let Some(entry) = listing.next().await {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        assert_eq!(entry.path(), dir.join(&name));
        if entry.file_type().unwrap().is_dir() {
            dirs.push(name);
        } else {
            assert!(entry.file_type().unwrap().is_file());
            assert_eq!(entry.metadata().await.unwrap().len(), 1);
            assert!(files.insert(name), "an entry came twice");
        }
    }
    assert_eq!(files, expected);
    assert_eq!(dirs, ["sub"]);
    // Exhausted: stays at the end.
    assert!(listing.next().await.is_none());
    assert!(listing.next_entry().await.unwrap().is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[aio::test]
async fn read_dir_of_a_large_directory_crosses_batches() {
    // 128 entries per trip to the pool: 300 takes three.
    let dir = temp_dir("large");
    for i in 0..300 {
        std::fs::write(dir.join(format!("{i}")), b"").unwrap();
    }
    let mut listing = aio::fs::read_dir(&dir).await.unwrap();
    let mut seen = BTreeSet::new();
    while let Some(entry) = listing.next_entry().await.unwrap() {
        seen.insert(entry.file_name());
    }
    assert_eq!(seen.len(), 300);
    // Dropped half way: the pool's batch is dropped there, nothing leaks.
    let mut listing = aio::fs::read_dir(&dir).await.unwrap();
    for _ in 0..10 {
        listing.next().await.unwrap().unwrap();
    }
    drop(listing);
    aio::fs::remove_dir_all(&dir).await.unwrap();
    assert!(!dir.exists());
}

#[aio::test]
async fn read_dir_errors_name_the_problem() {
    let dir = temp_dir("errors");
    let missing = aio::fs::read_dir(dir.join("missing")).await.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    std::fs::write(dir.join("plain"), b"x").unwrap();
    let not_dir = aio::fs::read_dir(dir.join("plain")).await.unwrap_err();
    assert_eq!(not_dir.kind(), ErrorKind::NotADirectory);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[aio::test]
async fn hard_link_and_symlink() {
    let dir = temp_dir("links");
    let original = dir.join("original");
    std::fs::write(&original, b"shared bytes").unwrap();

    aio::fs::hard_link(&original, dir.join("hard"))
        .await
        .unwrap();
    assert_eq!(std::fs::read(dir.join("hard")).unwrap(), b"shared bytes");
    assert_eq!(aio::fs::metadata(&original).await.unwrap().nlink(), 2);
    let again = aio::fs::hard_link(&original, dir.join("hard"))
        .await
        .unwrap_err();
    assert_eq!(again.kind(), ErrorKind::AlreadyExists);
    let missing = aio::fs::hard_link(dir.join("nope"), dir.join("x"))
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);

    // A relative target, resolved from the link's directory.
    aio::fs::symlink("original", dir.join("soft"))
        .await
        .unwrap();
    assert_eq!(
        std::fs::read_link(dir.join("soft")).unwrap(),
        PathBuf::from("original")
    );
    assert_eq!(std::fs::read(dir.join("soft")).unwrap(), b"shared bytes");
    assert!(aio::fs::symlink_metadata(dir.join("soft"))
        .await
        .unwrap()
        .is_symlink());
    // A dangling link is fine to make.
    aio::fs::symlink("nowhere", dir.join("dangling"))
        .await
        .unwrap();
    assert!(std::fs::symlink_metadata(dir.join("dangling")).is_ok());
    assert_eq!(
        aio::fs::canonicalize(dir.join("soft")).await.unwrap(),
        std::fs::canonicalize(&original).unwrap()
    );
    let err = aio::fs::canonicalize(dir.join("dangling"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[aio::test]
async fn copy_copies_contents_and_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("copy");
    let data: Vec<u8> = (0..(2 << 20)).map(|i: u32| (i * 7 % 251) as u8).collect();
    std::fs::write(dir.join("from"), &data).unwrap();
    std::fs::set_permissions(dir.join("from"), std::fs::Permissions::from_mode(0o640)).unwrap();
    std::fs::write(dir.join("to"), b"old contents, longer than nothing").unwrap();
    let n = aio::fs::copy(dir.join("from"), dir.join("to"))
        .await
        .unwrap();
    assert_eq!(n, 2 << 20);
    assert!(std::fs::read(dir.join("to")).unwrap() == data);
    let mode = std::fs::metadata(dir.join("to"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
    let err = aio::fs::copy(dir.join("missing"), dir.join("x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[aio::test]
async fn remove_dir_all_removes_a_tree_without_following_links() {
    let dir = temp_dir("tree");
    let outside = temp_dir("outside");
    std::fs::write(outside.join("keep"), b"keep me").unwrap();
    std::fs::create_dir_all(dir.join("a/b/c")).unwrap();
    for (i, sub) in ["a", "a/b", "a/b/c"].iter().enumerate() {
        std::fs::write(dir.join(sub).join(format!("f{i}")), b"x").unwrap();
    }
    std::os::unix::fs::symlink(&outside, dir.join("a/link-out")).unwrap();
    aio::fs::remove_dir_all(&dir).await.unwrap();
    assert!(!dir.exists());
    assert_eq!(std::fs::read(outside.join("keep")).unwrap(), b"keep me");
    let err = aio::fs::remove_dir_all(&dir).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    std::fs::remove_dir_all(&outside).unwrap();
}
