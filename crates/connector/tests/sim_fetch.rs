//! The connector against the Twilio simulator over real HTTP: both envelopes walked to the end,
//! the page cap, the in-flight limit under parallel fetches, random 429s, broken bodies.

mod support;

use connector::{ConnectorConfig, FetchError, FetchOptions};
use support::*;
use twilio_sim::{Faults, KeyType};

#[tokio::test]
async fn the_2010_envelope_is_walked_to_the_end() {
    let (sim, dump) = sim(10, 40).await;
    let connector = connector_to(&sim.base_url(), |_| {});
    let creds = sim_creds(&sim, KeyType::Main);
    let spec = with_params(spec("api.twilio.com", MESSAGES), &[("PageSize", "50")]);
    let (pages, result) = fetch_all(&connector, &creds, &spec).await;
    let ledger = result.unwrap();
    let expected = dump_sids(&dump, "messages");
    assert!(
        expected.len() > 150,
        "the dataset should need several pages: {}",
        expected.len()
    );
    assert_eq!(page_sids(&pages, "messages"), expected);
    assert_eq!(ledger.pages as usize, expected.len().div_ceil(50));
    assert_eq!(ledger.requests, ledger.pages);
    assert!(!ledger.cap_hit);
    assert_eq!(ledger.bytes, pages.iter().map(|p| p.bytes).sum::<u64>());
}

#[tokio::test]
async fn the_meta_envelope_is_walked_to_the_end() {
    let (sim, dump) = sim(20, 10).await;
    let connector = connector_to(&sim.base_url(), |_| {});
    let creds = sim_creds(&sim, KeyType::Main);
    let spec = with_params(
        spec("monitor.twilio.com", "/v1/Alerts"),
        &[("PageSize", "5")],
    );
    let (pages, result) = fetch_all(&connector, &creds, &spec).await;
    let ledger = result.unwrap();
    let expected = dump_sids(&dump, "alerts");
    assert!(
        expected.len() > 10,
        "the dataset should need several pages: {}",
        expected.len()
    );
    assert_eq!(page_sids(&pages, "alerts"), expected);
    assert!(pages.iter().all(|p| p.value["meta"]["key"] == "alerts"));
    assert_eq!(ledger.pages as usize, expected.len().div_ceil(5));
    assert!(
        pages[1]
            .url
            .starts_with("https://monitor.twilio.com/v1/Alerts?"),
        "{}",
        pages[1].url
    );
}

#[tokio::test]
async fn the_page_cap_stops_the_fetch_and_says_so() {
    let (sim, dump) = sim(10, 40).await;
    let connector = connector_to(&sim.base_url(), |c| c.max_pages = 4);
    let creds = sim_creds(&sim, KeyType::Main);
    let spec = with_params(spec("api.twilio.com", MESSAGES), &[("PageSize", "10")]);
    assert!(dump_sids(&dump, "messages").len() > 40);

    let (pages, result) = fetch_all(&connector, &creds, &spec).await;
    let ledger = result.unwrap();
    assert!(ledger.cap_hit);
    assert_eq!(
        (ledger.pages, ledger.requests, ledger.page_cap, pages.len()),
        (4, 4, 4, 4)
    );

    let mut seen = 0;
    let options = FetchOptions {
        max_pages: Some(2),
        ..Default::default()
    };
    let ledger = connector
        .fetch_with(&creds, &spec, None, &options, |_| {
            seen += 1;
            Ok::<(), std::convert::Infallible>(())
        })
        .await
        .unwrap();
    assert!(ledger.cap_hit);
    assert_eq!((ledger.pages, seen), (2, 2));

    let options = FetchOptions {
        max_pages: Some(50),
        ..Default::default()
    };
    let ledger = connector
        .fetch_with(&creds, &spec, None, &options, |_| {
            Ok::<(), std::convert::Infallible>(())
        })
        .await
        .unwrap();
    assert_eq!(
        ledger.page_cap, 4,
        "a fetch may lower the cap, never raise it"
    );
}

#[tokio::test]
async fn parallel_fetches_stay_within_the_in_flight_limit() {
    let (sim, dump) = sim(10, 40).await;
    sim.set_faults(Faults {
        concurrency_limit: Some(2),
        latency_ms: 5,
        ..Faults::default()
    });
    let connector = connector_to(&sim.base_url(), |c| c.max_in_flight = 2);
    let creds = sim_creds(&sim, KeyType::Main);
    let spec = with_params(spec("api.twilio.com", MESSAGES), &[("PageSize", "100")]);
    let expected = dump_sids(&dump, "messages");

    let fetches = (0..8).map(|_| {
        let (connector, creds, spec) = (connector.clone(), creds.clone(), spec.clone());
        tokio::spawn(async move { fetch_all(&connector, &creds, &spec).await })
    });
    for fetch in futures::future::join_all(fetches).await {
        let (pages, result) = fetch.unwrap();
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(page_sids(&pages, "messages"), expected);
    }
    assert!(
        sim.peak_concurrency() <= 2,
        "the simulator saw {} requests in flight",
        sim.peak_concurrency()
    );
    assert!(
        sim.peak_concurrency() >= 2,
        "the fetches should have run in parallel"
    );
}

#[tokio::test]
async fn random_429s_are_retried_within_the_budget() {
    let (sim, dump) = sim(10, 40).await;
    sim.set_faults(Faults {
        rate_429: 0.3,
        ..Faults::default()
    });
    let attempts = 10;
    let connector = connector_to(&sim.base_url(), |c| c.retry.max_attempts = attempts);
    let creds = sim_creds(&sim, KeyType::Main);
    let spec = with_params(spec("api.twilio.com", MESSAGES), &[("PageSize", "25")]);
    let expected = dump_sids(&dump, "messages");

    let mut total_requests = 0;
    let mut total_throttled = 0;
    for _ in 0..3 {
        let (pages, result) = fetch_all(&connector, &creds, &spec).await;
        let ledger = result.unwrap();
        assert_eq!(page_sids(&pages, "messages"), expected);
        assert!(ledger.requests <= ledger.pages * attempts, "{ledger:?}");
        assert_eq!(ledger.requests, ledger.pages + ledger.retries);
        assert_eq!(ledger.throttled, ledger.retries);
        total_requests += ledger.requests;
        total_throttled += ledger.throttled;
    }
    assert!(
        total_throttled > 0,
        "30 % of requests should have been throttled"
    );
    assert_eq!(
        sim.request_log().iter().filter(|r| r.status == 429).count() as u32,
        total_throttled
    );
    assert_eq!(sim.request_log().len() as u32, total_requests);
}

#[tokio::test]
async fn a_malformed_body_is_a_clear_error() {
    let (sim, _) = sim(2, 10).await;
    sim.set_faults(Faults {
        malformed_rate: 1.0,
        ..Faults::default()
    });
    let connector = connector_to(&sim.base_url(), |_| {});
    let (_, result) = fetch_all(
        &connector,
        &sim_creds(&sim, KeyType::Main),
        &spec("api.twilio.com", MESSAGES),
    )
    .await;
    let failed = result.unwrap_err();
    assert!(
        matches!(failed.error, FetchError::BadJson { .. }),
        "{}",
        failed.error
    );
    assert!(
        failed.error.to_string().contains("not valid JSON"),
        "{}",
        failed.error
    );
}

#[tokio::test]
async fn a_truncated_body_is_a_clear_error() {
    let (sim, _) = sim(2, 10).await;
    sim.set_faults(Faults {
        truncated_rate: 1.0,
        ..Faults::default()
    });
    let connector = connector_to(&sim.base_url(), |_| {});
    let (_, result) = fetch_all(
        &connector,
        &sim_creds(&sim, KeyType::Main),
        &spec("api.twilio.com", MESSAGES),
    )
    .await;
    let message = result.unwrap_err().error.to_string();
    assert!(
        message.contains("malformed or cut short")
            || message.contains("connection to Twilio broke"),
        "{message}"
    );
}

#[tokio::test]
async fn hostile_requests_never_reach_the_simulator() {
    let (sim, _) = sim(2, 10).await;
    let connector = connector_to(&sim.base_url(), |_| {});
    let creds = sim_creds(&sim, KeyType::Main);
    for (host, path) in [
        ("evil.example", MESSAGES),
        ("api.twilio.com", "//evil.example/2010-04-01/Accounts.json"),
        (
            "api.twilio.com",
            "/2010-04-01/Accounts/{AccountSid}/../../x",
        ),
        (
            "api.twilio.com",
            "/2010-04-01/Accounts/{AccountSid}%2fMessages.json",
        ),
        ("api.twilio.com", "/2010-04-01/@evil.example/Messages.json"),
    ] {
        let (_, result) = fetch_all(&connector, &creds, &spec(host, path)).await;
        assert!(
            matches!(result.unwrap_err().error, FetchError::Request(_)),
            "{host} {path}"
        );
    }
    assert!(sim.request_log().is_empty());
}

#[tokio::test]
async fn date_tokens_select_the_window() {
    let (sim, dump) = sim(10, 40).await;
    let connector = connector_to(&sim.base_url(), |_| {});
    let creds = sim_creds(&sim, KeyType::Main);
    // Twilio's DateSent filters compare calendar days: `DateSent>` is on or after, `DateSent<` on or before.
    let spec = with_params(
        spec("api.twilio.com", MESSAGES),
        &[
            ("DateSent>", "{{date_from}}"),
            ("DateSent<", "{{date_to}}"),
            ("PageSize", "1000"),
        ],
    );
    let window = twilio_request::Window::new(
        "2026-01-10T00:00:00Z".parse().unwrap(),
        "2026-01-12T00:00:00Z".parse().unwrap(),
    )
    .unwrap();
    let mut sids = Vec::new();
    connector
        .fetch(&creds, &spec, Some(window), |page| {
            sids.extend(
                page.value["messages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["sid"].as_str().unwrap().to_owned()),
            );
            Ok::<(), std::convert::Infallible>(())
        })
        .await
        .unwrap();
    let in_window: Vec<String> = dump["accounts"][0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            let Some(sent) = m["date_sent"].as_str() else {
                return false;
            };
            let day = jiff::fmt::rfc2822::parse(sent).unwrap().date();
            day >= jiff::civil::date(2026, 1, 10) && day <= jiff::civil::date(2026, 1, 12)
        })
        .map(|m| m["sid"].as_str().unwrap().to_owned())
        .collect();
    assert!(!in_window.is_empty());
    assert_eq!(sids, in_window);
    let logged = sim.request_log();
    assert!(
        logged[0].query.contains("DateSent%3E=2026-01-10"),
        "{}",
        logged[0].query
    );
}

#[tokio::test]
async fn the_in_flight_limit_is_shared_by_every_connector_clone() {
    let (sim, _) = sim(3, 40).await;
    sim.set_faults(Faults {
        latency_ms: 20,
        ..Faults::default()
    });
    let connector = connector_to(&sim.base_url(), |c| c.max_in_flight = 1);
    let creds = sim_creds(&sim, KeyType::Main);
    let spec = with_params(spec("api.twilio.com", MESSAGES), &[("PageSize", "20")]);
    let a = fetch_all(&connector, &creds, &spec);
    let clone = connector.clone();
    let b = fetch_all(&clone, &creds, &spec);
    let ((_, ra), (_, rb)) = tokio::join!(a, b);
    assert!(ra.is_ok() && rb.is_ok());
    assert_eq!(sim.peak_concurrency(), 1);
    let _ = ConnectorConfig::default();
}

#[tokio::test]
async fn a_timeout_is_retried_and_then_reported() {
    let (sim, _) = sim(2, 10).await;
    sim.set_faults(Faults {
        latency_ms: 400,
        ..Faults::default()
    });
    let connector = connector_to(&sim.base_url(), |c| {
        c.request_timeout = std::time::Duration::from_millis(100);
        c.retry.max_attempts = 3;
    });
    let (_, result) = fetch_all(
        &connector,
        &sim_creds(&sim, KeyType::Main),
        &spec("api.twilio.com", MESSAGES),
    )
    .await;
    let failed = result.unwrap_err();
    assert_eq!((failed.ledger.requests, failed.ledger.retries), (3, 2));
    let message = failed.error.to_string();
    assert!(
        message.contains("did not answer in time") && message.contains("after 3 attempts"),
        "{message}"
    );
}
