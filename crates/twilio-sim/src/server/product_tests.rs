//! The product routes' path and filter handling, driven through `Sim::handle` with real
//! credentials; expected lists come from the generated dataset, read directly.

use axum::http::{HeaderMap, HeaderValue, Method, header};
use base64::Engine;
use serde_json::Value;

use super::Sim;
use crate::config::{SimConfig, Sizes};
use crate::time::MS_PER_DAY;

fn sim() -> Sim {
    Sim::new(SimConfig {
        seed: 7,
        now: jiff::Timestamp::from_second(1_772_000_000).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
        sizes: Sizes {
            messages_per_day: 5,
            calls_per_day: 30,
            days: 10,
            subaccounts: 1,
            conferences_per_day: 1,
            verify_attempts_per_day: 30,
            phone_numbers: 2,
            messaging_services: 2,
            starting_credit_usd: 100,
        },
        faults: Default::default(),
        incidents: Vec::new(),
    })
}

/// GETs `path_query` on `host` as account `account` (its auth token); status and JSON body.
async fn get(sim: &Sim, account: usize, host: &str, path_query: &str) -> (u16, Value) {
    let a = &sim.dataset().accounts[account];
    let cred =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", a.sid, a.auth_token));
    let mut headers = HeaderMap::new();
    headers.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Basic {cred}")).expect("ASCII credentials"),
    );
    let (path, query) = match path_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_query, None),
    };
    let (response, _) = sim.handle(host, &Method::GET, path, query, &headers).await;
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, serde_json::from_slice(&body).expect("JSON body"))
}

fn sids(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["call_sid"].as_str().or(x["sid"].as_str()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Calls of `account` started in the last `days` days, newest first.
fn recent_calls(sim: &Sim, account: usize, days: i64) -> Vec<String> {
    let data = sim.dataset();
    let since = data.now_ms - days * MS_PER_DAY;
    // The dataset keeps every list newest first.
    data.accounts[account]
        .calls
        .iter()
        .filter(|c| c.start_time >= since)
        .map(|c| c.sid.to_string())
        .collect()
}

const SUMMARIES: &str = "/v1/Voice/Summaries?StartTime=7d&PageSize=1000";

#[tokio::test]
async fn doubled_slashes_and_empty_segments_are_404_on_every_product_host() {
    let sim = sim();
    for (host, path) in [
        ("messaging.twilio.com", "//v1/Services"),
        ("monitor.twilio.com", "//v1/Alerts"),
        ("verify.twilio.com", "//v2/Attempts"),
        ("verify.twilio.com", "/v2//Attempts/Summary"),
        ("insights.twilio.com", "//v1/Voice/Summaries"),
        ("insights.twilio.com", "/v1/Voice/Summaries/"),
    ] {
        let (status, body) = get(&sim, 0, host, path).await;
        assert_eq!(
            (status, &body["code"]),
            (404, &Value::from(20404)),
            "{host}{path}"
        );
    }
    let (status, _) = get(&sim, 0, "verify.twilio.com", "/v2/Attempts").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn voice_summaries_filters_the_data_answers_select_as_the_summaries_read() {
    let sim = sim();
    let all = recent_calls(&sim, 0, 7);
    assert!(all.len() > 10);
    let (_, plain) = get(&sim, 0, "insights.twilio.com", SUMMARIES).await;
    assert_eq!(sids(&plain, "call_summaries"), all);
    for (filter, expect_all) in [
        ("AnsweredBy=unknown", true),
        ("AnsweredBy=human%2Cmachine_start", false),
        ("ToCarrier=generic+carrier", true),
        ("FromCarrier=AT%26T+Wireless", false),
        ("ToCountryCode=us", true),
        ("FromCountryCode=GB", false),
        ("HasTag=false", true),
        ("HasTag=true", false),
        ("VerifiedCaller=false", true),
        ("BrandedEnabled=TRUE", false),
        ("SpamAnnotation=false", false),
        ("QualityIssueAnnotation=echo", false),
        ("BusinessProfileType=primary", false),
        ("SortBy=end_time", true),
    ] {
        let (status, body) = get(
            &sim,
            0,
            "insights.twilio.com",
            &format!("{SUMMARIES}&{filter}"),
        )
        .await;
        assert_eq!(status, 200, "{filter}: {body}");
        let want = if expect_all { all.clone() } else { Vec::new() };
        assert_eq!(sids(&body, "call_summaries"), want, "{filter}");
    }
}

#[tokio::test]
async fn voice_summaries_refuse_a_malformed_boolean_or_sort() {
    let sim = sim();
    for filter in ["HasTag=yes", "AbnormalSession=", "SortBy=duration"] {
        let (status, body) = get(
            &sim,
            0,
            "insights.twilio.com",
            &format!("{SUMMARIES}&{filter}"),
        )
        .await;
        assert_eq!(
            (status, &body["code"]),
            (400, &Value::from(20001)),
            "{filter}"
        );
    }
}

#[tokio::test]
async fn voice_summaries_next_page_keeps_every_spec_filter_in_client_order() {
    let sim = sim();
    let q = "/v1/Voice/Summaries?HasTag=false&AnsweredBy=unknown&StartTime=7d&ToCarrier=Generic+Carrier&PageSize=2";
    let (status, body) = get(&sim, 0, "insights.twilio.com", q).await;
    assert_eq!(status, 200, "{body}");
    let next = body["meta"]["next_page_url"].as_str().unwrap_or_default();
    assert!(
        next.starts_with("https://insights.twilio.com/v1/Voice/Summaries?HasTag=false&AnsweredBy=unknown&StartTime=7d&ToCarrier=Generic+Carrier&PageSize=2&Page=1&PageToken="),
        "{next}"
    );
}

#[tokio::test]
async fn voice_summaries_subaccount_lists_that_subaccounts_calls_only_to_its_owner() {
    let sim = sim();
    let sub_sid = sim.dataset().accounts[1].sid.clone();
    let main_sid = sim.dataset().accounts[0].sid.clone();
    let want = recent_calls(&sim, 1, 7);
    assert!(!want.is_empty());
    let q = format!("{SUMMARIES}&Subaccount={sub_sid}");
    let (_, body) = get(&sim, 0, "insights.twilio.com", &q).await;
    assert_eq!(sids(&body, "call_summaries"), want);
    assert_eq!(body["call_summaries"][0]["account_sid"], sub_sid.as_str());
    let q = format!("{SUMMARIES}&Subaccount={main_sid}");
    let (_, own) = get(&sim, 0, "insights.twilio.com", &q).await;
    assert_eq!(sids(&own, "call_summaries"), recent_calls(&sim, 0, 7));
    // A subaccount cannot read its parent's calls, nor anyone an unknown SID.
    let (_, up) = get(&sim, 1, "insights.twilio.com", &q).await;
    assert_eq!(sids(&up, "call_summaries"), Vec::<String>::new());
    let q = format!("{SUMMARIES}&Subaccount=AC{}", "b".repeat(32));
    let (status, none) = get(&sim, 0, "insights.twilio.com", &q).await;
    assert_eq!(status, 200);
    assert_eq!(sids(&none, "call_summaries"), Vec::<String>::new());
}

#[tokio::test]
async fn verify_attempts_list_reads_only_its_spec_filters() {
    let sim = sim();
    let a = &sim.dataset().accounts[0];
    // The dataset keeps every list newest first.
    let converted: Vec<String> = a
        .verify_attempts
        .iter()
        .filter(|v| v.converted)
        .map(|v| v.sid.to_string())
        .collect();
    assert!(!converted.is_empty() && converted.len() < a.verify_attempts.len());
    // `DestinationPrefix` belongs to Attempts/Summary: the list neither applies nor echoes it.
    let q = "/v2/Attempts?Status=CONVERTED&DestinationPrefix=%2B99&PageSize=1000";
    let (status, body) = get(&sim, 0, "verify.twilio.com", q).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sids(&body, "attempts"), converted);
    assert_eq!(
        body["meta"]["url"],
        "https://verify.twilio.com/v2/Attempts?Status=CONVERTED&PageSize=1000&Page=0"
    );
}

#[tokio::test]
async fn verify_attempts_summary_reads_only_its_spec_filters() {
    let sim = sim();
    let a = &sim.dataset().accounts[0];
    let total = a.verify_attempts.len();
    // `Status` is a list filter the Summary does not take; `DestinationPrefix` it does.
    let (_, s) = get(
        &sim,
        0,
        "verify.twilio.com",
        "/v2/Attempts/Summary?Status=converted",
    )
    .await;
    assert_eq!(s["total_attempts"], total);
    let (_, s) = get(
        &sim,
        0,
        "verify.twilio.com",
        "/v2/Attempts/Summary?DestinationPrefix=%2B99",
    )
    .await;
    let prefixed = a
        .verify_attempts
        .iter()
        .filter(|v| crate::render::E164(v.to).to_string().starts_with("+99"))
        .count();
    assert_eq!(s["total_attempts"], prefixed);
}
