mod support;

use support::*;

#[tokio::test]
async fn no_credentials_is_401_20003_with_www_authenticate() {
    let sim = start().await;
    let acct = main_sid(&sim);
    let r = get(
        &sim,
        "api.twilio.com",
        &format!("/2010-04-01/Accounts/{acct}/Messages.json"),
        Cred::None,
    )
    .await;
    assert_error(&r, 401, 20003);
    assert_eq!(r.headers["www-authenticate"], "Basic realm=\"Twilio API\"");
    assert_eq!(
        r.json()["message"],
        "Authentication Error - No credentials provided"
    );
}

#[tokio::test]
async fn wrong_secret_or_token_is_401_20003() {
    let sim = start().await;
    let a = sim.dataset().main_account();
    let k = a.main_key().unwrap();
    let path = format!("/2010-04-01/Accounts/{}/Balance.json", a.sid);
    for (user, pass) in [
        (k.sid.as_str(), "wrong"),
        (a.sid.as_str(), "0123456789abcdef0123456789abcdef"),
        ("SKnothing", "x"),
        ("", ""),
    ] {
        let r = get(&sim, "api.twilio.com", &path, Cred::Raw(user, pass)).await;
        assert_error(&r, 401, 20003);
        assert_eq!(r.headers["www-authenticate"], "Basic realm=\"Twilio API\"");
    }
}

#[tokio::test]
async fn api_key_and_auth_token_both_authenticate() {
    let sim = start().await;
    let a = sim.dataset().main_account();
    let path = format!("/2010-04-01/Accounts/{}/Balance.json", a.sid);
    for cred in [Cred::Token(a), Cred::MainKey(a), Cred::StandardKey(a)] {
        let r = get(&sim, "api.twilio.com", &path, cred).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json()["account_sid"], a.sid);
    }
}

#[tokio::test]
async fn standard_key_gets_401_on_account_and_keys_main_key_does_not() {
    let sim = start().await;
    let a = sim.dataset().main_account();
    for path in [
        format!("/2010-04-01/Accounts/{}.json", a.sid),
        "/2010-04-01/Accounts.json".to_string(),
        format!("/2010-04-01/Accounts/{}/Keys.json", a.sid),
    ] {
        let std = get(&sim, "api.twilio.com", &path, Cred::StandardKey(a)).await;
        assert_error(&std, 401, 20003);
        let main = get(&sim, "api.twilio.com", &path, Cred::MainKey(a)).await;
        assert_eq!(main.status, 200, "{path}: {}", main.text);
        let token = get(&sim, "api.twilio.com", &path, Cred::Token(a)).await;
        assert_eq!(token.status, 200, "{path}: {}", token.text);
    }
    let ok = get(
        &sim,
        "api.twilio.com",
        &format!("/2010-04-01/Accounts/{}/Messages.json", a.sid),
        Cred::StandardKey(a),
    )
    .await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn another_accounts_sid_in_the_path_is_refused() {
    let sim = start().await;
    let main = sim.dataset().main_account();
    let sub = &sim.dataset().accounts[1];
    let path = format!("/2010-04-01/Accounts/{}/Messages.json", main.sid);
    for cred in [Cred::Token(sub), Cred::MainKey(sub), Cred::StandardKey(sub)] {
        let r = get(&sim, "api.twilio.com", &path, cred).await;
        assert_error(&r, 401, 20003);
    }
    let stranger = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Calls.json";
    let r = get(&sim, "api.twilio.com", stranger, Cred::MainKey(main)).await;
    assert_error(&r, 401, 20003);
}

#[tokio::test]
async fn parent_credentials_read_their_subaccount() {
    let sim = start().await;
    let main = sim.dataset().main_account();
    let sub = &sim.dataset().accounts[1];
    let r = get(
        &sim,
        "api.twilio.com",
        &format!("/2010-04-01/Accounts/{}/Messages.json?PageSize=5", sub.sid),
        Cred::Token(main),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    assert!(
        body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["account_sid"] == sub.sid)
    );
    let list = get(
        &sim,
        "api.twilio.com",
        "/2010-04-01/Accounts.json",
        Cred::MainKey(main),
    )
    .await
    .json();
    let listed: Vec<&str> = list["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["sid"].as_str().unwrap())
        .collect();
    assert_eq!(listed, vec![main.sid.as_str(), sub.sid.as_str()]);
}

#[tokio::test]
async fn product_apis_take_the_account_from_the_credentials() {
    let sim = start().await;
    let sub = &sim.dataset().accounts[1];
    let body = get(
        &sim,
        "monitor.twilio.com",
        "/v1/Alerts?PageSize=1000",
        Cred::MainKey(sub),
    )
    .await
    .json();
    let alerts = body["alerts"].as_array().unwrap();
    assert!(!alerts.is_empty());
    assert!(alerts.iter().all(|a| a["account_sid"] == sub.sid));
    let services = get(
        &sim,
        "messaging.twilio.com",
        "/v1/Services",
        Cred::Token(sub),
    )
    .await
    .json();
    assert!(
        services["services"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["account_sid"] == sub.sid)
    );
}
