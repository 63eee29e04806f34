//! Where the master key comes from. Not backend-specific, so these run once.

use std::os::unix::fs::PermissionsExt;

use store::{KeyError, KeySource, MasterKey};

use crate::support::{key_a, temp_dir};

#[test]
fn first_start_creates_a_key_file_readable_only_by_its_owner() {
    let dir = temp_dir("key-test");
    let path = dir.join(store::KEY_FILE_NAME);
    let (key, source) = MasterKey::resolve(None, &path).expect("create");
    assert_eq!(source, KeySource::CreatedKeyFile(path.clone()));
    let mode = std::fs::metadata(&path).expect("file").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let (again, source) = MasterKey::resolve(None, &path).expect("read back");
    assert_eq!(source, KeySource::KeyFile(path.clone()));
    assert_eq!(again, key);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn environment_key_wins_over_the_key_file() {
    let dir = temp_dir("key-test");
    let path = dir.join(store::KEY_FILE_NAME);
    let text = key_a().to_base64().expose().to_owned();
    let (key, source) = MasterKey::resolve(Some(&text), &path).expect("env");
    assert_eq!((key, source), (key_a(), KeySource::Environment));
    assert!(
        !path.exists(),
        "no key file is written when the environment gives the key"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn malformed_keys_are_clear_errors() {
    let dir = temp_dir("key-test");
    let path = dir.join(store::KEY_FILE_NAME);
    let err = MasterKey::resolve(Some("not base64 at all!"), &path).expect_err("not base64");
    assert!(matches!(err, KeyError::NotBase64 { .. }), "{err}");
    assert!(err.to_string().contains("SWITCHBOARD_MASTER_KEY"), "{err}");
    let err = MasterKey::resolve(Some("c2hvcnQ="), &path).expect_err("short");
    assert!(matches!(err, KeyError::WrongLength { len: 5, .. }), "{err}");
    std::fs::write(&path, "AAAA\n").expect("write");
    let err = MasterKey::resolve(None, &path).expect_err("short file");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn generated_keys_differ() {
    assert_ne!(
        MasterKey::generate().expect("a"),
        MasterKey::generate().expect("b")
    );
}

#[test]
fn locations_choose_the_backend() {
    use store::Location;
    let parse = |text: &str| Location::parse(text).expect(text);
    assert_eq!(
        parse("postgres://u@h/db"),
        Location::Postgres("postgres://u@h/db".into())
    );
    assert_eq!(
        parse("postgresql://h/db"),
        Location::Postgres("postgresql://h/db".into())
    );
    assert_eq!(
        parse("sqlite://x.db"),
        Location::SqliteUrl("sqlite://x.db".into())
    );
    assert_eq!(
        parse("./switchboard-data"),
        Location::DataDir("./switchboard-data".into())
    );
}

#[test]
fn a_mistyped_database_url_is_refused_not_taken_for_a_folder() {
    for typo in [
        "postgress://sb:hunter2@db/sb",
        "postgre://db/sb",
        "mysql://db/sb",
    ] {
        let e = store::Location::parse(typo).expect_err(typo).to_string();
        let scheme = typo.split("://").next().unwrap();
        assert!(e.contains(&format!("'{scheme}://'")), "{typo}: {e}");
        assert!(e.contains("postgres://"), "names the accepted forms: {e}");
        assert!(!e.contains("hunter2"), "never shows a password: {e}");
    }
}

#[test]
fn a_database_url_must_be_a_url() {
    let e = store::Location::parse_url("./switchboard-data")
        .expect_err("a folder is not a database URL")
        .to_string();
    assert!(e.contains("--data-dir"), "{e}");
    assert_eq!(
        store::Location::parse_url("postgres://h/db").unwrap(),
        store::Location::Postgres("postgres://h/db".into())
    );
}

#[tokio::test]
async fn data_dir_gets_a_wal_database() {
    use store::Store;
    let dir = temp_dir("open-test").join("nested").join("data");
    let store = store::open(dir.to_str().expect("utf-8 path"), key_a())
        .await
        .expect("open");
    assert_eq!(store.backend(), store::Backend::Sqlite);
    store
        .create_metric(
            &store::NewMetric {
                name: "m".into(),
                connection_id: None,
                definition: "{}".into(),
            },
            1,
        )
        .await
        .expect("write");
    assert!(dir.join(store::DATABASE_FILE).exists());
    assert!(
        dir.join(format!("{}-wal", store::DATABASE_FILE)).exists(),
        "WAL journal in use"
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(dir.parent().and_then(|p| p.parent()).expect("temp root"));
}
