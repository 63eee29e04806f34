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

/// The operations behind the pages read the state's clock too, not the system's: a day ahead of
/// the system clock, a library metric is stamped and its backfill queued at that day, and a
/// renamed connection's metric gets its new version at the moment the clock says.
#[tokio::test]
async fn what_the_pages_change_is_stamped_by_the_state_clock() {
    use store::Store as _;
    let day_ahead = jiff::Timestamp::now().as_millisecond() + 86_400_000;
    let clock = ManualTime::at(day_ahead);
    let app = app_at(&clock).await;
    let admin = app.admin().await;
    let m = app
        .add_connection_and_library_metric(&admin, "sim", "messages-sent")
        .await;
    assert_eq!(m.created_ms, day_ahead);
    let jobs = app.state.store().list_jobs(None, 10).await.unwrap();
    assert!(
        !jobs.is_empty() && jobs.iter().all(|j| j.run_at_ms == day_ahead),
        "{jobs:?}"
    );

    clock.advance(3_600_000);
    let conn = app
        .state
        .store()
        .connection_by_label("sim")
        .await
        .unwrap()
        .expect("the connection just added");
    let r = app
        .post_form(
            &format!("/connections/{}/rename", conn.id.0),
            Some(&admin),
            &[("csrf", &admin.csrf), ("label", "simulator")],
        )
        .await;
    assert!(flash(&r).is_some_and(|f| f.0), "{r:?}");
    let renamed = app.state.store().metric(m.id).await.unwrap();
    assert_eq!(renamed.updated_ms, day_ahead + 3_600_000);
}
