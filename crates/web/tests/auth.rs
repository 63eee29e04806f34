//! Sign-in, CSRF and throttling through the real routes.

mod support;

use axum::http::StatusCode;
use support::*;
use web::Role;

#[tokio::test]
async fn the_setup_link_creates_the_first_admin_once() {
    let app = spawn_app().await;
    let path = app
        .state
        .setup_path()
        .await
        .expect("an empty install offers setup");
    let token = path.split("token=").nth(1).unwrap().to_owned();
    let page = app.get(&path, None).await;
    assert_eq!(page.status, StatusCode::OK);
    let done = app
        .post_form(
            "/setup",
            None,
            &[("token", &token), ("name", "ada"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(set_cookie(&done.headers, "sb_session").is_some());
    let users = app.state.accounts().list_users().await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].role, Role::Admin);
    let again = app
        .post_form(
            "/setup",
            None,
            &[("token", &token), ("name", "eve"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(app.state.setup_path().await.is_none());
}

#[tokio::test]
async fn session_cookies_are_http_only_and_same_site() {
    let app = spawn_app().await;
    app.user("ada", Role::Viewer).await;
    let form = app.get("/login", None).await;
    let csrf = hidden(&form.body, "csrf").unwrap();
    let cookie = set_cookie(&form.headers, "sb_login_csrf").unwrap();
    let req = axum::http::Request::post("/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", format!("sb_login_csrf={cookie}"))
        .body(axum::body::Body::from(format!(
            "csrf={csrf}&name=ada&password={}",
            encode(PASSWORD)
        )))
        .unwrap();
    let reply = app.send(req).await;
    let line = reply
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("sb_session="))
        .expect("a session cookie");
    assert!(line.contains("HttpOnly"), "{line}");
    assert!(line.contains("SameSite=Lax"), "{line}");
}

#[tokio::test]
async fn a_wrong_password_does_not_sign_in() {
    let app = spawn_app().await;
    app.user("ada", Role::Admin).await;
    let reply = app.try_login("ada", "not the password").await.unwrap_err();
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply.body.contains("do not match"));
}

#[tokio::test]
async fn login_without_its_csrf_cookie_is_refused() {
    let app = spawn_app().await;
    app.user("ada", Role::Admin).await;
    let form = app.get("/login", None).await;
    let csrf = hidden(&form.body, "csrf").unwrap();
    let reply = app
        .post_form(
            "/login",
            None,
            &[("csrf", &csrf), ("name", "ada"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_sixth_failed_login_is_throttled_even_with_the_right_password() {
    let app = spawn_app().await;
    app.user("ada", Role::Admin).await;
    for _ in 0..web::throttle::MAX_FAILURES {
        let r = app.try_login("ada", "wrong password!").await.unwrap_err();
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = app.try_login("ada", PASSWORD).await.unwrap_err();
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("too many failed sign-ins"), "{}", r.body);
}

#[tokio::test]
async fn a_form_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    app.user("ada", Role::Admin).await;
    let s = app.login("ada").await;
    let without = app
        .post_form(
            "/users",
            Some(&s),
            &[("name", "bob"), ("role", "viewer"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(without.status, StatusCode::FORBIDDEN);
    let wrong = app
        .post_form(
            "/users",
            Some(&s),
            &[
                ("csrf", "forged"),
                ("name", "bob"),
                ("role", "viewer"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(app.state.accounts().list_users().await.unwrap().len(), 1);
    let with = app
        .post_form(
            "/users",
            Some(&s),
            &[
                ("csrf", &s.csrf),
                ("name", "bob"),
                ("role", "viewer"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(with.status, StatusCode::SEE_OTHER, "{}", with.body);
    assert_eq!(app.state.accounts().list_users().await.unwrap().len(), 2);
}

#[tokio::test]
async fn an_api_change_with_a_session_needs_the_csrf_header() {
    let app = spawn_app().await;
    app.user("ada", Role::Admin).await;
    let s = app.login("ada").await;
    let req = axum::http::Request::post("/api/v1/tokens")
        .header("cookie", format!("sb_session={}", s.cookie))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(r#"{"name":"x"}"#))
        .unwrap();
    let reply = app.send(req).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json()["error"]["code"], "csrf");
    // With the header it goes through (the helper sends it).
    assert!(app.token(&s).await.starts_with("sbt_"));
}

#[tokio::test]
async fn a_revoked_or_unknown_token_is_refused_with_a_json_error() {
    let app = spawn_app().await;
    let r = app
        .api(
            axum::http::Method::GET,
            "/api/v1/metrics",
            Some("sbt_nope"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"]["code"], "unauthenticated");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sign in")
    );
}

#[tokio::test]
async fn a_user_and_a_token_made_for_scripts_reach_the_api() {
    let app = spawn_app().await;
    let accounts = app.state.accounts();
    let user = web::ops::add_user_to(accounts, "robot", "editor", PASSWORD)
        .await
        .unwrap();
    assert_eq!(user.role, Role::Editor);
    let bad = web::ops::add_user_to(accounts, "r2", "boss", PASSWORD)
        .await
        .unwrap_err();
    assert!(bad.to_string().contains("not a role"), "{bad}");
    let missing = web::ops::create_token_for_user(accounts, "nobody", "ci")
        .await
        .unwrap_err();
    assert!(
        missing.to_string().contains("no user named 'nobody'"),
        "{missing}"
    );
    let (token, _) = web::ops::create_token_for_user(accounts, "ROBOT", "ci")
        .await
        .unwrap();
    let me = app
        .api(axum::http::Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["name"], "robot");
    assert_eq!(me.json()["role"], "editor");
}
