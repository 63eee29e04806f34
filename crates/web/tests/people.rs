//! Managing people (issue 15, finding 14): the password rule on every path, disabling,
//! enabling, deleting, role changes, password changes and resets, and revoking a person's
//! sessions and tokens, through the pages, the API and the operations the CLI calls; the last
//! Admin is never disabled, deleted or demoted.

mod support;

use axum::http::{Method, StatusCode};
use serde_json::json;
use support::*;
use web::Role;

async fn id_of(app: &TestApp, name: &str) -> i64 {
    app.state
        .accounts()
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.name == name)
        .unwrap_or_else(|| panic!("no user {name}"))
        .id
}

async fn names(app: &TestApp) -> Vec<String> {
    app.state
        .accounts()
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect()
}

/// Whether the session still opens a signed-in page.
async fn signed_in(app: &TestApp, s: &Session) -> bool {
    app.get("/account", Some(s)).await.status == StatusCode::OK
}

async fn token_works(app: &TestApp, token: &str) -> bool {
    app.api(Method::GET, "/api/v1/me", Some(token), None)
        .await
        .status
        == StatusCode::OK
}

/// Issue 15, finding 14: a password of ten (or twelve) spaces, or under 12 characters, is
/// refused by the People page, the API, the setup link, the CLI's operation and a change of
/// one's own password.
#[tokio::test]
async fn password_rule_refuses_short_or_all_whitespace_passwords_everywhere() {
    let app = spawn_app().await;
    let path = app.state.setup_path().await.unwrap();
    let setup_token = path.split("token=").nth(1).unwrap().to_owned();
    for bad in [
        "          ",
        "            ",
        " \t \n         ",
        "elevenchars",
    ] {
        let setup = app
            .post_form(
                "/setup",
                None,
                &[
                    ("token", &setup_token),
                    ("name", "first"),
                    ("password", bad),
                ],
            )
            .await;
        assert!(
            set_cookie(&setup.headers, "sb_session").is_none(),
            "setup took {bad:?}"
        );
    }
    assert!(names(&app).await.is_empty());

    let admin = app.admin().await;
    let token = app.token(&admin).await;
    for bad in [
        "          ",
        "            ",
        " \t \n         ",
        "elevenchars",
    ] {
        let api = app
            .api(
                Method::POST,
                "/api/v1/users",
                Some(&token),
                Some(json!({"name": "bob", "role": "viewer", "password": bad})),
            )
            .await;
        assert_eq!(
            api.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad:?}: {}",
            api.body
        );
        assert_eq!(api.json()["error"]["field"], "password", "{}", api.body);
        let page = app
            .post_form(
                "/users",
                Some(&admin),
                &[
                    ("csrf", &admin.csrf),
                    ("name", "bob"),
                    ("role", "viewer"),
                    ("password", bad),
                ],
            )
            .await;
        assert!(flash(&page).is_some_and(|f| !f.0), "{bad:?}: {page:?}");
        let bob = app::UserName::parse("bob").unwrap();
        let cli = app
            .state
            .app()
            .add_user(&bob, Role::Viewer, bad)
            .await
            .unwrap_err();
        assert!(cli.to_string().contains("12 characters"), "{cli}");
        let own = app
            .api(
                Method::PUT,
                "/api/v1/me/password",
                Some(&token),
                Some(json!({"current_password": PASSWORD, "new_password": bad})),
            )
            .await;
        assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", own.body);
    }
    assert_eq!(names(&app).await, ["ada"]);
    // Twelve characters with spaces inside are fine.
    let ok = app
        .api(
            Method::POST,
            "/api/v1/users",
            Some(&token),
            Some(json!({"name": "bob", "role": "viewer", "password": " twelve chars"})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
}

/// Issue 15, finding 14: a disabled person cannot sign in, their sessions end and their tokens
/// stop working; enabled again, they sign in and their tokens work.
#[tokio::test]
async fn an_admin_disables_a_person_whose_sessions_and_tokens_stop_until_enabled() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let admin_token = app.token(&admin).await;
    app.user("bob", Role::Editor).await;
    let bob = app.login("bob").await;
    let bob_token = app.token(&bob).await;
    let id = id_of(&app, "bob").await;

    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&admin_token),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["user"]["disabled"], true);
    assert!(!signed_in(&app, &bob).await, "the session ended");
    assert!(!token_works(&app, &bob_token).await, "the token stopped");
    let login = app.try_login("bob", PASSWORD).await.unwrap_err();
    assert_eq!(login.status, StatusCode::FORBIDDEN, "{}", login.body);
    assert!(login.body.contains("disabled"), "{}", login.body);
    let listed = app
        .api(Method::GET, "/api/v1/users", Some(&admin_token), None)
        .await;
    assert!(
        listed.json()["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"] == "bob" && u["disabled"] == true),
        "{}",
        listed.body
    );

    // Enabling through the People page's button.
    let page = app
        .post_form(
            &format!("/users/{id}/enable"),
            Some(&admin),
            &[("csrf", &admin.csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(token_works(&app, &bob_token).await);
    app.login("bob").await;
    // And disabling through it too.
    let page = app
        .post_form(
            &format!("/users/{id}/disable"),
            Some(&admin),
            &[("csrf", &admin.csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(!token_works(&app, &bob_token).await);
}

/// Issue 15, finding 14: deleting a person ends their sessions and tokens.
#[tokio::test]
async fn an_admin_deletes_a_person_and_their_sessions_and_tokens_end() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.user("bob", Role::Viewer).await;
    let bob = app.login("bob").await;
    let bob_token = app.token(&bob).await;
    let id = id_of(&app, "bob").await;
    let page = app
        .post_form(
            &format!("/users/{id}/delete"),
            Some(&admin),
            &[("csrf", &admin.csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(names(&app).await, ["ada"]);
    assert!(!signed_in(&app, &bob).await);
    assert!(!token_works(&app, &bob_token).await);
    assert!(app.try_login("bob", PASSWORD).await.is_err());

    app.user("carol", Role::Viewer).await;
    let carol = id_of(&app, "carol").await;
    let token = app.token(&admin).await;
    let r = app
        .api(
            Method::DELETE,
            &format!("/api/v1/users/{carol}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["deleted"], carol);
    let again = app
        .api(
            Method::DELETE,
            &format!("/api/v1/users/{carol}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{}", again.body);
}

/// Issue 15, finding 14: the last enabled Admin cannot be disabled, deleted or demoted, by the
/// API, the pages or the CLI's operations; with a second Admin it can.
#[tokio::test]
async fn the_last_admin_cannot_be_disabled_deleted_or_demoted() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let token = app.token(&admin).await;
    let ada = id_of(&app, "ada").await;
    for (method, path, body) in [
        (
            Method::PATCH,
            format!("/api/v1/users/{ada}"),
            Some(json!({"disabled": true})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/{ada}"),
            Some(json!({"role": "editor"})),
        ),
        (Method::DELETE, format!("/api/v1/users/{ada}"), None),
    ] {
        let r = app.api(method.clone(), &path, Some(&token), body).await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "{method} {path}: {}",
            r.body
        );
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("last"),
            "{}",
            r.body
        );
    }
    for (path, fields) in [
        (format!("/users/{ada}/disable"), vec![]),
        (format!("/users/{ada}/delete"), vec![]),
        (format!("/users/{ada}/role"), vec![("role", "viewer")]),
    ] {
        let mut f = fields.clone();
        f.push(("csrf", &admin.csrf));
        let r = app.post_form(&path, Some(&admin), &f).await;
        assert!(flash(&r).is_some_and(|f| !f.0), "{path}: {r:?}");
    }
    // What the CLI calls.
    let ops = app.state.app();
    for op in [
        ops.set_user_disabled(ada, true).await.map(|_| ()),
        ops.set_user_role(ada, Role::Viewer).await.map(|_| ()),
        ops.delete_user(ada).await,
    ] {
        assert!(op.unwrap_err().to_string().contains("last enabled Admin"));
    }
    let me = app.state.accounts().list_users().await.unwrap();
    assert_eq!(me.len(), 1);
    assert_eq!(me[0].role, Role::Admin);
    assert!(!me[0].disabled);
    assert!(signed_in(&app, &admin).await);

    // A disabled Admin does not count: ada is still the last enabled one.
    app.user("grace", Role::Admin).await;
    let grace = id_of(&app, "grace").await;
    let off = app
        .api(
            Method::PATCH,
            &format!("/api/v1/users/{grace}"),
            Some(&token),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    let r = app
        .api(
            Method::DELETE,
            &format!("/api/v1/users/{ada}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // With grace enabled, ada may step down.
    let on = app
        .api(
            Method::PATCH,
            &format!("/api/v1/users/{grace}"),
            Some(&token),
            Some(json!({"disabled": false})),
        )
        .await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.body);
    let r = app
        .api(
            Method::PATCH,
            &format!("/api/v1/users/{ada}"),
            Some(&token),
            Some(json!({"role": "viewer"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["user"]["role"], "viewer");
}

/// Issue 15, finding 14: two Admins removing each other at once leave one Admin.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_admins_deleting_each_other_at_once_leave_one() {
    let app = spawn_app().await;
    app.user("ada", Role::Admin).await;
    app.user("grace", Role::Admin).await;
    let (ada, grace) = (id_of(&app, "ada").await, id_of(&app, "grace").await);
    let (a, b) = tokio::join!(
        app.state.app().delete_user(grace),
        app.state.app().delete_user(ada),
    );
    assert!(a.is_ok() != b.is_ok(), "{a:?} {b:?}");
    assert_eq!(names(&app).await.len(), 1);
}

/// Issue 15, finding 14: each person changes their own password, giving the current one; their
/// other sessions end and the page keeps them signed in.
#[tokio::test]
async fn each_person_changes_their_own_password_with_the_current_one() {
    let app = spawn_app().await;
    app.user("bob", Role::Viewer).await;
    let bob = app.login("bob").await;
    let other = app.login("bob").await;
    let page = app.get("/account", Some(&bob)).await;
    assert!(
        page.body.contains("action=\"/account/password\""),
        "{}",
        page.body
    );

    let wrong = app
        .post_form(
            "/account/password",
            Some(&bob),
            &[
                ("csrf", &bob.csrf),
                ("current_password", "not my password"),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert!(flash(&wrong).is_some_and(|f| !f.0), "{wrong:?}");
    assert!(signed_in(&app, &other).await);

    let done = app
        .post_form(
            "/account/password",
            Some(&bob),
            &[
                ("csrf", &bob.csrf),
                ("current_password", PASSWORD),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let fresh = set_cookie(&done.headers, "sb_session").expect("a new session for the changer");
    assert!(!signed_in(&app, &other).await, "other sessions end");
    assert!(!signed_in(&app, &bob).await, "the old cookie ends too");
    let kept = Session {
        cookie: fresh,
        csrf: String::new(),
    };
    assert!(signed_in(&app, &kept).await);
    assert!(app.try_login("bob", PASSWORD).await.is_err());
    let again = app
        .try_login("bob", "a brand new passphrase")
        .await
        .expect("the new password works");

    // Through the API with a token.
    let token = app.token(&again).await;
    let wrong = app
        .api(
            Method::PUT,
            "/api/v1/me/password",
            Some(&token),
            Some(json!({"current_password": PASSWORD, "new_password": "another passphrase"})),
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.body
    );
    assert_eq!(wrong.json()["error"]["field"], "current_password");
    let ok = app
        .api(
            Method::PUT,
            "/api/v1/me/password",
            Some(&token),
            Some(json!({"current_password": "a brand new passphrase", "new_password": "another passphrase"})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert!(!signed_in(&app, &again).await);
    app.try_login("bob", "another passphrase").await.unwrap();
}

/// Issue 15, finding 14: an Admin sets another person's password; that person's sessions end.
#[tokio::test]
async fn an_admin_resets_a_persons_password_and_their_sessions_end() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let token = app.token(&admin).await;
    app.user("bob", Role::Editor).await;
    let bob = app.login("bob").await;
    let id = id_of(&app, "bob").await;
    let r = app
        .api(
            Method::PUT,
            &format!("/api/v1/users/{id}/password"),
            Some(&token),
            Some(json!({"password": "reset by the admin"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!signed_in(&app, &bob).await);
    assert!(app.try_login("bob", PASSWORD).await.is_err());
    app.try_login("bob", "reset by the admin").await.unwrap();

    let page = app
        .post_form(
            &format!("/users/{id}/password"),
            Some(&admin),
            &[("csrf", &admin.csrf), ("password", "reset on the page")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(flash(&page).is_some_and(|f| f.0), "{page:?}");
    app.try_login("bob", "reset on the page").await.unwrap();
    assert!(
        signed_in(&app, &admin).await,
        "the admin's own session is kept"
    );
}

/// Issue 15, finding 14: an Admin revokes every session and API token of another person, who
/// can still sign in again.
#[tokio::test]
async fn an_admin_revokes_a_persons_sessions_and_tokens() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.user("bob", Role::Viewer).await;
    let bob = app.login("bob").await;
    let bob_token = app.token(&bob).await;
    let id = id_of(&app, "bob").await;
    let users = app.get("/users", Some(&admin)).await;
    for action in ["disable", "delete", "revoke", "password", "role"] {
        assert!(
            users
                .body
                .contains(&format!("action=\"/users/{id}/{action}\"")),
            "a {action} form for bob: {}",
            users.body
        );
    }
    assert!(users.body.contains("data-confirm"), "{}", users.body);
    let page = app
        .post_form(
            &format!("/users/{id}/revoke"),
            Some(&admin),
            &[("csrf", &admin.csrf)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(!signed_in(&app, &bob).await);
    assert!(!token_works(&app, &bob_token).await);
    let bob = app.login("bob").await;
    let bob_token = app.token(&bob).await;

    let token = app.token(&admin).await;
    let r = app
        .api(
            Method::POST,
            &format!("/api/v1/users/{id}/revoke"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["sessions"], 1, "{}", r.body);
    assert_eq!(r.json()["tokens"], 1, "{}", r.body);
    assert!(!signed_in(&app, &bob).await);
    assert!(!token_works(&app, &bob_token).await);
    assert!(signed_in(&app, &admin).await);
}
