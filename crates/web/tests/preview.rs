//! `POST /api/v1/metrics/preview`: a definition run live against the simulator without saving.

mod support;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use support::*;
use web::Role;

async fn editor_token(app: &TestApp) -> String {
    app.user("eddie", Role::Editor).await;
    app.user("ada", Role::Admin).await;
    let admin = app.login("ada").await;
    let sh = shared();
    let saved = app
        .post_form(
            "/connections",
            Some(&admin),
            &[
                ("csrf", &admin.csrf),
                ("label", "prod"),
                ("account_sid", &sh.account_sid),
                ("api_key_sid", &sh.key_sid),
                ("secret", &sh.key_secret),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let s = app.login("eddie").await;
    app.token(&s).await
}

fn messages_sent() -> Value {
    let entry = library::find("messages-sent").unwrap();
    serde_json::from_str(&entry.definition_for("prod")).unwrap()
}

#[tokio::test]
async fn a_preview_yields_the_rows_of_the_live_pages_without_saving() {
    let app = spawn_app().await;
    let token = editor_token(&app).await;
    let r = app
        .api(
            Method::POST,
            "/api/v1/metrics/preview",
            Some(&token),
            Some(json!({"definition": messages_sent(), "hours": 72})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let body = r.json();
    let rows = body["rows"].as_array().unwrap();
    assert!(body["total_rows"].as_u64().unwrap() > 0, "{body}");
    assert!(rows.iter().all(|row| row["value"] == json!(1.0)), "{body}");
    assert!(body["ledger"]["requests"].as_u64().unwrap() >= 1);
    use store::Store as _;
    assert!(app.state.store().list_metrics().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_request_that_leaves_twilio_is_refused_with_its_reason() {
    let app = spawn_app().await;
    let token = editor_token(&app).await;
    let mut def = messages_sent();
    def["request"]["host"] = json!("evil.example.com");
    let r = app
        .api(
            Method::POST,
            "/api/v1/metrics/preview",
            Some(&token),
            Some(json!({"definition": def})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "request_refused", "{}", r.body);
    assert!(r.body.contains("evil.example.com"), "{}", r.body);

    let mut def = messages_sent();
    def["request"]["path"] = json!("//evil.example.com/2010-04-01/Accounts.json");
    let r = app
        .api(
            Method::POST,
            "/api/v1/metrics/preview",
            Some(&token),
            Some(json!({"definition": def})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "request_refused", "{}", r.body);
}

#[tokio::test]
async fn a_jsonata_error_is_reported_with_its_place() {
    let app = spawn_app().await;
    let token = editor_token(&app).await;
    let mut def = messages_sent();
    def["extraction"]["expression"] = json!("messages[direction != ].{\"value\": 1}");
    let r = app
        .api(
            Method::POST,
            "/api/v1/metrics/preview",
            Some(&token),
            Some(json!({"definition": def})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let e = &r.json()["error"];
    assert_eq!(e["code"], "jsonata", "{}", r.body);
    assert_eq!(e["field"], "expression");
    assert!(
        e["message"].as_str().unwrap().contains("(at "),
        "{}",
        r.body
    );
}
