//! The SQLite data folder's permissions (issue 15, finding 11): the database holds password hashes,
//! so neither the folder nor its files may be readable by other users.

use std::os::unix::fs::PermissionsExt;

use store::SqliteStore;

use crate::support::{key_a, temp_dir};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn the_data_folder_and_its_database_files_are_private_to_their_owner() {
    let parent = temp_dir("data-dir");
    let dir = parent.join("switchboard-data");
    let store = SqliteStore::open_dir(&dir, key_a()).await.expect("open");
    assert_eq!(mode(&dir), 0o700, "the data folder");
    let db = dir.join(store::DATABASE_FILE);
    assert_eq!(mode(&db), 0o600, "the database file");
    // The migrations wrote through the WAL, so its companions exist now.
    for companion in ["-wal", "-shm"] {
        let path = std::path::PathBuf::from(format!("{}{companion}", db.display()));
        assert!(
            path.exists(),
            "{} exists while the store is open",
            path.display()
        );
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    drop(store);
    let _ = std::fs::remove_dir_all(parent);
}

#[tokio::test]
async fn database_files_an_earlier_version_left_readable_are_tightened_on_open() {
    let dir = temp_dir("data-dir-old");
    let store = SqliteStore::open_dir(&dir, key_a()).await.expect("create");
    drop(store);
    let db = dir.join(store::DATABASE_FILE);
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let store = SqliteStore::open_dir(&dir, key_a()).await.expect("reopen");
    assert_eq!(mode(&db), 0o600);
    drop(store);
    let _ = std::fs::remove_dir_all(dir);
}
