//! Every route × every role, allowed or refused as the issue says; secrets absent from every
//! page and API response; a connection Twilio refuses is explained and not saved.

mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;
use store::Store as _;
use support::*;
use web::routes::{Access, RouteEntry};
use web::{App, Role};

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

/// A concrete path for a route's template: every id is one that does not exist.
fn concrete(e: &RouteEntry) -> String {
    e.path
        .replace("{id}", "999")
        .replace("{bid}", "999")
        .replace("{sid}", "999")
        .replace("{slug}", "no-such-metric")
        .replace("{token}", "not-a-share-token")
        .replace("{hook_key}", "no-such-hook")
        .replace("{*rest}", "anything")
        .replace("{file}", if e.method == "GET" { "999.csv" } else { "999" })
}

/// Form fields a page route is posted with besides `csrf`: enough for a handler to reach its
/// own checks. Routes not listed get none.
fn fields(method: &str, path: &str) -> &'static [(&'static str, &'static str)] {
    match (method, path) {
        ("POST", "/boards") => &[("name", "")],
        ("POST", "/account/tokens") => &[("name", "")],
        ("POST", "/library/add") => &[("slug", "no-such-metric"), ("connection", "none")],
        ("POST", "/connections") => &[("label", "")],
        ("POST", "/connections/{id}/rename") => &[("label", "x")],
        ("POST", "/connections/{id}/realtime/auth-token") => &[("auth_token", "")],
        ("POST", "/metrics/{id}/interval") => &[("sync_interval", "15m")],
        ("POST", "/users") => &[("name", ""), ("role", "viewer"), ("password", "")],
        ("POST", "/users/{id}/role") => &[("role", "viewer")],
        ("POST", "/users/{id}/password") => &[("password", "")],
        ("POST", "/account/password") => &[("current_password", ""), ("new_password", "")],
        _ => &[],
    }
}

/// The JSON body an API route is called with: a plausible one where the route has one worth
/// reaching, else `{}` for methods that take a body.
fn api_body(method: &str, path: &str) -> Option<serde_json::Value> {
    let templated = path.trim_start_matches("/api/v1");
    Some(match (method, templated) {
        ("POST", "/goals") | ("PUT", "/goals/{id}") => goal_body(),
        ("POST", "/alerts") | ("PUT", "/alerts/{id}") => alert_body(),
        ("POST", "/alerts/backtest") => backtest_body(),
        ("POST", "/channels") | ("PUT", "/channels/{id}") => channel_body(),
        ("POST", "/scorecards") | ("PUT", "/scorecards/{id}") => scorecard_body(),
        ("POST", "/metrics") | ("PUT", "/metrics/{id}") => json!({"definition": {}}),
        ("PATCH", "/connections/{id}") => json!({"label": "x"}),
        ("PUT", "/connections/{id}/auth-token") => json!({"auth_token": ""}),
        ("PATCH", "/metrics/{id}") => json!({"sync_interval": "15m"}),
        ("PATCH", "/users/{id}") => json!({"disabled": true}),
        ("PUT", "/users/{id}/password") => json!({"password": ""}),
        ("PUT", "/me/password") => json!({"current_password": "", "new_password": ""}),
        ("POST" | "PUT" | "PATCH", _) => json!({}),
        _ => return None,
    })
}

fn method_of(name: &str) -> Method {
    Method::from_bytes(name.as_bytes()).expect("a route table method")
}

/// The table in walking order: signing out ends the session every later request uses.
fn table(app: &TestApp) -> Vec<RouteEntry> {
    let mut t = App::route_table(&app.state);
    t.sort_by_key(|e| e.path == "/logout");
    t
}

/// The least role of each route as the issue and the docs state it, written out by hand so the
/// route table is checked against an independent account, not only against itself.
const STATED: &[(&str, &str, Role)] = &[
    ("GET", "/metrics/all", Role::Viewer),
    ("GET", "/library", Role::Viewer),
    ("GET", "/boards", Role::Viewer),
    ("GET", "/boards/{id}", Role::Viewer),
    ("GET", "/boards/{id}/board.csv", Role::Viewer),
    ("GET", "/boards/{id}/board.png", Role::Viewer),
    ("GET", "/boards/{id}/blocks/{file}", Role::Viewer),
    ("GET", "/tv", Role::Viewer),
    ("POST", "/boards", Role::Editor),
    ("POST", "/boards/templates", Role::Editor),
    ("POST", "/boards/{id}/rename", Role::Editor),
    ("POST", "/boards/{id}/duplicate", Role::Editor),
    ("POST", "/boards/{id}/delete", Role::Editor),
    ("POST", "/boards/{id}/settings", Role::Editor),
    ("POST", "/boards/{id}/arrange", Role::Editor),
    ("POST", "/boards/{id}/blocks", Role::Editor),
    ("POST", "/boards/{id}/blocks/{file}", Role::Editor),
    ("POST", "/boards/{id}/blocks/{bid}/move", Role::Editor),
    ("POST", "/boards/{id}/blocks/{bid}/delete", Role::Editor),
    ("POST", "/boards/{id}/shares", Role::Editor),
    ("POST", "/boards/{id}/shares/{sid}/revoke", Role::Editor),
    ("GET", "/account", Role::Viewer),
    ("GET", "/metrics/{id}", Role::Viewer),
    ("GET", "/metrics/{id}/runs", Role::Viewer),
    ("GET", "/metrics/{id}/export", Role::Viewer),
    ("POST", "/account/tokens", Role::Viewer),
    ("POST", "/account/tokens/{id}/delete", Role::Viewer),
    ("POST", "/metrics/{id}/sync", Role::Editor),
    ("POST", "/metrics/{id}/duplicate", Role::Editor),
    ("POST", "/metrics/{id}/delete", Role::Editor),
    ("POST", "/metrics/{id}/interval", Role::Editor),
    ("GET", "/builder", Role::Editor),
    ("GET", "/metrics/{id}/edit", Role::Editor),
    ("POST", "/library/add", Role::Editor),
    ("GET", "/connections", Role::Admin),
    ("POST", "/connections", Role::Admin),
    ("POST", "/connections/{id}/test", Role::Admin),
    ("POST", "/connections/{id}/rename", Role::Admin),
    ("GET", "/connections/{id}/delete", Role::Admin),
    ("POST", "/connections/{id}/delete", Role::Admin),
    ("GET", "/connections/{id}/realtime", Role::Editor),
    ("POST", "/connections/{id}/realtime/auth-token", Role::Admin),
    (
        "POST",
        "/connections/{id}/realtime/auth-token/remove",
        Role::Admin,
    ),
    ("GET", "/api/v1/connections/{id}/realtime", Role::Editor),
    ("PUT", "/api/v1/connections/{id}/auth-token", Role::Admin),
    ("DELETE", "/api/v1/connections/{id}/auth-token", Role::Admin),
    ("GET", "/users", Role::Admin),
    ("POST", "/users", Role::Admin),
    ("POST", "/users/{id}/disable", Role::Admin),
    ("POST", "/users/{id}/enable", Role::Admin),
    ("POST", "/users/{id}/role", Role::Admin),
    ("POST", "/users/{id}/password", Role::Admin),
    ("POST", "/users/{id}/revoke", Role::Admin),
    ("POST", "/users/{id}/delete", Role::Admin),
    ("POST", "/account/password", Role::Viewer),
    ("GET", "/api/v1/me", Role::Viewer),
    ("GET", "/api/v1/goals", Role::Viewer),
    ("GET", "/api/v1/goals/{id}", Role::Viewer),
    ("GET", "/api/v1/goals/{id}/history", Role::Viewer),
    ("POST", "/api/v1/goals", Role::Editor),
    ("PUT", "/api/v1/goals/{id}", Role::Editor),
    ("DELETE", "/api/v1/goals/{id}", Role::Editor),
    ("GET", "/api/v1/alerts", Role::Viewer),
    ("GET", "/api/v1/alerts/{id}", Role::Viewer),
    ("GET", "/api/v1/alerts/{id}/history", Role::Viewer),
    ("POST", "/api/v1/alerts/backtest", Role::Viewer),
    ("POST", "/api/v1/alerts", Role::Editor),
    ("PUT", "/api/v1/alerts/{id}", Role::Editor),
    ("DELETE", "/api/v1/alerts/{id}", Role::Editor),
    ("GET", "/api/v1/channels", Role::Viewer),
    ("GET", "/api/v1/channels/{id}", Role::Viewer),
    ("POST", "/api/v1/channels", Role::Admin),
    ("PUT", "/api/v1/channels/{id}", Role::Admin),
    ("DELETE", "/api/v1/channels/{id}", Role::Admin),
    ("POST", "/api/v1/channels/{id}/test", Role::Admin),
    ("GET", "/api/v1/scorecards", Role::Viewer),
    ("GET", "/api/v1/scorecards/{id}", Role::Viewer),
    ("GET", "/api/v1/scorecards/{id}/preview", Role::Viewer),
    ("POST", "/api/v1/scorecards", Role::Editor),
    ("PUT", "/api/v1/scorecards/{id}", Role::Editor),
    ("DELETE", "/api/v1/scorecards/{id}", Role::Editor),
    ("GET", "/api/v1/metrics", Role::Viewer),
    ("GET", "/api/v1/metrics/{id}", Role::Viewer),
    ("GET", "/api/v1/metrics/{id}/runs", Role::Viewer),
    ("GET", "/api/v1/metrics/versions", Role::Viewer),
    ("GET", "/api/v1/metrics/{id}/data", Role::Viewer),
    ("GET", "/api/v1/library", Role::Viewer),
    ("GET", "/api/v1/boards", Role::Viewer),
    ("GET", "/api/v1/boards/{id}", Role::Viewer),
    ("GET", "/api/v1/tokens", Role::Viewer),
    ("POST", "/api/v1/tokens", Role::Viewer),
    ("DELETE", "/api/v1/tokens/{id}", Role::Viewer),
    ("POST", "/api/v1/metrics", Role::Editor),
    ("PUT", "/api/v1/metrics/{id}", Role::Editor),
    ("PATCH", "/api/v1/metrics/{id}", Role::Editor),
    ("DELETE", "/api/v1/metrics/{id}", Role::Editor),
    ("POST", "/api/v1/metrics/{id}/sync", Role::Editor),
    ("POST", "/api/v1/metrics/{id}/duplicate", Role::Editor),
    ("POST", "/api/v1/library/{slug}/add", Role::Editor),
    ("GET", "/api/v1/connections", Role::Editor),
    ("GET", "/api/v1/catalog", Role::Editor),
    ("POST", "/api/v1/builder/fetch", Role::Editor),
    ("POST", "/api/v1/builder/expression", Role::Editor),
    ("POST", "/api/v1/builder/preview", Role::Editor),
    ("POST", "/api/v1/builder/save", Role::Editor),
    ("POST", "/api/v1/connections", Role::Admin),
    ("DELETE", "/api/v1/connections/{id}", Role::Admin),
    ("PATCH", "/api/v1/connections/{id}", Role::Admin),
    ("POST", "/api/v1/connections/{id}/test", Role::Admin),
    ("GET", "/api/v1/users", Role::Admin),
    ("POST", "/api/v1/users", Role::Admin),
    ("PATCH", "/api/v1/users/{id}", Role::Admin),
    ("DELETE", "/api/v1/users/{id}", Role::Admin),
    ("PUT", "/api/v1/users/{id}/password", Role::Admin),
    ("POST", "/api/v1/users/{id}/revoke", Role::Admin),
    ("PUT", "/api/v1/me/password", Role::Viewer),
    ("GET", "/goals", Role::Viewer),
    ("POST", "/goals", Role::Editor),
    ("GET", "/goals/{id}", Role::Viewer),
    ("GET", "/goals/{id}/edit", Role::Editor),
    ("POST", "/goals/{id}/edit", Role::Editor),
    ("POST", "/goals/{id}/delete", Role::Editor),
    ("GET", "/alerts", Role::Viewer),
    ("POST", "/alerts", Role::Editor),
    ("POST", "/alerts/backtest", Role::Viewer),
    ("POST", "/alerts/sync", Role::Editor),
    ("GET", "/alerts/{id}", Role::Viewer),
    ("GET", "/alerts/{id}/edit", Role::Editor),
    ("POST", "/alerts/{id}/edit", Role::Editor),
    ("POST", "/alerts/{id}/delete", Role::Editor),
    ("GET", "/scorecards", Role::Viewer),
    ("POST", "/scorecards", Role::Editor),
    ("GET", "/scorecards/{id}/edit", Role::Editor),
    ("POST", "/scorecards/{id}/edit", Role::Editor),
    ("POST", "/scorecards/{id}/delete", Role::Editor),
    ("GET", "/channels", Role::Viewer),
    ("POST", "/channels", Role::Admin),
    ("GET", "/channels/{id}/edit", Role::Admin),
    ("POST", "/channels/{id}/edit", Role::Admin),
    ("POST", "/channels/{id}/test", Role::Admin),
    ("POST", "/channels/{id}/delete", Role::Admin),
    ("POST", "/logout", Role::Viewer),
];

/// Routes anyone may call.
const PUBLIC_ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/favicon.svg"),
    ("GET", "/favicon.ico"),
    ("GET", "/metrics"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/setup"),
    ("POST", "/setup"),
    ("GET", "/shared/{token}"),
    ("GET", "/shared/{token}/blocks/{file}"),
    ("GET", "/shared/{token}/versions"),
    ("GET", "/tv/shared"),
    ("GET", "/api/v1/openapi.json"),
    // Twilio's pushed events: the signature under the connection's Auth Token is the credential.
    ("POST", "/hooks/twilio/{hook_key}/messages"),
    ("POST", "/hooks/twilio/{hook_key}/calls"),
    ("POST", "/hooks/twilio/{hook_key}/events"),
];

#[tokio::test]
async fn the_route_table_is_whole_and_names_each_route_once() {
    let app = spawn_app().await;
    let t = table(&app);
    let mut seen = std::collections::BTreeSet::new();
    for e in &t {
        assert!(
            seen.insert((e.method, e.path.clone())),
            "{} {} is registered twice",
            e.method,
            e.path
        );
    }
    for &(method, path, role) in STATED {
        let found = t.iter().find(|e| e.method == method && e.path == path);
        assert_eq!(
            found.map(|e| e.access),
            Some(Access::Least(role)),
            "{method} {path}"
        );
    }
    for &(method, path) in PUBLIC_ROUTES {
        let found = t.iter().find(|e| e.method == method && e.path == path);
        assert_eq!(
            found.map(|e| e.access),
            Some(Access::Public),
            "{method} {path}"
        );
    }
    // Public beyond that list: only the static assets and the share links' refusals.
    for e in t.iter().filter(|e| e.access == Access::Public) {
        assert!(
            PUBLIC_ROUTES.contains(&(e.method, e.path.as_str()))
                || e.path.starts_with("/assets/")
                || e.path == "/"
                || (e.method == "*" && e.path.starts_with("/shared/")),
            "{} {} is public",
            e.method,
            e.path
        );
    }
    assert!(t.len() > 140, "only {} routes", t.len());
}

/// Every route in the table × anonymous, Viewer, Editor, Admin: pages with a session (forms
/// carrying its token), the API with a bearer token and with a session.
#[tokio::test]
async fn every_route_allows_exactly_its_least_role_and_above() {
    let app = spawn_app().await;
    let c = callers(&app).await;
    let mut walked = 0;
    for e in table(&app) {
        let path = concrete(&e);
        if e.method == "*" {
            // A refusal for the methods the route does not take: never asks anyone to sign in.
            let r = app.post_form(&path, None, &[]).await;
            assert!(
                r.status.is_client_error() && r.location() != Some("/login"),
                "POST {path}: {} {}",
                r.status,
                r.body
            );
            continue;
        }
        let least = match e.access {
            Access::Least(role) => Some(role),
            Access::Public => None,
        };
        for caller in CALLERS {
            let mut replies = Vec::new();
            if e.api {
                let token =
                    caller.and_then(|r| c.tokens.iter().find(|t| t.0 == r).map(|t| t.1.as_str()));
                let body = api_body(e.method, &e.path);
                replies.push((
                    "token",
                    app.api(method_of(e.method), &path, token, body.clone())
                        .await,
                ));
                if let Some(s) = caller.and_then(|r| c.sessions.iter().find(|s| s.0 == r)) {
                    replies.push((
                        "session",
                        app.api_session(method_of(e.method), &path, &s.1, body)
                            .await,
                    ));
                }
            } else {
                let session =
                    caller.and_then(|r| c.sessions.iter().find(|s| s.0 == r).map(|s| &s.1));
                let reply = if e.method == "GET" {
                    app.get(&path, session).await
                } else {
                    let mut f: Vec<(&str, &str)> = fields(e.method, &e.path).to_vec();
                    if let Some(s) = session {
                        f.push(("csrf", &s.csrf));
                    }
                    app.post_form(&path, session, &f).await
                };
                replies.push(("session", reply));
            }
            for (how, reply) in replies {
                walked += 1;
                let what = format!(
                    "{} {path} as {} ({how}): {} {}",
                    e.method,
                    who(caller),
                    reply.status,
                    reply.body.chars().take(200).collect::<String>()
                );
                let allowed = match (least, caller) {
                    (None, _) => true,
                    (Some(least), Some(role)) => role >= least,
                    (Some(_), None) => false,
                };
                if allowed && e.path == "/logout" {
                    // Signing out answers with the sign-in page, and ends the session.
                    assert_eq!(
                        set_cookie(&reply.headers, "sb_session").as_deref(),
                        Some(""),
                        "{what}"
                    );
                } else if allowed {
                    assert!(
                        ![StatusCode::UNAUTHORIZED, StatusCode::INTERNAL_SERVER_ERROR]
                            .contains(&reply.status)
                            && reply.location() != Some("/login"),
                        "{what}"
                    );
                    if least.is_some() {
                        assert!(reply.status != StatusCode::FORBIDDEN, "{what}");
                    }
                } else if caller.is_none() && e.api {
                    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{what}");
                    assert_eq!(reply.json()["error"]["code"], "unauthenticated", "{what}");
                } else if caller.is_none() {
                    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{what}");
                    assert_eq!(reply.location(), Some("/login"), "{what}");
                } else {
                    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{what}");
                    if e.api {
                        assert_eq!(reply.json()["error"]["code"], "forbidden", "{what}");
                    }
                }
            }
        }
    }
    assert!(walked > 600, "walked only {walked} requests");
}

/// Every unsafe route a session may call refuses it without the session's CSRF token (pages: the
/// form field; API: `X-CSRF-Token`) or with another session's, even for an Admin.
#[tokio::test]
async fn every_unsafe_route_refuses_a_session_without_its_csrf_token() {
    let app = spawn_app().await;
    let c = callers(&app).await;
    let (admin, other) = (&c.sessions[2].1, &c.sessions[0].1);
    let mut checked = 0;
    for e in table(&app) {
        if matches!(e.method, "GET" | "*") || e.access == Access::Public {
            continue;
        }
        let path = concrete(&e);
        let mut replies = Vec::new();
        if e.api {
            let body = api_body(e.method, &e.path);
            let mut without = admin.clone();
            without.csrf = String::new();
            replies.push((
                "no token",
                app.api_session(method_of(e.method), &path, &without, body.clone())
                    .await,
            ));
            let mut wrong = admin.clone();
            wrong.csrf = other.csrf.clone();
            replies.push((
                "another session's token",
                app.api_session(method_of(e.method), &path, &wrong, body)
                    .await,
            ));
        } else {
            let f = fields(e.method, &e.path);
            replies.push(("no token", app.post_form(&path, Some(admin), f).await));
            let mut with_other = f.to_vec();
            with_other.push(("csrf", &other.csrf));
            replies.push((
                "another session's token",
                app.post_form(&path, Some(admin), &with_other).await,
            ));
        }
        for (how, r) in replies {
            checked += 1;
            let what = format!(
                "{} {path} with {how}: {} {}",
                e.method,
                r.status,
                r.body.chars().take(200).collect::<String>()
            );
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}");
            if e.api {
                assert_eq!(r.json()["error"]["code"], "csrf", "{what}");
            } else {
                assert!(r.body.contains("CSRF token missing or wrong"), "{what}");
            }
        }
    }
    assert!(checked > 150, "checked only {checked} requests");
}

#[tokio::test]
async fn a_change_sent_from_another_site_is_refused_even_with_the_token() {
    let app = spawn_app().await;
    let c = callers(&app).await;
    let admin = &c.sessions[2].1;
    let form = |origin: Option<&str>, fetch_site: Option<&str>, path: &str, body: String| {
        let mut req = Request::post(path)
            .header(header::HOST, "switchboard.test")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("sb_session={}", admin.cookie));
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        if let Some(s) = fetch_site {
            req = req.header("sec-fetch-site", s);
        }
        req.body(Body::from(body)).unwrap()
    };
    let with_token = || format!("csrf={}&name=", admin.csrf);
    let r = app
        .send(form(
            Some("https://evil.test"),
            None,
            "/account/tokens",
            with_token(),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("https://evil.test"), "{}", r.body);
    let r = app
        .send(form(
            None,
            Some("cross-site"),
            "/account/tokens",
            with_token(),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // Sign-in and setup are covered too, though no session exists yet.
    for path in ["/login", "/setup"] {
        let r = app
            .send(form(
                Some("https://evil.test"),
                None,
                path,
                "name=ada&password=x".to_owned(),
            ))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
        assert!(r.body.contains("another site"), "{path}: {}", r.body);
    }
    // The same request from the app's own origin goes through.
    let r = app
        .send(form(
            Some("http://switchboard.test"),
            Some("same-origin"),
            "/account/tokens",
            with_token(),
        ))
        .await;
    assert!(r.status != StatusCode::FORBIDDEN, "{} {}", r.status, r.body);
    // On the API the refusal is JSON.
    let r = app
        .send(
            Request::post("/api/v1/tokens")
                .header(header::COOKIE, format!("sb_session={}", admin.cookie))
                .header("x-csrf-token", &admin.csrf)
                .header("sec-fetch-site", "cross-site")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["error"]["code"], "cross_origin");
}

#[tokio::test]
async fn a_trusted_origin_may_differ_from_the_host() {
    let app = spawn_app_with(web::WebConfig {
        trusted_origins: vec!["https://dash.example.com".to_owned()],
        ..web::WebConfig::default()
    })
    .await;
    app.user("ada", Role::Admin).await;
    let s = app.login("ada").await;
    let r = app
        .send(
            Request::post("/account/tokens")
                .header(header::HOST, "10.0.0.5:8080")
                .header(header::ORIGIN, "https://dash.example.com")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("sb_session={}", s.cookie))
                .body(Body::from(format!("csrf={}&name=laptop", s.csrf)))
                .unwrap(),
        )
        .await;
    // The new token is shown once, on the account page.
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("laptop"), "{}", r.body);
}

#[tokio::test]
async fn a_bearer_token_call_is_not_asked_for_a_csrf_token() {
    let app = spawn_app().await;
    let c = callers(&app).await;
    let token = &c.tokens[0].1;
    let r = app
        .api(
            Method::POST,
            "/api/v1/tokens",
            Some(token),
            Some(json!({"name": "script"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["info"]["id"].as_i64().unwrap();
    let r = app
        .api(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
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
    json!({"name": "a", "metric_id": 999, "spec": {"watch": "value", "zone": "UTC", "rule": rule()}, "silent": true})
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
async fn the_openapi_document_lists_every_api_route_and_no_other() {
    let app = spawn_app().await;
    let doc = app
        .api(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .json();
    assert_eq!(doc["openapi"], "3.1.0");
    let t = table(&app);
    let api: Vec<_> = t
        .iter()
        .filter(|e| e.api && e.path != "/api/v1/openapi.json")
        .collect();
    for e in &api {
        let op = &doc["paths"][&e.path][e.method.to_lowercase()];
        assert!(op.is_object(), "{} {} is not documented", e.method, e.path);
        // The role the document states is the one the route is registered with.
        if let web::routes::Access::Least(role) = e.access {
            let stated = format!("Needs the {role:?} role.");
            assert!(
                op["description"].as_str().unwrap_or("").contains(&stated),
                "{} {} is registered for {role:?}, documented as {:?}",
                e.method,
                e.path,
                op["description"]
            );
        }
    }
    // The other way round: a documented route the router does not mount.
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let m = method.to_uppercase();
            assert!(
                t.iter().any(|e| e.api && e.method == m && &e.path == path),
                "{m} {path} is documented but not in the route table"
            );
        }
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
        flash(&saved).is_some_and(|(ok, t)| ok && t.contains("Saved prod")),
        "{:?}",
        flash(&saved)
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
