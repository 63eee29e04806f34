//! Checking a connection against the simulator: the key type, the account in words, refusals.

mod support;

use connector::{ConnectionCheck, Credentials, KeyType};
use domain::Secret;
use support::*;

#[tokio::test]
async fn a_main_key_connects_and_names_the_account() {
    let (sim, dump) = sim(2, 5).await;
    let connector = connector_to(&sim.base_url(), |_| {});
    let check = connector
        .check(&sim_creds(&sim, twilio_sim::KeyType::Main))
        .await;
    let account = &dump["accounts"][0]["account"];
    assert_eq!(
        check,
        ConnectionCheck::Connected {
            key_type: KeyType::Main,
            account_name: account["friendly_name"].as_str().map(str::to_owned),
            account_status: account["status"].as_str().map(str::to_owned),
        }
    );
    assert!(check.to_string().contains("Main key"), "{check}");
}

#[tokio::test]
async fn a_standard_key_connects_without_the_account_details() {
    let (sim, _) = sim(2, 5).await;
    let connector = connector_to(&sim.base_url(), |_| {});
    let check = connector
        .check(&sim_creds(&sim, twilio_sim::KeyType::Standard))
        .await;
    assert_eq!(
        check,
        ConnectionCheck::Connected {
            key_type: KeyType::Standard,
            account_name: None,
            account_status: None
        }
    );
    assert!(check.to_string().contains("Standard key"), "{check}");
}

#[tokio::test]
async fn a_wrong_secret_is_refused_with_advice() {
    let (sim, _) = sim(2, 5).await;
    let connector = connector_to(&sim.base_url(), |_| {});
    let good = sim_creds(&sim, twilio_sim::KeyType::Main);
    let bad = Credentials::parse(
        good.account_sid.as_str(),
        good.api_key_sid.as_str(),
        Secret::new("not-the-secret"),
    )
    .unwrap();
    let check = connector.check(&bad).await;
    assert!(
        matches!(
            check,
            ConnectionCheck::Refused {
                status: 401,
                code: Some(20003),
                ..
            }
        ),
        "{check:?}"
    );
    assert!(check.to_string().contains("secret is wrong"), "{check}");
}

#[tokio::test]
async fn an_unknown_account_is_explained() {
    let body = serde_json::json!({"code": 20404, "message": "The requested resource was not found", "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404});
    let server = crafted(vec![(
        &format!("/2010-04-01/Accounts/{ACCOUNT}/Balance.json"),
        vec![Reply::status(404, body)],
    )])
    .await;
    let connector = connector_to(&server.base_url, |_| {});
    let check = connector.check(&creds()).await;
    assert!(
        matches!(check, ConnectionCheck::Refused { status: 404, .. }),
        "{check:?}"
    );
    assert!(check.to_string().contains("no such account"), "{check}");
}

#[tokio::test]
async fn an_unreachable_twilio_says_retry_later() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let connector = connector_to(&format!("http://{addr}"), |c| c.retry.max_attempts = 2);
    let check = connector.check(&creds()).await;
    assert!(
        matches!(check, ConnectionCheck::Unreachable { .. }),
        "{check:?}"
    );
    assert!(check.to_string().contains("retry later"), "{check}");
}

#[test]
fn each_credential_field_is_checked_for_form_with_an_error_naming_it() {
    let err = Credentials::parse("AC123", KEY, Secret::new("x"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("Account SID"), "{err}");
    let err = Credentials::parse(
        ACCOUNT,
        "AC0123456789abcdef0123456789abcdef",
        Secret::new("x"),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("API Key SID"), "{err}");
    let err = Credentials::parse(ACCOUNT, KEY, Secret::new("  "))
        .unwrap_err()
        .to_string();
    assert!(err.contains("API Key Secret"), "{err}");
    let err = Credentials::parse(ACCOUNT, KEY, Secret::new("a\r\nb"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("API Key Secret"), "{err}");
}
