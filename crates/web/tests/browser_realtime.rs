//! A connection's Real time page and a metric with provisional values in headless Chromium, at a
//! desktop's width, a phone's (390 px, nothing past the right edge) and in dark mode:
//! screenshots (`target/screenshots/realtime-*.png`). Signed status callbacks reach the app over
//! loopback first, one unsigned request is refused, and the pages then show the events received,
//! the refusal with what to check, the callback URLs, and the metric's provisional mark on the
//! Metrics screen and its own page.

mod support;

use axum::body::Body;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use store::Store as _;
use support::browser::{Browser, Size, WebApp, no_overflow};
use web::Role;

/// Posts one message status callback; signed when `token` is given.
async fn post(app: &WebApp, hook: &str, params: &[(&str, &str)], token: Option<&str>) -> u16 {
    let url = format!("{}/hooks/twilio/{hook}/messages", app.base_url);
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&owned)
        .finish();
    let mut req =
        http::Request::post(&url).header("content-type", "application/x-www-form-urlencoded");
    if let Some(token) = token {
        req = req.header(
            "x-twilio-signature",
            realtime::signature::compute(&url, &owned, token),
        );
    }
    let client: Client<_, Body> = Client::builder(TokioExecutor::new()).build_http();
    let res = client
        .request(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    res.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_time_page_and_a_provisional_metric_fit_every_screen() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Admin).await;
    app.connection("sim").await;
    let metric = app.synced_library_metric("messages-delivered", "sim").await;
    let s = support::shared();
    let auth_token = s.dump["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["sid"] == s.account_sid.as_str())
        .and_then(|a| a["auth_token"].as_str())
        .unwrap()
        .to_owned();
    let connection = app
        .state
        .store()
        .connection_by_label("sim")
        .await
        .unwrap()
        .unwrap()
        .id;
    let hook = app
        .state
        .set_connection_auth_token(
            Role::Admin,
            connection,
            Some(
                app::realtime_settings::parse_auth_token(&domain::Secret::new(auth_token.clone()))
                    .unwrap(),
            ),
        )
        .await
        .unwrap();
    for i in 0..6u32 {
        let sid = format!("SM{:032x}", 0xb10c_0000 + i);
        let status = if i == 5 { "undelivered" } else { "delivered" };
        let mut params = vec![
            ("AccountSid", s.account_sid.as_str()),
            ("From", "+15005550006"),
            ("MessageSid", sid.as_str()),
            ("MessageStatus", status),
            ("To", "+15005550009"),
        ];
        if i == 5 {
            params.push(("ErrorCode", "30003"));
        }
        assert_eq!(post(&app, &hook, &params, Some(&auth_token)).await, 204);
    }
    let unsigned = [("MessageSid", "SM000000000000000000000000000000ff")];
    assert_eq!(post(&app, &hook, &unsigned, None).await, 403);
    app.state.realtime().flush().await;

    for (size, dark) in [
        (Size::Desktop, false),
        (Size::Phone, false),
        (Size::Desktop, true),
        (Size::Phone, true),
    ] {
        let Some(b) = Browser::open_with(&app, size, dark).await else {
            return;
        };
        let suffix = if dark { "-dark" } else { "" };
        b.login("ada").await;
        b.goto(&format!("/connections/{}/realtime", connection.0))
            .await;
        b.wait_for("#recent-events").await;
        let text = b.body_text().await;
        assert!(!text.contains(&auth_token), "the token is never shown");
        assert!(text.contains("An Auth Token is stored"), "{text}");
        assert!(
            b.text("#callback-urls code[data-kind=messages]")
                .await
                .ends_with(&format!("/hooks/twilio/{hook}/messages")),
        );
        assert_eq!(b.find_all("#recent-events tbody tr").await.len(), 6);
        assert!(b.text("#last-refusal").await.contains("no signature"));
        no_overflow(&b, &format!("realtime-page{suffix}"), size).await;

        b.goto("/connections").await;
        assert_eq!(b.text(".realtime-state").await, "on");
        let last = b
            .find(".realtime-state")
            .await
            .attr("title")
            .await
            .unwrap()
            .unwrap_or_default();
        assert!(last.starts_with("last event"), "{last}");
        no_overflow(&b, &format!("realtime-data-manager{suffix}"), size).await;

        b.goto("/metrics/all?range=today").await;
        b.wait_for(&format!("#metric-{} .badge.provisional", metric.0))
            .await;
        no_overflow(&b, &format!("realtime-metrics-screen{suffix}"), size).await;

        b.goto(&format!("/metrics/{}?range=today", metric.0)).await;
        b.wait_for("#metric-provisional").await;
        no_overflow(&b, &format!("realtime-metric{suffix}"), size).await;
    }
}
