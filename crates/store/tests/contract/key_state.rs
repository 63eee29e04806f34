//! A store opened without the key its secrets were sealed with: everything else works, every
//! sealed value reports itself unavailable, nothing is written; a reset with a new key drops
//! them; and the schema is only migrated when the caller asks.

use domain::{AccountSid, ApiKeySid, Secret};
use store::{
    AnyStore, BoardStore, KeyState, NewChannel, NewConnection, NewMetric, OpenMode, SealedItem,
    Store, StoreError, Unavailability, WatchStore,
};

use crate::support::{Harness, key_a, key_b};

const SECRET: &str = "connection-secret-0123456789";
const SLACK_URL: &str = "https://hooks.slack.com/services/T0/B0/x";

/// A store under key A holding a connection, a metric, a channel with a secret and a signing
/// key; closed.
async fn seeded<H: Harness>(h: &H) {
    let s = h
        .connected()
        .await
        .open(Some(key_a()), OpenMode::Migrate)
        .await
        .unwrap();
    let c = s
        .create_connection(
            &NewConnection {
                label: "prod".into(),
                account_sid: AccountSid::parse("AC0123456789abcdef0123456789abcdef").unwrap(),
                api_key_sid: ApiKeySid::parse("SK0123456789abcdef0123456789abcdef").unwrap(),
                secret: Secret::new(SECRET),
            },
            1,
        )
        .await
        .unwrap();
    s.create_metric(
        &NewMetric {
            name: "Messages".into(),
            connection_id: Some(c.id),
            definition: "{}".into(),
        },
        2,
    )
    .await
    .unwrap();
    s.create_channel(
        &NewChannel {
            name: "team".into(),
            config: watch::ChannelConfig::Slack,
            secret: Some(Secret::new(SLACK_URL)),
        },
        3,
    )
    .await
    .unwrap();
    s.signing_key("shares", &[7; 32]).await.unwrap();
    s.close().await;
}

async fn open_with<H: Harness>(h: &H, key: Option<store::MasterKey>) -> AnyStore {
    h.connected()
        .await
        .open(key, OpenMode::Migrate)
        .await
        .unwrap()
}

/// Every meta row and sealed column, as one byte string, to compare before and after.
fn snapshot_sql<H: Harness>(h: &H) -> String {
    match h.backend() {
        store::Backend::Sqlite => "SELECT CAST(COALESCE((SELECT group_concat(key || ':' || hex(value), ',') FROM (SELECT key, value FROM meta ORDER BY key)), '') \
             || '|' || COALESCE((SELECT group_concat(hex(sealed_secret), ',') FROM (SELECT sealed_secret FROM connections ORDER BY id)), '') \
             || '|' || COALESCE((SELECT group_concat(hex(sealed_secret), ',') FROM (SELECT sealed_secret FROM channels ORDER BY id)), '') AS BLOB)"
            .into(),
        store::Backend::Postgres => "SELECT convert_to(COALESCE((SELECT string_agg(key || ':' || encode(value, 'hex'), ',' ORDER BY key) FROM meta), '') \
             || '|' || COALESCE((SELECT string_agg(encode(sealed_secret, 'hex'), ',' ORDER BY id) FROM connections), '') \
             || '|' || COALESCE((SELECT string_agg(encode(sealed_secret, 'hex'), ',' ORDER BY id) FROM channels), ''), 'UTF8')"
            .into(),
    }
}

async fn under_a_wrong_key_everything_but_the_secrets_reads<H: Harness>(h: &H) {
    seeded(h).await;
    let s = open_with(h, Some(key_b())).await;
    assert_eq!(s.key_state(), KeyState::Mismatched);
    assert_eq!(s.list_metrics().await.unwrap()[0].name, "Messages");
    let c = s.connection_by_label("prod").await.unwrap().unwrap();
    let err = c.secret().unwrap_err();
    assert_eq!(
        (err.what.clone(), err.why),
        (
            SealedItem::ConnectionSecret {
                label: "prod".into()
            },
            Unavailability::WrongKey
        )
    );
    assert!(
        err.to_string()
            .contains("switchboard connection update 'prod' --secret-stdin"),
        "{err}"
    );
    let channel = s.list_channels().await.unwrap().remove(0);
    assert_eq!(channel.secret.unwrap_err().why, Unavailability::WrongKey);
}

async fn under_a_wrong_key_nothing_is_sealed<H: Harness>(h: &H) {
    seeded(h).await;
    let s = open_with(h, Some(key_b())).await;
    let c = s.connection_by_label("prod").await.unwrap().unwrap();
    for err in [
        s.update_connection_secret(c.id, &Secret::new("x"), 9)
            .await
            .unwrap_err(),
        s.signing_key("shares", &[1; 32]).await.unwrap_err(),
        s.signing_key("flash", &[1; 32]).await.unwrap_err(),
    ] {
        assert!(matches!(err, StoreError::SecretUnavailable(_)), "{err}");
    }
}

async fn a_wrong_key_changes_nothing_in_the_database<H: Harness>(h: &H) {
    seeded(h).await;
    let before = h.read_bytes(snapshot_sql(h)).await;
    let s = open_with(h, Some(key_b())).await;
    s.list_connections().await.unwrap();
    s.list_channels().await.unwrap();
    let _ = s.signing_key("shares", &[1; 32]).await;
    let _ = s.signing_key("a-new-purpose", &[1; 32]).await;
    s.close().await;
    let s = open_with(h, None).await;
    assert_eq!(s.key_state(), KeyState::Missing);
    let _ = s.signing_key("shares", &[1; 32]).await;
    s.close().await;
    assert_eq!(h.read_bytes(snapshot_sql(h)).await, before);
}

async fn a_new_store_opened_without_a_key_records_no_key_check<H: Harness>(h: &H) {
    let s = open_with(h, None).await;
    assert_eq!(s.key_state(), KeyState::Missing);
    s.close().await;
    let connected = h.connected().await;
    assert!(!connected.has_key_check().await.unwrap());
    let s = connected
        .open(Some(key_b()), OpenMode::Migrate)
        .await
        .unwrap();
    assert_eq!(
        s.key_state(),
        KeyState::Verified,
        "the first key given is recorded"
    );
}

async fn a_reset_drops_the_sealed_values_and_takes_the_new_key<H: Harness>(h: &H) {
    seeded(h).await;
    let s = open_with(h, Some(key_b())).await;
    let forgotten = s.forget_secrets(&key_b()).await.unwrap();
    assert_eq!(forgotten.connections, ["prod"]);
    assert_eq!(forgotten.channels, ["team"]);
    assert_eq!(forgotten.signing_keys, ["shares"]);
    assert_eq!(s.key_state(), KeyState::Verified);
    let c = s.connection_by_label("prod").await.unwrap().unwrap();
    assert_eq!(c.secret().unwrap_err().why, Unavailability::Forgotten);
    s.update_connection_secret(c.id, &Secret::new("re-entered"), 9)
        .await
        .unwrap();
    // A signing key is made anew, under the new key.
    assert_eq!(s.signing_key("shares", &[5; 32]).await.unwrap(), [5; 32]);
    s.close().await;
    let s = open_with(h, Some(key_b())).await;
    assert_eq!(s.key_state(), KeyState::Verified);
    let c = s.connection_by_label("prod").await.unwrap().unwrap();
    assert_eq!(c.secret().unwrap().expose(), "re-entered");
    assert_eq!(
        s.list_channels().await.unwrap()[0]
            .secret
            .clone()
            .unwrap_err()
            .why,
        Unavailability::Forgotten
    );
    assert_eq!(s.signing_key("shares", &[6; 32]).await.unwrap(), [5; 32]);
}

async fn a_reset_with_the_working_key_is_refused<H: Harness>(h: &H) {
    seeded(h).await;
    let s = open_with(h, Some(key_a())).await;
    let err = s.forget_secrets(&key_a()).await.unwrap_err();
    assert!(err.to_string().contains("key rotate"), "{err}");
    let c = s.connection_by_label("prod").await.unwrap().unwrap();
    assert_eq!(c.secret().unwrap().expose(), SECRET);
}

/// Makes the database look written by the binary before the last migration by removing that
/// migration's record (its tables stay: the store is only asked to read the schema).
async fn one_migration_behind<H: Harness>(h: &H) -> (i64, store::MigrationInfo) {
    let all = store::migrations();
    let last = all.last().unwrap().clone();
    h.execute_raw(format!(
        "DELETE FROM _sqlx_migrations WHERE version = {}",
        last.version
    ))
    .await;
    (all[all.len() - 2].version, last)
}

async fn require_current_refuses_an_older_schema_and_writes_nothing<H: Harness>(h: &H) {
    seeded(h).await;
    let (previous, last) = one_migration_behind(h).await;
    let count = "SELECT CAST(COUNT(*) AS TEXT) FROM _sqlx_migrations";
    let count_sql = match h.backend() {
        store::Backend::Sqlite => format!("SELECT CAST(({count}) AS BLOB)"),
        store::Backend::Postgres => format!("SELECT convert_to(({count}), 'UTF8')"),
    };
    let before = h.read_bytes(count_sql.clone()).await;
    let connected = h.connected().await;
    let status = connected.schema().await.unwrap();
    assert_eq!(status.applied, Some(previous));
    assert_eq!(status.pending, std::slice::from_ref(&last));
    let err = connected
        .open(Some(key_a()), OpenMode::RequireCurrent)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaBehind { applied, needed } if applied == previous && needed == last.version),
        "{err}"
    );
    assert!(err.to_string().contains("switchboard migrate"), "{err}");
    assert_eq!(h.read_bytes(count_sql).await, before);
}

async fn require_current_creates_a_new_store_whole<H: Harness>(h: &H) {
    let s = h
        .connected()
        .await
        .open(Some(key_a()), OpenMode::RequireCurrent)
        .await
        .unwrap();
    assert_eq!(s.key_state(), KeyState::Verified);
    s.close().await;
    let status = h.connected().await.schema().await.unwrap();
    assert_eq!(status.applied, Some(store::schema_version()));
    assert!(status.pending.is_empty());
}

crate::contract_tests!(
    under_a_wrong_key_everything_but_the_secrets_reads,
    under_a_wrong_key_nothing_is_sealed,
    a_wrong_key_changes_nothing_in_the_database,
    a_new_store_opened_without_a_key_records_no_key_check,
    a_reset_drops_the_sealed_values_and_takes_the_new_key,
    a_reset_with_the_working_key_is_refused,
    require_current_refuses_an_older_schema_and_writes_nothing,
    require_current_creates_a_new_store_whole,
);
