mod support;

use serde_json::Value;
use support::*;

/// Messages of the main account from the dump, as (sid, date_sent instant, to, from).
fn dumped_messages(dump: &Value) -> Vec<(String, jiff::Timestamp, String, String)> {
    dump["accounts"][0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| {
            Some((
                m["sid"].as_str()?.to_string(),
                // Not yet sent messages sort and filter by their creation time.
                rfc2822(m["date_sent"].as_str().or(m["date_created"].as_str())?),
                m["to"].as_str()?.to_string(),
                m["from"].as_str()?.to_string(),
            ))
        })
        .collect()
}

async fn all_sids(sim: &twilio_sim::SimHandle, path: &str, key: &str) -> Vec<String> {
    walk(
        sim,
        "api.twilio.com",
        path,
        Cred::MainKey(sim.dataset().main_account()),
    )
    .await
    .iter()
    .flat_map(|p| sids(p, key))
    .collect()
}

#[tokio::test]
async fn date_sent_instant_bounds_are_inclusive_to_the_second() {
    let sim = start().await;
    let msgs = dumped_messages(&dump(&sim));
    let acct = main_sid(&sim);
    // A message from the middle of the data, and the second it was sent.
    let (sid, at, _, _) = msgs[msgs.len() / 2].clone();
    let fmt = |t: jiff::Timestamp| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let after = jiff::Timestamp::from_second(at.as_second() + 1).unwrap();
    let at_s = jiff::Timestamp::from_second(at.as_second()).unwrap();
    let base = format!("/2010-04-01/Accounts/{acct}/Messages.json?PageSize=1000");
    let on_or_after = all_sids(
        &sim,
        &format!("{base}&DateSent%3E={}", fmt(at_s)),
        "messages",
    )
    .await;
    let expected: Vec<String> = msgs
        .iter()
        .filter(|m| m.1 >= at_s)
        .map(|m| m.0.clone())
        .collect();
    assert_eq!(on_or_after, expected);
    assert!(on_or_after.contains(&sid));
    let strictly_after = all_sids(
        &sim,
        &format!("{base}&DateSent%3E={}", fmt(after)),
        "messages",
    )
    .await;
    let expected: Vec<String> = msgs
        .iter()
        .filter(|m| m.1 >= after)
        .map(|m| m.0.clone())
        .collect();
    assert_eq!(strictly_after, expected);
    assert!(!strictly_after.contains(&sid));
    // `<` is "on or before": an instant one second past the send time keeps it.
    let on_or_before = all_sids(
        &sim,
        &format!("{base}&DateSent%3C={}", fmt(after)),
        "messages",
    )
    .await;
    let expected: Vec<String> = msgs
        .iter()
        .filter(|m| m.1 <= after)
        .map(|m| m.0.clone())
        .collect();
    assert_eq!(on_or_before, expected);
    assert!(on_or_before.contains(&sid));
}

#[tokio::test]
async fn date_only_bounds_cover_whole_utc_days() {
    let sim = start().await;
    let msgs = dumped_messages(&dump(&sim));
    let acct = main_sid(&sim);
    let base = format!("/2010-04-01/Accounts/{acct}/Messages.json?PageSize=1000");
    let day = |m: &(String, jiff::Timestamp, String, String)| {
        m.1.to_zoned(jiff::tz::TimeZone::UTC).date().to_string()
    };
    let got = all_sids(
        &sim,
        &format!("{base}&DateSent%3E=2026-03-01&DateSent%3C=2026-03-02"),
        "messages",
    )
    .await;
    let expected: Vec<String> = msgs
        .iter()
        .filter(|m| ("2026-03-01".."2026-03-03").contains(&day(m).as_str()))
        .map(|m| m.0.clone())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(got, expected);
    let equal = all_sids(&sim, &format!("{base}&DateSent=2026-03-01"), "messages").await;
    let expected: Vec<String> = msgs
        .iter()
        .filter(|m| day(m) == "2026-03-01")
        .map(|m| m.0.clone())
        .collect();
    assert_eq!(equal, expected);
}

#[tokio::test]
async fn raw_and_percent_encoded_angle_brackets_give_the_same_page() {
    let sim = start().await;
    let acct = main_sid(&sim);
    let base = format!("/2010-04-01/Accounts/{acct}/Messages.json?PageSize=100");
    let raw = api(
        &sim,
        &format!("{base}&DateSent>=2026-03-10&DateSent<=2026-03-11"),
    )
    .await;
    let enc = api(
        &sim,
        &format!("{base}&DateSent%3E=2026-03-10&DateSent%3C=2026-03-11"),
    )
    .await;
    assert_eq!(raw.status, 200, "{}", raw.text);
    assert_eq!(sids(&raw.json(), "messages"), sids(&enc.json(), "messages"));
    assert!(!sids(&raw.json(), "messages").is_empty());
}

#[tokio::test]
async fn twilio_example_date_formats_are_accepted() {
    let sim = start().await;
    let acct = main_sid(&sim);
    let base = format!("/2010-04-01/Accounts/{acct}/Messages.json");
    for v in [
        "2026-03-10",
        "2026-03-10T00:00:00Z",
        "2026-03-10 00:00:00",
        "Tue, 10 Mar 2026 00:00:00 -0000",
        "03/09/2026 17:00:00 MST",
    ] {
        let q: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
        let r = api(&sim, &format!("{base}?DateSent%3E={q}&PageSize=1000")).await;
        assert_eq!(r.status, 200, "{v}: {}", r.text);
        let body = r.json();
        let oldest = body["messages"].as_array().unwrap().last().unwrap()["date_sent"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            day_of_rfc2822(&oldest).as_str() >= "2026-03-10",
            "{v}: {oldest}"
        );
    }
    let bad = api(&sim, &format!("{base}?DateSent%3E=last-tuesday")).await;
    assert_error(&bad, 400, 20001);
}

#[tokio::test]
async fn to_and_from_filters_match_exact_numbers() {
    let sim = start().await;
    let msgs = dumped_messages(&dump(&sim));
    let acct = main_sid(&sim);
    let to = msgs[3].2.clone();
    let from = msgs[10].3.clone();
    let enc = |s: &str| -> String { url::form_urlencoded::byte_serialize(s.as_bytes()).collect() };
    let got = all_sids(
        &sim,
        &format!(
            "/2010-04-01/Accounts/{acct}/Messages.json?To={}&PageSize=1000",
            enc(&to)
        ),
        "messages",
    )
    .await;
    let expected: Vec<String> = msgs
        .iter()
        .filter(|m| m.2 == to)
        .map(|m| m.0.clone())
        .collect();
    assert_eq!(got, expected);
    let got = all_sids(
        &sim,
        &format!(
            "/2010-04-01/Accounts/{acct}/Messages.json?From={}&PageSize=1000",
            enc(&from)
        ),
        "messages",
    )
    .await;
    let expected: Vec<String> = msgs
        .iter()
        .filter(|m| m.3 == from)
        .map(|m| m.0.clone())
        .collect();
    assert_eq!(got, expected);
    let echo = api(
        &sim,
        &format!("/2010-04-01/Accounts/{acct}/Messages.json?To={}", enc(&to)),
    )
    .await
    .json();
    assert!(
        echo["uri"]
            .as_str()
            .unwrap()
            .contains(&format!("To=%2B{}", &to[1..]))
    );
}

#[tokio::test]
async fn call_status_and_end_time_filters_select_from_the_dump() {
    let sim = start().await;
    let dump = dump(&sim);
    let acct = main_sid(&sim);
    let calls = dump["accounts"][0]["calls"].as_array().unwrap();
    let expected: Vec<String> = calls
        .iter()
        .filter(|c| c["status"] == "busy")
        .filter(|c| {
            c["end_time"]
                .as_str()
                .is_some_and(|e| day_of_rfc2822(e).as_str() <= "2026-03-01")
        })
        .map(|c| c["sid"].as_str().unwrap().to_string())
        .collect();
    assert!(!expected.is_empty());
    let got = all_sids(
        &sim,
        &format!(
            "/2010-04-01/Accounts/{acct}/Calls.json?Status=busy&EndTime%3C=2026-03-01&PageSize=1000"
        ),
        "calls",
    )
    .await;
    assert_eq!(got, expected);
}

#[tokio::test]
async fn usage_relative_start_date_counts_back_from_the_fixed_clock() {
    let sim = start().await;
    let acct = main_sid(&sim);
    let body = api(&sim, &format!("/2010-04-01/Accounts/{acct}/Usage/Records/Daily.json?Category=sms&StartDate=-30days&PageSize=1000")).await.json();
    let days: Vec<&str> = body["usage_records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["start_date"].as_str().unwrap())
        .collect();
    // The clock is 2026-03-15: thirty days back is 2026-02-13, and the list runs to today.
    assert_eq!(days.len(), 31);
    assert_eq!(days.first(), Some(&"2026-03-15"));
    assert_eq!(days.last(), Some(&"2026-02-13"));
    assert!(
        body["uri"]
            .as_str()
            .unwrap()
            .contains("Category=sms&StartDate=-30days")
    );
    let bounded = api(&sim, &format!("/2010-04-01/Accounts/{acct}/Usage/Records/Daily.json?StartDate=2026-03-01&EndDate=2026-03-02&PageSize=1000")).await.json();
    let n = bounded["usage_records"].as_array().unwrap().len();
    let cats = bounded["usage_records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["start_date"] == "2026-03-01")
        .count();
    assert_eq!(n, 2 * cats);
    let bad = api(
        &sim,
        &format!("/2010-04-01/Accounts/{acct}/Usage/Records/Daily.json?StartDate=soon"),
    )
    .await;
    assert_error(&bad, 400, 20001);
}

#[tokio::test]
async fn alerts_log_level_and_dates_filter_and_echo_as_instants() {
    let sim = start().await;
    let dump = dump(&sim);
    let alerts = dump["accounts"][0]["alerts"].as_array().unwrap();
    let expected: Vec<String> = alerts
        .iter()
        .filter(|a| {
            a["log_level"] == "warning" && a["date_generated"].as_str().unwrap() >= "2026-03-01"
        })
        .map(|a| a["sid"].as_str().unwrap().to_string())
        .collect();
    assert!(!expected.is_empty());
    let cred = Cred::MainKey(sim.dataset().main_account());
    let pages = walk(
        &sim,
        "monitor.twilio.com",
        "/v1/Alerts?LogLevel=warning&StartDate=2026-03-01&PageSize=5",
        cred,
    )
    .await;
    let got: Vec<String> = pages.iter().flat_map(|p| sids(p, "alerts")).collect();
    assert_eq!(got, expected);
    assert_eq!(
        pages[0]["meta"]["url"],
        "https://monitor.twilio.com/v1/Alerts?LogLevel=warning&StartDate=2026-03-01T00:00:00Z&PageSize=5&Page=0"
    );
}

#[tokio::test]
async fn verify_attempts_summary_agrees_with_the_attempts_list() {
    let sim = start().await;
    let dump = dump(&sim);
    let attempts = dump["accounts"][0]["verify_attempts"].as_array().unwrap();
    let in_range: Vec<&Value> = attempts
        .iter()
        .filter(|a| {
            a["channel"] == "sms" && a["date_created"].as_str().unwrap() >= "2026-02-01T00:00:00Z"
        })
        .collect();
    let converted = in_range
        .iter()
        .filter(|a| a["conversion_status"] == "converted")
        .count();
    let cred = Cred::MainKey(sim.dataset().main_account());
    let s = get(
        &sim,
        "verify.twilio.com",
        "/v2/Attempts/Summary?Channel=sms&DateCreatedAfter=2026-02-01T00:00:00Z",
        cred,
    )
    .await
    .json();
    assert_eq!(s["total_attempts"], in_range.len());
    assert_eq!(s["total_converted"], converted);
    assert_eq!(s["total_unconverted"], in_range.len() - converted);
    let rate: f64 = s["conversion_rate_percentage"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((rate - converted as f64 * 100.0 / in_range.len() as f64).abs() < 1e-6);
}

#[tokio::test]
async fn voice_summaries_default_to_the_last_four_hours() {
    let sim = start().await;
    let dump = dump(&sim);
    let cutoff = now().as_millisecond() - 4 * 3_600_000;
    let expected: Vec<String> = dump["accounts"][0]["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| rfc2822(c["start_time"].as_str().unwrap()).as_millisecond() >= cutoff)
        .map(|c| c["sid"].as_str().unwrap().to_string())
        .collect();
    let cred = Cred::MainKey(sim.dataset().main_account());
    let body = get(
        &sim,
        "insights.twilio.com",
        "/v1/Voice/Summaries?PageSize=1000",
        cred,
    )
    .await
    .json();
    let got: Vec<String> = body["call_summaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["call_sid"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, expected);
    let week = get(
        &sim,
        "insights.twilio.com",
        "/v1/Voice/Summaries?StartTime=7d&PageSize=1000",
        cred,
    )
    .await
    .json();
    assert!(week["call_summaries"].as_array().unwrap().len() > got.len());
}
