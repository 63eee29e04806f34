//! Month-by-day query with a dimension breakdown over two years of hourly buckets for 50 metrics
//! with 10 dimensions each, on SQLite and on PostgreSQL: p50/p95 latency of fetching a month of one
//! metric's buckets and folding them into day × dimension totals.
//!
//! Baseline, in the same run: the same queries against a database holding only the queried metric
//! (two years × 10 dimensions), so the ratio shows what the other 49 metrics' rows cost.
//!
//! PostgreSQL: `SWITCHBOARD_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`);
//! the bench works in a fresh schema and drops it.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, Executor};
use store::{
    BucketQuery, BucketRow, HOUR_MS, MasterKey, MetricId, NewMetric, PostgresStore, SqliteStore,
    Store,
};

const DAY_MS: i64 = 24 * HOUR_MS;
/// 2024-01-01T00:00:00Z.
const START_MS: i64 = 1_704_067_200_000;

#[derive(Clone, Copy)]
struct Scale {
    metrics: usize,
    dimensions: usize,
    days: i64,
    queries: usize,
}

fn key() -> MasterKey {
    MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "bench").expect("key")
}

/// A month of buckets of one metric, with values that depend on metric, dimension and hour.
fn month_of_buckets(metric: usize, dimensions: usize, from_ms: i64, to_ms: i64) -> Vec<BucketRow> {
    let mut rows = Vec::new();
    let mut hour = from_ms;
    while hour < to_ms {
        for d in 0..dimensions {
            let v = ((metric * 31 + d * 7) as i64 + hour / HOUR_MS % 97) as f64;
            rows.push(BucketRow {
                dimension: format!("dimension-{d:02}"),
                hour_ms: hour,
                sum: v * 4.0,
                count: 4,
                min: v - 1.0,
                max: v + 1.0,
                latest: v,
                latest_at_ms: hour + 3_599_000,
            });
        }
        hour += HOUR_MS;
    }
    rows
}

/// Windows of 30 days (the last one shorter) covering the whole span.
fn months(days: i64) -> Vec<(i64, i64)> {
    let end = START_MS + days * DAY_MS;
    let mut out = Vec::new();
    let mut from = START_MS;
    while from < end {
        let to = (from + 30 * DAY_MS).min(end);
        out.push((from, to));
        from = to;
    }
    out
}

async fn fill<S: Store>(
    store: &S,
    scale: &Scale,
    metric_count: usize,
) -> (Vec<MetricId>, Duration, u64) {
    let started = Instant::now();
    let mut ids = Vec::new();
    let mut rows = 0u64;
    for m in 0..metric_count {
        let metric = NewMetric {
            name: format!("metric-{m:02}"),
            connection_id: None,
            definition: "{}".into(),
        };
        let id = store.create_metric(&metric, 0).await.expect("metric").id;
        for (from, to) in months(scale.days) {
            let buckets = month_of_buckets(m, scale.dimensions, from, to);
            rows += store
                .replace_window(id, from, to, &buckets)
                .await
                .expect("fill")
                .inserted;
        }
        ids.push(id);
    }
    (ids, started.elapsed(), rows)
}

/// Fetches a month of one metric and folds it into (day, dimension) → (sum, count).
async fn month_by_day<S: Store>(
    store: &S,
    metric: MetricId,
    month_start: i64,
) -> BTreeMap<(i64, String), (f64, i64)> {
    let query = BucketQuery {
        metric,
        dimension: None,
        from_ms: month_start,
        to_ms: month_start + 30 * DAY_MS,
    };
    let mut days = BTreeMap::new();
    for b in store.buckets(&query).await.expect("query") {
        let cell = days
            .entry((b.hour_ms.div_euclid(DAY_MS), b.dimension))
            .or_insert((0.0, 0));
        cell.0 += b.sum;
        cell.1 += b.count;
    }
    days
}

struct Latency {
    p50: Duration,
    p95: Duration,
    max: Duration,
}

async fn measure<S: Store>(
    store: &S,
    ids: &[MetricId],
    scale: &Scale,
    expected_cells: usize,
) -> Latency {
    let mut times = Vec::with_capacity(scale.queries);
    // A fixed pseudo-random walk over metrics and months, the same for every database.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let last_month_start = scale.days - 30;
    for _ in 0..scale.queries {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let metric = ids[(x >> 33) as usize % ids.len()];
        let day = (x >> 17) as i64 % (last_month_start + 1);
        let started = Instant::now();
        let cells = month_by_day(store, metric, START_MS + day * DAY_MS).await;
        times.push(started.elapsed());
        assert_eq!(
            cells.len(),
            expected_cells,
            "a month has 30 days × every dimension"
        );
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    Latency {
        p50: at(0.50),
        p95: at(0.95),
        max: at(1.0),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn run_backend<S: Store>(name: &str, full: &S, single: &S, scale: &Scale) {
    let (ids, fill_time, rows) = fill(full, scale, scale.metrics).await;
    println!(
        "{name}: filled {rows} buckets ({} metrics × {} dimensions × {} days of hours) in {:.1} s ({:.0} buckets/s through replace_window)",
        scale.metrics,
        scale.dimensions,
        scale.days,
        fill_time.as_secs_f64(),
        rows as f64 / fill_time.as_secs_f64()
    );
    let (single_ids, _, _) = fill(single, scale, 1).await;
    let cells = 30 * scale.dimensions;
    // Warm both the same way before timing.
    measure(
        full,
        &ids,
        &Scale {
            queries: 20,
            ..*scale
        },
        cells,
    )
    .await;
    measure(
        single,
        &single_ids,
        &Scale {
            queries: 20,
            ..*scale
        },
        cells,
    )
    .await;
    let big = measure(full, &ids, scale, cells).await;
    let base = measure(single, &single_ids, scale, cells).await;
    println!(
        "{name}: month-by-day query, {} queries, {} buckets each: p50 {}, p95 {}, max {}",
        scale.queries,
        cells * 24,
        ms(big.p50),
        ms(big.p95),
        ms(big.max)
    );
    println!(
        "{name}: baseline (database with only the queried metric): p50 {}, p95 {}, max {}; p95 ratio {:.2}",
        ms(base.p50),
        ms(base.p95),
        ms(base.max),
        big.p95.as_secs_f64() / base.p95.as_secs_f64()
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let scale = if quick {
        Scale {
            metrics: 3,
            dimensions: 10,
            days: 60,
            queries: 50,
        }
    } else {
        Scale {
            metrics: 50,
            dimensions: 10,
            days: 730,
            queries: 500,
        }
    };
    let only = std::env::var("BENCH_BACKEND").ok();

    if only.as_deref() != Some("postgres") {
        let root = std::env::temp_dir().join(format!("store-bench-{}", std::process::id()));
        let full = SqliteStore::open_dir(&root.join("full"), key())
            .await
            .expect("sqlite");
        let single = SqliteStore::open_dir(&root.join("single"), key())
            .await
            .expect("sqlite");
        run_backend("SQLite", &full, &single, &scale).await;
        full.close().await;
        single.close().await;
        let _ = std::fs::remove_dir_all(&root);
    }

    if only.as_deref() != Some("sqlite") {
        let url = std::env::var("SWITCHBOARD_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let admin = match PgPoolOptions::new().max_connections(1).connect(&url).await {
            Ok(pool) => pool,
            Err(e) => {
                eprintln!("SKIPPED: PostgreSQL unreachable at {url} ({e})");
                return;
            }
        };
        let schemas = [
            format!("store_bench_full_{}", std::process::id()),
            format!("store_bench_single_{}", std::process::id()),
        ];
        for s in &schemas {
            admin
                .execute(AssertSqlSafe(format!("CREATE SCHEMA {s}")))
                .await
                .expect("schema");
        }
        let open = |schema: &str| {
            let options = PgConnectOptions::from_str(&url)
                .expect("url")
                .options([("search_path", schema)]);
            PostgresStore::connect_with(options, 4, key())
        };
        let full = open(&schemas[0]).await.expect("postgres");
        let single = open(&schemas[1]).await.expect("postgres");
        run_backend("PostgreSQL", &full, &single, &scale).await;
        full.close().await;
        single.close().await;
        for s in &schemas {
            admin
                .execute(AssertSqlSafe(format!("DROP SCHEMA {s} CASCADE")))
                .await
                .expect("drop");
        }
    }
}
