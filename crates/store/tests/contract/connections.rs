use domain::{AccountSid, ApiKeySid, Secret};
use store::{Backend, NewConnection, Store, StoreError};

use crate::support::{Harness, key_a, key_b};

const SECRET_TEXT: &str = "not-a-real-secret-0123456789abcdef";

fn new_connection(label: &str, secret: &str) -> NewConnection {
    NewConnection {
        label: label.to_owned(),
        account_sid: AccountSid::parse("AC0123456789abcdef0123456789abcdef").expect("sid"),
        api_key_sid: ApiKeySid::parse("SK0123456789abcdef0123456789abcdef").expect("sid"),
        secret: Secret::new(secret),
    }
}

fn sealed_column_sql(id: i64) -> String {
    format!("SELECT sealed_secret FROM connections WHERE id = {id}")
}

async fn connection_round_trips_with_its_secret<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let created = store
        .create_connection(&new_connection("prod", SECRET_TEXT), 1_000)
        .await
        .expect("create");
    let read = store.connection(created.id).await.expect("read");
    assert_eq!(read, created);
    assert_eq!(read.secret().expect("secret").expose(), SECRET_TEXT);
    let by_label = store
        .connection_by_label("prod")
        .await
        .expect("by label")
        .expect("present");
    assert_eq!(by_label.id, created.id);
    assert!(
        store
            .connection_by_label("other")
            .await
            .expect("by label")
            .is_none()
    );
    assert_eq!(store.list_connections().await.expect("list").len(), 1);
}

async fn duplicate_label_is_rejected<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    store
        .create_connection(&new_connection("prod", "one"), 1)
        .await
        .expect("first");
    let err = store
        .create_connection(&new_connection("prod", "two"), 2)
        .await
        .expect_err("duplicate");
    assert!(
        matches!(
            err,
            StoreError::Duplicate {
                what: "connection",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(store.list_connections().await.expect("list").len(), 1);
}

async fn secret_is_sealed_at_rest<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let c = store
        .create_connection(&new_connection("prod", SECRET_TEXT), 1)
        .await
        .expect("create");
    store.close().await;
    let sealed = h.read_bytes(sealed_column_sql(c.id.0)).await;
    assert!(sealed.len() > SECRET_TEXT.len());
    assert!(
        !sealed
            .windows(SECRET_TEXT.len())
            .any(|w| w == SECRET_TEXT.as_bytes())
    );
}

async fn secret_never_appears_in_debug<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let new = new_connection("prod", SECRET_TEXT);
    let created = store.create_connection(&new, 1).await.expect("create");
    let read = store.connection(created.id).await.expect("read");
    let key_text = key_a().to_base64().expose().to_owned();
    for shown in [
        format!("{new:?}"),
        format!("{created:?}"),
        format!("{read:?}"),
        format!("{:?}", store.list_connections().await.expect("list")),
        format!("{store:?}"),
        format!("{:?}", key_a()),
        format!("{:?}", key_a().to_base64()),
    ] {
        assert!(!shown.contains(SECRET_TEXT), "secret in {shown}");
        assert!(!shown.contains(&key_text), "master key in {shown}");
    }
}

async fn a_wrong_master_key_opens_with_secrets_unavailable<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    store
        .create_connection(&new_connection("prod", SECRET_TEXT), 1)
        .await
        .expect("create");
    store.close().await;
    let store = h.open(key_b()).await.expect("a wrong key still opens");
    assert_eq!(store.key_state(), store::KeyState::Mismatched);
    let listed = store.list_connections().await.expect("list");
    let err = listed[0].secret().expect_err("sealed under another key");
    assert_eq!(err.why, store::Unavailability::WrongKey);
    assert!(
        err.to_string().contains("connection update 'prod'"),
        "{err}"
    );
    store.close().await;
    // The right key still opens everything: nothing was lost.
    let store = h.open(key_a()).await.expect("reopen");
    assert_eq!(
        store.list_connections().await.expect("list")[0]
            .secret()
            .expect("secret")
            .expose(),
        SECRET_TEXT
    );
}

async fn corrupt_sealed_secret_names_the_connection<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let c = store
        .create_connection(&new_connection("billing", SECRET_TEXT), 1)
        .await
        .expect("create");
    let mut sealed = h.read_bytes(sealed_column_sql(c.id.0)).await;
    let last = sealed.len() - 1;
    sealed[last] ^= 0x01;
    let hex: String = sealed.iter().map(|b| format!("{b:02x}")).collect();
    let literal = match h.backend() {
        Backend::Sqlite => format!("X'{hex}'"),
        Backend::Postgres => format!("'\\x{hex}'::bytea"),
    };
    h.execute_raw(format!(
        "UPDATE connections SET sealed_secret = {literal} WHERE id = {}",
        c.id.0
    ))
    .await;
    let read = store.connection(c.id).await.expect("the row still reads");
    let err = read.secret().expect_err("a corrupt secret must not open");
    assert_eq!(err.why, store::Unavailability::Damaged);
    assert!(err.to_string().contains("'billing'"), "{err}");
    assert_eq!(
        store.list_connections().await.expect("list").len(),
        1,
        "listing must not drop the row"
    );
}

async fn sealed_secret_moved_to_another_row_does_not_open<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let a = store
        .create_connection(&new_connection("a", "secret-of-a"), 1)
        .await
        .expect("a");
    let b = store
        .create_connection(&new_connection("b", "secret-of-b"), 1)
        .await
        .expect("b");
    h.execute_raw(format!(
        "UPDATE connections SET sealed_secret = (SELECT sealed_secret FROM connections WHERE id = {}) WHERE id = {}",
        a.id.0, b.id.0
    ))
    .await;
    let read = store.connection(b.id).await.expect("b reads");
    assert_eq!(
        read.secret()
            .expect_err("a's sealed secret must not open as b's")
            .why,
        store::Unavailability::Damaged
    );
    assert_eq!(
        store
            .connection(a.id)
            .await
            .expect("a")
            .secret()
            .expect("secret")
            .expose(),
        "secret-of-a"
    );
}

async fn rotation_reseals_every_secret<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let a = store
        .create_connection(&new_connection("a", "secret-of-a"), 1)
        .await
        .expect("a");
    let b = store
        .create_connection(&new_connection("b", "secret-of-b"), 1)
        .await
        .expect("b");
    let before = h.read_bytes(sealed_column_sql(a.id.0)).await;
    assert_eq!(
        store
            .rotate_master_key(&key_a(), &key_b())
            .await
            .expect("rotate"),
        2
    );
    assert_ne!(h.read_bytes(sealed_column_sql(a.id.0)).await, before);
    // The open store now uses the new key.
    assert_eq!(
        store
            .connection(b.id)
            .await
            .expect("b")
            .secret()
            .expect("secret")
            .expose(),
        "secret-of-b"
    );
    store.close().await;
    assert_eq!(
        h.open(key_a()).await.expect("old key opens").key_state(),
        store::KeyState::Mismatched
    );
    let store = h.open(key_b()).await.expect("new key opens");
    assert_eq!(
        store
            .connection(a.id)
            .await
            .expect("a")
            .secret()
            .expect("secret")
            .expose(),
        "secret-of-a"
    );
    assert_eq!(
        store
            .connection(b.id)
            .await
            .expect("b")
            .secret()
            .expect("secret")
            .expose(),
        "secret-of-b"
    );
}

async fn rotation_with_the_wrong_old_key_changes_nothing<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let a = store
        .create_connection(&new_connection("a", "secret-of-a"), 1)
        .await
        .expect("a");
    let before = h.read_bytes(sealed_column_sql(a.id.0)).await;
    let err = store
        .rotate_master_key(&key_b(), &key_a())
        .await
        .expect_err("wrong old key");
    assert!(matches!(err, StoreError::WrongMasterKey), "{err}");
    assert_eq!(h.read_bytes(sealed_column_sql(a.id.0)).await, before);
    assert_eq!(
        store
            .connection(a.id)
            .await
            .expect("a")
            .secret()
            .expect("secret")
            .expose(),
        "secret-of-a"
    );
}

async fn rotation_stops_at_an_unreadable_secret_and_changes_nothing<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let a = store
        .create_connection(&new_connection("a", "secret-of-a"), 1)
        .await
        .expect("a");
    let b = store
        .create_connection(&new_connection("b", "secret-of-b"), 1)
        .await
        .expect("b");
    h.execute_raw(format!(
        "UPDATE connections SET sealed_secret = (SELECT sealed_secret FROM connections WHERE id = {}) WHERE id = {}",
        a.id.0, b.id.0
    ))
    .await;
    let before = h.read_bytes(sealed_column_sql(a.id.0)).await;
    let err = store
        .rotate_master_key(&key_a(), &key_b())
        .await
        .expect_err("b is unreadable");
    assert!(
        matches!(err, StoreError::SecretUnreadable { id, .. } if id == b.id),
        "{err}"
    );
    assert_eq!(
        h.read_bytes(sealed_column_sql(a.id.0)).await,
        before,
        "a was re-sealed although the rotation failed"
    );
    store.close().await;
    h.open(key_a())
        .await
        .expect("the old key still opens the database");
}

async fn updated_secret_is_read_back<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let a = store
        .create_connection(&new_connection("a", "old"), 1)
        .await
        .expect("a");
    store
        .update_connection_secret(a.id, &Secret::new("new"), 5)
        .await
        .expect("update");
    let read = store.connection(a.id).await.expect("read");
    assert_eq!(read.secret().expect("secret").expose(), "new");
    assert_eq!(read.updated_ms, 5);
    assert!(store.delete_connection(a.id).await.expect("delete"));
    assert!(matches!(
        store.connection(a.id).await,
        Err(StoreError::NotFound { .. })
    ));
}

async fn renamed_connection_keeps_its_secret<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let a = store
        .create_connection(&new_connection("prod", SECRET_TEXT), 1)
        .await
        .expect("create");
    store
        .rename_connection(a.id, "production", 9)
        .await
        .expect("rename");
    let read = store.connection(a.id).await.expect("read");
    assert_eq!(read.label, "production");
    assert_eq!(read.secret().expect("secret").expose(), SECRET_TEXT);
    assert_eq!(read.updated_ms, 9);
    assert!(
        store
            .connection_by_label("prod")
            .await
            .expect("by label")
            .is_none()
    );
}

async fn rename_to_a_taken_label_changes_nothing<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let a = store
        .create_connection(&new_connection("a", "one"), 1)
        .await
        .expect("a");
    store
        .create_connection(&new_connection("b", "two"), 2)
        .await
        .expect("b");
    let err = store
        .rename_connection(a.id, "b", 3)
        .await
        .expect_err("taken");
    assert!(
        matches!(&err, StoreError::Duplicate { what: "connection", value } if value == "b"),
        "{err:?}"
    );
    assert_eq!(store.connection(a.id).await.expect("read").label, "a");
    let missing = store
        .rename_connection(store::ConnectionId(a.id.0 + 100), "c", 4)
        .await
        .expect_err("missing");
    assert!(
        matches!(missing, StoreError::NotFound { .. }),
        "{missing:?}"
    );
}

crate::contract_tests!(
    renamed_connection_keeps_its_secret,
    rename_to_a_taken_label_changes_nothing,
    connection_round_trips_with_its_secret,
    duplicate_label_is_rejected,
    secret_is_sealed_at_rest,
    secret_never_appears_in_debug,
    a_wrong_master_key_opens_with_secrets_unavailable,
    corrupt_sealed_secret_names_the_connection,
    sealed_secret_moved_to_another_row_does_not_open,
    rotation_reseals_every_secret,
    rotation_with_the_wrong_old_key_changes_nothing,
    rotation_stops_at_an_unreadable_secret_and_changes_nothing,
    updated_secret_is_read_back,
);
