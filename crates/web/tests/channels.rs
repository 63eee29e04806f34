//! Channels through the API and the screen: what each role sees of a channel, and a channel
//! test that cannot hang on a server that accepts the connection and never answers.

mod support;

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use serde_json::json;
use support::*;
use test_support::silent::SilentServer;
use web::{Role, WebConfig};

/// A webhook URL whose path carries a secret, as the receivers' URLs often do.
const SECRET_URL: &str = "https://hooks.example.com:8443/services/T0001/s3cr3t-path?token=t0k3n";
const HOST_ONLY: &str = "https://hooks.example.com:8443";

/// Issue 15, finding 13: Viewers saw full webhook URLs, secret path and all, in
/// `GET /api/v1/channels`. Below Admin the API and the screen show scheme and host only.
#[tokio::test]
async fn finding_13_below_admin_a_webhook_url_shows_its_host_only() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let admin_token = app.token(&admin).await;
    let made = app
        .api(
            Method::POST,
            "/api/v1/channels",
            Some(&admin_token),
            Some(json!({"name": "ops hook", "config": {"kind": "webhook", "url": SECRET_URL}, "secret": "signing-key"})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let id = made.json()["channel"]["id"].as_i64().unwrap();
    // The Admin who manages the channel sees what was saved.
    assert_eq!(made.json()["channel"]["config"]["url"], SECRET_URL);
    let listed = app
        .api(Method::GET, "/api/v1/channels", Some(&admin_token), None)
        .await;
    assert_eq!(listed.json()["channels"][0]["config"]["url"], SECRET_URL);
    let page = app.get("/channels", Some(&admin)).await;
    assert!(page.body.contains("s3cr3t-path"), "{}", page.body);

    for (name, role) in [("vera", Role::Viewer), ("ed", Role::Editor)] {
        app.user(name, role).await;
        let session = app.login(name).await;
        let token = app.token(&session).await;
        let listed = app
            .api(Method::GET, "/api/v1/channels", Some(&token), None)
            .await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
        let one = app
            .api(
                Method::GET,
                &format!("/api/v1/channels/{id}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.body);
        assert_eq!(listed.json()["channels"][0]["config"]["url"], HOST_ONLY);
        assert_eq!(one.json()["channel"]["config"]["url"], HOST_ONLY);
        let page = app.get("/channels", Some(&session)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("hooks.example.com"), "{}", page.body);
        for reply in [&listed.body, &one.body, &page.body] {
            for secret in ["s3cr3t-path", "t0k3n", "/services/"] {
                assert!(
                    !reply.contains(secret),
                    "a {role:?} sees '{secret}' of the webhook URL: {reply}"
                );
            }
        }
    }
}

/// Bounds short enough for a test to wait on.
fn quick() -> notify::Timeouts {
    notify::Timeouts {
        connect: Duration::from_secs(1),
        smtp_step: Duration::from_secs(1),
        request: Duration::from_secs(1),
        send: Duration::from_secs(3),
    }
}

/// Issue 15, finding 3: a channel test to an SMTP server that accepts the connection and never
/// greets never returned. Now the API and the screen's button answer within the bound, naming
/// what the server failed to do.
#[tokio::test]
async fn finding_3_a_channel_test_to_an_smtp_server_that_never_greets_answers_within_the_bound() {
    let app = spawn_app_with(WebConfig {
        channel_timeouts: quick(),
        ..WebConfig::default()
    })
    .await;
    let silent = SilentServer::start().await;
    let admin = app.admin().await;
    let token = app.token(&admin).await;
    let made = app
        .api(
            Method::POST,
            "/api/v1/channels",
            Some(&token),
            Some(
                json!({"name": "mail", "config": {"kind": "email", "host": "127.0.0.1",
                "port": silent.port(), "tls": "none", "from": "switchboard@example.com",
                "to": ["ops@example.com"]}}),
            ),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let id = made.json()["channel"]["id"].as_i64().unwrap();

    let started = Instant::now();
    let tested = tokio::time::timeout(
        Duration::from_secs(30),
        app.api(
            Method::POST,
            &format!("/api/v1/channels/{id}/test"),
            Some(&token),
            None,
        ),
    )
    .await
    .expect("the channel test must answer");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(tested.status, StatusCode::OK, "{}", tested.body);
    let body = tested.json();
    assert_eq!(
        (&body["sent"], &body["state"]),
        (&json!(false), &json!("pending")),
        "{body}"
    );
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("127.0.0.1") && error.contains("greet"),
        "{error}"
    );
    assert_eq!(silent.accepted(), 1);

    // The screen's "Send a test" button: the same bound, the reason in the flash.
    let started = Instant::now();
    let pressed = tokio::time::timeout(
        Duration::from_secs(30),
        app.post_form(
            &format!("/channels/{id}/test"),
            Some(&admin),
            &[("csrf", &admin.csrf)],
        ),
    )
    .await
    .expect("the test button must answer");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(pressed.status, StatusCode::SEE_OTHER, "{}", pressed.body);
    let shown = app.follow(&pressed, Some(&admin)).await;
    assert!(shown.body.contains("greet"), "{}", shown.body);
}
