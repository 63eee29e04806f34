//! A connection's "Real time" screen and API (issue 22): an Admin sets the Auth Token through
//! the form or the API (checked with the simulator), the page and the API then say one is
//! stored without ever showing it, the callback URLs honour the public URL (else the request's
//! Host), a wrong token is refused with the reason and an Editor or a Viewer not at all.

mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;
use support::*;
use web::{Role, WebConfig};

/// The shared simulator account's Auth Token, from its dataset.
fn sim_token() -> String {
    let sh = shared();
    sh.dump["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["sid"] == sh.account_sid.as_str())
        .and_then(|a| a["auth_token"].as_str())
        .expect("the main account's auth_token")
        .to_owned()
}

/// Saves the shared simulator account as connection `prod`; its id.
async fn connection(app: &TestApp) -> i64 {
    let sh = shared();
    let creds = app::connections::parse_credentials(
        &sh.account_sid,
        &sh.key_sid,
        domain::Secret::new(sh.key_secret.clone()),
    )
    .unwrap();
    app.state
        .app()
        .add_connection(&app::Label::parse("prod").unwrap(), creds)
        .await
        .expect("the simulator accepts its key")
        .connection
        .id
        .0
}

fn public() -> WebConfig {
    WebConfig {
        public_url: Some(web::client::PublicUrl::parse("https://sb.example.com/base").unwrap()),
        ..WebConfig::default()
    }
}

#[tokio::test]
async fn an_admin_sets_the_token_by_the_form_and_the_page_shows_urls_on_the_public_url() {
    let app = spawn_app_with(public()).await;
    let id = connection(&app).await;
    app.user("eddie", Role::Admin).await;
    let s = app.login("eddie").await;
    let page = app
        .get(&format!("/connections/{id}/realtime"), Some(&s))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("No Auth Token is stored"),
        "{}",
        page.body
    );
    assert!(page.body.contains("None received yet."));

    let token = sim_token();
    let r = app
        .post_form(
            &format!("/connections/{id}/realtime/auth-token"),
            Some(&s),
            &[("csrf", &s.csrf), ("auth_token", &token)],
        )
        .await;
    let (ok, text) = flash(&r).expect("a flash");
    assert!(ok, "{text}");
    assert!(!text.contains(&token));

    let page = app
        .get(&format!("/connections/{id}/realtime"), Some(&s))
        .await;
    assert!(
        page.body.contains("An Auth Token is stored"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains(&token),
        "the page never shows the token"
    );
    let info = app
        .state
        .app()
        .connection_realtime(store::ConnectionId(id))
        .await
        .unwrap();
    let key = info.hook.unwrap().hook_key;
    for kind in ["messages", "calls", "events"] {
        let url = format!("https://sb.example.com/base/hooks/twilio/{key}/{kind}");
        assert!(page.body.contains(&url), "{url} in {}", page.body);
    }
    assert!(page.body.contains("public URL"));
}

#[tokio::test]
async fn without_a_public_url_the_urls_take_the_requests_host() {
    let app = spawn_app().await;
    let id = connection(&app).await;
    let s = app.admin().await;
    let token = app.token(&s).await;
    let put = app
        .api(
            Method::PUT,
            &format!("/api/v1/connections/{id}/auth-token"),
            Some(&token),
            Some(json!({ "auth_token": sim_token() })),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    let req = Request::get(format!("/api/v1/connections/{id}/realtime"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::HOST, "dash.local:8080")
        .body(Body::empty())
        .unwrap();
    let got = app.send(req).await.json();
    let key = app
        .state
        .app()
        .connection_realtime(store::ConnectionId(id))
        .await
        .unwrap()
        .hook
        .unwrap()
        .hook_key;
    assert_eq!(got["has_auth_token"], true);
    assert_eq!(
        got["callback_urls"][1]["url"],
        format!("http://dash.local:8080/hooks/twilio/{key}/calls")
    );
    assert_eq!(got["recent_events"], json!([]));
}

#[tokio::test]
async fn the_api_sets_and_removes_the_token_and_never_answers_it() {
    let app = spawn_app_with(public()).await;
    let id = connection(&app).await;
    app.user("eddie", Role::Admin).await;
    let s = app.login("eddie").await;
    let bearer = app.token(&s).await;
    let secret = sim_token();
    let path = format!("/api/v1/connections/{id}/auth-token");
    let put = app
        .api(
            Method::PUT,
            &path,
            Some(&bearer),
            Some(json!({ "auth_token": secret })),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.json()["has_auth_token"], true);
    let get = app
        .api(
            Method::GET,
            &format!("/api/v1/connections/{id}/realtime"),
            Some(&bearer),
            None,
        )
        .await;
    let del = app.api(Method::DELETE, &path, Some(&bearer), None).await;
    assert_eq!(del.status, StatusCode::OK, "{}", del.body);
    assert_eq!(del.json()["has_auth_token"], false);
    assert_eq!(del.json()["auth_token_set_ms"], serde_json::Value::Null);
    let connections = app
        .api(Method::GET, "/api/v1/connections", Some(&bearer), None)
        .await;
    for body in [&put.body, &get.body, &del.body, &connections.body] {
        assert!(!body.contains(&secret), "{body}");
    }
}

#[tokio::test]
async fn a_token_twilio_refuses_is_answered_422_with_the_reason() {
    let app = spawn_app().await;
    let id = connection(&app).await;
    let s = app.admin().await;
    let bearer = app.token(&s).await;
    let right = sim_token();
    let wrong = format!(
        "{}{}",
        if right.starts_with('0') { "1" } else { "0" },
        &right[1..]
    );
    let r = app
        .api(
            Method::PUT,
            &format!("/api/v1/connections/{id}/auth-token"),
            Some(&bearer),
            Some(json!({ "auth_token": wrong })),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let e = &r.json()["error"];
    assert_eq!(e["field"], "auth_token");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("Twilio refused the Auth Token"),
        "{e}"
    );
    assert!(!r.body.contains(&wrong));
    let malformed = app
        .api(
            Method::PUT,
            &format!("/api/v1/connections/{id}/auth-token"),
            Some(&bearer),
            Some(json!({ "auth_token": "not-a-token" })),
        )
        .await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        malformed.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("32 characters")
    );
}

#[tokio::test]
async fn a_viewer_sees_neither_the_page_nor_the_api_and_sets_nothing() {
    let app = spawn_app().await;
    let id = connection(&app).await;
    app.user("vera", Role::Viewer).await;
    let s = app.login("vera").await;
    let bearer = app.token(&s).await;
    let page = app
        .get(&format!("/connections/{id}/realtime"), Some(&s))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let form = app
        .post_form(
            &format!("/connections/{id}/realtime/auth-token"),
            Some(&s),
            &[("csrf", &s.csrf), ("auth_token", &sim_token())],
        )
        .await;
    assert_eq!(form.status, StatusCode::FORBIDDEN);
    for (method, path) in [
        (Method::GET, format!("/api/v1/connections/{id}/realtime")),
        (Method::PUT, format!("/api/v1/connections/{id}/auth-token")),
        (
            Method::DELETE,
            format!("/api/v1/connections/{id}/auth-token"),
        ),
    ] {
        let body = (method == Method::PUT).then(|| json!({ "auth_token": sim_token() }));
        let r = app.api(method.clone(), &path, Some(&bearer), body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{method} {path}");
    }
}

#[tokio::test]
async fn the_data_manager_links_each_connection_to_its_real_time_page() {
    let app = spawn_app().await;
    let id = connection(&app).await;
    let s = app.admin().await;
    let page = app.get("/connections", Some(&s)).await;
    assert!(
        page.body
            .contains(&format!("href=\"/connections/{id}/realtime\"")),
        "{}",
        page.body
    );
}

/// A metric with a provisional hour (a live write the test makes, in the current hour): the
/// metric page and a board block over today say so; over last month they do not.
#[tokio::test]
async fn a_range_holding_provisional_hours_is_marked_on_the_metric_page_and_the_board() {
    use store::LiveStore as _;
    let app = spawn_app().await;
    let admin = app.admin().await;
    let m = app
        .add_connection_and_library_metric(&admin, "sim", "messages-sent")
        .await;
    let hour = 3_600_000;
    let now = jiff::Timestamp::now().as_millisecond();
    let this_hour = now - now.rem_euclid(hour);
    let note = app::realtime_settings::PROVISIONAL_NOTE;

    let today = format!("/metrics/{}?range=today", m.id.0);
    let page = app.get(&today, Some(&admin)).await;
    assert!(!page.body.contains(note), "nothing provisional yet");

    app.state
        .store()
        .write_live_hours(
            m.id,
            &[store::LiveHour {
                hour_ms: this_hour,
                buckets: vec![store::BucketRow {
                    dimension: String::new(),
                    hour_ms: this_hour,
                    sum: 3.0,
                    count: 3,
                    min: 1.0,
                    max: 1.0,
                    latest: 1.0,
                    latest_at_ms: this_hour,
                }],
            }],
        )
        .await
        .unwrap();
    let page = app.get(&today, Some(&admin)).await;
    assert!(page.body.contains(note), "{}", page.body);
    let earlier = format!("/metrics/{}?range=last_month", m.id.0);
    let page = app.get(&earlier, Some(&admin)).await;
    assert!(!page.body.contains(note), "a range before the hour");

    let board = app
        .api_session(
            Method::POST,
            "/api/v1/boards",
            &admin,
            Some(json!({ "name": "Live" })),
        )
        .await
        .json()["board"]["id"]
        .as_i64()
        .unwrap();
    for range in ["today", "last_month"] {
        let r = app
            .api_session(
                Method::POST,
                &format!("/api/v1/boards/{board}/blocks"),
                &admin,
                Some(json!({ "kind": "number", "metrics": [m.id.0], "range": range })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let got = app
        .api_session(
            Method::GET,
            &format!("/api/v1/boards/{board}"),
            &admin,
            None,
        )
        .await
        .json();
    let marks: Vec<bool> = got["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["provisional"].as_bool().unwrap())
        .collect();
    assert_eq!(marks, [true, false], "{got}");
    let page = app.get(&format!("/boards/{board}"), Some(&admin)).await;
    assert_eq!(page.body.matches(note).count(), 1, "one block's caption");
}

#[tokio::test]
async fn a_refused_callback_shows_on_the_page_with_what_to_check() {
    let app = spawn_app().await;
    let id = connection(&app).await;
    let admin = app.admin().await;
    let key = app
        .state
        .set_connection_auth_token(
            Role::Admin,
            store::ConnectionId(id),
            Some(
                app::realtime_settings::parse_auth_token(&domain::Secret::new(sim_token()))
                    .unwrap(),
            ),
        )
        .await
        .unwrap();
    let unsigned = Request::post(format!("/hooks/twilio/{key}/messages"))
        .header(header::HOST, "sb.example.com")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(
            "MessageSid=SM00000000000000000000000000000001&MessageStatus=sent",
        ))
        .unwrap();
    assert_eq!(app.send(unsigned).await.status, StatusCode::FORBIDDEN);

    let page = app
        .get(&format!("/connections/{id}/realtime"), Some(&admin))
        .await;
    assert!(
        page.body
            .contains("0 applied, 0 duplicate, 0 out of order, 1 refused"),
        "{}",
        page.body
    );
    let refusal = page
        .body
        .split("id=\"last-refusal\">")
        .nth(1)
        .expect("the last refusal is shown");
    assert!(refusal.contains("no signature"), "{refusal}");
    assert!(refusal.contains("Auth Token"), "{refusal}");
}
