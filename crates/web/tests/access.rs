//! Every route × every role, allowed or refused as the issue says; secrets absent from every
//! page and API response; a connection Twilio refuses is explained and not saved.

mod support;

use axum::http::{Method, StatusCode};
use serde_json::json;
use store::Store as _;
use support::*;
use web::Role;

/// Who calls. `None` is anonymous.
const CALLERS: [Option<Role>; 4] = [
    None,
    Some(Role::Viewer),
    Some(Role::Editor),
    Some(Role::Admin),
];

fn who(r: Option<Role>) -> &'static str {
    r.map_or("anonymous", Role::as_str)
}

struct Callers {
    sessions: Vec<(Role, Session)>,
    tokens: Vec<(Role, String)>,
}

async fn callers(app: &TestApp) -> Callers {
    let mut sessions = Vec::new();
    let mut tokens = Vec::new();
    for (name, role) in [
        ("vera", Role::Viewer),
        ("eddie", Role::Editor),
        ("ada", Role::Admin),
    ] {
        app.user(name, role).await;
        let s = app.login(name).await;
        tokens.push((role, app.token(&s).await));
        sessions.push((role, s));
    }
    Callers { sessions, tokens }
}

/// A page route: (method, path, form fields besides csrf, the least role allowed).
type PageRoute = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
    Role,
);

const PAGES: &[PageRoute] = &[
    ("GET", "/metrics/all", &[], Role::Viewer),
    ("GET", "/library", &[], Role::Viewer),
    ("GET", "/boards", &[], Role::Viewer),
    ("GET", "/boards/999", &[], Role::Viewer),
    ("GET", "/boards/999/board.csv", &[], Role::Viewer),
    ("GET", "/boards/999/board.png", &[], Role::Viewer),
    ("GET", "/boards/999/blocks/999.csv", &[], Role::Viewer),
    ("GET", "/tv", &[], Role::Viewer),
    ("POST", "/boards", &[("name", "")], Role::Editor),
    ("POST", "/boards/templates", &[], Role::Editor),
    ("POST", "/boards/999/rename", &[], Role::Editor),
    ("POST", "/boards/999/duplicate", &[], Role::Editor),
    ("POST", "/boards/999/delete", &[], Role::Editor),
    ("POST", "/boards/999/settings", &[], Role::Editor),
    ("POST", "/boards/999/arrange", &[], Role::Editor),
    ("POST", "/boards/999/blocks", &[], Role::Editor),
    ("POST", "/boards/999/blocks/999", &[], Role::Editor),
    ("POST", "/boards/999/blocks/999/move", &[], Role::Editor),
    ("POST", "/boards/999/blocks/999/delete", &[], Role::Editor),
    ("POST", "/boards/999/shares", &[], Role::Editor),
    ("POST", "/boards/999/shares/999/revoke", &[], Role::Editor),
    ("GET", "/account", &[], Role::Viewer),
    ("GET", "/metrics/999/runs", &[], Role::Viewer),
    ("GET", "/metrics/999/export", &[], Role::Viewer),
    ("POST", "/account/tokens", &[("name", "")], Role::Viewer),
    ("POST", "/account/tokens/999/delete", &[], Role::Viewer),
    ("POST", "/metrics/999/sync", &[], Role::Editor),
    ("POST", "/metrics/999/duplicate", &[], Role::Editor),
    ("POST", "/metrics/999/delete", &[], Role::Editor),
    ("GET", "/builder", &[], Role::Editor),
    ("GET", "/metrics/999/edit", &[], Role::Editor),
    (
        "POST",
        "/library/add",
        &[("slug", "no-such-metric"), ("connection", "none")],
        Role::Editor,
    ),
    ("GET", "/connections", &[], Role::Admin),
    ("POST", "/connections", &[("label", "")], Role::Admin),
    ("POST", "/connections/999/test", &[], Role::Admin),
    (
        "POST",
        "/connections/999/rename",
        &[("label", "x")],
        Role::Admin,
    ),
    ("GET", "/connections/999/delete", &[], Role::Admin),
    ("POST", "/connections/999/delete", &[], Role::Admin),
    ("GET", "/users", &[], Role::Admin),
    (
        "POST",
        "/users",
        &[("name", ""), ("role", "viewer"), ("password", "")],
        Role::Admin,
    ),
    ("POST", "/users/999/disable", &[], Role::Admin),
    ("POST", "/users/999/enable", &[], Role::Admin),
    (
        "POST",
        "/users/999/role",
        &[("role", "viewer")],
        Role::Admin,
    ),
    (
        "POST",
        "/users/999/password",
        &[("password", "")],
        Role::Admin,
    ),
    ("POST", "/users/999/revoke", &[], Role::Admin),
    ("POST", "/users/999/delete", &[], Role::Admin),
    (
        "POST",
        "/account/password",
        &[("current_password", ""), ("new_password", "")],
        Role::Viewer,
    ),
];

#[tokio::test]
async fn every_page_route_allows_exactly_the_roles_the_issue_names() {
    let app = spawn_app().await;
    let c = callers(&app).await;
    for &(method, path, fields, least) in PAGES {
        for caller in CALLERS {
            let session = caller.and_then(|r| c.sessions.iter().find(|s| s.0 == r).map(|s| &s.1));
            let reply = if method == "GET" {
                app.get(path, session).await
            } else {
                let mut f: Vec<(&str, &str)> = fields.to_vec();
                if let Some(s) = session {
                    f.push(("csrf", &s.csrf));
                }
                app.post_form(path, session, &f).await
            };
            let what = format!(
                "{method} {path} as {}: {} {}",
                who(caller),
                reply.status,
                reply.body.chars().take(200).collect::<String>()
            );
            match caller {
                None => {
                    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{what}");
                    assert_eq!(reply.location(), Some("/login"), "{what}");
                }
                Some(role) if role >= least => {
                    assert!(
                        reply.status != StatusCode::FORBIDDEN && reply.location() != Some("/login"),
                        "{what}"
                    );
                }
                Some(_) => assert_eq!(reply.status, StatusCode::FORBIDDEN, "{what}"),
            }
        }
    }
}

fn goal_body() -> serde_json::Value {
    json!({"name": "g", "metric_id": 999, "spec": {"goal": {"target": 1.0, "criterion": "reach", "trend": "up",
        "period": {"kind": "calendar", "unit": "month", "start": "2026-01-01", "repeat": true}},
        "aggregation": "sum", "zone": "UTC"}})
}

fn rule() -> serde_json::Value {
    json!({"aggregation": "sum", "dimension": null, "condition": {"kind": "above", "threshold": 1.0},
        "range": "last_hour", "cooldown": "PT1H"})
}

fn alert_body() -> serde_json::Value {
    json!({"name": "a", "metric_id": 999, "spec": {"watch": "value", "zone": "UTC", "rule": rule()}})
}

fn backtest_body() -> serde_json::Value {
    json!({"metric_id": 999, "rule": rule()})
}

fn channel_body() -> serde_json::Value {
    json!({"name": "c", "config": {"kind": "webhook", "url": "https://example.com/hook"}, "secret": "k"})
}

fn scorecard_body() -> serde_json::Value {
    json!({"name": "s", "spec": {"schedule": {"frequency": {"kind": "daily"}, "at": "08:00:00"}, "zone": "UTC",
        "metrics": [{"metric_id": 999, "aggregation": "sum", "baseline": {"kind": "previous_period"}, "trend": "up"}]}})
}

/// API: (method, path, body, the least role allowed).
fn api_routes() -> Vec<(Method, &'static str, Option<serde_json::Value>, Role)> {
    vec![
        (Method::GET, "/api/v1/me", None, Role::Viewer),
        (Method::GET, "/api/v1/goals", None, Role::Viewer),
        (Method::GET, "/api/v1/goals/999", None, Role::Viewer),
        (Method::GET, "/api/v1/goals/999/history", None, Role::Viewer),
        (
            Method::POST,
            "/api/v1/goals",
            Some(goal_body()),
            Role::Editor,
        ),
        (
            Method::PUT,
            "/api/v1/goals/999",
            Some(goal_body()),
            Role::Editor,
        ),
        (Method::DELETE, "/api/v1/goals/999", None, Role::Editor),
        (Method::GET, "/api/v1/alerts", None, Role::Viewer),
        (Method::GET, "/api/v1/alerts/999", None, Role::Viewer),
        (
            Method::GET,
            "/api/v1/alerts/999/history",
            None,
            Role::Viewer,
        ),
        (
            Method::POST,
            "/api/v1/alerts/backtest",
            Some(backtest_body()),
            Role::Viewer,
        ),
        (
            Method::POST,
            "/api/v1/alerts",
            Some(alert_body()),
            Role::Editor,
        ),
        (
            Method::PUT,
            "/api/v1/alerts/999",
            Some(alert_body()),
            Role::Editor,
        ),
        (Method::DELETE, "/api/v1/alerts/999", None, Role::Editor),
        (Method::GET, "/api/v1/channels", None, Role::Viewer),
        (Method::GET, "/api/v1/channels/999", None, Role::Viewer),
        (
            Method::POST,
            "/api/v1/channels",
            Some(channel_body()),
            Role::Admin,
        ),
        (
            Method::PUT,
            "/api/v1/channels/999",
            Some(channel_body()),
            Role::Admin,
        ),
        (Method::DELETE, "/api/v1/channels/999", None, Role::Admin),
        (Method::POST, "/api/v1/channels/999/test", None, Role::Admin),
        (Method::GET, "/api/v1/scorecards", None, Role::Viewer),
        (Method::GET, "/api/v1/scorecards/999", None, Role::Viewer),
        (
            Method::GET,
            "/api/v1/scorecards/999/preview",
            None,
            Role::Viewer,
        ),
        (
            Method::POST,
            "/api/v1/scorecards",
            Some(scorecard_body()),
            Role::Editor,
        ),
        (
            Method::PUT,
            "/api/v1/scorecards/999",
            Some(scorecard_body()),
            Role::Editor,
        ),
        (Method::DELETE, "/api/v1/scorecards/999", None, Role::Editor),
        (Method::GET, "/api/v1/metrics", None, Role::Viewer),
        (Method::GET, "/api/v1/metrics/999", None, Role::Viewer),
        (Method::GET, "/api/v1/metrics/999/runs", None, Role::Viewer),
        (Method::GET, "/api/v1/metrics/999/data", None, Role::Viewer),
        (Method::GET, "/api/v1/library", None, Role::Viewer),
        (Method::GET, "/api/v1/boards", None, Role::Viewer),
        (Method::GET, "/api/v1/boards/999", None, Role::Viewer),
        (Method::GET, "/api/v1/tokens", None, Role::Viewer),
        (
            Method::POST,
            "/api/v1/tokens",
            Some(json!({})),
            Role::Viewer,
        ),
        (Method::DELETE, "/api/v1/tokens/999", None, Role::Viewer),
        (
            Method::POST,
            "/api/v1/metrics",
            Some(json!({"definition": {}})),
            Role::Editor,
        ),
        (
            Method::PUT,
            "/api/v1/metrics/999",
            Some(json!({"definition": {}})),
            Role::Editor,
        ),
        (Method::DELETE, "/api/v1/metrics/999", None, Role::Editor),
        (Method::POST, "/api/v1/metrics/999/sync", None, Role::Editor),
        (
            Method::POST,
            "/api/v1/metrics/999/duplicate",
            None,
            Role::Editor,
        ),
        (
            Method::POST,
            "/api/v1/library/no-such-metric/add",
            Some(json!({})),
            Role::Editor,
        ),
        (Method::GET, "/api/v1/connections", None, Role::Editor),
        (Method::GET, "/api/v1/catalog", None, Role::Editor),
        (
            Method::POST,
            "/api/v1/builder/fetch",
            Some(json!({})),
            Role::Editor,
        ),
        (
            Method::POST,
            "/api/v1/builder/expression",
            Some(json!({})),
            Role::Editor,
        ),
        (
            Method::POST,
            "/api/v1/builder/preview",
            Some(json!({})),
            Role::Editor,
        ),
        (
            Method::POST,
            "/api/v1/builder/save",
            Some(json!({})),
            Role::Editor,
        ),
        (
            Method::POST,
            "/api/v1/connections",
            Some(json!({})),
            Role::Admin,
        ),
        (Method::DELETE, "/api/v1/connections/999", None, Role::Admin),
        (
            Method::PATCH,
            "/api/v1/connections/999",
            Some(json!({"label": "x"})),
            Role::Admin,
        ),
        (
            Method::POST,
            "/api/v1/connections/999/test",
            None,
            Role::Admin,
        ),
        (Method::GET, "/api/v1/users", None, Role::Admin),
        (Method::POST, "/api/v1/users", Some(json!({})), Role::Admin),
        (
            Method::PATCH,
            "/api/v1/users/999",
            Some(json!({"disabled": true})),
            Role::Admin,
        ),
        (Method::DELETE, "/api/v1/users/999", None, Role::Admin),
        (
            Method::PUT,
            "/api/v1/users/999/password",
            Some(json!({"password": ""})),
            Role::Admin,
        ),
        (Method::POST, "/api/v1/users/999/revoke", None, Role::Admin),
        (
            Method::PUT,
            "/api/v1/me/password",
            Some(json!({"current_password": "", "new_password": ""})),
            Role::Viewer,
        ),
    ]
}

#[tokio::test]
async fn every_api_route_allows_exactly_the_roles_the_issue_names() {
    let app = spawn_app().await;
    let c = callers(&app).await;
    for (method, path, body, least) in api_routes() {
        for caller in CALLERS {
            let token =
                caller.and_then(|r| c.tokens.iter().find(|t| t.0 == r).map(|t| t.1.as_str()));
            let reply = app.api(method.clone(), path, token, body.clone()).await;
            let what = format!(
                "{method} {path} as {}: {} {}",
                who(caller),
                reply.status,
                reply.body
            );
            match caller {
                None => {
                    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{what}");
                    assert_eq!(reply.json()["error"]["code"], "unauthenticated", "{what}");
                }
                Some(role) if role >= least => {
                    assert!(
                        ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&reply.status),
                        "{what}"
                    );
                    assert!(reply.status != StatusCode::INTERNAL_SERVER_ERROR, "{what}");
                }
                Some(_) => {
                    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{what}");
                    assert_eq!(reply.json()["error"]["code"], "forbidden", "{what}");
                }
            }
        }
    }
}

#[tokio::test]
async fn an_unknown_api_route_and_a_bad_body_answer_json_errors() {
    let app = spawn_app().await;
    let c = callers(&app).await;
    let admin = &c.tokens[2].1;
    let r = app
        .api(Method::GET, "/api/v1/nothing-here", Some(admin), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["code"], "not_found");
    let r = app
        .api(Method::GET, "/api/v1/metrics/abc", Some(admin), None)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "bad_request");
    let r = app
        .api(Method::PATCH, "/api/v1/metrics", Some(admin), None)
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "method_not_allowed");
    let r = app
        .api(
            Method::POST,
            "/api/v1/users",
            Some(admin),
            Some(json!({"name": "bob", "role": "chief", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "role");
}

#[tokio::test]
async fn the_openapi_document_lists_every_api_route() {
    let app = spawn_app().await;
    let doc = app
        .api(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .json();
    assert_eq!(doc["openapi"], "3.1.0");
    for (method, path, _, _) in api_routes() {
        let templated = path
            .replace("999", "{id}")
            .replace("no-such-metric", "{slug}");
        let op = &doc["paths"][&templated][method.as_str().to_lowercase()];
        assert!(op.is_object(), "{method} {templated} is not documented");
    }
}

#[tokio::test]
async fn a_secret_twilio_refuses_is_explained_and_nothing_is_saved() {
    let app = spawn_app().await;
    app.user("ada", Role::Admin).await;
    let s = app.login("ada").await;
    let wrong = "wrong-secret-0123456789abcdef";
    let sh = shared();
    let reply = app
        .post_form(
            "/connections",
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("label", "prod"),
                ("account_sid", &sh.account_sid),
                ("api_key_sid", &sh.key_sid),
                ("secret", wrong),
            ],
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(
        reply
            .body
            .contains("Twilio refused the connection (HTTP 401"),
        "{}",
        reply.body
    );
    assert!(
        !reply.body.contains(wrong),
        "the refused secret came back in the page"
    );
    assert!(
        app.state
            .store()
            .list_connections()
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_secret_appears_in_no_page_and_no_api_response() {
    let app = spawn_app().await;
    let c = callers(&app).await;
    let (admin, token) = (&c.sessions[2].1, &c.tokens[2].1);
    let sh = shared();
    let saved = app
        .post_form(
            "/connections",
            Some(admin),
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
    assert!(
        saved.location().unwrap().contains("Saved%20prod"),
        "{:?}",
        saved.location()
    );
    let added = app
        .post_form(
            "/library/add",
            Some(admin),
            &[
                ("csrf", &admin.csrf),
                ("slug", "messages-sent"),
                ("connection", "prod"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let conn_id = app.state.store().list_connections().await.unwrap()[0].id.0;
    let metric_id = app.state.store().list_metrics().await.unwrap()[0].id.0;
    let mut bodies = Vec::new();
    for path in [
        "/metrics/all".to_owned(),
        "/library".to_owned(),
        "/connections".to_owned(),
        format!("/connections/{conn_id}/delete"),
        format!("/metrics/{metric_id}/runs"),
        format!("/metrics/{metric_id}/export"),
        "/users".to_owned(),
        "/account".to_owned(),
    ] {
        let r = app.get(&path, Some(admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        bodies.push((path, r.body));
    }
    for path in [
        "/api/v1/connections".to_owned(),
        "/api/v1/metrics".to_owned(),
        format!("/api/v1/metrics/{metric_id}"),
        format!("/api/v1/metrics/{metric_id}/runs"),
        format!("/api/v1/metrics/{metric_id}/data"),
        "/api/v1/library".to_owned(),
        "/api/v1/users".to_owned(),
        "/api/v1/tokens".to_owned(),
        "/api/v1/me".to_owned(),
    ] {
        let r = app.api(Method::GET, &path, Some(token), None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        bodies.push((path, r.body));
    }
    let r = app
        .api(
            Method::POST,
            &format!("/api/v1/connections/{conn_id}/test"),
            Some(token),
            None,
        )
        .await;
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .starts_with("connected"),
        "{}",
        r.body
    );
    bodies.push(("connection test".to_owned(), r.body));
    for (path, body) in &bodies {
        assert!(
            !body.contains(&sh.key_secret),
            "the API Key Secret is in {path}"
        );
    }
    // The connection page does show the SIDs, so the search above is not vacuous.
    assert!(bodies.iter().any(|(_, b)| b.contains(&sh.key_sid)));
}

#[tokio::test]
async fn removing_a_connection_names_the_metrics_that_stop() {
    let app = spawn_app().await;
    app.user("ada", Role::Admin).await;
    let s = app.login("ada").await;
    let sh = shared();
    app.post_form(
        "/connections",
        Some(&s),
        &[
            ("csrf", &s.csrf),
            ("label", "prod"),
            ("account_sid", &sh.account_sid),
            ("api_key_sid", &sh.key_sid),
            ("secret", &sh.key_secret),
        ],
    )
    .await;
    app.post_form(
        "/library/add",
        Some(&s),
        &[
            ("csrf", &s.csrf),
            ("slug", "messages-sent"),
            ("connection", "prod"),
        ],
    )
    .await;
    let id = app.state.store().list_connections().await.unwrap()[0].id.0;
    let ask = app
        .get(&format!("/connections/{id}/delete"), Some(&s))
        .await;
    assert!(
        ask.body.contains("stop syncing") && ask.body.contains("Messages sent"),
        "{}",
        ask.body
    );
    let done = app
        .post_form(
            &format!("/connections/{id}/delete"),
            Some(&s),
            &[("csrf", &s.csrf)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert!(
        app.state
            .store()
            .list_connections()
            .await
            .unwrap()
            .is_empty()
    );
    let m = &app.state.store().list_metrics().await.unwrap()[0];
    assert!(m.used_by.is_empty(), "the metric left the Metrics screen");
}
