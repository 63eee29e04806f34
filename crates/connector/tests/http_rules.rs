//! The connector's HTTP rules against a local server answering crafted pages: links, loops,
//! redirects, content checks, size caps, gzip, retries and error bodies.

mod support;

use connector::{FetchError, HttpError};
use serde_json::json;
use support::*;
use twilio_request::LinkError;

const HOST: &str = "messaging.twilio.com";

#[tokio::test]
async fn requests_carry_the_twilio_host_and_basic_credentials() {
    let server = crafted(vec![("/v1/Services", vec![Reply::json(meta_page(None))])]).await;
    let connector = connector_to(&server.base_url, |_| {});
    let (pages, result) = fetch_all(&connector, &creds(), &spec(HOST, "/v1/Services")).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].url, "https://messaging.twilio.com/v1/Services");
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].host.as_deref(), Some(HOST));
    let auth = seen[0].authorization.as_deref().unwrap();
    assert!(auth.starts_with("Basic "), "{auth}");
}

#[tokio::test]
async fn absolute_next_links_are_mapped_to_the_base_url_and_followed() {
    let server = crafted(vec![
        (
            "/v1/Services",
            vec![Reply::json(meta_page(Some(
                "https://messaging.twilio.com/v1/Services?Page=1&PageToken=PA1",
            )))],
        ),
        (
            "/v1/Services?Page=1&PageToken=PA1",
            vec![Reply::json(meta_page(None))],
        ),
    ])
    .await;
    let connector = connector_to(&server.base_url, |_| {});
    let (pages, result) = fetch_all(&connector, &creds(), &spec(HOST, "/v1/Services")).await;
    let ledger = result.unwrap();
    assert_eq!((ledger.pages, ledger.requests, pages.len()), (2, 2, 2));
    assert_eq!(
        pages[1].url,
        "https://messaging.twilio.com/v1/Services?Page=1&PageToken=PA1"
    );
}

#[tokio::test]
async fn a_link_to_another_host_is_an_error_and_never_followed() {
    let server = crafted(vec![(
        "/v1/Services",
        vec![Reply::json(meta_page(Some(
            "https://evil.example/v1/Services?Page=1",
        )))],
    )])
    .await;
    let connector = connector_to(&server.base_url, |_| {});
    let (pages, result) = fetch_all(&connector, &creds(), &spec(HOST, "/v1/Services")).await;
    let failed = result.unwrap_err();
    assert!(
        matches!(
            failed.error,
            FetchError::Link {
                error: LinkError::OtherHost { .. },
                ..
            }
        ),
        "{}",
        failed.error
    );
    assert!(failed.error.to_string().contains("evil.example"));
    assert_eq!(
        pages.len(),
        0,
        "the page with the bad link is not handed over"
    );
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_link_to_another_twilio_host_is_refused_too() {
    let server = crafted(vec![(
        "/v1/Services",
        vec![Reply::json(meta_page(Some(
            "https://api.twilio.com/v1/Services?Page=1",
        )))],
    )])
    .await;
    let connector = connector_to(&server.base_url, |_| {});
    let (_, result) = fetch_all(&connector, &creds(), &spec(HOST, "/v1/Services")).await;
    assert!(matches!(result.unwrap_err().error, FetchError::Link { .. }));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_relative_link_that_climbs_out_is_refused() {
    let server = crafted(vec![(
        "/v1/Services",
        vec![Reply::json(flat_page(Some("/v1/%2e%2e/%2e%2e/admin")))],
    )])
    .await;
    let connector = connector_to(&server.base_url, |_| {});
    let (_, result) = fetch_all(&connector, &creds(), &spec(HOST, "/v1/Services")).await;
    assert!(matches!(result.unwrap_err().error, FetchError::Link { .. }));
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_link_seen_twice_is_a_loop_error() {
    let server = crafted(vec![
        (
            "/v1/Services",
            vec![Reply::json(flat_page(Some("/v1/Services?Page=1")))],
        ),
        (
            "/v1/Services?Page=1",
            vec![Reply::json(flat_page(Some("/v1/Services")))],
        ),
    ])
    .await;
    let connector = connector_to(&server.base_url, |_| {});
    let (pages, result) = fetch_all(&connector, &creds(), &spec(HOST, "/v1/Services")).await;
    let failed = result.unwrap_err();
    assert!(
        matches!(failed.error, FetchError::Loop { .. }),
        "{}",
        failed.error
    );
    assert_eq!((pages.len(), failed.ledger.requests), (2, 2));
}

#[tokio::test]
async fn a_redirect_is_an_error_and_not_followed() {
    let server = crafted(vec![(
        "/v1/Services",
        vec![Reply::status(302, json!({})).with_header("location", "https://evil.example/steal")],
    )])
    .await;
    let connector = connector_to(&server.base_url, |_| {});
    let (_, result) = fetch_all(&connector, &creds(), &spec(HOST, "/v1/Services")).await;
    let failed = result.unwrap_err();
    assert!(
        matches!(
            failed.error,
            FetchError::Http {
                error: HttpError::Redirect { status: 302, .. },
                ..
            }
        ),
        "{}",
        failed.error
    );
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_body_that_is_not_json_content_is_refused() {
    let mut reply = Reply::json(meta_page(None));
    reply.headers = vec![("content-type", "text/html".into())];
    let server = crafted(vec![("/v1/Services", vec![reply])]).await;
    let connector = connector_to(&server.base_url, |_| {});
    let (_, result) = fetch_all(&connector, &creds(), &spec(HOST, "/v1/Services")).await;
    let failed = result.unwrap_err();
    assert!(
        matches!(
            failed.error,
            FetchError::Http {
                error: HttpError::NotJson(_),
                ..
            }
        ),
        "{}",
        failed.error
    );
}

#[tokio::test]
async fn a_body_over_the_size_cap_is_refused() {
    let big = json!({"items": vec!["x".repeat(100); 100], "next_page_uri": null});
    let server = crafted(vec![("/v1/Services", vec![Reply::json(big)])]).await;
    let connector = connector_to(&server.base_url, |c| c.max_response_bytes = 4096);
    let (_, result) = fetch_all(&connector, &creds(), &spec(HOST, "/v1/Services")).await;
    let failed = result.unwrap_err();
    assert!(
        matches!(
            failed.error,
            FetchError::Http {
                error: HttpError::TooLarge { limit: 4096 },
                ..
            }
        ),
        "{}",
        failed.error
    );
}

#[tokio::test]
async fn a_gzip_body_is_accepted_and_decompressed() {
    use std::io::Write;
    let page = meta_page(None);
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(page.to_string().as_bytes()).unwrap();
    let mut reply = Reply::json(json!({}));
    reply.body = encoder.finish().unwrap();
    reply.headers.push(("content-encoding", "gzip".into()));
    let server = crafted(vec![("/v1/Services", vec![reply])]).await;
    let connector = connector_to(&server.base_url, |_| {});
    let (pages, result) = fetch_all(&connector, &creds(), &spec(HOST, "/v1/Services")).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(pages[0].value, page);
    assert!(
        server.seen()[0]
            .accept_encoding
            .as_deref()
            .unwrap_or("")
            .contains("gzip")
    );
}

#[tokio::test]
async fn a_malformed_body_is_a_clear_error() {
    let mut reply = Reply::json(json!({}));
    reply.body = br#"{"items": [1, 2,], }"#.to_vec();
    let server = crafted(vec![("/v1/Services", vec![reply])]).await;
    let connector = connector_to(&server.base_url, |_| {});
    let (_, result) = fetch_all(&connector, &creds(), &spec(HOST, "/v1/Services")).await;
    let message = result.unwrap_err().error.to_string();
    assert!(
        message.contains("not valid JSON") && message.contains("/v1/Services"),
        "{message}"
    );
}

#[tokio::test]
async fn a_client_error_is_not_retried_and_surfaces_twilios_code_message_and_more_info() {
    let body = json!({"code": 20001, "message": "PageToken is required for paging.", "more_info": "https://www.twilio.com/docs/errors/20001", "status": 400});
    let server = crafted(vec![("/v1/Services", vec![Reply::status(400, body)])]).await;
    let connector = connector_to(&server.base_url, |_| {});
    let (_, result) = fetch_all(&connector, &creds(), &spec(HOST, "/v1/Services")).await;
    let failed = result.unwrap_err();
    let message = failed.error.to_string();
    assert!(
        message.contains("20001")
            && message.contains("PageToken is required")
            && message.contains("docs/errors/20001"),
        "{message}"
    );
    assert_eq!((failed.ledger.requests, failed.ledger.retries), (1, 0));
}

#[tokio::test]
async fn unauthorized_is_not_retried_and_says_what_to_fix() {
    let body = json!({"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401});
    let server = crafted(vec![("/v1/Services", vec![Reply::status(401, body)])]).await;
    let connector = connector_to(&server.base_url, |_| {});
    let (_, result) = fetch_all(&connector, &creds(), &spec(HOST, "/v1/Services")).await;
    let failed = result.unwrap_err();
    assert!(
        failed.error.to_string().contains("secret is wrong"),
        "{}",
        failed.error
    );
    assert_eq!(failed.ledger.requests, 1);
}

#[tokio::test]
async fn server_errors_are_retried_until_they_pass() {
    let busy = Reply::status(
        503,
        json!({"code": 20503, "message": "Service unavailable", "status": 503}),
    );
    let server = crafted(vec![(
        "/v1/Services",
        vec![busy.clone(), busy, Reply::json(meta_page(None))],
    )])
    .await;
    let connector = connector_to(&server.base_url, |_| {});
    let (pages, result) = fetch_all(&connector, &creds(), &spec(HOST, "/v1/Services")).await;
    let ledger = result.unwrap();
    assert_eq!((pages.len(), ledger.requests, ledger.retries), (1, 3, 2));
}

#[tokio::test]
async fn retries_stop_after_the_attempt_budget() {
    let busy = Reply::status(
        500,
        json!({"code": 20500, "message": "Internal Server Error", "status": 500}),
    );
    let server = crafted(vec![("/v1/Services", vec![busy])]).await;
    let connector = connector_to(&server.base_url, |_| {});
    let (_, result) = fetch_all(&connector, &creds(), &spec(HOST, "/v1/Services")).await;
    let failed = result.unwrap_err();
    let attempts = fast_retry().max_attempts;
    assert_eq!(failed.ledger.requests, attempts);
    assert_eq!(server.seen().len(), attempts as usize);
    assert!(
        failed
            .error
            .to_string()
            .contains(&format!("after {attempts} attempts")),
        "{}",
        failed.error
    );
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let throttled = Reply::status(
        429,
        json!({"code": 20429, "message": "Too Many Requests", "status": 429}),
    )
    .with_header("retry-after", "1");
    let server = crafted(vec![(
        "/v1/Services",
        vec![throttled, Reply::json(meta_page(None))],
    )])
    .await;
    let connector = connector_to(&server.base_url, |_| {});
    let started = std::time::Instant::now();
    let (_, result) = fetch_all(&connector, &creds(), &spec(HOST, "/v1/Services")).await;
    let ledger = result.unwrap();
    assert_eq!((ledger.throttled, ledger.retries), (1, 1));
    assert!(
        ledger.backoff_wait >= std::time::Duration::from_secs(1),
        "{ledger:?}"
    );
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
}

#[tokio::test]
async fn a_retry_after_beyond_the_total_wait_budget_ends_the_retries() {
    let throttled = Reply::status(
        429,
        json!({"code": 20429, "message": "Too Many Requests", "status": 429}),
    )
    .with_header("retry-after", "3600");
    let server = crafted(vec![("/v1/Services", vec![throttled])]).await;
    let connector = connector_to(&server.base_url, |_| {});
    let (_, result) = fetch_all(&connector, &creds(), &spec(HOST, "/v1/Services")).await;
    let failed = result.unwrap_err();
    assert_eq!(failed.ledger.requests, 1);
    assert!(failed.error.to_string().contains("429"), "{}", failed.error);
}

#[tokio::test]
async fn pagination_none_reads_one_page_only() {
    let server = crafted(vec![(
        "/v1/Services",
        vec![Reply::json(meta_page(Some(
            "https://messaging.twilio.com/v1/Services?Page=1",
        )))],
    )])
    .await;
    let connector = connector_to(&server.base_url, |_| {});
    let mut request = spec(HOST, "/v1/Services");
    request.pagination = twilio_request::Pagination::None;
    let (pages, result) = fetch_all(&connector, &creds(), &request).await;
    assert_eq!((pages.len(), result.unwrap().requests), (1, 1));
}

#[tokio::test]
async fn an_empty_page_stops_the_walk_even_with_a_next_link() {
    let empty = json!({"meta": {"key": "items", "next_page_url": "https://messaging.twilio.com/v1/Services?Page=1"}, "items": []});
    let server = crafted(vec![("/v1/Services", vec![Reply::json(empty)])]).await;
    let connector = connector_to(&server.base_url, |_| {});
    let (pages, result) = fetch_all(&connector, &creds(), &spec(HOST, "/v1/Services")).await;
    assert_eq!((pages.len(), result.unwrap().requests), (1, 1));
}

#[tokio::test]
async fn hostile_specs_are_refused_before_any_request() {
    let server = crafted(vec![]).await;
    let connector = connector_to(&server.base_url, |_| {});
    for (host, path) in [
        ("evil.example", "/v1/Services"),
        ("api.twilio.com.evil.example", "/v1/Services"),
        (HOST, "//evil.example/v1"),
        (HOST, "/v1/%2e%2e/x"),
        (HOST, "https://evil.example/v1"),
        (HOST, "/v1/@evil.example"),
        (HOST, "/v1\r\nHost: evil.example"),
    ] {
        let (_, result) = fetch_all(&connector, &creds(), &spec(host, path)).await;
        assert!(
            matches!(result.unwrap_err().error, FetchError::Request(_)),
            "{host} {path}"
        );
    }
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let body = meta_page(None).to_string();
    tokio::spawn(async move {
        // The first connection is closed as soon as the request arrives; the second is answered.
        let (mut first, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = first.read(&mut buf).await;
        drop(first);
        let (mut second, _) = listener.accept().await.unwrap();
        let _ = second.read(&mut buf).await;
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        second.write_all(response.as_bytes()).await.unwrap();
    });
    let connector = connector_to(&format!("http://{addr}"), |_| {});
    let (pages, result) = fetch_all(&connector, &creds(), &spec(HOST, "/v1/Services")).await;
    let ledger = result.unwrap();
    assert_eq!((pages.len(), ledger.requests, ledger.retries), (1, 2, 1));
}

#[test]
fn the_page_limit_cannot_be_raised_above_one_hundred() {
    let config = |max_pages| connector::ConnectorConfig {
        max_pages,
        ..connector::ConnectorConfig::default()
    };
    assert!(connector::Connector::new(config(101)).is_err());
    assert!(connector::Connector::new(config(0)).is_err());
    assert!(connector::Connector::new(config(100)).is_ok());
    assert_eq!(connector::ConnectorConfig::default().max_pages, 100);
    assert_eq!(connector::ConnectorConfig::default().max_in_flight, 8);
    assert_eq!(
        connector::ConnectorConfig::default().max_response_bytes,
        32 * 1024 * 1024
    );
}
