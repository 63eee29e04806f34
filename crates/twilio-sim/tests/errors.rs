mod support;

use support::*;

#[tokio::test]
async fn unknown_paths_are_404_20404_naming_the_path() {
    let sim = start().await;
    let acct = main_sid(&sim);
    let path = format!("/2010-04-01/Accounts/{acct}/Nonsense.json");
    let r = api(&sim, &path).await;
    assert_error(&r, 404, 20404);
    assert_eq!(
        r.json()["message"],
        format!("The requested resource {path} was not found")
    );
    let r = get(
        &sim,
        "messaging.twilio.com",
        "/v1/Nonsense",
        Cred::MainKey(sim.dataset().main_account()),
    )
    .await;
    assert_error(&r, 404, 20404);
    assert_eq!(
        r.json()["message"],
        "The requested resource /Nonsense was not found"
    );
    let r = api(
        &sim,
        &format!("/2010-04-01/Accounts/{acct}/Messages/SM00000000000000000000000000000000.json"),
    )
    .await;
    assert_error(&r, 404, 20404);
}

#[tokio::test]
async fn non_twilio_or_missing_host_is_404() {
    let sim = start().await;
    let acct = main_sid(&sim);
    let a = sim.dataset().main_account();
    for host in [
        "example.com",
        "twilio.com",
        "api.twilio.com.evil.net",
        "localhost",
    ] {
        let r = get(
            &sim,
            host,
            &format!("/2010-04-01/Accounts/{acct}/Messages.json"),
            Cred::MainKey(a),
        )
        .await;
        assert_error(&r, 404, 20404);
    }
    let regional = get(
        &sim,
        "api.dublin.ie1.twilio.com:443",
        &format!("/2010-04-01/Accounts/{acct}/Balance.json"),
        Cred::MainKey(a),
    )
    .await;
    assert_eq!(regional.status, 200, "{}", regional.text);
}

#[tokio::test]
async fn the_2010_api_serves_only_the_json_representation() {
    let sim = start().await;
    let acct = main_sid(&sim);
    for suffix in ["", ".xml", ".csv"] {
        let r = api(
            &sim,
            &format!("/2010-04-01/Accounts/{acct}/Messages{suffix}"),
        )
        .await;
        assert_error(&r, 404, 20404);
    }
    assert_eq!(
        api(&sim, &format!("/2010-04-01/Accounts/{acct}/Messages.json"))
            .await
            .status,
        200
    );
    let r = get(
        &sim,
        "monitor.twilio.com",
        "/v1/Alerts.json",
        Cred::MainKey(sim.dataset().main_account()),
    )
    .await;
    assert_error(&r, 404, 20404);
}

#[tokio::test]
async fn writes_are_refused_with_405() {
    let sim = start().await;
    let a = sim.dataset().main_account();
    let k = a.main_key().unwrap();
    let r = client()
        .post(format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            sim.base_url(),
            a.sid
        ))
        .header("Host", "api.twilio.com")
        .basic_auth(&k.sid, Some(&k.secret))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], 20004);
}

#[tokio::test]
async fn responses_carry_twilio_headers() {
    let sim = start().await;
    let r = api(
        &sim,
        &format!("/2010-04-01/Accounts/{}/Balance.json", main_sid(&sim)),
    )
    .await;
    assert_eq!(r.headers["content-type"], "application/json");
    let id = r.headers["twilio-request-id"].to_str().unwrap();
    assert!(id.starts_with("RQ") && id.len() == 34, "{id}");
    assert_eq!(r.headers["twilio-concurrent-requests"], "1");
    assert_eq!(r.headers["x-api-domain"], "api.twilio.com");
}
