//! `switchboard fetch CONNECTION PATH` through a saved connection, against the simulator.

mod support;

use support::{add_main_connection, ok, scratch_dir, small_sim, switchboard, text};

#[tokio::test(flavor = "multi_thread")]
async fn fetch_walks_every_page_of_a_window_through_a_saved_connection() {
    let sim = small_sim().await;
    let dir = scratch_dir("fetch");
    tokio::task::block_in_place(|| add_main_connection(&dir, &sim, &[]));
    // Expected: messages of the main account sent on 2026-03-10 (UTC), read from the dump.
    let dump = serde_json::to_value(sim.dataset()).expect("dump");
    let day_start: jiff::Timestamp = "2026-03-10T00:00:00Z".parse().expect("instant");
    let day_end: jiff::Timestamp = "2026-03-11T00:00:00Z".parse().expect("instant");
    let expected = dump["accounts"][0]["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["date_sent"].as_str())
        .filter_map(|d| jiff::fmt::rfc2822::parse(d).ok())
        .map(|z| z.timestamp())
        .filter(|t| *t >= day_start && *t < day_end)
        .count();
    assert!(expected > 5, "the day must hold several messages");

    let pages = tokio::task::block_in_place(|| {
        ok(
            &dir,
            &sim,
            &[
                "fetch",
                "prod",
                "/2010-04-01/Accounts/{AccountSid}/Messages.json",
                "-p",
                "PageSize=5",
                "-p",
                "DateSent>={{date_from|iso}}",
                "-p",
                "DateSent<={{date_to|iso}}",
                "--from",
                "2026-03-10",
                "--to",
                "2026-03-10T23:59:59Z",
                "--jsonl",
            ],
        )
    });
    let lines: Vec<serde_json::Value> = pages
        .lines()
        .map(|l| serde_json::from_str(l).expect("a page per line"))
        .collect();
    assert!(lines.len() > 1, "PageSize=5 must take several pages");
    let got: usize = lines
        .iter()
        .map(|p| p["messages"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(got, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_refuses_a_path_that_leaves_twilio_before_any_request() {
    let sim = small_sim().await;
    let dir = scratch_dir("fetch-hostile");
    tokio::task::block_in_place(|| add_main_connection(&dir, &sim, &[]));
    sim.clear_request_log();
    for path in [
        "https://evil.example/x",
        "//evil.example/x",
        "/2010-04-01/../../etc",
    ] {
        let out =
            tokio::task::block_in_place(|| switchboard(&dir, &sim, &["fetch", "prod", path], ""));
        assert!(!out.status.success(), "{path} must be refused");
        assert!(text(&out).contains("path"), "{}", text(&out));
    }
    assert!(sim.request_log().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn fetch_refuses_any_method_but_get() {
    let sim = small_sim().await;
    let dir = scratch_dir("fetch-post");
    tokio::task::block_in_place(|| add_main_connection(&dir, &sim, &[]));
    let out = tokio::task::block_in_place(|| {
        switchboard(
            &dir,
            &sim,
            &["fetch", "prod", "/2010-04-01/Accounts.json", "-X", "POST"],
            "",
        )
    });
    assert!(!out.status.success());
    assert!(text(&out).contains("only reads"), "{}", text(&out));
}
