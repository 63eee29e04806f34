//! `serve --demo`'s preparation: starter metrics synced from the simulator, shown on the
//! Metrics screen with values that agree with the simulator's own dataset.

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
async fn a_second_demo_on_the_same_data_gets_a_new_login() {
    let app = spawn_app().await;
    let s = shared();
    let account = || DemoAccount {
        account_sid: s.account_sid.clone(),
        api_key_sid: s.key_sid.clone(),
        secret: domain::Secret::new(s.key_secret.clone()),
    };
    let first = prepare(&app.state, account()).await.unwrap();
    let second = prepare(&app.state, account()).await.unwrap();
    assert_eq!(first.user.name, DEMO_USER);
    assert_eq!(second.user.name, format!("{DEMO_USER}2"));
    assert_eq!(
        first.metrics.iter().map(|m| m.id).collect::<Vec<_>>(),
        second.metrics.iter().map(|m| m.id).collect::<Vec<_>>()
    );
    assert!(
        app.try_login(&second.user.name, &second.password)
            .await
            .is_ok()
    );
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
