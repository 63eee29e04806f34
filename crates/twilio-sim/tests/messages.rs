mod support;

use serde_json::Value;
use support::*;

#[tokio::test]
async fn messages_walk_returns_every_served_message_once_newest_first() {
    let sim = start().await;
    let dump = dump(&sim);
    let acct = sim.dataset().main_account().sid.clone();
    let cutoff = now().as_millisecond() - 400 * 86_400_000;
    let expected: Vec<String> = dump["accounts"][0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            let t = m["date_sent"]
                .as_str()
                .or(m["date_created"].as_str())
                .unwrap();
            rfc2822(t).as_millisecond() >= cutoff
        })
        .map(|m| m["sid"].as_str().unwrap().to_string())
        .collect();
    assert!(
        expected.len() > 1000,
        "dataset too small to page: {}",
        expected.len()
    );
    let pages = walk(
        &sim,
        "api.twilio.com",
        &format!("/2010-04-01/Accounts/{acct}/Messages.json?PageSize=333"),
        Cred::MainKey(sim.dataset().main_account()),
    )
    .await;
    let got: Vec<String> = pages
        .iter()
        .flat_map(|p| p["messages"].as_array().unwrap().iter())
        .map(|m| m["sid"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, expected);
    let times: Vec<i64> = pages
        .iter()
        .flat_map(|p| p["messages"].as_array().unwrap().iter())
        .map(|m| {
            let t = m["date_sent"]
                .as_str()
                .or(m["date_created"].as_str())
                .unwrap();
            rfc2822(t).as_millisecond()
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "not newest first");
}

#[tokio::test]
async fn messages_page_has_every_2010_envelope_key() {
    let sim = start().await;
    let acct = sim.dataset().main_account().sid.clone();
    let body = api(&sim, &format!("/2010-04-01/Accounts/{acct}/Messages.json"))
        .await
        .json();
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "end",
            "first_page_uri",
            "messages",
            "next_page_uri",
            "page",
            "page_size",
            "previous_page_uri",
            "start",
            "uri"
        ]
    );
    assert_eq!(body["page_size"], 50);
    assert_eq!(body["messages"].as_array().unwrap().len(), 50);
    assert_eq!(body["start"], 0);
    assert_eq!(body["end"], 49);
    assert_eq!(body["previous_page_uri"], Value::Null);
    let base = format!("/2010-04-01/Accounts/{acct}/Messages.json");
    assert_eq!(body["uri"], format!("{base}?PageSize=50&Page=0"));
    let last_sid = body["messages"][49]["sid"].as_str().unwrap();
    assert_eq!(
        body["next_page_uri"],
        format!("{base}?PageSize=50&Page=1&PageToken=PA{last_sid}")
    );
}
