//! A board shows the same numbers read through the store's daily rollups and folded spans as
//! read hour by hour: boards in UTC, Europe/Paris, Asia/Kolkata and America/St_Johns with every
//! block type and interval, computed by two apps on one store (one with `board_rollups` off,
//! the path before rollups), on SQLite and on PostgreSQL. The store's hours are the expectation:
//! the hourly app aggregates them directly.

use std::sync::Arc;

use store::{
    AnyStore, BoardSettings, BoardStore as _, BucketRow, NewBlock, NewMetric, Place, SqliteStore,
    Store as _,
};
use web::{AppState, StoreAccounts, WebConfig};

const HOUR_MS: i64 = 3_600_000;
/// 2026-11-20T10:17:00Z, not on an hour, so ranges ending now cut an hour.
const NOW_MS: i64 = 1_795_429_020_000;
const DAYS: i64 = 450;

fn key() -> store::MasterKey {
    store::MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "test").unwrap()
}

/// Two metrics with 450 days of hours in two dimensions (whole-number values, so sums added in
/// any order are equal) and a few missing hours.
async fn seed(store: &AnyStore) -> Vec<i64> {
    let end = NOW_MS.div_euclid(HOUR_MS) * HOUR_MS + HOUR_MS;
    let start = end - DAYS * 24 * HOUR_MS;
    let definition = library::find("messages-sent")
        .unwrap()
        .definition
        .to_json_pretty();
    let mut ids = Vec::new();
    for m in 0..2i64 {
        let stored = store
            .create_metric(
                &NewMetric {
                    name: format!("Metric {m}"),
                    connection_id: None,
                    definition: definition.clone(),
                },
                NOW_MS,
            )
            .await
            .unwrap();
        let mut rows = Vec::new();
        for h in 0..DAYS * 24 {
            for (d, dim) in ["delivered", "failed"].iter().enumerate() {
                let x = (h * 37 + d as i64 * 11 + m * 5) % 97;
                if x == 3 {
                    continue;
                }
                let hour_ms = start + h * HOUR_MS;
                rows.push(BucketRow {
                    dimension: (*dim).to_owned(),
                    hour_ms,
                    sum: (x * 2) as f64,
                    count: 2,
                    min: (x - 10) as f64,
                    max: (x + 7) as f64,
                    latest: (x % 13) as f64,
                    latest_at_ms: hour_ms + (x % 2) * 1_800_000,
                });
            }
        }
        store
            .replace_window(stored.id, start, end, &rows)
            .await
            .unwrap();
        ids.push(stored.id.0);
    }
    ids
}

async fn board(store: &AnyStore, zone: &str, ids: &[i64]) -> store::BoardRow {
    let board = store
        .create_board(
            &BoardSettings {
                name: format!("In {zone}"),
                date_range: "last_12_months".to_owned(),
                comparison: "previous_period".to_owned(),
                zone: zone.to_owned(),
            },
            NOW_MS,
        )
        .await
        .unwrap();
    let (a, b) = (ids[0], ids[1]);
    let blocks = [
        ("number", serde_json::json!({"metrics": [a, b]})),
        (
            "number",
            serde_json::json!({"metrics": [a], "range": "month_to_date", "compare": "same_period_last_year"}),
        ),
        (
            "line",
            serde_json::json!({"metrics": [a, b], "interval": "day"}),
        ),
        (
            "line",
            serde_json::json!({"metrics": [b], "range": "last_7_days", "interval": "hour"}),
        ),
        (
            "bar",
            serde_json::json!({"metrics": [a], "by_dimension": true, "interval": "week"}),
        ),
        (
            "bar",
            serde_json::json!({"metrics": [b], "interval": "month"}),
        ),
        (
            "line",
            serde_json::json!({"metrics": [a], "interval": "quarter", "cumulative": true}),
        ),
        ("pie", serde_json::json!({"metrics": [b]})),
        ("table", serde_json::json!({"metrics": [a]})),
        (
            "table",
            serde_json::json!({"metrics": [a, b], "table_rows": "by_interval", "interval": "month"}),
        ),
        (
            "number",
            serde_json::json!({"metrics": [b], "dimension": "failed", "range": "last_30_days"}),
        ),
    ];
    for (i, (kind, settings)) in blocks.iter().enumerate() {
        let i = i as i64;
        store
            .add_block(
                board.id,
                &NewBlock {
                    kind: (*kind).to_owned(),
                    title: format!("{kind} {i}"),
                    place: Place {
                        x: (i % 4) * 3,
                        y: (i / 4) * 3,
                        w: 3,
                        h: 3,
                    },
                    settings: settings.to_string(),
                },
                NOW_MS,
            )
            .await
            .unwrap();
    }
    board
}

fn app(store: &Arc<AnyStore>, rollups: bool) -> AppState {
    AppState::new(
        Arc::clone(store),
        connector::Connector::new(connector::ConnectorConfig::default()).unwrap(),
        Arc::new(StoreAccounts::new(Arc::clone(store))),
        WebConfig {
            board_rollups: rollups,
            ..WebConfig::default()
        },
    )
}

/// Every block's numbers, as text (`f64`'s `Debug` round-trips, so equal text is equal values).
async fn numbers(state: &AppState, board: &store::BoardRow) -> Vec<String> {
    let frame = web::boards::compute::Frame {
        range: board.settings.date_range.parse().unwrap(),
        compare: board.settings.comparison.parse().unwrap(),
        zone: jiff::tz::TimeZone::get(&board.settings.zone).unwrap(),
        now: jiff::Timestamp::from_millisecond(NOW_MS).unwrap(),
    };
    let computed = web::boards::compute_board(state, board.clone(), frame, "user:1")
        .await
        .unwrap();
    computed
        .blocks
        .into_iter()
        .map(|(row, result)| match result {
            Ok((_, data)) => format!("{} {:?}", row.block.title, data),
            Err(e) => panic!("block {} failed: {e}", row.block.title),
        })
        .collect()
}

async fn rollups_show_what_every_hour_shows(store: AnyStore) {
    let store = Arc::new(store);
    let ids = seed(&store).await;
    let (rolled, hourly) = (app(&store, true), app(&store, false));
    for zone in ["UTC", "Europe/Paris", "Asia/Kolkata", "America/St_Johns"] {
        let board = board(&store, zone, &ids).await;
        let expected = numbers(&hourly, &board).await;
        let seen = numbers(&rolled, &board).await;
        assert_eq!(seen.len(), expected.len());
        for (s, e) in seen.iter().zip(&expected) {
            assert_eq!(s, e, "in {zone}");
        }
        // A second render comes from the cache and still agrees.
        assert_eq!(
            numbers(&rolled, &board).await,
            expected,
            "cached, in {zone}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_reads_the_same_numbers_from_rollups_as_from_hours_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("sb-boards-rollups-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = AnyStore::Sqlite(SqliteStore::open_dir(&dir, key()).await.unwrap());
    rollups_show_what_every_hour_shows(store).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_reads_the_same_numbers_from_rollups_as_from_hours_on_postgres() {
    let Some(schema) = test_support::PgSchema::create("boards_rollups").await else {
        return;
    };
    let store = store::PostgresStore::connect_with(schema.options(), 4, key())
        .await
        .unwrap();
    rollups_show_what_every_hour_shows(AnyStore::Postgres(store)).await;
}
