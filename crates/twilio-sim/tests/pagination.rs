mod support;

use serde_json::Value;
use support::*;

#[tokio::test]
async fn filtered_calls_walk_returns_each_matching_call_once_in_order() {
    let sim = start().await;
    let dump = dump(&sim);
    let acct = main_sid(&sim);
    let expected: Vec<String> = dump["accounts"][0]["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["status"] == "completed"
                && day_of_rfc2822(c["start_time"].as_str().unwrap()).as_str() >= "2026-02-01"
        })
        .map(|c| c["sid"].as_str().unwrap().to_string())
        .collect();
    assert!(
        expected.len() > 40,
        "too few calls to page: {}",
        expected.len()
    );
    let first = format!(
        "/2010-04-01/Accounts/{acct}/Calls.json?Status=completed&StartTime%3E=2026-02-01&PageSize=7"
    );
    let pages = walk(
        &sim,
        "api.twilio.com",
        &first,
        Cred::MainKey(sim.dataset().main_account()),
    )
    .await;
    let got: Vec<String> = pages.iter().flat_map(|p| sids(p, "calls")).collect();
    assert_eq!(got, expected);
    for (i, p) in pages.iter().enumerate() {
        assert_eq!(p["page"], i, "page index");
        let n = p["calls"].as_array().unwrap().len();
        if n > 0 {
            assert_eq!(p["start"], i * 7);
            assert_eq!(p["end"], i * 7 + n - 1);
        }
        assert!(p["uri"].as_str().unwrap().starts_with(&format!("/2010-04-01/Accounts/{acct}/Calls.json?Status=completed&StartTime%3E=2026-02-01&PageSize=7&Page={i}")));
    }
}

#[tokio::test]
async fn usage_daily_walk_returns_every_day_and_category_once() {
    let sim = start().await;
    let dump = dump(&sim);
    let acct = main_sid(&sim);
    let expected: Vec<(String, String)> = dump["accounts"][0]["usage_records_daily"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["start_date"].as_str().unwrap().to_string(),
                r["category"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let pages = walk(
        &sim,
        "api.twilio.com",
        &format!("/2010-04-01/Accounts/{acct}/Usage/Records/Daily.json?PageSize=100"),
        Cred::MainKey(sim.dataset().main_account()),
    )
    .await;
    let got: Vec<(String, String)> = pages
        .iter()
        .flat_map(|p| p["usage_records"].as_array().unwrap().clone())
        .map(|r| {
            (
                r["start_date"].as_str().unwrap().to_string(),
                r["category"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert!(pages.len() > 5);
}

#[tokio::test]
async fn product_walk_follows_absolute_meta_links_and_returns_each_alert_once() {
    let sim = start().await;
    let dump = dump(&sim);
    let expected: Vec<String> = dump["accounts"][0]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["sid"].as_str().unwrap().to_string())
        .collect();
    assert!(expected.len() > 20, "too few alerts: {}", expected.len());
    let pages = walk(
        &sim,
        "monitor.twilio.com",
        "/v1/Alerts?PageSize=9",
        Cred::MainKey(sim.dataset().main_account()),
    )
    .await;
    for p in &pages[..pages.len() - 1] {
        assert!(
            p["meta"]["next_page_url"]
                .as_str()
                .unwrap()
                .starts_with("https://monitor.twilio.com/v1/Alerts?PageSize=9&Page=")
        );
    }
    let got: Vec<String> = pages.iter().flat_map(|p| sids(p, "alerts")).collect();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn previous_page_link_returns_the_page_before() {
    let sim = start().await;
    let acct = main_sid(&sim);
    let p0 = api(
        &sim,
        &format!("/2010-04-01/Accounts/{acct}/Messages.json?PageSize=20"),
    )
    .await
    .json();
    let p1 = api(&sim, p0["next_page_uri"].as_str().unwrap())
        .await
        .json();
    let p2 = api(&sim, p1["next_page_uri"].as_str().unwrap())
        .await
        .json();
    let back = api(&sim, p2["previous_page_uri"].as_str().unwrap())
        .await
        .json();
    assert_eq!(sids(&back, "messages"), sids(&p1, "messages"));
    assert_eq!(back["page"], 1);
    let prev = p2["previous_page_uri"].as_str().unwrap();
    let first_of_p2 = &sids(&p2, "messages")[0];
    assert!(
        prev.ends_with(&format!("Page=1&PageToken=PB{first_of_p2}")),
        "{prev}"
    );
}

#[tokio::test]
async fn page_size_defaults_to_50_and_is_clamped_to_1000() {
    let sim = start().await;
    let acct = main_sid(&sim);
    let d = api(&sim, &format!("/2010-04-01/Accounts/{acct}/Messages.json"))
        .await
        .json();
    assert_eq!(d["page_size"], 50);
    assert_eq!(d["messages"].as_array().unwrap().len(), 50);
    let big = api(
        &sim,
        &format!("/2010-04-01/Accounts/{acct}/Messages.json?PageSize=5000"),
    )
    .await
    .json();
    assert_eq!(big["page_size"], 1000);
    assert_eq!(big["messages"].as_array().unwrap().len(), 1000);
    let meta = get(
        &sim,
        "monitor.twilio.com",
        "/v1/Alerts",
        Cred::MainKey(sim.dataset().main_account()),
    )
    .await
    .json();
    assert_eq!(meta["meta"]["page_size"], 50);
}

#[tokio::test]
async fn page_without_token_is_400_20001() {
    let sim = start().await;
    let acct = main_sid(&sim);
    let r = api(
        &sim,
        &format!("/2010-04-01/Accounts/{acct}/Messages.json?Page=2"),
    )
    .await;
    assert_error(&r, 400, 20001);
    assert_eq!(r.json()["message"], "PageToken is required for paging.");
    let r = get(
        &sim,
        "verify.twilio.com",
        "/v2/Attempts?Page=1",
        Cred::MainKey(sim.dataset().main_account()),
    )
    .await;
    assert_error(&r, 400, 20001);
}

#[tokio::test]
async fn invalid_page_tokens_are_400_21481() {
    let sim = start().await;
    let acct = main_sid(&sim);
    for token in [
        "garbage",
        "PA",
        "PASM00000000000000000000000000000000",
        "XXSMdeadbeef",
        "PBnot-a-sid",
    ] {
        let r = api(
            &sim,
            &format!("/2010-04-01/Accounts/{acct}/Messages.json?Page=1&PageToken={token}"),
        )
        .await;
        assert_error(&r, 400, 21481);
    }
}

#[tokio::test]
async fn zero_or_non_numeric_page_size_is_400() {
    let sim = start().await;
    let acct = main_sid(&sim);
    for size in ["0", "-5", "ten", ""] {
        let r = api(
            &sim,
            &format!("/2010-04-01/Accounts/{acct}/Calls.json?PageSize={size}"),
        )
        .await;
        assert_error(&r, 400, 20001);
    }
}

#[tokio::test]
async fn last_page_has_null_next_and_empty_list_has_zero_start_and_end() {
    let sim = start().await;
    let acct = main_sid(&sim);
    let empty = api(
        &sim,
        &format!("/2010-04-01/Accounts/{acct}/Messages.json?DateSent%3C=2001-01-01"),
    )
    .await
    .json();
    assert_eq!(empty["messages"], Value::Array(vec![]));
    assert_eq!(empty["start"], 0);
    assert_eq!(empty["end"], 0);
    assert_eq!(empty["next_page_uri"], Value::Null);
    assert_eq!(empty["previous_page_uri"], Value::Null);
}
