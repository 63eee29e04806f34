//! Finding 1 of issue 15, through the binary: a data folder written before the connector
//! redacted credentials (an Accounts list page with Auth Tokens in a metric's raw pages, a
//! dimension holding one) is cleaned by the upgrade (`switchboard migrate`, or `serve` and
//! `worker` starting), which says so once.

mod support;

use std::io::Write;

use domain::{AccountSid, ApiKeySid, Secret};
use serde_json::json;
use store::{BucketQuery, BucketRow, MasterKey, NewConnection, NewMetric, SqliteStore, Store};
use support::{scratch_dir, small_sim, switchboard, text};

const HOUR_MS: i64 = 3_600_000;

#[tokio::test(flavor = "multi_thread")]
async fn migrating_an_old_data_folder_removes_the_auth_tokens_it_holds() {
    let sim = small_sim().await;
    let dump = serde_json::to_value(sim.dataset()).unwrap();
    let token = dump["accounts"][0]["auth_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let dir = scratch_dir("upgrade");

    // The old data, written with the master key the binary will find in the folder.
    let (key, _) = MasterKey::from_environment(&dir).unwrap();
    let store = SqliteStore::open_dir(&dir, key).await.unwrap();
    let connection = store
        .create_connection(
            &NewConnection {
                label: "sim".into(),
                account_sid: AccountSid::parse(&sim.dataset().main_account().sid).unwrap(),
                api_key_sid: ApiKeySid::parse("SK0123456789abcdef0123456789abcdef").unwrap(),
                secret: Secret::new("s"),
            },
            0,
        )
        .await
        .unwrap();
    let definition = json!({
        "version": 1, "connection": "sim",
        "request": {"host": "api.twilio.com", "path": "/2010-04-01/Accounts.json", "params": []},
        "extraction": {"expression": r#"accounts.{"value": 1, "date": $sync_time, "dimension": auth_token}"#},
        "description": {"name": "Accounts by token", "aggregation": "sum", "favourable": "up",
                        "format": {"unit": "count"}, "interval": "day"}
    });
    let metric = store
        .create_metric(
            &NewMetric {
                name: "Accounts by token".into(),
                connection_id: Some(connection.id),
                definition: definition.to_string(),
            },
            0,
        )
        .await
        .unwrap()
        .id;
    let at = jiff::Timestamp::now().as_millisecond();
    let hour = at.div_euclid(HOUR_MS) * HOUR_MS;
    let page = json!({"accounts": [dump["accounts"][0]["account"]], "next_page_uri": null});
    let stored = json!({"from_ms": hour, "to_ms": hour + HOUR_MS, "page": page}).to_string();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(stored.as_bytes()).unwrap();
    store
        .put_raw_pages(
            &store::NewRawPages {
                connection_id: connection.id,
                fingerprint: "accounts",
                readers: &[metric],
                from_ms: hour,
                to_ms: hour + HOUR_MS,
                synced_at_ms: at,
                fields: "true",
                pages: &[gz.finish().unwrap()],
            },
            1 << 30,
        )
        .await
        .unwrap();
    let bucket = BucketRow {
        dimension: token.clone(),
        hour_ms: hour,
        sum: 1.0,
        count: 1,
        min: 1.0,
        max: 1.0,
        latest: 1.0,
        latest_at_ms: at,
    };
    store
        .replace_window(metric, hour, hour + HOUR_MS, &[bucket])
        .await
        .unwrap();
    store.close().await;

    let first = tokio::task::block_in_place(|| switchboard(&dir, &sim, &["migrate"], ""));
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        text(&first).contains("removed the Twilio credentials (Auth Tokens)"),
        "{}",
        text(&first)
    );
    let second = tokio::task::block_in_place(|| switchboard(&dir, &sim, &["migrate"], ""));
    assert!(second.status.success(), "{}", text(&second));
    assert!(!text(&second).contains("upgrade:"), "{}", text(&second));

    let (key, _) = MasterKey::from_environment(&dir).unwrap();
    let store = SqliteStore::open_dir(&dir, key).await.unwrap();
    let raw = store.raw_pages(metric).await.unwrap().unwrap();
    let store::RawPageContent::Open(pages) = &raw.pages else {
        panic!("the store's own key opens its raw pages");
    };
    let page = metric_sync::decode_raw_page(&pages[0]).unwrap();
    assert!(!page.page.to_string().contains(&token), "the raw page");
    assert_eq!(page.page["accounts"][0]["auth_token"], "[redacted]");
    let buckets = store
        .buckets(&BucketQuery {
            metric,
            dimension: None,
            from_ms: hour - HOUR_MS,
            to_ms: hour + HOUR_MS,
        })
        .await
        .unwrap();
    let dimensions: Vec<&str> = buckets.iter().map(|b| b.dimension.as_str()).collect();
    assert_eq!(dimensions, ["[redacted]"]);
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
