//! Benchmark of the real-time ingest (issue 22): a burst of 10,000 signed message status
//! callbacks on loopback against the same callbacks fed one at a time, each on a fresh app whose
//! "Messages delivered" metric was just polled from the simulator.
//!
//! Per mode: every request's time from send to answer (p50, p99, max), the wall time and rate,
//! whether every event is stored (none lost: the app's event count and the block's rise both equal
//! the callbacks sent), and how long after the last answer a board's Number block over today
//! shows the full rise (read through the block's CSV export, what the board draws). Goals: none
//! lost, p99 under 50 ms, the board within 2 s.
//!
//! `cargo bench -p web --bench realtime_burst` (`-- --quick`: 500 callbacks, a smoke run).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use store::{
    AnyStore, BoardSettings, BoardStore as _, LiveStore as _, NewBlock, NewConnection, NewMetric,
    Place, SqliteStore, Store as _,
};
use twilio_sim::{SimConfig, SimHandle, Sizes};
use web::{AppState, Role, StoreAccounts, WebConfig};

/// Concurrent senders of the burst (Twilio sends from many machines at once).
const SENDERS: usize = 64;

fn key() -> store::MasterKey {
    store::MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "bench").unwrap()
}

async fn sim() -> SimHandle {
    twilio_sim::spawn(SimConfig {
        seed: 22,
        now: jiff::Timestamp::now(),
        sizes: Sizes {
            messages_per_day: 40,
            calls_per_day: 4,
            days: 2,
            subaccounts: 0,
            conferences_per_day: 0,
            verify_attempts_per_day: 0,
            ..Sizes::default()
        },
        faults: Default::default(),
        incidents: Vec::new(),
    })
    .await
    .unwrap()
}

/// A fresh app on SQLite, served on loopback: the simulator's main account connected, "Messages
/// delivered" polled once, a board with one Number block of it over today, the Auth Token set.
struct Served {
    _dir: tempdir::Dir,
    store: Arc<AnyStore>,
    connection: store::ConnectionId,
    base: String,
    hook: String,
    viewer: String,
    csv: String,
    auth_token: String,
    account_sid: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

mod tempdir {
    /// A folder removed on drop.
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

async fn serve(sim: &SimHandle, label: &str) -> Served {
    let dir = std::env::temp_dir().join(format!("sb-rt-bench-{}-{label}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = Arc::new(AnyStore::Sqlite(
        SqliteStore::open_dir(&dir, key()).await.unwrap(),
    ));
    let connector = connector::Connector::new(connector::ConnectorConfig {
        base_url: Some(connector::BaseUrl::parse(&sim.base_url()).unwrap()),
        ..connector::ConnectorConfig::default()
    })
    .unwrap();
    let account = sim.dataset().main_account();
    let api_key = account.main_key().unwrap();
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let connection = store
        .create_connection(
            &NewConnection {
                label: "live".to_owned(),
                account_sid: domain::AccountSid::parse(&account.sid).unwrap(),
                api_key_sid: domain::ApiKeySid::parse(&api_key.sid).unwrap(),
                secret: domain::Secret::new(api_key.secret.clone()),
            },
            now_ms,
        )
        .await
        .unwrap();
    let definition = library::find("messages-delivered")
        .unwrap()
        .definition
        .to_json_pretty();
    let metric = store
        .create_metric(
            &NewMetric {
                name: "Messages delivered".to_owned(),
                connection_id: Some(connection.id),
                definition,
            },
            now_ms,
        )
        .await
        .unwrap();
    store
        .set_metric_usage(metric.id, &[library::METRICS_SCREEN.to_owned()], now_ms)
        .await
        .unwrap();
    let report = metric_sync::Syncer::new(
        Arc::clone(&store),
        connector.clone(),
        metric_sync::SyncConfig::default(),
    )
    .sync_metric(metric.id, jiff::Timestamp::now())
    .await
    .unwrap();
    assert!(report.error().is_none(), "{:?}", report.error());
    let board = store
        .create_board(
            &BoardSettings {
                name: "Live".to_owned(),
                date_range: "today".to_owned(),
                comparison: "previous_period".to_owned(),
                zone: "UTC".to_owned(),
            },
            now_ms,
        )
        .await
        .unwrap();
    let block = store
        .add_block(
            board.id,
            &NewBlock {
                kind: "number".to_owned(),
                title: "Delivered today".to_owned(),
                place: Place {
                    x: 0,
                    y: 0,
                    w: 3,
                    h: 3,
                },
                settings: serde_json::json!({ "metrics": [metric.id.0], "range": "today" })
                    .to_string(),
            },
            now_ms,
        )
        .await
        .unwrap();
    let hook = store
        .set_connection_auth_token(
            connection.id,
            Some(&domain::Secret::new(account.auth_token.clone())),
            now_ms,
        )
        .await
        .unwrap();
    let state = AppState::new(
        Arc::clone(&store),
        connector,
        Arc::new(StoreAccounts::new(Arc::clone(&store))),
        WebConfig::default(),
    );
    let hash = web::accounts::hash_password("bench password").unwrap();
    let user = state
        .accounts()
        .create_user("viewer", Role::Viewer, &hash, 0)
        .await
        .unwrap();
    let (viewer, _) = state
        .app()
        .create_token(user.id, &app::TokenName::parse("bench").unwrap())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::serve(listener, state, async move {
        let _ = rx.await;
    }));
    Served {
        _dir: tempdir::Dir(dir),
        store,
        connection: connection.id,
        csv: format!("/boards/{}/blocks/{}.csv", board.id.0, block.id.0),
        base,
        hook,
        viewer,
        auth_token: account.auth_token.clone(),
        account_sid: account.sid.clone(),
        _stop: stop,
    }
}

/// One signed "delivered" callback per message: the URL, the form body and its signature.
fn callbacks(s: &Served, n: usize) -> Vec<(String, String, String)> {
    let url = format!("{}/hooks/twilio/{}/messages", s.base, s.hook);
    (0..n)
        .map(|i| {
            let sid = format!("SM{:032x}", 0x5eed_0000_0000_u64 + i as u64);
            let params: Vec<(String, String)> = [
                ("AccountSid", s.account_sid.as_str()),
                ("ApiVersion", "2010-04-01"),
                ("From", "+15005550006"),
                ("MessageSid", sid.as_str()),
                ("MessageStatus", "delivered"),
                ("SmsSid", sid.as_str()),
                ("SmsStatus", "delivered"),
                ("To", "+15005550009"),
            ]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
            let signature = realtime::signature::compute(&url, &params, &s.auth_token);
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&params)
                .finish();
            (url.clone(), body, signature)
        })
        .collect()
}

/// The block's value as its CSV export gives it.
async fn block_value(
    client: &Client<hyper_util::client::legacy::connect::HttpConnector, Body>,
    s: &Served,
) -> Option<f64> {
    let req = http::Request::get(format!("{}{}", s.base, s.csv))
        .header("authorization", format!("Bearer {}", s.viewer))
        .body(Body::empty())
        .unwrap();
    let res = client.request(req).await.unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let body = axum::body::to_bytes(Body::new(res.into_body()), usize::MAX)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&body);
    let mut total = None;
    for line in text.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() >= 6 && cells[2].is_empty() && !cells[5].is_empty() {
            *total.get_or_insert(0.0) += cells[5].parse::<f64>().unwrap();
        }
    }
    total
}

struct Figures {
    sent: usize,
    stored: usize,
    rise: f64,
    wall: Duration,
    p50: Duration,
    p99: Duration,
    max: Duration,
    board_lag: Option<Duration>,
}

/// Sends `n` callbacks from `senders` concurrent keep-alive clients and measures.
async fn run(sim: &SimHandle, label: &str, n: usize, senders: usize) -> Figures {
    let s = serve(sim, label).await;
    let client: Client<_, Body> = Client::builder(TokioExecutor::new()).build_http();
    let before = block_value(&client, &s).await.unwrap_or(0.0);
    let all = Arc::new(callbacks(&s, n));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..senders {
        let client = client.clone();
        let all = Arc::clone(&all);
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            for (url, body, signature) in all.iter().skip(c).step_by(senders) {
                let req = http::Request::post(url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("x-twilio-signature", signature)
                    .body(Body::from(body.clone()))
                    .unwrap();
                let t = Instant::now();
                let res = client.request(req).await.unwrap();
                let status = res.status();
                let _ = axum::body::to_bytes(Body::new(res.into_body()), usize::MAX).await;
                times.push(t.elapsed());
                assert_eq!(status.as_u16(), 204, "callback refused");
            }
            times
        }));
    }
    let mut times = Vec::with_capacity(n);
    for t in tasks {
        times.extend(t.await.unwrap());
    }
    let wall = started.elapsed();
    let last_answer = Instant::now();
    let want = before + n as f64;
    let mut board_lag = None;
    let mut rise = 0.0;
    while last_answer.elapsed() < Duration::from_secs(10) {
        let now = block_value(&client, &s).await.unwrap_or(0.0);
        rise = now - before;
        if now >= want {
            board_lag = Some(last_answer.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stored = s
        .store
        .recent_live_events(s.connection, (n + 10) as u32)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.outcome == "applied")
        .count();
    times.sort();
    let pick = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    Figures {
        sent: n,
        stored,
        rise,
        wall,
        p50: pick(0.50),
        p99: pick(0.99),
        max: *times.last().unwrap(),
        board_lag,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn print(name: &str, f: &Figures) {
    println!(
        "{name:<12} sent {:>6}  stored {:>6}  block rose {:>8}  wall {:>8.0} ms  {:>7.0}/s  p50 {:>6.1} ms  p99 {:>6.1} ms  max {:>6.1} ms  board after last {}",
        f.sent,
        f.stored,
        f.rise,
        ms(f.wall),
        f.sent as f64 / f.wall.as_secs_f64(),
        ms(f.p50),
        ms(f.p99),
        ms(f.max),
        f.board_lag.map_or_else(
            || "not within 10 s".to_owned(),
            |d| format!("{:.0} ms", ms(d))
        ),
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 500 } else { 10_000 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sim = sim().await;
        let burst = run(&sim, "burst", n, SENDERS).await;
        let one = run(&sim, "one-by-one", n, 1).await;
        println!("real-time ingest, {n} signed message status callbacks on loopback, SQLite");
        print("burst x64", &burst);
        print("one by one", &one);
        println!(
            "burst/one-by-one: wall {:.2}x, p99 {:.2}x",
            ms(burst.wall) / ms(one.wall),
            ms(burst.p99) / ms(one.p99)
        );
        let lost = burst.sent - burst.stored;
        println!(
            "goals: none lost ({}), p99 under 50 ms ({:.1} ms), board within 2 s ({})",
            if lost == 0 && burst.rise == n as f64 {
                "met"
            } else {
                "NOT met"
            },
            ms(burst.p99),
            burst
                .board_lag
                .map_or("NOT met".to_owned(), |d| format!("{:.0} ms", ms(d)))
        );
    });
}
