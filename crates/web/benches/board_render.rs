//! Board rendering: a 12-block board over a year of hourly buckets for 20 metrics, served by the
//! whole app on loopback and requested by a small load generator (concurrent keep-alive
//! HTTP/1.1 clients), on SQLite and on PostgreSQL (when reachable). Each figure is taken twice in
//! the same run: boards reading the store's daily rollups and folded spans (`rollups`), and
//! boards reading every hour (`hourly`, the path before rollups, `WebConfig::board_rollups =
//! false`), the baseline.
//!
//! - first render after a start: the store opened again (a new connection pool, as a restarted
//!   process has) under a fresh app (an empty cache), one request, repeated for a p95;
//! - first render after a sync: `replace_window` rewrites the last two hours of all 20 metrics
//!   (moving every version, as an hourly sync does), then one request, repeated;
//! - warm: the cached board under concurrent clients.
//!
//! `cargo bench -p web --bench board_render` (add `-- --quick` for a small smoke run;
//! `--sqlite-only` to skip PostgreSQL).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use store::{
    AnyStore, BoardSettings, BoardStore as _, BucketRow, NewBlock, NewMetric, Place, SqliteStore,
    Store as _,
};
use web::boards::cache::DEFAULT_CAPACITY;
use web::{AppState, Role, StoreAccounts, WebConfig};

const METRICS: usize = 20;
const HOURS: i64 = 365 * 24;
const DIMENSIONS: [&str; 3] = ["delivered", "failed", "undelivered"];
use domain::HOUR_MS;

fn key() -> store::MasterKey {
    store::MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "bench").unwrap()
}

/// 20 metrics with a year of hourly buckets in three dimensions, and the 12-block board.
async fn seed(store: &AnyStore) -> Seeded {
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
        let rows = rows(m, start, 0, HOURS);
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
    Seeded {
        board: board.id.0,
        metrics: ids.into_iter().map(store::MetricId).collect(),
        start,
    }
}

struct Seeded {
    board: i64,
    metrics: Vec<store::MetricId>,
    /// The first seeded hour.
    start: i64,
}

/// Metric `m`'s buckets of hours `from_h..to_h` after `start`.
fn rows(m: usize, start: i64, from_h: i64, to_h: i64) -> Vec<BucketRow> {
    let mut rows = Vec::with_capacity((to_h - from_h) as usize * DIMENSIONS.len());
    for h in from_h..to_h {
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
    rows
}

struct Figures {
    p50: Duration,
    p95: Duration,
    per_second: f64,
}

/// `requests` GETs of `path` from `clients` concurrent keep-alive clients, each signed in as
/// its own viewer (a person has at most `web::heavy::PER_REQUESTER` boards drawn at once).
async fn load(
    base: &str,
    path: &str,
    tokens: &[String],
    clients: usize,
    requests: usize,
) -> Figures {
    let client: Client<_, Body> = Client::builder(TokioExecutor::new()).build_http();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let client = client.clone();
        let url = format!("{base}{path}");
        let token = tokens[c % tokens.len()].clone();
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

static NEXT_USER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One app over `store` with `cache` buckets of board cache, and a viewer's API token.
async fn start(
    store: &Arc<AnyStore>,
    cache: usize,
    rollups: bool,
) -> (
    String,
    Vec<String>,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let state = AppState::new(
        Arc::clone(store),
        connector::Connector::new(connector::ConnectorConfig::default()).unwrap(),
        Arc::new(StoreAccounts::new(Arc::clone(store))),
        WebConfig {
            board_cache_buckets: cache,
            board_rollups: rollups,
            ..WebConfig::default()
        },
    );
    let hash = web::accounts::hash_password("bench password").unwrap();
    let mut tokens = Vec::new();
    for _ in 0..CLIENTS {
        let name = format!(
            "bench{}",
            NEXT_USER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
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
        tokens.push(token);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(web::serve(listener, state, async move {
        let _ = rx.await;
    }));
    (base, tokens, stop, server)
}

/// The most concurrent clients a run uses, each its own viewer.
const CLIENTS: usize = 4;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The p50 and p95 of single requests.
fn spread(mut all: Vec<Duration>) -> Figures {
    all.sort();
    let pick = |q: f64| all[((all.len() as f64 * q).ceil() as usize).clamp(1, all.len()) - 1];
    Figures {
        p50: pick(0.50),
        p95: pick(0.95),
        per_second: 0.0,
    }
}

struct Mode {
    after_start: Figures,
    after_sync: Figures,
    warm: Figures,
}

/// Opens the benchmark's store again, as a restarted `serve` would.
type Reopen = Box<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = AnyStore>>>>;

async fn measure(
    store: &Arc<AnyStore>,
    reopen: &Reopen,
    seeded: &Seeded,
    rollups: bool,
    repeats: usize,
    clients: usize,
    requests: usize,
) -> Mode {
    let path = format!("/boards/{}", seeded.board);
    // First render after a start: the store opened anew (so new connections) and a new app
    // (so an empty cache); the time is the first request's once the app is up.
    let mut firsts = Vec::new();
    for _ in 0..repeats {
        let restarted = Arc::new(reopen().await);
        let (base, tokens, stop, server) = start(&restarted, DEFAULT_CAPACITY, rollups).await;
        firsts.push(load(&base, &path, &tokens, 1, 1).await.p50);
        let _ = stop.send(());
        let _ = server.await;
        restarted.close().await;
    }
    let (base, tokens, stop, server) = start(store, DEFAULT_CAPACITY, rollups).await;
    load(&base, &path, &tokens, clients, clients * 2).await;
    let warm = load(&base, &path, &tokens, clients, requests).await;
    // First render after a sync: every metric's last two hours rewritten (the same values, so
    // each round reads the same board), each moving its data version.
    let mut after_sync = Vec::new();
    for _ in 0..repeats {
        for (m, &id) in seeded.metrics.iter().enumerate() {
            let from = seeded.start + (HOURS - 2) * HOUR_MS;
            store
                .replace_window(
                    id,
                    from,
                    from + 2 * HOUR_MS,
                    &rows(m, seeded.start, HOURS - 2, HOURS),
                )
                .await
                .unwrap();
        }
        after_sync.push(load(&base, &path, &tokens, 1, 1).await.p50);
    }
    let _ = stop.send(());
    let _ = server.await;
    Mode {
        after_start: spread(firsts),
        after_sync: spread(after_sync),
        warm,
    }
}

async fn run(label: &str, store: AnyStore, reopen: Reopen, quick: bool) {
    let t = Instant::now();
    let store = Arc::new(store);
    let seeded = seed(&store).await;
    let seeded_in = t.elapsed();
    let (clients, requests, repeats) = if quick {
        (2, 20, 3)
    } else {
        (CLIENTS, 200, 20)
    };
    println!(
        "{label}: seeded {METRICS} metrics × {HOURS} hours × {} dimensions in {:.1} s; {clients} clients, {requests} warm requests, {repeats} first renders of each kind",
        DIMENSIONS.len(),
        seeded_in.as_secs_f64()
    );
    let new = measure(&store, &reopen, &seeded, true, repeats, clients, requests).await;
    let old = measure(&store, &reopen, &seeded, false, repeats, clients, requests).await;
    let line = |what: &str, mode: &str, f: &Figures| {
        println!(
            "{label}: {what:<28} {mode:<8} p50 {:>8.1} ms  p95 {:>8.1} ms",
            ms(f.p50),
            ms(f.p95)
        )
    };
    for (what, n, o) in [
        (
            "first render after a start",
            &new.after_start,
            &old.after_start,
        ),
        (
            "first render after a sync",
            &new.after_sync,
            &old.after_sync,
        ),
        ("warm", &new.warm, &old.warm),
    ] {
        line(what, "rollups", n);
        line(what, "hourly", o);
        println!(
            "{label}: {what:<28} hourly / rollups: p50 {:.1}×, p95 {:.1}×",
            ms(o.p50) / ms(n.p50),
            ms(o.p95) / ms(n.p95)
        );
    }
    println!(
        "{label}: warm req/s: rollups {:.1}, hourly {:.1}",
        new.warm.per_second, old.warm.per_second
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let only_sqlite = std::env::args().any(|a| a == "--sqlite-only");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("sb-bench-boards-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sqlite = AnyStore::Sqlite(SqliteStore::open_dir(&dir, key()).await.unwrap());
        let at = dir.clone();
        let reopen: Reopen = Box::new(move || {
            let at = at.clone();
            Box::pin(
                async move { AnyStore::Sqlite(SqliteStore::open_dir(&at, key()).await.unwrap()) },
            )
        });
        run("sqlite", sqlite, reopen, quick).await;
        let _ = std::fs::remove_dir_all(&dir);
        if only_sqlite {
            return;
        }
        match test_support::PgSchema::create("bench_boards").await {
            Some(schema) => {
                let pg = store::PostgresStore::connect_with(schema.options(), 8, key())
                    .await
                    .unwrap();
                let options = schema.options();
                let reopen: Reopen = Box::new(move || {
                    let options = options.clone();
                    Box::pin(async move {
                        AnyStore::Postgres(
                            store::PostgresStore::connect_with(options, 8, key())
                                .await
                                .unwrap(),
                        )
                    })
                });
                run("postgres", AnyStore::Postgres(pg), reopen, quick).await;
            }
            None => println!("postgres: skipped (unreachable)"),
        }
    });
}
