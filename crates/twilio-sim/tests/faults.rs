mod support;

use std::time::{Duration, Instant};

use support::*;
use twilio_sim::{DayRange, Faults, SlowBody};

fn balance_path(sim: &twilio_sim::SimHandle) -> String {
    format!("/2010-04-01/Accounts/{}/Balance.json", main_sid(sim))
}

#[tokio::test]
async fn concurrency_limit_answers_429_20429_past_the_limit() {
    let sim = start().await;
    sim.set_faults(Faults {
        concurrency_limit: Some(2),
        latency_ms: 400,
        ..Faults::default()
    });
    let path = balance_path(&sim);
    let replies = futures::future::join_all((0..6).map(|_| api(&sim, &path))).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let limited: Vec<_> = replies.iter().filter(|r| r.status == 429).collect();
    assert_eq!(ok + limited.len(), 6);
    assert_eq!(
        ok, 2,
        "exactly the limit succeeds while the others are in flight"
    );
    for r in &limited {
        assert_error(r, 429, 20429);
        assert!(r.headers.get("retry-after").is_none());
    }
    assert!(
        sim.peak_concurrency() >= 3,
        "peak {}",
        sim.peak_concurrency()
    );
}

#[tokio::test]
async fn in_flight_count_drops_when_requests_finish() {
    let sim = start().await;
    sim.set_faults(Faults {
        concurrency_limit: Some(1),
        ..Faults::default()
    });
    let path = balance_path(&sim);
    for _ in 0..5 {
        assert_eq!(api(&sim, &path).await.status, 200);
    }
    assert_eq!(sim.peak_concurrency(), 1);
}

#[tokio::test]
async fn retry_after_is_sent_only_when_switched_on() {
    let sim = start().await;
    let path = balance_path(&sim);
    sim.set_faults(Faults {
        rate_429: 1.0,
        ..Faults::default()
    });
    let r = api(&sim, &path).await;
    assert_error(&r, 429, 20429);
    assert!(r.headers.get("retry-after").is_none());
    sim.set_faults(Faults {
        rate_429: 1.0,
        retry_after_secs: Some(7),
        ..Faults::default()
    });
    let r = api(&sim, &path).await;
    assert_error(&r, 429, 20429);
    assert_eq!(r.headers["retry-after"], "7");
}

#[tokio::test]
async fn random_500_and_503_shares_answer_twilio_errors() {
    let sim = start().await;
    let path = balance_path(&sim);
    sim.set_faults(Faults {
        rate_500: 1.0,
        ..Faults::default()
    });
    assert_error(&api(&sim, &path).await, 500, 20500);
    sim.set_faults(Faults {
        rate_503: 1.0,
        ..Faults::default()
    });
    assert_error(&api(&sim, &path).await, 503, 20503);
    // A share in between gives a mix.
    sim.set_faults(Faults {
        rate_500: 0.5,
        ..Faults::default()
    });
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(api(&sim, &path).await.status);
    }
    let errors = statuses.iter().filter(|s| **s == 500).count();
    assert!(
        (5..=35).contains(&errors),
        "{errors} of 40 were 500 at a 0.5 share"
    );
    assert!(statuses.iter().all(|s| *s == 200 || *s == 500));
}

#[tokio::test]
async fn latency_delays_each_answer() {
    let sim = start().await;
    let path = balance_path(&sim);
    sim.set_faults(Faults {
        latency_ms: 250,
        jitter_ms: 100,
        ..Faults::default()
    });
    let t = Instant::now();
    assert_eq!(api(&sim, &path).await.status, 200);
    let e = t.elapsed();
    assert!(e >= Duration::from_millis(250), "{e:?}");
    assert!(e < Duration::from_millis(2000), "{e:?}");
}

#[tokio::test]
async fn malformed_bodies_are_invalid_json_with_status_200() {
    let sim = start().await;
    sim.set_faults(Faults {
        malformed_rate: 1.0,
        ..Faults::default()
    });
    let r = api(&sim, &balance_path(&sim)).await;
    assert_eq!(r.status, 200);
    assert!(
        serde_json::from_str::<serde_json::Value>(&r.text).is_err(),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn truncated_bodies_are_cut_short() {
    let sim = start().await;
    let path = format!(
        "/2010-04-01/Accounts/{}/Messages.json?PageSize=20",
        main_sid(&sim)
    );
    let full = api(&sim, &path).await.text;
    sim.set_faults(Faults {
        truncated_rate: 1.0,
        ..Faults::default()
    });
    let r = api(&sim, &path).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text.len(), full.len() / 2);
    assert!(full.starts_with(&r.text));
    assert!(serde_json::from_str::<serde_json::Value>(&r.text).is_err());
}

#[tokio::test]
async fn slow_body_trickles_and_stays_in_flight_until_sent() {
    let sim = start().await;
    let path = balance_path(&sim);
    let full = api(&sim, &path).await.text;
    sim.set_faults(Faults {
        slow_body: Some(SlowBody {
            chunk_bytes: 10,
            interval_ms: 20,
        }),
        concurrency_limit: Some(1),
        ..Faults::default()
    });
    let t = Instant::now();
    let (slow, second) = tokio::join!(api(&sim, &path), async {
        tokio::time::sleep(Duration::from_millis(60)).await;
        api(&sim, &path).await
    });
    let chunks = full.len().div_ceil(10) as u64;
    assert!(
        t.elapsed() >= Duration::from_millis(20 * (chunks - 1)),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(slow.text, full);
    // The slow body still counts against the limit while it trickles.
    assert_error(&second, 429, 20429);
}

#[tokio::test]
async fn usage_daily_404_hits_only_overlapping_ranges() {
    let sim = start().await;
    let acct = main_sid(&sim);
    sim.set_faults(Faults {
        usage_daily_404: vec![DayRange {
            start: "2026-02-10".parse().unwrap(),
            end: "2026-02-12".parse().unwrap(),
        }],
        ..Faults::default()
    });
    let daily = |s: &str, e: &str| {
        format!("/2010-04-01/Accounts/{acct}/Usage/Records/Daily.json?StartDate={s}&EndDate={e}")
    };
    let hit = api(&sim, &daily("2026-02-12", "2026-02-20")).await;
    assert_error(&hit, 404, 20404);
    assert_eq!(
        hit.json()["message"],
        "The requested resource was not found"
    );
    assert_eq!(
        api(&sim, &daily("2026-02-13", "2026-02-20")).await.status,
        200
    );
    assert_eq!(
        api(&sim, &daily("2026-02-01", "2026-02-09")).await.status,
        200
    );
    let monthly = api(
        &sim,
        &format!("/2010-04-01/Accounts/{acct}/Usage/Records/Monthly.json?StartDate=2026-02-10"),
    )
    .await;
    assert_eq!(monthly.status, 200);
}

#[tokio::test]
async fn admin_endpoint_sets_faults_and_rejects_bad_ones() {
    let sim = start().await;
    let c = client();
    let url = format!("{}/__sim/faults", sim.base_url());
    let put = c
        .put(&url)
        .body(r#"{"rate_503": 1.0}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 200);
    assert_error(&api(&sim, &balance_path(&sim)).await, 503, 20503);
    let got: Faults = c.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        got,
        Faults {
            rate_503: 1.0,
            ..Faults::default()
        }
    );
    for bad in [
        r#"{"rate_429": 2}"#,
        r#"{"nonsense": 1}"#,
        "not json",
        r#"{"concurrency_limit": 0}"#,
        r#"{"latency_ms": 18446744073709551615}"#,
        r#"{"slow_body": {"chunk_bytes": 1, "interval_ms": 99999999}}"#,
    ] {
        let r = c.put(&url).body(bad).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 400, "{bad}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    // The bad bodies changed nothing.
    assert_error(&api(&sim, &balance_path(&sim)).await, 503, 20503);
}

#[tokio::test]
async fn request_log_reports_each_request_and_clears() {
    let sim = start().await;
    let acct = main_sid(&sim);
    api(
        &sim,
        &format!("/2010-04-01/Accounts/{acct}/Messages.json?DateSent%3E=2026-03-01&PageSize=3"),
    )
    .await;
    get(&sim, "monitor.twilio.com", "/v1/Alerts", Cred::None).await;
    let c = client();
    let log: serde_json::Value = c
        .get(format!("{}/__sim/requests", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reqs = log["requests"].as_array().unwrap();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0]["host"], "api.twilio.com");
    assert_eq!(
        reqs[0]["path"],
        format!("/2010-04-01/Accounts/{acct}/Messages.json")
    );
    assert_eq!(reqs[0]["query"], "DateSent%3E=2026-03-01&PageSize=3");
    assert_eq!(reqs[0]["status"], 200);
    assert_eq!(reqs[0]["account_sid"], acct);
    assert_eq!(reqs[1]["host"], "monitor.twilio.com");
    assert_eq!(reqs[1]["status"], 401);
    assert_eq!(log["peak_concurrency"], 1);
    let cleared = c
        .post(format!("{}/__sim/requests/clear", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status().as_u16(), 204);
    assert!(sim.request_log().is_empty());
    assert_eq!(sim.peak_concurrency(), 0);
    let creds: serde_json::Value = c
        .get(format!("{}/__sim/credentials", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(creds[0]["account_sid"], acct);
    assert_eq!(creds[0]["keys"][0]["key_type"], "Main");
}
