//! The same bad name gets the same refusal on every surface: the words `app` gives, through the
//! API (status, code, field, message) and the page form (its flash). The CLI's side is in
//! `crates/switchboard/tests/cli_same_refusal.rs`.

mod support;

use axum::http::{Method, StatusCode};
use serde_json::json;
use store::Store as _;
use support::{encode, spawn_app};

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
        let location = page.location().unwrap_or_default().to_owned();
        assert!(
            location.contains(&encode(&expected.message)),
            "{location} should carry: {}",
            expected.message
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
