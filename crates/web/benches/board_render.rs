//! Board rendering under load: a 12-block board over a year of hourly buckets for 20 metrics,
//! served by the whole app on loopback and requested by a small load generator (concurrent
//! keep-alive HTTP/1.1 clients), on SQLite and on PostgreSQL (when reachable). The baseline,
//! in the same run, is the Metrics screen over the same 20 metrics (`/metrics/all`: seven days
//! and a daily sparkline per metric), so the ratio says what a board costs against the page
//! that already existed.
//!
//! `cargo bench -p web --bench board_render` (add `-- --quick` for a small smoke run;
//! `--skip-baseline --sqlite-only` to profile the cached board path alone).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use store::{
    AnyStore, BoardSettings, BoardStore as _, BucketRow, NewBlock, NewMetric, Place, SqliteStore,
    Store as _,
};
use web::{AppState, Role, StoreAccounts, WebConfig};

const METRICS: usize = 20;
const HOURS: i64 = 365 * 24;
const DIMENSIONS: [&str; 3] = ["delivered", "failed", "undelivered"];
use domain::HOUR_MS;

fn key() -> store::MasterKey {
    store::MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "bench").unwrap()
}

/// 20 metrics with a year of hourly buckets in three dimensions, and the 12-block board.
async fn seed(store: &AnyStore) -> i64 {
    let base: serde_json::Value = serde_json::from_str(
        &library::find("messages-sent")
            .unwrap()
            .definition
            .to_json_pretty(),
    )
    .unwrap();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let end = now_ms.div_euclid(HOUR_MS) * HOUR_MS + HOUR_MS;
    let start = end - HOURS * HOUR_MS;
    let mut ids = Vec::new();
    for m in 0..METRICS {
        let mut def = base.clone();
        def["description"]["name"] = format!("Metric {m:02}").into();
        let stored = store
            .create_metric(
                &NewMetric {
                    name: format!("Metric {m:02}"),
                    connection_id: None,
                    definition: def.to_string(),
                },
                now_ms,
            )
            .await
            .unwrap();
        store
            .set_metric_usage(stored.id, &[library::METRICS_SCREEN.to_owned()], now_ms)
            .await
            .unwrap();
        let mut rows = Vec::with_capacity(HOURS as usize * DIMENSIONS.len());
        for h in 0..HOURS {
            for (d, dim) in DIMENSIONS.iter().enumerate() {
                let v = ((h * 7 + d as i64 * 13 + m as i64) % 50) as f64;
                rows.push(BucketRow {
                    dimension: (*dim).to_owned(),
                    hour_ms: start + h * HOUR_MS,
                    sum: v,
                    count: 1,
                    min: v,
                    max: v,
                    latest: v,
                    latest_at_ms: start + h * HOUR_MS,
                });
            }
        }
        store
            .replace_window(stored.id, start, end, &rows)
            .await
            .unwrap();
        ids.push(stored.id.0);
    }
    let board = store
        .create_board(
            &BoardSettings {
                name: "Bench".to_owned(),
                date_range: "last_12_months".to_owned(),
                comparison: "previous_period".to_owned(),
                zone: "Europe/Paris".to_owned(),
            },
            now_ms,
        )
        .await
        .unwrap();
    // Twelve blocks over the 20 metrics: numbers, charts by day and week, a breakdown, a
    // table by interval, a month-to-date block and an hourly line over the last 7 days.
    let specs: [(&str, serde_json::Value); 12] = [
        ("number", serde_json::json!({"metrics": [ids[0], ids[1]]})),
        (
            "number",
            serde_json::json!({"metrics": [ids[2]], "range": "month_to_date"}),
        ),
        (
            "number",
            serde_json::json!({"metrics": [ids[3]], "compare": "same_period_last_year"}),
        ),
        (
            "progress",
            serde_json::json!({"metrics": [ids[4]], "goal": 100000.0}),
        ),
        (
            "line",
            serde_json::json!({"metrics": [ids[5], ids[6], ids[7]], "interval": "day"}),
        ),
        (
            "line",
            serde_json::json!({"metrics": [ids[8]], "range": "last_7_days", "interval": "hour"}),
        ),
        (
            "bar",
            serde_json::json!({"metrics": [ids[9]], "by_dimension": true, "stacked": true, "interval": "week"}),
        ),
        (
            "bar",
            serde_json::json!({"metrics": [ids[10], ids[11]], "interval": "month"}),
        ),
        (
            "pie",
            serde_json::json!({"metrics": [ids[12]], "donut": true}),
        ),
        ("table", serde_json::json!({"metrics": [ids[13]]})),
        (
            "table",
            serde_json::json!({"metrics": [ids[14], ids[15], ids[16]], "table_rows": "by_interval", "interval": "month"}),
        ),
        (
            "line",
            serde_json::json!({"metrics": [ids[17], ids[18], ids[19]], "interval": "week", "cumulative": true}),
        ),
    ];
    for (i, (kind, settings)) in specs.iter().enumerate() {
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
                now_ms,
            )
            .await
            .unwrap();
    }
    board.id.0
}

struct Figures {
    p50: Duration,
    p95: Duration,
    per_second: f64,
}

/// `requests` GETs of `path` from `clients` concurrent keep-alive clients.
async fn load(base: &str, path: &str, token: &str, clients: usize, requests: usize) -> Figures {
    let client: Client<_, Body> = Client::builder(TokioExecutor::new()).build_http();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let client = client.clone();
        let url = format!("{base}{path}");
        let token = token.to_owned();
        let n = requests / clients + usize::from(c < requests % clients);
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(n);
            for _ in 0..n {
                let req = http::Request::get(&url)
                    .header("authorization", format!("Bearer {token}"))
                    .body(Body::empty())
                    .unwrap();
                let t = Instant::now();
                let res = client.request(req).await.unwrap();
                let status = res.status();
                let body = axum::body::to_bytes(Body::new(res.into_body()), usize::MAX)
                    .await
                    .unwrap();
                times.push(t.elapsed());
                assert!(
                    status.is_success(),
                    "{status}: {}",
                    String::from_utf8_lossy(&body)
                );
            }
            times
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let wall = started.elapsed();
    all.sort();
    let pick = |q: f64| all[((all.len() as f64 * q).ceil() as usize).clamp(1, all.len()) - 1];
    Figures {
        p50: pick(0.50),
        p95: pick(0.95),
        per_second: all.len() as f64 / wall.as_secs_f64(),
    }
}

/// One app over `store` with `cache` buckets of board cache, and a viewer's API token.
async fn start(
    store: &Arc<AnyStore>,
    cache: usize,
) -> (
    String,
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let state = AppState::new(
        Arc::clone(store),
        connector::Connector::new(connector::ConnectorConfig::default()).unwrap(),
        Arc::new(StoreAccounts::new(Arc::clone(store))),
        WebConfig {
            board_cache_buckets: cache,
            ..WebConfig::default()
        },
    );
    let hash = web::accounts::hash_password("bench password").unwrap();
    let name = format!("bench{cache}");
    let user = state
        .accounts()
        .create_user(&name, Role::Viewer, &hash, 0)
        .await
        .unwrap();
    let (token, _) = state
        .app()
        .create_token(user.id, &app::TokenName::parse("bench").unwrap())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(web::serve(listener, state, async move {
        let _ = rx.await;
    }));
    (base, token, stop, server)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn run(label: &str, store: AnyStore, quick: bool, skip_baseline: bool) {
    let t = Instant::now();
    let store = Arc::new(store);
    let board = seed(&store).await;
    let seeded = t.elapsed();
    let (clients, requests) = if quick { (2, 20) } else { (4, 200) };
    let path = format!("/boards/{board}");
    println!(
        "{label}: seeded {METRICS} metrics × {HOURS} hours × {} dimensions in {:.1} s; {clients} clients, {requests} requests each page",
        DIMENSIONS.len(),
        seeded.as_secs_f64()
    );

    // The baseline: the same board with the bucket cache off, so every render reads the store
    // (what every render cost before the cache), and the Metrics screen.
    let uncached = if skip_baseline {
        None
    } else {
        let (base, token, stop, server) = start(&store, 0).await;
        load(&base, &path, &token, clients, clients).await;
        let figures = load(&base, &path, &token, clients, requests.min(20)).await;
        let _ = stop.send(());
        let _ = server.await;
        Some(figures)
    };

    let (base, token, stop, server) = start(&store, web::boards::cache::DEFAULT_CAPACITY).await;
    // The first render fills the cache: it is what a viewer waits after a restart or a sync.
    let cold = load(&base, &path, &token, 1, 1).await;
    load(&base, &path, &token, clients, clients * 2).await;
    load(
        &base,
        web::pages::METRICS_SCREEN,
        &token,
        clients,
        clients * 2,
    )
    .await;
    let b = load(&base, &path, &token, clients, requests).await;
    let s = load(&base, web::pages::METRICS_SCREEN, &token, clients, requests).await;
    println!(
        "{label}: board (12 blocks)        p50 {:>7.1} ms  p95 {:>7.1} ms  {:>6.1} req/s",
        ms(b.p50),
        ms(b.p95),
        b.per_second
    );
    println!("{label}: board, first render    {:>7.1} ms", ms(cold.p50));
    if let Some(u) = &uncached {
        println!(
            "{label}: board, cache off        p50 {:>7.1} ms  p95 {:>7.1} ms  {:>6.1} req/s",
            ms(u.p50),
            ms(u.p95),
            u.per_second
        );
    }
    println!(
        "{label}: Metrics screen (20)     p50 {:>7.1} ms  p95 {:>7.1} ms  {:>6.1} req/s",
        ms(s.p50),
        ms(s.p95),
        s.per_second
    );
    println!(
        "{label}: board / Metrics screen: p50 {:.2}×, p95 {:.2}×",
        ms(b.p50) / ms(s.p50),
        ms(b.p95) / ms(s.p95),
    );
    if let Some(u) = &uncached {
        println!(
            "{label}: cache off / cache on: p50 {:.1}×, p95 {:.1}×",
            ms(u.p50) / ms(b.p50),
            ms(u.p95) / ms(b.p95)
        );
    }
    let _ = stop.send(());
    let _ = server.await;
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    // For profiling the cached path alone; the figures in BENCHMARKS.md come from a full run.
    let skip_baseline = std::env::args().any(|a| a == "--skip-baseline");
    let only_sqlite = std::env::args().any(|a| a == "--sqlite-only");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("sb-bench-boards-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sqlite = AnyStore::Sqlite(SqliteStore::open_dir(&dir, key()).await.unwrap());
        run("sqlite", sqlite, quick, skip_baseline).await;
        let _ = std::fs::remove_dir_all(&dir);
        if only_sqlite {
            return;
        }
        match test_support::PgSchema::create("bench_boards").await {
            Some(schema) => {
                let pg = store::PostgresStore::connect_with(schema.options(), 8, key())
                    .await
                    .unwrap();
                run("postgres", AnyStore::Postgres(pg), quick, skip_baseline).await;
            }
            None => println!("postgres: skipped (unreachable)"),
        }
    });
}
