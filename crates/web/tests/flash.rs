//! One-time messages after a redirect travel in a signed cookie: text put in a link or a forged
//! cookie is never shown; a genuine message is shown on the next page, then cleared.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use store::Store as _;
use support::*;
use web::Role;

const PLANTED: &str = "Your account is locked, call 555-0100";

async fn get_with_flash(app: &TestApp, path: &str, s: &Session, flash: &str) -> Reply {
    app.send(
        Request::get(path)
            .header(
                header::COOKIE,
                format!("sb_session={}; sb_flash={flash}", s.cookie),
            )
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn text_in_a_link_is_not_shown() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let planted = encode(PLANTED);
    for path in [
        "/metrics/all",
        "/connections",
        "/library",
        "/users",
        "/account",
        "/boards",
        "/goals",
        "/alerts",
        "/scorecards",
        "/channels",
    ] {
        for key in ["ok", "err"] {
            let r = app
                .get(&format!("{path}?{key}={planted}"), Some(&admin))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
            assert!(!r.body.contains("call 555-0100"), "{path}?{key}= was shown");
        }
    }
}

#[tokio::test]
async fn a_real_message_is_shown_after_the_redirect_once_and_a_forged_one_never() {
    let app = spawn_app().await;
    app.user("eddie", Role::Editor).await;
    let s = app.login("eddie").await;
    let r = app
        .post_form("/goals/999/delete", Some(&s), &[("csrf", &s.csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/goals"), "the text is not in the link");
    let (ok, text) = flash(&r).expect("the redirect sets the message");
    assert!(!ok && text.contains("There is no goal 999"), "{text}");

    let shown = app.follow(&r, Some(&s)).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(
        shown.body.contains("There is no goal 999"),
        "{}",
        shown.body
    );
    // Shown once: the page clears the cookie, so the next page does not say it again.
    assert_eq!(set_cookie(&shown.headers, "sb_flash").as_deref(), Some(""));
    let again = app.get("/goals", Some(&s)).await;
    assert!(!again.body.contains("There is no goal 999"));

    // The same cookie with other text under the genuine MAC, or with no MAC, is ignored.
    let value = set_cookie(&r.headers, "sb_flash").unwrap();
    let (_, mac) = value.split_once('.').unwrap();
    let far = i64::MAX / 2;
    let altered = format!(
        "{}.{mac}",
        URL_SAFE_NO_PAD.encode(format!("err\n{far}\n{PLANTED}"))
    );
    let unsigned = URL_SAFE_NO_PAD.encode(format!("err\n{far}\n{PLANTED}"));
    for forged in [altered, unsigned, encode(PLANTED)] {
        let r = get_with_flash(&app, "/goals", &s, &forged).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            !r.body.contains("call 555-0100"),
            "forged {forged} was shown"
        );
    }
}

#[tokio::test]
async fn saving_in_the_builder_leaves_its_message_for_the_metrics_screen() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    let metric = &app.state.store().list_metrics().await.unwrap()[0];
    let r = app
        .api_session(
            axum::http::Method::POST,
            "/api/v1/builder/save",
            &admin,
            Some(serde_json::json!({"metric_id": metric.id.0, "definition": serde_json::from_str::<serde_json::Value>(&metric.definition).unwrap()})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (ok, text) = flash(&r).expect("the save leaves a message");
    assert!(ok && text.contains("is saved"), "{text}");
}
