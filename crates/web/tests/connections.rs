//! The Data Manager's rename, through the page and the API.

mod support;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use store::Store as _;
use support::{flash, shared, spawn_app};

#[tokio::test]
async fn renaming_keeps_the_secret_and_renames_it_in_metric_definitions() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let metric = app
        .add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    let conn = app.state.store().list_connections().await.unwrap()[0].clone();

    let reply = app
        .post_form(
            &format!("/connections/{}/rename", conn.id.0),
            Some(&admin),
            &[("csrf", &admin.csrf), ("label", "  production ")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(
        flash(&reply).is_some_and(|(ok, t)| ok && t.contains("Renamed prod to production")),
        "{:?}",
        flash(&reply)
    );
    let renamed = app.state.store().connection(conn.id).await.unwrap();
    assert_eq!(renamed.label, "production");
    assert_eq!(renamed.secret().unwrap().expose(), shared().key_secret);

    let stored = app.state.store().metric(metric.id).await.unwrap();
    assert_eq!(stored.version, metric.version + 1);
    let definition: Value = serde_json::from_str(&stored.definition).unwrap();
    assert_eq!(definition["connection"], "production");
    assert_eq!(stored.connection_id, Some(conn.id));

    let page = app.get("/connections", Some(&admin)).await;
    assert!(page.body.contains("production"));
    assert!(!page.body.contains(&shared().key_secret));
}

#[tokio::test]
async fn renaming_to_a_taken_name_is_refused_in_words() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    app.add_connection_and_library_metric(&admin, "staging", "inbound-calls")
        .await;
    let token = app.token(&admin).await;
    let prod = app
        .state
        .store()
        .connection_by_label("prod")
        .await
        .unwrap()
        .unwrap();

    let reply = app
        .api(
            Method::PATCH,
            &format!("/api/v1/connections/{}", prod.id.0),
            Some(&token),
            Some(json!({"label": "staging"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
    assert_eq!(reply.json()["error"]["code"], "conflict");
    assert!(
        reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'staging' already exists"),
        "{}",
        reply.body
    );
    let empty = app
        .api(
            Method::PATCH,
            &format!("/api/v1/connections/{}", prod.id.0),
            Some(&token),
            Some(json!({"label": "   "})),
        )
        .await;
    assert_eq!(
        empty.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        empty.body
    );
    assert_eq!(empty.json()["error"]["field"], "label");
    let read = app.state.store().connection(prod.id).await.unwrap();
    assert_eq!(read.label, "prod", "a refused rename changes nothing");
}

#[tokio::test]
async fn the_api_rename_answers_with_the_connection_and_never_its_secret() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    let token = app.token(&admin).await;
    let id = app.state.store().list_connections().await.unwrap()[0].id.0;
    let reply = app
        .api(
            Method::PATCH,
            &format!("/api/v1/connections/{id}"),
            Some(&token),
            Some(json!({"label": "eu"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.json()["label"], "eu");
    assert_eq!(reply.json()["id"], id);
    assert!(!reply.body.contains(&shared().key_secret));
}

#[tokio::test]
async fn a_connection_whose_secret_is_unavailable_says_so_on_the_page_and_in_the_api() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    let token = app.token(&admin).await;
    let listed = app
        .api(Method::GET, "/api/v1/connections", Some(&token), None)
        .await;
    assert_eq!(listed.json()["connections"][0]["secret"], "available");
    let created = app
        .api_session(
            Method::POST,
            "/api/v1/boards",
            &admin,
            Some(json!({ "name": "Kept board" })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let board = created.json()["board"]["id"].as_i64().unwrap();

    // The same database under another master key: everything opens but the secret.
    let other = store::MasterKey::generate().unwrap();
    let lost = app.reopened_with(other).await;
    assert_eq!(lost.state.store().key_state(), store::KeyState::Mismatched);
    let admin = lost.login("ada").await;
    let page = lost.get("/connections", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("secret unavailable: re-enter it"),
        "{}",
        page.body
    );
    let listed = lost
        .api(Method::GET, "/api/v1/connections", Some(&token), None)
        .await;
    assert_eq!(listed.json()["connections"][0]["secret"], "unavailable");
    assert_eq!(
        lost.get("/metrics/all", Some(&admin)).await.status,
        StatusCode::OK
    );
    let shown = lost.get(&format!("/boards/{board}"), Some(&admin)).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("Kept board"));
    let id = listed.json()["connections"][0]["id"].as_i64().unwrap();
    let tested = lost
        .api(
            Method::POST,
            &format!("/api/v1/connections/{id}/test"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(tested.status, StatusCode::CONFLICT, "{}", tested.body);
    assert!(
        tested
            .body
            .contains("switchboard connection update 'prod' --secret-stdin"),
        "{}",
        tested.body
    );
}
