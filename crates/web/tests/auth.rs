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
    // As `switchboard user add` and `switchboard token create` call the app.
    let ops = app.state.app();
    let name = app::UserName::parse("robot").unwrap();
    let role = app::people::role_named("editor").unwrap();
    let user = ops.add_user(&name, role, PASSWORD).await.unwrap();
    assert_eq!(user.role, Role::Editor);
    let bad = app::people::role_named("boss").unwrap_err();
    assert!(bad.to_string().contains("not a role"), "{bad}");
    let missing = ops.user_named("nobody").await.unwrap_err();
    assert!(
        missing.to_string().contains("no user named 'nobody'"),
        "{missing}"
    );
    let robot = ops.user_named("ROBOT").await.unwrap();
    let ci = app::TokenName::parse("ci").unwrap();
    let (token, _) = ops.create_token(robot.id, &ci).await.unwrap();
    let me = app
        .api(axum::http::Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["name"], "robot");
    assert_eq!(me.json()["role"], "editor");
}

fn addr(ip: &str) -> Option<std::net::SocketAddr> {
    Some(std::net::SocketAddr::new(ip.parse().unwrap(), 40_000))
}

/// Issue 15, finding 5: the throttle's check and its count are one step, so a burst of wrong
/// passwords is checked at most `MAX_FAILURES` times, not once per request that raced the check.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_throttle_a_burst_of_100_wrong_logins_checks_at_most_the_limit() {
    let app = spawn_app().await;
    app.user("ada", Role::Admin).await;
    let csrf = app.login_csrf().await;
    let from = addr("192.0.2.10");
    let burst = (0..100)
        .map(|_| login_request(&csrf, "ada", "wrong password!", from))
        .collect();
    let replies = app.send_all(burst).await;
    // A request that reached the password check answers "do not match"; one the throttle
    // stopped first answers 429 without checking.
    let checked = replies
        .iter()
        .filter(|r| r.status == StatusCode::UNAUTHORIZED && r.body.contains("do not match"))
        .count();
    let throttled = replies
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(
        checked + throttled,
        100,
        "every attempt is one or the other"
    );
    assert!(
        checked <= web::throttle::MAX_FAILURES,
        "{checked} passwords were checked against a limit of {}",
        web::throttle::MAX_FAILURES
    );
    assert!(checked >= 1, "the first attempts are checked");
    // That address stays locked out of ada, even with her password.
    let r = app.try_login_from("ada", PASSWORD, from).await.unwrap_err();
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
}

/// Issue 15, finding 5: failures lock (account, client address), so one address's flood does not
/// lock the real user out from another address.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_throttle_one_addresss_failures_do_not_lock_the_user_out_elsewhere() {
    let app = spawn_app().await;
    app.user("ada", Role::Admin).await;
    let csrf = app.login_csrf().await;
    let attacker = addr("203.0.113.66");
    let flood = (0..30)
        .map(|_| login_request(&csrf, "ada", "a guess at her password", attacker))
        .collect();
    app.send_all(flood).await;
    assert_eq!(
        app.try_login_from("ada", PASSWORD, attacker)
            .await
            .unwrap_err()
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    app.try_login_from("ada", PASSWORD, addr("198.51.100.7"))
        .await
        .expect("ada signs in from her own address while another is locked out");
}

/// Issue 15, finding 5: one address guessing across many names is bounded too (a per-address
/// limit), while other addresses are not affected.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_throttle_bounds_one_address_guessing_across_names() {
    let app = spawn_app().await;
    app.user("ada", Role::Admin).await;
    let csrf = app.login_csrf().await;
    let attacker = addr("203.0.113.9");
    let names: Vec<String> = (0..web::throttle::MAX_ADDRESS_FAILURES)
        .map(|i| format!("made-up-{i}"))
        .collect();
    let sweep = names
        .iter()
        .map(|n| login_request(&csrf, n, "password123456", attacker))
        .collect();
    for r in app.send_all(sweep).await {
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    }
    let r = app
        .try_login_from("ada", PASSWORD, attacker)
        .await
        .unwrap_err();
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    app.try_login_from("ada", PASSWORD, addr("198.51.100.8"))
        .await
        .expect("another address is not affected");
}

/// Issue 15, finding 6: the setup link printed at start is dead once an Admin exists, however
/// that Admin was made (here as `switchboard user add --role admin` makes one).
#[tokio::test]
async fn setup_link_is_dead_once_an_admin_exists() {
    let app = spawn_app().await;
    let path = app.state.setup_path().await.expect("an empty install");
    let token = path.split("token=").nth(1).unwrap().to_owned();
    let root = app::UserName::parse("root").unwrap();
    app.state
        .app()
        .add_user(&root, Role::Admin, PASSWORD)
        .await
        .unwrap();
    assert_eq!(app.get(&path, None).await.status, StatusCode::NOT_FOUND);
    let used = app
        .post_form(
            "/setup",
            None,
            &[("token", &token), ("name", "eve"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(used.status, StatusCode::NOT_FOUND, "{}", used.body);
    assert!(set_cookie(&used.headers, "sb_session").is_none());
    let names: Vec<String> = app
        .state
        .accounts()
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(names, ["root"]);
    assert!(app.state.setup_path().await.is_none());
}

/// Issue 15, finding 6: eight uses of the setup link at once create exactly one Admin.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn setup_link_used_eight_times_at_once_creates_one_admin() {
    let app = spawn_app().await;
    let path = app.state.setup_path().await.expect("an empty install");
    let token = path.split("token=").nth(1).unwrap().to_owned();
    let posts = (0..8)
        .map(|i| {
            axum::http::Request::post("/setup")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(format!(
                    "token={token}&name=admin{i}&password={}",
                    encode(PASSWORD)
                )))
                .unwrap()
        })
        .collect();
    let replies = app.send_all(posts).await;
    let created = replies
        .iter()
        .filter(|r| set_cookie(&r.headers, "sb_session").is_some())
        .count();
    assert_eq!(created, 1, "one use signs in, the others are refused");
    let users = app.state.accounts().list_users().await.unwrap();
    assert_eq!(users.len(), 1, "{users:?}");
    assert_eq!(users[0].role, Role::Admin);
}

#[tokio::test]
async fn a_token_of_someone_else_cannot_be_deleted_on_the_api_or_the_page() {
    let app = spawn_app().await;
    app.user("ada", Role::Admin).await;
    app.user("bob", Role::Viewer).await;
    let ada = app.login("ada").await;
    let bob = app.login("bob").await;
    app.token(&ada).await;
    let users = app.state.accounts().list_users().await.unwrap();
    let ada_id = users.iter().find(|u| u.name == "ada").unwrap().id;
    let ada_tokens = app.state.accounts().list_tokens(ada_id).await.unwrap();
    assert_eq!(ada_tokens.len(), 1);
    let theirs = ada_tokens[0].id;

    // Bob, even though he may delete tokens, has none with that id: both surfaces say so.
    let api = app
        .api_session(
            axum::http::Method::DELETE,
            &format!("/api/v1/tokens/{theirs}"),
            &bob,
            None,
        )
        .await;
    assert_eq!(api.status, StatusCode::NOT_FOUND, "{}", api.body);
    let message = format!("you have no token {theirs}");
    assert_eq!(api.json()["error"]["message"], message.as_str());
    let page = app
        .post_form(
            &format!("/account/tokens/{theirs}/delete"),
            Some(&bob),
            &[("csrf", &bob.csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains(&message), "{}", page.body);
    assert_eq!(
        app.state
            .accounts()
            .list_tokens(ada_id)
            .await
            .unwrap()
            .len(),
        1
    );

    // Ada deletes her own.
    let own = app
        .api_session(
            axum::http::Method::DELETE,
            &format!("/api/v1/tokens/{theirs}"),
            &ada,
            None,
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert!(
        app.state
            .accounts()
            .list_tokens(ada_id)
            .await
            .unwrap()
            .is_empty()
    );
}
