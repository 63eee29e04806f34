//! A metric's sync interval on the web: the metric resource shows it (and whether it is the
//! default), `PATCH /api/v1/metrics/{id}` changes it, the metric page shows it in words with a
//! form for an Editor, the Metrics screen shows it on each card. Refusals in the app's words
//! are in `same_refusal.rs`; who may change it is walked by `access.rs`.

mod support;

use axum::http::{Method, StatusCode};
use serde_json::json;
use store::Store as _;
use support::{flash, spawn_app};
use web::Role;

async fn patch(
    app: &support::TestApp,
    token: &str,
    id: i64,
    body: serde_json::Value,
) -> support::Reply {
    app.api(
        Method::PATCH,
        &format!("/api/v1/metrics/{id}"),
        Some(token),
        Some(json!({ "sync_interval": body })),
    )
    .await
}

#[tokio::test]
async fn the_metric_resource_shows_the_default_interval_until_one_is_set() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let m = app
        .add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    let token = app.token(&admin).await;
    let read = app
        .api(
            Method::GET,
            &format!("/api/v1/metrics/{}", m.id.0),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    let metric = &read.json()["metric"];
    assert_eq!(metric["sync_interval"], "1h");
    assert_eq!(metric["sync_interval_seconds"], 3600);
    assert_eq!(metric["sync_interval_default"], true);
    assert_eq!(metric["sync_interval_text"], "every hour");
}

#[tokio::test]
async fn patch_sets_the_interval_from_text_and_the_store_keeps_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let m = app
        .add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    let token = app.token(&admin).await;
    let reply = patch(&app, &token, m.id.0, json!("2h30m")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let metric = &reply.json()["metric"];
    assert_eq!(metric["sync_interval"], "2h30m");
    assert_eq!(metric["sync_interval_seconds"], 150 * 60);
    assert_eq!(metric["sync_interval_default"], false);
    assert_eq!(metric["sync_interval_text"], "every 2 hours 30 minutes");
    let stored = app.state.store().metric(m.id).await.unwrap();
    assert_eq!(stored.sync_interval_s, Some(150 * 60));
    let listed = app
        .api(Method::GET, "/api/v1/metrics", Some(&token), None)
        .await;
    assert_eq!(
        listed.json()["metrics"][0]["metric"]["sync_interval"],
        "2h30m"
    );
}

#[tokio::test]
async fn patch_takes_seconds_and_null_puts_the_default_back() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let m = app
        .add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    let token = app.token(&admin).await;
    let reply = patch(&app, &token, m.id.0, json!(900)).await;
    assert_eq!(
        reply.json()["metric"]["sync_interval"],
        "15m",
        "{}",
        reply.body
    );
    let reply = patch(&app, &token, m.id.0, json!(null)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["metric"]["sync_interval_default"], true);
    assert_eq!(
        app.state
            .store()
            .metric(m.id)
            .await
            .unwrap()
            .sync_interval_s,
        None
    );
    patch(&app, &token, m.id.0, json!("1d")).await;
    let reply = patch(&app, &token, m.id.0, json!("default")).await;
    assert_eq!(reply.json()["metric"]["sync_interval_default"], true);
}

#[tokio::test]
async fn seconds_that_are_not_whole_minutes_or_a_wrong_type_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let m = app
        .add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    let token = app.token(&admin).await;
    let expected = app::SyncInterval::from_seconds(901).unwrap_err();
    let reply = patch(&app, &token, m.id.0, json!(901)).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert_eq!(reply.json()["error"]["message"], expected.message.as_str());
    let reply = patch(&app, &token, m.id.0, json!(true)).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert_eq!(reply.json()["error"]["field"], "sync_interval");
    assert_eq!(
        app.state
            .store()
            .metric(m.id)
            .await
            .unwrap()
            .sync_interval_s,
        None
    );
}

#[tokio::test]
async fn patch_on_a_missing_metric_is_not_found() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let token = app.token(&admin).await;
    let reply = patch(&app, &token, 999, json!("15m")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
}

#[tokio::test]
async fn the_metric_page_shows_the_interval_and_an_editor_changes_it_with_the_form() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let m = app
        .add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    app.user("eddie", Role::Editor).await;
    let editor = app.login("eddie").await;
    let page = app
        .get(&format!("/metrics/{}", m.id.0), Some(&editor))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("Syncs <strong>every hour</strong> (the default)."),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"interval-form\""));

    let saved = app
        .post_form(
            &format!("/metrics/{}/interval", m.id.0),
            Some(&editor),
            &[("csrf", &editor.csrf), ("sync_interval", "15m")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        saved.location(),
        Some(format!("/metrics/{}", m.id.0).as_str())
    );
    let (ok, said) = flash(&saved).expect("a one-time message");
    assert!(ok && said.contains("now syncs every 15 minutes"), "{said}");
    assert_eq!(
        app.state
            .store()
            .metric(m.id)
            .await
            .unwrap()
            .sync_interval_s,
        Some(900)
    );

    let page = app
        .get(&format!("/metrics/{}", m.id.0), Some(&editor))
        .await;
    assert!(
        page.body
            .contains("Syncs <strong>every 15 minutes</strong>."),
        "{}",
        page.body
    );
    assert!(page.body.contains("name=\"sync_interval\" value=\"15m\""));
    let screen = app.get("/metrics/all", Some(&editor)).await;
    assert!(
        screen
            .body
            .contains("syncs <span class=\"every\">every 15 minutes</span>"),
        "{}",
        screen.body
    );
}

#[tokio::test]
async fn a_viewer_sees_the_interval_without_the_form() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let m = app
        .add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    app.user("vera", Role::Viewer).await;
    let viewer = app.login("vera").await;
    let page = app
        .get(&format!("/metrics/{}", m.id.0), Some(&viewer))
        .await;
    assert!(
        page.body.contains("Syncs <strong>every hour</strong>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("id=\"interval-form\""));
}

#[tokio::test]
async fn the_form_without_its_csrf_token_changes_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let m = app
        .add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    let refused = app
        .post_form(
            &format!("/metrics/{}/interval", m.id.0),
            Some(&admin),
            &[("sync_interval", "15m")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(
        app.state
            .store()
            .metric(m.id)
            .await
            .unwrap()
            .sync_interval_s,
        None
    );
}
