//! The same bad input gets the same refusal on every surface: the words `app` gives, through the
//! API (status, code, field, message) and the page form (its flash); a role that may not change
//! something is refused by both before anything is read. The CLI's side is in
//! `crates/switchboard/tests/cli_same_refusal.rs`.

mod support;

use axum::http::{Method, StatusCode};
use serde_json::json;
use store::{Store as _, WatchStore as _};
use support::{flash, spawn_app};

/// Labels that break the connection label rule: one too long, one with a line break.
fn bad_labels() -> Vec<String> {
    vec!["x".repeat(app::Label::MAX + 1), "prod\nuction".to_owned()]
}

#[tokio::test]
async fn a_bad_connection_label_is_refused_with_the_app_words_by_the_api_and_the_page() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    let token = app.token(&admin).await;
    let prod = app
        .state
        .store()
        .connection_by_label("prod")
        .await
        .unwrap()
        .unwrap();

    for bad in bad_labels() {
        let expected = app::Label::parse(&bad).unwrap_err();
        let reply = app
            .api(
                Method::PATCH,
                &format!("/api/v1/connections/{}", prod.id.0),
                Some(&token),
                Some(json!({ "label": bad })),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.body
        );
        let error = &reply.json()["error"];
        assert_eq!(error["code"], "invalid");
        assert_eq!(error["field"], expected.field);
        assert_eq!(error["message"], expected.message.as_str());

        let page = app
            .post_form(
                &format!("/connections/{}/rename", prod.id.0),
                Some(&admin),
                &[("csrf", &admin.csrf), ("label", &bad)],
            )
            .await;
        let (ok, said) = flash(&page).expect("a one-time message");
        assert!(
            !ok && said.contains(&expected.message),
            "the page says what the API says: {said}"
        );
    }
    let read = app.state.store().connection(prod.id).await.unwrap();
    assert_eq!(read.label, "prod", "a refused rename changes nothing");
}

#[tokio::test]
async fn a_bad_user_or_token_name_is_refused_with_the_app_words_by_the_api() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let token = app.token(&admin).await;
    let bad_user = "two words";
    let expected = app::UserName::parse(bad_user).unwrap_err();
    let reply = app
        .api(
            Method::POST,
            "/api/v1/users",
            Some(&token),
            Some(json!({"name": bad_user, "role": "viewer", "password": "a long passphrase 1"})),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert_eq!(reply.json()["error"]["field"], expected.field);
    assert_eq!(reply.json()["error"]["message"], expected.message.as_str());

    let bad_token = "ci\tjob";
    let expected = app::TokenName::parse(bad_token).unwrap_err();
    let reply = app
        .api(
            Method::POST,
            "/api/v1/tokens",
            Some(&token),
            Some(json!({ "name": bad_token })),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert_eq!(reply.json()["error"]["message"], expected.message.as_str());
}

/// Intervals that break the one rule: too short, too long, no unit, no interval at all.
const BAD_INTERVALS: [&str; 4] = ["4m", "7d1h", "15", "fortnight"];

#[tokio::test]
async fn a_bad_sync_interval_is_refused_with_the_app_words_by_the_api_and_the_page() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let m = app
        .add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    let token = app.token(&admin).await;
    for bad in BAD_INTERVALS {
        let expected = app::SyncInterval::parse(bad).unwrap_err();
        let reply = app
            .api(
                Method::PATCH,
                &format!("/api/v1/metrics/{}", m.id.0),
                Some(&token),
                Some(json!({ "sync_interval": bad })),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            reply.body
        );
        let error = &reply.json()["error"];
        assert_eq!(error["field"], "sync_interval");
        assert_eq!(error["message"], expected.message.as_str());

        let page = app
            .post_form(
                &format!("/metrics/{}/interval", m.id.0),
                Some(&admin),
                &[("csrf", &admin.csrf), ("sync_interval", bad)],
            )
            .await;
        let (ok, said) = flash(&page).expect("a one-time message");
        assert!(
            !ok && said.contains(&expected.message),
            "the page says what the API says: {said}"
        );
    }
    let read = app.state.store().metric(m.id).await.unwrap();
    assert_eq!(
        read.sync_interval_s, None,
        "a refused interval changes nothing"
    );
}

/// What a refused form says at its top (`#form-error`), unescaped.
fn form_refusal(body: &str) -> Option<String> {
    let start = body.find("id=\"form-error\">")? + "id=\"form-error\">".len();
    let end = start + body[start..].find("</p>")?;
    Some(
        body[start..end]
            .replace("&#34;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// Text as the templates escape it into an attribute.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A goal body for the API and the same goal as the form's fields.
fn goal_api(name: &str, metric_id: i64) -> serde_json::Value {
    json!({"name": name, "metric_id": metric_id, "spec": {"goal": {"target": 100.0,
        "criterion": "reach", "trend": "up", "period": {"kind": "calendar", "unit": "month",
        "start": "2026-01-01", "repeat": true}}, "aggregation": "sum", "zone": "UTC"}})
}

fn goal_form<'a>(csrf: &'a str, name: &'a str, metric: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("name", name),
        ("metric", metric),
        ("target", "100"),
        ("criterion", "reach"),
        ("trend", "up"),
        ("unit", "month"),
        ("start", "2026-01-01"),
        ("repeat", "on"),
        ("aggregation", "sum"),
        ("zone", "UTC"),
    ]
}

#[tokio::test]
async fn a_goal_with_a_bad_name_or_a_missing_metric_is_refused_alike_by_the_api_and_the_page() {
    let app = spawn_app().await;
    let editor = app.admin().await;
    app.add_connection_and_library_metric(&editor, "prod", "messages-sent")
        .await;
    let token = app.token(&editor).await;
    let metric = app.state.store().list_metrics().await.unwrap()[0].id.0;
    let long = "g".repeat(app::Name::MAX + 1);
    let cases = [
        (long.as_str(), metric, "name"),
        ("Monthly sends", 987_654, "metric_id"),
    ];
    for (name, metric_id, field) in cases {
        let reply = app
            .api(
                Method::POST,
                "/api/v1/goals",
                Some(&token),
                Some(goal_api(name, metric_id)),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.body
        );
        let error = &reply.json()["error"];
        assert_eq!(error["field"], field, "{}", reply.body);
        let message = error["message"].as_str().unwrap().to_owned();
        if field == "name" {
            assert_eq!(message, app::Name::parse(name).unwrap_err().message);
        } else {
            assert!(
                message.contains("metric 987654 does not exist"),
                "{message}"
            );
        }

        let id = metric_id.to_string();
        let page = app
            .post_form("/goals", Some(&editor), &goal_form(&editor.csrf, name, &id))
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            form_refusal(&page.body),
            Some(message),
            "page and API agree"
        );
        assert!(
            page.body.contains(&format!("value=\"{}\"", html(name))),
            "the refused form keeps the name typed"
        );
    }
    assert!(
        app.state.store().list_goals().await.unwrap().is_empty(),
        "nothing refused was saved"
    );
}

#[tokio::test]
async fn a_viewer_is_refused_a_goal_by_the_api_and_the_page_alike() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    let metric = app.state.store().list_metrics().await.unwrap()[0].id.0;
    app.user("vera", web::Role::Viewer).await;
    let viewer = app.login("vera").await;
    let token = app.token(&viewer).await;
    let reply = app
        .api(
            Method::POST,
            "/api/v1/goals",
            Some(&token),
            Some(goal_api("Monthly sends", metric)),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    let id = metric.to_string();
    let page = app
        .post_form(
            "/goals",
            Some(&viewer),
            &goal_form(&viewer.csrf, "Monthly sends", &id),
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(app.state.store().list_goals().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_alert_with_no_channel_is_refused_alike_by_the_api_and_the_page_unless_silent() {
    let app = spawn_app().await;
    let editor = app.admin().await;
    app.add_connection_and_library_metric(&editor, "prod", "messages-sent")
        .await;
    let token = app.token(&editor).await;
    let metric = app.state.store().list_metrics().await.unwrap()[0].id.0;
    let rule = json!({"aggregation": "sum", "dimension": null,
        "condition": {"kind": "above", "threshold": 5.0}, "range": "last_hour", "cooldown": "PT1H"});
    let body = |silent: bool| {
        json!({"name": "Busy hour", "metric_id": metric, "channels": [], "silent": silent,
            "spec": {"watch": "value", "zone": "UTC", "rule": rule}})
    };
    let reply = app
        .api(
            Method::POST,
            "/api/v1/alerts",
            Some(&token),
            Some(body(false)),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    let error = &reply.json()["error"];
    assert_eq!(error["field"], "channels");
    assert_eq!(error["message"], app::watching::NO_CHANNEL);

    let id = metric.to_string();
    let mut form = vec![
        ("csrf", editor.csrf.as_str()),
        ("name", "Busy hour"),
        ("metric", id.as_str()),
        ("aggregation", "sum"),
        ("condition", "above"),
        ("value", "5"),
        ("range", "last_hour"),
        ("cooldown_hours", "1"),
    ];
    let page = app.post_form("/alerts", Some(&editor), &form).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert_eq!(
        form_refusal(&page.body).as_deref(),
        Some(app::watching::NO_CHANNEL),
        "page and API agree"
    );
    assert!(
        page.body.contains("value=\"Busy hour\"") && page.body.contains("value=\"5\""),
        "the refused form keeps what was typed"
    );
    assert!(app.state.store().list_alerts().await.unwrap().is_empty());

    // Saying that no one will be told saves it, on both surfaces.
    form.push(("silent", "on"));
    let page = app.post_form("/alerts", Some(&editor), &form).await;
    assert_eq!(flash(&page).map(|f| f.0), Some(true), "{}", page.body);
    let mut silent = body(true);
    silent["name"] = json!("Busy hour, from a script");
    let reply = app
        .api(Method::POST, "/api/v1/alerts", Some(&token), Some(silent))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(app.state.store().list_alerts().await.unwrap().len(), 2);
}
