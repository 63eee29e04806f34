//! The web state's clock is the one every handler reads: a test moves it instead of waiting.

mod support;

use app::ManualTime;
use axum::http::StatusCode;
use support::*;
use web::{Role, WebConfig};

async fn app_at(clock: &ManualTime) -> TestApp {
    spawn_app_with(WebConfig {
        clock: clock.clone().into(),
        ..WebConfig::default()
    })
    .await
}

#[tokio::test]
async fn a_session_ends_when_the_clock_passes_its_lifetime() {
    let clock = ManualTime::at(jiff::Timestamp::now().as_millisecond());
    let app = app_at(&clock).await;
    app.user("vera", Role::Viewer).await;
    let s = app.login("vera").await;
    let ttl = WebConfig::default().session_ttl_ms;
    clock.advance(ttl - 60_000);
    let r = app.get("/metrics/all", Some(&s)).await;
    assert_eq!(r.status, StatusCode::OK, "a minute before the end");
    clock.advance(120_000);
    let r = app.get("/metrics/all", Some(&s)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/login"), "a minute after the end");
}

#[tokio::test]
async fn a_message_left_unread_past_its_lifetime_is_not_shown() {
    let clock = ManualTime::at(jiff::Timestamp::now().as_millisecond());
    let app = app_at(&clock).await;
    app.user("eddie", Role::Editor).await;
    let s = app.login("eddie").await;
    let r = app
        .post_form("/goals/999/delete", Some(&s), &[("csrf", &s.csrf)])
        .await;
    assert!(flash(&r).is_some(), "{r:?}");
    clock.advance(web::flash::LIFETIME_MS - 1_000);
    let shown = app.follow(&r, Some(&s)).await;
    assert!(
        shown.body.contains("There is no goal 999"),
        "{}",
        shown.body
    );
    clock.advance(2_000);
    let late = app.follow(&r, Some(&s)).await;
    assert_eq!(late.status, StatusCode::OK);
    assert!(!late.body.contains("There is no goal 999"), "{}", late.body);
}
