//! Boards refuse alike on the page forms and the API, with the words `app::boards` gives: a
//! board name over the limit, a block naming a metric that does not exist, and a Viewer trying
//! to change a board.

mod support;

use axum::http::{Method, StatusCode};
use serde_json::json;
use store::{BoardStore as _, Store as _};
use support::{flash, spawn_app};

#[tokio::test]
async fn a_too_long_board_name_is_refused_alike_by_the_api_and_the_page() {
    let app = spawn_app().await;
    let editor = app.admin().await;
    let token = app.token(&editor).await;
    let long = "b".repeat(app::BoardName::MAX + 1);
    let expected = app::BoardName::parse(&long).unwrap_err();

    let reply = app
        .api(
            Method::POST,
            "/api/v1/boards",
            Some(&token),
            Some(json!({ "name": long })),
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
            "/boards",
            Some(&editor),
            &[("csrf", &editor.csrf), ("name", &long)],
        )
        .await;
    assert_eq!(
        flash(&page),
        Some((false, expected.message.clone())),
        "page and API agree"
    );
    assert!(
        app.state.store().list_boards().await.unwrap().is_empty(),
        "nothing refused was saved"
    );

    // At the limit both accept it.
    let fits = "b".repeat(app::BoardName::MAX);
    let reply = app
        .api(
            Method::POST,
            "/api/v1/boards",
            Some(&token),
            Some(json!({ "name": fits })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.json()["board"]["name"], fits.as_str());
}

#[tokio::test]
async fn a_block_naming_a_missing_metric_is_refused_alike_by_the_api_and_the_page() {
    let app = spawn_app().await;
    let editor = app.admin().await;
    app.add_connection_and_library_metric(&editor, "prod", "messages-sent")
        .await;
    let token = app.token(&editor).await;
    let board = app
        .state
        .app()
        .create_board(app::BoardName::parse("Sends").unwrap())
        .await
        .unwrap();

    let reply = app
        .api(
            Method::POST,
            &format!("/api/v1/boards/{}/blocks", board.id.0),
            Some(&token),
            Some(json!({ "kind": "number", "title": "Sent", "metrics": [987_654] })),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    let error = &reply.json()["error"];
    assert_eq!(error["field"], "metric", "{}", reply.body);
    let message = error["message"].as_str().unwrap().to_owned();
    assert!(message.contains("there is no metric 987654"), "{message}");

    let page = app
        .post_form(
            &format!("/boards/{}/blocks", board.id.0),
            Some(&editor),
            &[
                ("csrf", &editor.csrf),
                ("kind", "number"),
                ("title", "Sent"),
                ("metric", "987654"),
            ],
        )
        .await;
    assert_eq!(
        flash(&page),
        Some((false, format!("metric: {message}"))),
        "the page shows the API's words under the field's name"
    );
    assert!(
        app.state.store().blocks(board.id).await.unwrap().is_empty(),
        "nothing refused was saved"
    );

    // The metric that exists is accepted by both.
    let metric = app.state.store().list_metrics().await.unwrap()[0].id.0;
    let reply = app
        .api(
            Method::POST,
            &format!("/api/v1/boards/{}/blocks", board.id.0),
            Some(&token),
            Some(json!({ "kind": "number", "metrics": [metric] })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(
        reply.json()["block"]["settings"]["metrics"],
        json!([metric])
    );
}

#[tokio::test]
async fn a_viewer_is_refused_board_changes_by_the_api_and_the_page_alike() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let board = app
        .state
        .app()
        .create_board(app::BoardName::parse("Sends").unwrap())
        .await
        .unwrap();
    app.user("vera", web::Role::Viewer).await;
    let viewer = app.login("vera").await;
    let token = app.token(&viewer).await;

    let reply = app
        .api(
            Method::POST,
            "/api/v1/boards",
            Some(&token),
            Some(json!({ "name": "Mine" })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    let page = app
        .post_form(
            "/boards",
            Some(&viewer),
            &[("csrf", &viewer.csrf), ("name", "Mine")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);

    let reply = app
        .api(
            Method::PUT,
            &format!("/api/v1/boards/{}", board.id.0),
            Some(&token),
            Some(json!({ "name": "Renamed" })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    let page = app
        .post_form(
            &format!("/boards/{}/rename", board.id.0),
            Some(&viewer),
            &[("csrf", &viewer.csrf), ("name", "Renamed")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);

    let boards = app.state.store().list_boards().await.unwrap();
    assert_eq!(boards.len(), 1, "the viewer created nothing");
    assert_eq!(boards[0].settings.name, "Sends", "nor renamed anything");
    drop(admin);
}
