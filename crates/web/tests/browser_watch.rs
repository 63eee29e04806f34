//! Goals, alerts (with a back-test) and scorecards created through the real screens in headless
//! Chromium, and their history pages. Skips loudly without Chromium, like `browser.rs`.

mod support;

use std::sync::Arc;

use jiff::Timestamp;
use serde_json::json;
use store::{Store, WatchStore};
use support::browser::{Browser, Size, WebApp};
use web::Role;

/// Sets a form field by CSS selector, as typing would (date and time inputs take their value
/// in the page's locale when typed; the value property is the same everywhere).
async fn set(b: &Browser, css: &str, value: &str) {
    b.execute(
        "const f = document.querySelector(arguments[0]); f.value = arguments[1]; f.dispatchEvent(new Event('input', {bubbles: true}));",
        vec![json!(css), json!(value)],
    )
    .await;
}

async fn typed(b: &Browser, css: &str, text: &str) {
    let field = b.find(css).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn app_with_synced_metric() -> (WebApp, store::StoredMetric) {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Admin).await;
    app.connection("sim").await;
    let m = app
        .state
        .app()
        .add_library_metric("messages-sent", "sim")
        .await
        .unwrap();
    let syncer = metric_sync::Syncer::new(
        Arc::clone(app.state.store()),
        support::connector(),
        metric_sync::SyncConfig::default(),
    );
    syncer.sync_metric(m.id, Timestamp::now()).await.unwrap();
    (app, m)
}

async fn tick(app: &WebApp, at_ms: i64) {
    let sender = notify::Sender::new(notify::Policy::default()).unwrap();
    app::evaluate::tick(
        app.state.store().as_ref(),
        &sender,
        notify::Backoff::default(),
        at_ms,
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_goal_created_on_the_goals_screen_shows_progress_and_history() {
    let (app, m) = app_with_synced_metric().await;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto("/goals").await;
    typed(&b, "#goal-form [name=name]", "Monthly sends").await;
    b.select("#goal-form [name=metric]", &m.name).await;
    typed(&b, "#goal-form [name=target]", "900").await;
    b.select("#goal-form [name=unit]", "Month").await;
    set(
        &b,
        "#goal-form [name=start]",
        &Timestamp::now().strftime("%Y-%m-%d").to_string(),
    )
    .await;
    b.submit("#goal-form button.primary").await;
    b.wait_for_text("Saved the goal Monthly sends").await;
    assert!(b.has("#goals .badge").await, "{}", b.body_text().await);
    b.screenshot("goals").await;

    tick(&app, Timestamp::now().as_millisecond()).await;
    let g = app.state.store().list_goals().await.unwrap().remove(0);
    b.goto(&format!("/goals/{}", g.id.0)).await;
    b.wait_for("#goal-history").await;
    b.screenshot("goal-history").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_is_back_tested_then_saved_and_its_firing_shows_in_history() {
    let (app, m) = app_with_synced_metric().await;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto("/alerts").await;
    typed(&b, "#alert-form [name=name]", "Any message sent").await;
    b.select("#alert-form [name=metric]", &m.name).await;
    typed(&b, "#alert-form [name=value]", "0.5").await;
    b.submit("#backtest-button").await;
    b.wait_for_text("would have fired").await;
    b.wait_for("#backtest").await;
    b.screenshot("alert-backtest").await;
    // The form kept its values: save it as back-tested.
    b.submit("#alert-form button.primary").await;
    b.wait_for_text("Saved the alert Any message sent").await;

    let alert = app.state.store().list_alerts().await.unwrap().remove(0);
    let latest = app
        .state
        .store()
        .buckets(&store::BucketQuery {
            metric: m.id,
            dimension: None,
            from_ms: 0,
            to_ms: i64::MAX / 2,
        })
        .await
        .unwrap()
        .iter()
        .map(|b| b.hour_ms)
        .max()
        .unwrap();
    tick(&app, latest + 3_600_000 + 60_000).await;
    b.goto(&format!("/alerts/{}", alert.id.0)).await;
    b.wait_for("#alert-events .badge.fired").await;
    b.screenshot("alert-history").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scorecard_and_a_channel_are_created_on_their_screens() {
    let (app, m) = app_with_synced_metric().await;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto("/channels").await;
    typed(&b, "#channel-form [name=name]", "Ops hook").await;
    b.select("#channel-form [name=kind]", "Webhook (signed JSON)")
        .await;
    typed(
        &b,
        "#channel-form [name=url]",
        "https://hooks.example.com/switchboard",
    )
    .await;
    typed(&b, "#channel-form [name=secret]", "whsec-browser").await;
    b.submit("#channel-form button.primary").await;
    b.wait_for_text("Saved the channel Ops hook").await;
    assert!(!b.source().await.contains("whsec-browser"));

    b.goto("/scorecards").await;
    typed(&b, "#scorecard-form [name=name]", "Monday digest").await;
    b.select("#scorecard-form [name=frequency]", "Weekly").await;
    set(&b, "#scorecard-form [name=at]", "08:00").await;
    b.click(&format!(
        "#scorecard-form input[name=metric][value='{}']",
        m.id.0
    ))
    .await;
    b.click("#scorecard-form input[name=channel]").await;
    b.submit("#scorecard-form button.primary").await;
    b.wait_for_text("Saved the scorecard Monday digest").await;
    assert!(b.text("#scorecards").await.contains("weekly on monday"));
    b.screenshot("scorecards").await;
    let sc = app.state.store().list_scorecards().await.unwrap().remove(0);
    assert_eq!(sc.spec.metrics.len(), 1);
    assert_eq!(sc.channels.len(), 1);
}
