//! Error pages are the app's own: an address no page answers and a refused page both come back
//! as a styled page that says what went wrong, with the navigation for a signed-in reader.

mod support;

use axum::http::{StatusCode, header};
use support::*;
use web::Role;

#[tokio::test]
async fn an_unknown_page_is_a_styled_not_found_with_the_navigation() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let reply = app.get("/no/such/page", Some(&admin)).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.body.contains("<h1>Not found</h1>"), "{}", reply.body);
    assert!(reply.body.contains("/no/such/page"), "{}", reply.body);
    assert!(
        reply.body.contains("<nav class=\"main\">"),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("/assets/app.css"), "{}", reply.body);
}

#[tokio::test]
async fn an_anonymous_reader_gets_the_not_found_page_without_navigation() {
    let app = spawn_app().await;
    let reply = app.get("/no/such/page", None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.body.contains("<h1>Not found</h1>"), "{}", reply.body);
    assert!(
        !reply.body.contains("<nav class=\"main\">"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn a_missing_record_shows_the_navigation_of_who_is_signed_in() {
    let app = spawn_app().await;
    let _admin = app.admin().await;
    app.user("vera", Role::Viewer).await;
    let viewer = app.login("vera").await;
    let reply = app.get("/boards/987654", Some(&viewer)).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(
        reply.body.contains("<nav class=\"main\">"),
        "{}",
        reply.body
    );
    // A Viewer's navigation, not an Admin's.
    assert!(!reply.body.contains("href=\"/users\""), "{}", reply.body);
}

#[tokio::test]
async fn an_unknown_api_route_still_answers_json() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let token = app.token(&admin).await;
    let reply = app
        .send(
            axum::http::Request::get("/api/v1/no/such/route")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.json()["error"]["code"], "not_found", "{}", reply.body);
}

#[tokio::test]
async fn the_favicon_is_served_to_anyone() {
    let app = spawn_app().await;
    for path in ["/favicon.svg", "/favicon.ico"] {
        let reply = app.get(path, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(
            reply.headers[header::CONTENT_TYPE],
            "image/svg+xml",
            "{path}"
        );
        assert!(reply.body.starts_with("<svg"), "{path}");
    }
    let login = app.get("/login", None).await;
    assert!(login.body.contains("rel=\"icon\""), "{}", login.body);
}
