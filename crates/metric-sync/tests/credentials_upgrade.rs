//! Finding 1 of issue 15, for stores written before the connector redacted credentials: the
//! Accounts list's Auth Tokens sit in the raw pages of a metric's last sync, in bucket
//! dimensions (also older than those pages) and in ledgers. The one-time upgrade step removes
//! every copy, on both backends, and runs once. The tokens come from the simulator's dump.

mod support;

use std::io::Write;
use std::sync::Arc;

use serde_json::{Value, json};
use store::{BucketQuery, BucketRow, NewSyncRun, RunStatus, Store, SyncRunEnd};
use support::*;

/// The marker redacted values become, as documented.
const MARKER: &str = "[redacted]";

fn accounts_by_token() -> Value {
    json!({
        "version": 1,
        "connection": "sim",
        "request": {"host": "api.twilio.com", "path": "/2010-04-01/Accounts.json", "params": []},
        "extraction": {
            "expression": r#"accounts.{"value": 1, "date": $sync_time, "dimension": auth_token}"#
        },
        "description": {
            "name": "Accounts by token", "aggregation": "sum", "favourable": "up",
            "format": {"unit": "count"}, "interval": "day"
        }
    })
}

/// A raw page as an earlier version stored it: gzip over `{"from_ms", "to_ms", "page"}`.
fn old_raw_page(from_ms: i64, to_ms: i64, page: &Value) -> Vec<u8> {
    let text = json!({"from_ms": from_ms, "to_ms": to_ms, "page": page}).to_string();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    gz.finish().unwrap()
}

fn count_bucket(dimension: &str, hour_ms: i64, count: i64, at_ms: i64) -> BucketRow {
    BucketRow {
        dimension: dimension.to_owned(),
        hour_ms,
        sum: count as f64,
        count,
        min: 1.0,
        max: 1.0,
        latest: 1.0,
        latest_at_ms: at_ms,
    }
}

fn assert_no_token(tokens: &[String], what: &str, text: &str) {
    for (i, token) in tokens.iter().enumerate() {
        assert!(
            !text.contains(token.as_str()),
            "{what} still holds the Auth Token of account {i}"
        );
    }
}

async fn auth_tokens_stored_before_redaction_are_removed_once_on_upgrade<H: Harness>(h: &H) {
    let sim = sim(
        twilio_sim::Sizes {
            subaccounts: 2,
            ..small_sizes()
        },
        Default::default(),
    )
    .await;
    let dump = dump(&sim);
    let accounts: Vec<Value> = dump["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["account"].clone())
        .collect();
    let tokens: Vec<String> = dump["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["auth_token"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(tokens.len(), 3);
    let store = Arc::new(h.open().await);
    let connection = add_connection(&*store, &sim).await;
    let metric = add_metric(&*store, connection, &accounts_by_token()).await;

    // What an earlier version left after a sync of the Accounts list: the page with every
    // token, the hour's buckets by token, an older bucket from a sync whose pages are gone,
    // and a ledger quoting a token.
    let synced_at = sim_now().as_millisecond();
    let hour = synced_at.div_euclid(HOUR_MS) * HOUR_MS;
    let older = hour - 7 * DAY_MS;
    let page = json!({
        "accounts": accounts, "end": 2, "first_page_uri": "/2010-04-01/Accounts.json?PageSize=50&Page=0",
        "next_page_uri": null, "page": 0, "page_size": 50, "previous_page_uri": null, "start": 0,
        "uri": "/2010-04-01/Accounts.json?PageSize=50&Page=0",
    });
    assert!(
        page.to_string().contains(&tokens[2]),
        "the page holds the tokens"
    );
    store
        .put_raw_pages(
            &store::NewRawPages {
                connection_id: connection,
                fingerprint: "accounts",
                readers: &[metric],
                from_ms: hour,
                to_ms: hour + HOUR_MS,
                synced_at_ms: synced_at,
                fields: "true",
                pages: &[old_raw_page(hour, hour + HOUR_MS, &page)],
            },
            1 << 30,
        )
        .await
        .unwrap();
    let rows: Vec<BucketRow> = tokens
        .iter()
        .map(|t| count_bucket(t, hour, 1, synced_at))
        .collect();
    store
        .replace_window(metric, hour, hour + HOUR_MS, &rows)
        .await
        .unwrap();
    store
        .replace_window(
            metric,
            older,
            older + HOUR_MS,
            &[count_bucket(&tokens[0], older, 2, older + 60_000)],
        )
        .await
        .unwrap();
    let run = store
        .start_sync_run(&NewSyncRun {
            metric_id: metric,
            from_ms: older,
            to_ms: older + HOUR_MS,
            started_ms: older,
        })
        .await
        .unwrap();
    store
        .finish_sync_run(
            run,
            &SyncRunEnd {
                status: RunStatus::Partial,
                ledger: json!({"rows_bad": 1, "bad_examples": [format!("page 1, value '{}' is not a number", tokens[1])]}),
                error: Some(format!("window failed near {}", tokens[2])),
                finished_ms: older + 1,
            },
        )
        .await
        .unwrap();

    let report = metric_sync::redact_stored_credentials(&*store, sim_now())
        .await
        .unwrap();

    // The raw pages keep every account, with the marker for its token.
    let raw = store
        .raw_pages(metric)
        .await
        .unwrap()
        .expect("the pages stay");
    let store::RawPageContent::Open(pages) = &raw.pages else {
        panic!("the store's own key opens its raw pages");
    };
    let stored = metric_sync::decode_raw_page(&pages[0]).unwrap();
    assert_no_token(&tokens, "a raw page", &stored.page.to_string());
    let redacted: Vec<&Value> = stored.page["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["auth_token"])
        .collect();
    assert_eq!(redacted, [MARKER; 3]);
    // No dimension holds a token; the accounts are still counted, under the marker.
    let buckets = store
        .buckets(&BucketQuery {
            metric,
            dimension: None,
            from_ms: older - DAY_MS,
            to_ms: hour + DAY_MS,
        })
        .await
        .unwrap();
    for b in &buckets {
        assert_no_token(&tokens, "a bucket's dimension", &b.dimension);
    }
    let counted: Vec<(i64, &str, i64)> = buckets
        .iter()
        .map(|b| (b.hour_ms, b.dimension.as_str(), b.count))
        .collect();
    assert_eq!(counted, [(older, MARKER, 2), (hour, MARKER, 3)]);
    assert_eq!(store.dimensions(metric).await.unwrap(), [MARKER]);
    // No ledger or error quotes one.
    for run in store.sync_runs(Some(metric), 100).await.unwrap() {
        assert_no_token(
            &tokens,
            "a sync run",
            &format!("{} {:?}", run.ledger, run.error),
        );
    }

    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.metrics, [metric]);
    assert_eq!(report.values_redacted, 3);

    // Recorded: the next start reads nothing.
    let again = metric_sync::redact_stored_credentials(&*store, sim_now())
        .await
        .unwrap();
    assert!(again.already_done, "{again:?}");
    assert!(
        store
            .data_step_done(metric_sync::REDACT_CREDENTIALS_STEP)
            .await
            .unwrap()
    );
}

/// The sync reads pages as text (issue 19): a sync of the Accounts list still stores no token,
/// neither as a bucket dimension nor in its raw pages, which keep the accounts' `auth_token`
/// field (the expression reads it) with the marker.
async fn a_sync_of_the_accounts_list_stores_no_auth_token<H: Harness>(h: &H) {
    let sim = sim(
        twilio_sim::Sizes {
            subaccounts: 2,
            ..small_sizes()
        },
        Default::default(),
    )
    .await;
    let dump = dump(&sim);
    let tokens: Vec<String> = dump["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["auth_token"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(tokens.len(), 3);
    let store = Arc::new(h.open().await);
    let connection = add_connection(&*store, &sim).await;
    let metric = add_metric(&*store, connection, &accounts_by_token()).await;
    let report = syncer(store.clone(), &sim, 4)
        .sync_metric(metric, sim_now())
        .await
        .unwrap();
    assert_eq!(report.status, RunStatus::Succeeded, "{:?}", report.ledger);

    let buckets = store
        .buckets(&BucketQuery {
            metric,
            dimension: None,
            from_ms: 0,
            to_ms: i64::MAX,
        })
        .await
        .unwrap();
    let dimensions: Vec<&str> = buckets.iter().map(|b| b.dimension.as_str()).collect();
    assert_eq!(dimensions, [MARKER], "every account falls under the marker");
    assert_eq!(buckets[0].count, 3, "the three accounts are counted");

    let raw = store
        .raw_pages(metric)
        .await
        .unwrap()
        .expect("raw pages kept");
    let store::RawPageContent::Open(pages) = raw.pages else {
        panic!("the store's own key opens its raw pages");
    };
    let mut seen = 0;
    for bytes in &pages {
        let stored = metric_sync::decode_raw_page(bytes).unwrap();
        assert_no_token(&tokens, "a raw page", &stored.page.to_string());
        for account in stored.page["accounts"].as_array().unwrap() {
            assert_eq!(account["auth_token"], MARKER);
            seen += 1;
        }
    }
    assert_eq!(seen, 3);
}

crate::backend_tests!(
    auth_tokens_stored_before_redaction_are_removed_once_on_upgrade,
    a_sync_of_the_accounts_list_stores_no_auth_token
);
