//! `serve --demo`'s preparation: starter metrics synced from the simulator, shown on the
//! Metrics screen with values that agree with the simulator's own dataset; and its live traffic, status
//! callbacks from the simulator verified and applied.

mod support;

use axum::http::StatusCode;
use serde_json::Value;
use support::*;
use web::demo::{DEMO_METRICS, DEMO_USER, DemoAccount, prepare};

fn rfc2822_ms(v: &Value, field: &str) -> Option<i64> {
    let s = v.get(field)?.as_str()?;
    Some(
        jiff::fmt::rfc2822::parse(s)
            .unwrap_or_else(|e| panic!("{field}={s:?}: {e}"))
            .timestamp()
            .as_millisecond(),
    )
}

fn attr(chunk: &str, name: &str) -> String {
    let at = chunk
        .find(&format!("{name}=\""))
        .unwrap_or_else(|| panic!("no {name} in {chunk}"));
    let rest = &chunk[at + name.len() + 2..];
    rest[..rest.find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn the_demo_shows_messages_sent_equal_to_the_simulators_count() {
    let app = spawn_app().await;
    let s = shared();
    let ready = prepare(
        &app.state,
        DemoAccount {
            account_sid: s.account_sid.clone(),
            api_key_sid: s.key_sid.clone(),
            secret: domain::Secret::new(s.key_secret.clone()),
        },
    )
    .await
    .unwrap();
    assert!(ready.failures.is_empty(), "{:?}", ready.failures);
    assert_eq!(ready.metrics.len(), DEMO_METRICS.len());

    let session = app
        .try_login(DEMO_USER, &ready.password)
        .await
        .expect("the printed demo login works");
    let page = app.get("/metrics/all", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    for m in &ready.metrics {
        assert!(page.body.contains(&m.name), "{} missing", m.name);
    }
    let chunk = page
        .body
        .split("<li class=\"metric\"")
        .find(|c| c.contains(">Messages sent</a>"))
        .expect("a Messages sent row");
    let from: i64 = attr(chunk, "data-from").parse().unwrap();
    let to: i64 = attr(chunk, "data-to").parse().unwrap();
    let shown: f64 = attr(chunk, "data-value").parse().unwrap();
    assert!(chunk.contains("badge fresh"), "{chunk}");

    // Outbound messages dated when sent (else when created) inside the period, from the dump.
    let expected = s.dump["accounts"][0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"].as_str() != Some("inbound"))
        .filter_map(|m| rfc2822_ms(m, "date_sent").or_else(|| rfc2822_ms(m, "date_created")))
        .filter(|&at| from <= at && at < to)
        .count();
    assert!(
        expected > 0,
        "the simulator should have sent messages in the period"
    );
    assert_eq!(shown, expected as f64);
}

#[tokio::test]
async fn an_empty_install_offers_a_setup_link_and_a_demo_does_not() {
    let app = spawn_app().await;
    assert!(app.state.setup_path().await.is_some());
    app.user("ada", web::Role::Admin).await;
    assert!(app.state.setup_path().await.is_none());
}

#[tokio::test]
async fn the_demo_syncs_each_starter_metric_once_and_queues_nothing_more() {
    use store::Store as _;
    let app = spawn_app().await;
    let s = shared();
    let ready = prepare(
        &app.state,
        DemoAccount {
            account_sid: s.account_sid.clone(),
            api_key_sid: s.key_sid.clone(),
            secret: domain::Secret::new(s.key_secret.clone()),
        },
    )
    .await
    .unwrap();
    for m in &ready.metrics {
        let runs = app.state.store().sync_runs(Some(m.id), 10).await.unwrap();
        assert_eq!(runs.len(), 1, "{}: {runs:?}", m.name);
    }
    let jobs = app.state.store().list_jobs(None, 100).await.unwrap();
    assert!(jobs.is_empty(), "{jobs:?}");
}

fn demo_account() -> DemoAccount {
    let s = shared();
    DemoAccount {
        account_sid: s.account_sid.clone(),
        api_key_sid: s.key_sid.clone(),
        secret: domain::Secret::new(s.key_secret.clone()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_builds_the_messaging_voice_and_spend_boards() {
    use store::BoardStore as _;
    let app = spawn_app().await;
    let ready = prepare(&app.state, demo_account()).await.unwrap();
    assert!(ready.failures.is_empty(), "{:?}", ready.failures);
    let boards = app.state.store().list_boards().await.unwrap();
    let mut names: Vec<&str> = boards.iter().map(|b| b.settings.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["Twilio Messaging", "Twilio Spend", "Twilio Voice"]);
    for t in web::features::boards::TEMPLATES {
        let board = boards
            .iter()
            .find(|b| b.settings.name == t.name)
            .expect("the template's board");
        let blocks = app.state.store().blocks(board.id).await.unwrap();
        assert_eq!(blocks.len(), t.blocks.len(), "{}", t.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_to_the_demo_lands_on_its_messaging_board() {
    let app = spawn_app().await;
    let ready = prepare(&app.state, demo_account()).await.unwrap();
    let messaging = ready
        .boards
        .iter()
        .find(|b| b.settings.name == "Twilio Messaging")
        .expect("the Messaging board");
    let csrf = app.login_csrf().await;
    let signed_in = app
        .send(login_request(&csrf, DEMO_USER, &ready.password, None))
        .await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    let home = format!("/boards/{}", messaging.id.0);
    assert_eq!(signed_in.location(), Some(home.as_str()));
    let session = app.try_login(DEMO_USER, &ready.password).await.unwrap();
    let root = app.get("/", Some(&session)).await;
    assert_eq!(root.location(), Some(home.as_str()));
    let page = app.get(&home, Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Twilio Messaging"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preparing_the_demo_twice_adds_nothing() {
    use store::{BoardStore as _, Store as _};
    let app = spawn_app().await;
    async fn counts(app: &TestApp) -> (usize, usize, usize, usize, usize) {
        let store = app.state.store();
        let boards = store.list_boards().await.unwrap();
        let mut blocks = 0;
        for b in &boards {
            blocks += store.blocks(b.id).await.unwrap().len();
        }
        (
            store.list_connections().await.unwrap().len(),
            store.list_metrics().await.unwrap().len(),
            boards.len(),
            blocks,
            app.state.accounts().list_users().await.unwrap().len(),
        )
    }
    let first = prepare(&app.state, demo_account()).await.unwrap();
    let after_first = counts(&app).await;
    assert_eq!((after_first.0, after_first.2), (1, 3));
    let second = prepare(&app.state, demo_account()).await.unwrap();
    assert_eq!(counts(&app).await, after_first);
    assert_eq!(second.user.id, first.user.id);
    assert!(
        app.try_login(DEMO_USER, &first.password).await.is_err(),
        "the first run's password no longer works"
    );
    app.try_login(DEMO_USER, &second.password)
        .await
        .expect("the second run's printed password works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_receives_its_simulators_live_status_callbacks() {
    use store::{LiveStore as _, Store as _};
    // A simulator of its own: live traffic would change the shared one's records.
    let sim = small_sim().await;
    let connector = connector::Connector::new(connector::ConnectorConfig {
        base_url: Some(connector::BaseUrl::parse(&sim.base_url()).unwrap()),
        ..connector::ConnectorConfig::default()
    })
    .unwrap();
    let app = spawn_app_with_connector(connector).await;
    prepare(&app.state, DemoAccount::of(&sim).unwrap())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(web::serve(listener, app.state.clone(), async move {
        let _ = stopped.await;
    }));

    let live = web::demo::start_live(&app.state, &sim, &base)
        .await
        .unwrap()
        .expect("live traffic without a public URL");
    let connection = app
        .state
        .store()
        .connection_by_label(web::demo::DEMO_CONNECTION)
        .await
        .unwrap()
        .unwrap()
        .id;
    assert!(
        live.page
            .ends_with(&format!("/connections/{}/realtime", connection.0))
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    loop {
        let events = app
            .state
            .store()
            .recent_live_events(connection, 5)
            .await
            .unwrap();
        if events.iter().any(|e| e.outcome == "applied") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no status callback applied in 40 s: {:?}",
            live.handle.stats()
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let refused: u64 = app
        .state
        .realtime()
        .stats(connection)
        .refused
        .values()
        .sum();
    assert_eq!(refused, 0, "the simulator's signatures verify");
}

#[tokio::test]
async fn a_demo_behind_a_public_url_has_no_live_traffic() {
    let app = spawn_app_with(web::WebConfig {
        public_url: Some(web::client::PublicUrl::parse("https://demo.example.com").unwrap()),
        ..web::WebConfig::default()
    })
    .await;
    let sim = small_sim().await;
    let live = web::demo::start_live(&app.state, &sim, "http://127.0.0.1:9")
        .await
        .unwrap();
    assert!(live.is_none());
}

async fn small_sim() -> twilio_sim::SimHandle {
    twilio_sim::spawn(twilio_sim::SimConfig {
        sizes: twilio_sim::Sizes {
            messages_per_day: 20,
            calls_per_day: 4,
            days: 2,
            subaccounts: 0,
            conferences_per_day: 0,
            verify_attempts_per_day: 0,
            ..twilio_sim::Sizes::default()
        },
        ..twilio_sim::SimConfig::default()
    })
    .await
    .unwrap()
}
