//! Pages handed over as text (`Connector::fetch_text_with`, the sync's road): walked like parsed
//! pages, and still without a credential Twilio returned, whether it sits in the simulator's
//! Accounts list, anywhere the catalog says one sits, or under a key spelled with escapes; a
//! page without one goes through byte for byte as sent.

mod support;

use serde_json::{Value, json};
use support::*;
use twilio_catalog::CREDENTIAL_FIELDS;
use twilio_sim::KeyType;

/// What a credential's value becomes, as documented (not taken from the code under test).
const MARKER: &str = "[redacted]";

fn parse(page: &connector::TextPage) -> Value {
    serde_json::from_str(&page.text).expect("a text page is JSON")
}

fn text_sids(pages: &[connector::TextPage], list: &str) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| {
            parse(p)[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["sid"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn the_accounts_list_from_the_simulator_comes_out_redacted_as_text() {
    let (sim, dump) = sim(2, 5).await;
    let connector = connector_to(&sim.base_url(), |_| {});
    let creds = sim_creds(&sim, KeyType::Main);
    let spec = with_params(
        spec("api.twilio.com", "/2010-04-01/Accounts.json"),
        &[("PageSize", "1")],
    );
    let (pages, result) = fetch_all_text(&connector, &creds, &spec).await;
    result.unwrap();
    let accounts = dump["accounts"].as_array().unwrap();
    let tokens: Vec<&str> = accounts
        .iter()
        .map(|a| a["auth_token"].as_str().unwrap())
        .collect();
    assert!(
        accounts.len() > 1,
        "several pages of accounts: {}",
        accounts.len()
    );
    for page in &pages {
        for token in &tokens {
            assert!(
                !page.text.contains(token),
                "an auth token came through on page {}",
                page.number
            );
        }
        for account in parse(page)["accounts"].as_array().unwrap() {
            assert_eq!(account["auth_token"], MARKER, "{account}");
            assert!(account["friendly_name"].is_string(), "the rest is kept");
        }
    }
    let expected: Vec<String> = accounts
        .iter()
        .map(|a| a["sid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(text_sids(&pages, "accounts"), expected);
}

#[tokio::test]
async fn a_page_without_credentials_goes_through_exactly_as_sent() {
    let (sim, dump) = sim(3, 40).await;
    let connector = connector_to(&sim.base_url(), |_| {});
    let creds = sim_creds(&sim, KeyType::Main);
    let spec = with_params(spec("api.twilio.com", MESSAGES), &[("PageSize", "50")]);
    let (pages, result) = fetch_all_text(&connector, &creds, &spec).await;
    let ledger = result.unwrap();
    assert_eq!(
        text_sids(&pages, "messages"),
        dump_sids(&dump, "messages"),
        "the 2010 envelope is walked to its end"
    );
    assert_eq!(ledger.pages as usize, pages.len());
    // The same pages fetched again by a plain client: the bytes the simulator sent.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let (key_sid, secret) = {
        let a = sim.dataset().main_account();
        let k = a.keys.iter().find(|k| k.key_type == KeyType::Main).unwrap();
        (k.sid.clone(), k.secret.clone())
    };
    for page in &pages {
        let path = page.url.strip_prefix("https://api.twilio.com").unwrap();
        let sent = http
            .get(format!("{}{path}", sim.base_url()))
            .header("Host", "api.twilio.com")
            .basic_auth(&key_sid, Some(&secret))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(page.text, sent, "page {}", page.number);
        assert_eq!(page.bytes, sent.len() as u64);
    }
}

#[tokio::test]
async fn the_meta_envelope_is_walked_to_the_end_as_text() {
    let (sim, dump) = sim(20, 10).await;
    let connector = connector_to(&sim.base_url(), |_| {});
    let creds = sim_creds(&sim, KeyType::Main);
    let spec = with_params(
        spec("monitor.twilio.com", "/v1/Alerts"),
        &[("PageSize", "5")],
    );
    let (pages, result) = fetch_all_text(&connector, &creds, &spec).await;
    let ledger = result.unwrap();
    let expected = dump_sids(&dump, "alerts");
    assert!(expected.len() > 10, "several pages: {}", expected.len());
    assert_eq!(text_sids(&pages, "alerts"), expected);
    assert_eq!(ledger.pages as usize, expected.len().div_ceil(5));
}

/// Serves `body` (text) as the only page and returns what the connector hands over as text.
async fn one_text_page(body: &str) -> connector::TextPage {
    let path = "/2010-04-01/Accounts.json";
    let server = crafted(vec![(
        path,
        vec![Reply {
            status: 200,
            headers: vec![("content-type", "application/json".into())],
            body: body.as_bytes().to_vec(),
        }],
    )])
    .await;
    let connector = connector_to(&server.base_url, |_| {});
    let (mut pages, result) =
        fetch_all_text(&connector, &creds(), &spec("api.twilio.com", path)).await;
    result.unwrap();
    assert_eq!(pages.len(), 1);
    pages.remove(0)
}

#[tokio::test]
async fn every_credential_name_at_any_depth_comes_out_redacted_as_text() {
    for (i, name) in CREDENTIAL_FIELDS.iter().enumerate() {
        let secret = format!("cred-{i}-5e4d3c2b1a");
        let body = json!({
            "accounts": [{"sid": "AC1", "status": "active", "nested": {"deep": [{ *name: secret }]}}],
            *name: {"inner": secret},
            "next_page_uri": null,
        });
        let page = one_text_page(&body.to_string()).await;
        assert!(!page.text.contains(&secret), "{name} came through");
        let value = parse(&page);
        assert_eq!(
            value["accounts"][0]["nested"]["deep"][0][*name], MARKER,
            "{name}"
        );
        assert_eq!(value[*name], MARKER, "{name}");
        assert_eq!(value["accounts"][0]["status"], "active");
    }
}

#[tokio::test]
async fn a_credential_key_spelled_with_escapes_comes_out_redacted_as_text() {
    let body = r#"{"accounts": [{"sid": "AC1", "auth\u005ftoken": "tok-9f8e7d6c"}], "next_page_uri": null}"#;
    let page = one_text_page(body).await;
    assert!(!page.text.contains("tok-9f8e7d6c"), "{}", page.text);
    assert_eq!(parse(&page)["accounts"][0]["auth_token"], MARKER);
}

#[tokio::test]
async fn a_null_credential_keeps_the_page_as_sent() {
    let body = r#"{"accounts": [{"sid": "AC1", "auth_token": null}],   "next_page_uri": null}"#;
    let page = one_text_page(body).await;
    assert_eq!(page.text, body, "nothing to hide: the text is untouched");
}
