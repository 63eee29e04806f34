//! Goals, alerts, channels and scorecards end to end on the simulator's data: a real webhook
//! receiver and a real SMTP server on loopback, values checked against the simulator's dump.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use jiff::Timestamp;
use serde_json::{Value, json};
use store::{AnyStore, MetricId, SqliteStore, Store as _, WatchStore as _};
use support::*;
use test_support::smtp::SmtpServer;
use test_support::webhook::WebhookReceiver;
use web::{App, AppState, StoreAccounts, WebConfig};

const HOUR: i64 = 3_600_000;

/// An app whose channels may reach loopback receivers.
async fn app() -> TestApp {
    let dir = std::env::temp_dir().join(format!(
        "sb-watch-{}-{}",
        std::process::id(),
        web::accounts::random_token()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Arc::new(AnyStore::Sqlite(
        SqliteStore::open_dir(&dir, key()).await.unwrap(),
    ));
    let state = AppState::new(
        Arc::clone(&store),
        connector(),
        Arc::new(StoreAccounts::new(store)),
        WebConfig {
            allow_loopback_channels: true,
            ..WebConfig::default()
        },
    );
    TestApp {
        dir,
        router: App::build(state.clone()),
        state,
    }
}

fn sender() -> notify::Sender {
    notify::Sender::new(notify::Policy {
        allow_loopback: true,
        ..notify::Policy::default()
    })
    .unwrap()
}

async fn sync_now(app: &TestApp, id: MetricId) {
    let syncer = metric_sync::Syncer::new(
        Arc::clone(app.state.store()),
        connector(),
        metric_sync::SyncConfig::default(),
    );
    let report = syncer.sync_metric(id, Timestamp::now()).await.unwrap();
    assert!(report.error().is_none(), "{:?}", report.error());
}

fn rfc2822_ms(v: &Value, field: &str) -> Option<i64> {
    let s = v.get(field)?.as_str()?;
    Some(
        jiff::fmt::rfc2822::parse(s)
            .unwrap()
            .timestamp()
            .as_millisecond(),
    )
}

/// Outbound messages per UTC hour (dated when sent, else when created), from the dump: what
/// the library's "Messages sent" counts.
fn sent_per_hour() -> BTreeMap<i64, f64> {
    let mut out = BTreeMap::new();
    for m in shared().dump["accounts"][0]["messages"].as_array().unwrap() {
        if m["direction"].as_str() == Some("inbound") {
            continue;
        }
        let at = rfc2822_ms(m, "date_sent")
            .or_else(|| rfc2822_ms(m, "date_created"))
            .unwrap();
        *out.entry(at.div_euclid(HOUR) * HOUR).or_insert(0.0) += 1.0;
    }
    out
}

/// The body of a weekly, repeating "reach `target`" goal on `metric`, summed in UTC.
fn weekly_goal(name: &str, metric: i64, target: f64, start: jiff::civil::Date) -> Value {
    json!({"name": name, "metric_id": metric, "spec": {
        "goal": {"target": target, "criterion": "reach", "trend": "up",
                 "period": {"kind": "calendar", "unit": "week", "start": start.to_string(), "repeat": true}},
        "aggregation": "sum", "zone": "UTC"}})
}

async fn setup(app: &TestApp) -> (Session, String, store::StoredMetric) {
    let admin = app.admin().await;
    let token = app.token(&admin).await;
    let m = app
        .add_connection_and_library_metric(&admin, "prod", "messages-sent")
        .await;
    sync_now(app, m.id).await;
    (admin, token, m)
}

#[tokio::test]
async fn an_alert_fires_once_per_breach_keeps_its_cool_down_and_resolves() {
    let app = app().await;
    let (_admin, token, m) = setup(&app).await;
    let rx = WebhookReceiver::start().await;
    let ch = app
        .api(
            Method::POST,
            "/api/v1/channels",
            Some(&token),
            Some(json!({"name": "hook", "config": {"kind": "webhook", "url": rx.url("/alerts")}, "secret": "whsec-1"})),
        )
        .await;
    assert_eq!(ch.status, StatusCode::CREATED, "{}", ch.body);
    assert_eq!(ch.json()["channel"]["has_secret"], true);
    assert!(!ch.body.contains("whsec-1"), "the secret never comes back");
    let ch_id = ch.json()["channel"]["id"].as_i64().unwrap();

    // Breached when the last complete hour had a message sent; a 6-hour cool-down.
    let counts = sent_per_hour();
    let c = |h: i64| counts.get(&h).copied().unwrap_or(0.0);
    let now_hour = Timestamp::now().as_millisecond().div_euclid(HOUR) * HOUR;
    let first = *counts.keys().next().unwrap();
    // A breach of two hours, a clear hour, a breach inside the cool-down, and a later breach
    // after it: H, H+1 sent; H+2 none; H+3 sent; T-1 sent with T >= H+7.
    let (h, t) = (first + HOUR..now_hour - 12 * HOUR)
        .step_by(HOUR as usize)
        .find_map(|h| {
            let ok =
                c(h) > 0.0 && c(h + HOUR) > 0.0 && c(h + 2 * HOUR) == 0.0 && c(h + 3 * HOUR) > 0.0;
            let t = (7..12).map(|k| h + k * HOUR).find(|&t| c(t - HOUR) > 0.0)?;
            ok.then_some((h, t))
        })
        .expect("the simulator's data has the pattern");

    let created = app
        .api(
            Method::POST,
            "/api/v1/alerts",
            Some(&token),
            Some(json!({
                "name": "Messages sent in the last hour",
                "metric_id": m.id.0,
                "spec": {"watch": "value", "zone": "UTC", "rule": {
                    "aggregation": "sum", "dimension": null,
                    "condition": {"kind": "above", "threshold": 0.5},
                    "range": "last_hour", "cooldown": "PT6H"}},
                "channels": [ch_id],
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let alert_id = created.json()["alert"]["id"].as_i64().unwrap();

    let store = app.state.store().as_ref();
    let tick = |at: i64| async move {
        app::evaluate::tick(store, &sender(), notify::Backoff::default(), at + 60_000)
            .await
            .unwrap()
    };
    let events = || rx.received().iter().map(|r| r.json()).collect::<Vec<_>>();

    let r = tick(h + HOUR).await;
    assert_eq!((r.fired, r.deliveries.sent), (1, 1), "{r:?}");
    assert_eq!(events()[0]["event"], "alert.fired");
    assert_eq!(events()[0]["data"]["current"], c(h));
    tick(h + 2 * HOUR).await;
    assert_eq!(events().len(), 1, "still breached: no second message");
    let r = tick(h + 3 * HOUR).await;
    assert_eq!(r.resolved, 1);
    assert_eq!(events()[1]["event"], "alert.resolved");
    assert_eq!(events()[1]["data"]["current"], 0.0);
    tick(h + 4 * HOUR).await;
    assert_eq!(
        events().len(),
        2,
        "a new breach inside the cool-down stays quiet"
    );
    let r = tick(t).await;
    assert_eq!(r.fired, 1, "after the cool-down a breach fires again");
    assert_eq!(events().len(), 3);
    assert_eq!(events()[2]["data"]["current"], c(t - HOUR));

    // Every webhook is signed with the channel's key.
    for got in rx.received() {
        let ts = got.header(notify::TIMESTAMP_HEADER).unwrap();
        let sig = got.header(notify::SIGNATURE_HEADER).unwrap();
        let now_s: i64 = ts.parse().unwrap();
        assert_eq!(
            notify::verify(
                &domain::Secret::new("whsec-1"),
                &ts,
                &got.body,
                &sig,
                now_s,
                300
            ),
            Ok(())
        );
    }

    let history = app
        .api(
            Method::GET,
            &format!("/api/v1/alerts/{alert_id}/history"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.body);
    let kinds: Vec<String> = history.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["fired", "resolved", "fired"]);
    assert_eq!(history.json()["events"][2]["current"], c(h));
    assert_eq!(history.json()["deliveries"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_backtest_counts_the_breaches_in_the_stored_history() {
    let app = app().await;
    let (_admin, token, m) = setup(&app).await;
    let counts = sent_per_hour();
    let c = |h: i64| counts.get(&h).copied().unwrap_or(0.0);
    let now_hour = Timestamp::now().as_millisecond().div_euclid(HOUR) * HOUR;
    let (from, to) = (now_hour - 72 * HOUR, now_hour - HOUR);
    // Evaluated hourly from `from` to `to`, each evaluation sees the hour before it; with no
    // cool-down a firing starts every run of hours with a message sent.
    let mut expected = 0;
    let mut was = false;
    let mut t = from;
    while t <= to {
        let now = c(t - HOUR) > 0.0;
        if now && !was {
            expected += 1;
        }
        was = now;
        t += HOUR;
    }
    let r = app
        .api(
            Method::POST,
            "/api/v1/alerts/backtest",
            Some(&token),
            Some(json!({
                "metric_id": m.id.0,
                "rule": {"aggregation": "sum", "dimension": null,
                         "condition": {"kind": "above", "threshold": 0.5},
                         "range": "last_hour", "cooldown": "PT0S"},
                "from": Timestamp::from_millisecond(from).unwrap(),
                "to": Timestamp::from_millisecond(to).unwrap(),
            })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let report = &r.json()["backtest"];
    assert_eq!(report["evaluations"], 72);
    assert!(expected > 0);
    assert_eq!(report["firings"].as_array().unwrap().len(), expected);

    // A viewer may back-test and read, not create.
    app.user("vic", web::Role::Viewer).await;
    let vic = app.login("vic").await;
    let vtoken = app.token(&vic).await;
    let refused = app
        .api(
            Method::POST,
            "/api/v1/alerts",
            Some(&vtoken),
            Some(json!({"name": "x", "metric_id": m.id.0, "spec": {"watch": "sync", "builtin": {"kind": "sync_failed"}}})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let listed = app
        .api(Method::GET, "/api/v1/alerts", Some(&vtoken), None)
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    let channel = app
        .api(
            Method::POST,
            "/api/v1/channels",
            Some(&vtoken),
            Some(json!({"name": "x", "config": {"kind": "slack"}, "secret": "https://hooks.slack.com/x"})),
        )
        .await;
    assert_eq!(channel.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_scorecard_email_holds_the_values_of_the_simulators_data() {
    let app = app().await;
    let (_admin, token, m) = setup(&app).await;
    let smtp = SmtpServer::start().await;
    let ch = app
        .api(
            Method::POST,
            "/api/v1/channels",
            Some(&token),
            Some(json!({"name": "mail", "config": {
                "kind": "email", "host": "127.0.0.1", "port": smtp.port(), "tls": "none",
                "from": "switchboard@example.com", "to": ["ops@example.com"]}})),
        )
        .await;
    assert_eq!(ch.status, StatusCode::CREATED, "{}", ch.body);
    let ch_id = ch.json()["channel"]["id"].as_i64().unwrap();
    let test = app
        .api(
            Method::POST,
            &format!("/api/v1/channels/{ch_id}/test"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(test.json()["sent"], true, "{}", test.body);
    assert_eq!(smtp.wait_for(1, 5).await.len(), 1);

    let created = app
        .api(
            Method::POST,
            "/api/v1/scorecards",
            Some(&token),
            Some(json!({
                "name": "Daily digest",
                "spec": {"schedule": {"frequency": {"kind": "daily"}, "at": "00:30:00"}, "zone": "UTC",
                         "metrics": [{"metric_id": m.id.0, "aggregation": "sum",
                                      "baseline": {"kind": "previous_period"}, "trend": "up"}]},
                "channels": [ch_id],
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let sc_id = store::ScorecardId(created.json()["scorecard"]["id"].as_i64().unwrap());

    // Make today's 00:30 run due: it reports yesterday, a whole day of the dump.
    let store = app.state.store().as_ref();
    let today = Timestamp::now().as_millisecond().div_euclid(24 * HOUR) * 24 * HOUR;
    let sc = store.scorecard(sc_id).await.unwrap();
    store
        .update_scorecard(
            sc_id,
            &store::NewScorecard {
                name: sc.name.clone(),
                spec: sc.spec.clone(),
                channels: sc.channels.clone(),
            },
            today + HOUR / 2,
            0,
        )
        .await
        .unwrap();
    // Evaluated just after that run, also when the test itself runs before 00:30 UTC.
    let at = Timestamp::now()
        .as_millisecond()
        .max(today + HOUR / 2 + 60_000);
    let r = app::evaluate::tick(store, &sender(), notify::Backoff::default(), at)
        .await
        .unwrap();
    assert_eq!((r.scorecards_sent, r.deliveries.sent), (1, 1), "{r:?}");

    let counts = sent_per_hour();
    let day = |start: i64| -> f64 { counts.range(start..start + 24 * HOUR).map(|(_, v)| v).sum() };
    let (yesterday, before) = (day(today - 24 * HOUR), day(today - 48 * HOUR));
    let mails = smtp.wait_for(2, 5).await;
    let mail = &mails[1];
    let text = mail.part("text/plain").unwrap();
    let pct = (yesterday - before) / before * 100.0;
    // Counts print with thousands separators, the change signed with one decimal, as on the
    // Metrics screen and boards (written out here rather than through the shared formatter).
    let thousands = |v: f64| {
        let digits = format!("{v:.0}");
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    let change = match format!("{pct:+.1}%").as_str() {
        "+0.0%" | "-0.0%" => "0.0%".to_owned(),
        other => other.to_owned(),
    };
    let (shown, shown_before) = (thousands(yesterday), thousands(before));
    let line = format!("Messages sent: {shown} ({change} vs previous period ({shown_before}))");
    assert!(text.contains(&line), "expected {line:?} in:\n{text}");
    let html = mail.part("text/html").unwrap();
    assert!(
        html.contains(&format!("<strong>{shown}</strong>")),
        "{html}"
    );
    let colour = if yesterday >= before {
        "#1a7f37"
    } else {
        "#cf222e"
    };
    assert!(yesterday == before || html.contains(colour), "{html}");
    // Each chart the HTML shows is an inline PNG part of the same email.
    let cids: Vec<&str> = html
        .match_indices("src=\"cid:")
        .map(|(at, m)| html[at + m.len()..].split('"').next().unwrap())
        .collect();
    assert_eq!(cids.len(), 1, "one trend chart per metric: {html}");
    let images = mail.binary_parts("image/png");
    assert_eq!(images.len(), cids.len(), "{}", mail.data);
    for cid in cids {
        let (_, png) = images
            .iter()
            .find(|(c, _)| c == cid)
            .unwrap_or_else(|| panic!("no image/png part with Content-ID {cid}"));
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert!(width > 0 && height > 0, "{width}×{height}");
    }
    // The next run moved to tomorrow.
    assert_eq!(
        store.scorecard(sc_id).await.unwrap().next_run_ms,
        today + 24 * HOUR + HOUR / 2
    );
}

#[tokio::test]
async fn a_goal_shows_progress_pace_and_projection_and_keeps_history() {
    let app = app().await;
    let (_admin, token, m) = setup(&app).await;
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date();
    let created = app
        .api(
            Method::POST,
            "/api/v1/goals",
            Some(&token),
            Some(weekly_goal("Messages this week", m.id.0, 500.0, today)),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let g = &created.json()["goal"];
    let p = &g["progress"];
    let period_start: Timestamp = p["period"]["start"].as_str().unwrap().parse().unwrap();
    let period_end: Timestamp = p["period"]["end"].as_str().unwrap().parse().unwrap();
    assert_eq!(period_end.duration_since(period_start).as_hours(), 7 * 24);
    let counts = sent_per_hour();
    let so_far: f64 = counts
        .range(period_start.as_millisecond()..)
        .map(|(_, v)| v)
        .sum();
    assert_eq!(p["current"].as_f64().unwrap(), so_far);
    let elapsed = p["elapsed"].as_f64().unwrap();
    assert!((p["expected"].as_f64().unwrap() - 500.0 * elapsed).abs() < 1e-6);
    // With the 90 days the first sync backfills, the series has a model and the goal
    // projects with its forecast (from what is already there, with a band around it); a
    // series without one paces on a straight line.
    let projection = p["projection"].as_f64().unwrap();
    match p["basis"].as_str() {
        Some("forecast") => {
            let band = &p["projection_band"];
            let (lo, hi) = (band[0].as_f64().unwrap(), band[1].as_f64().unwrap());
            assert!(
                projection >= so_far - 1e-9 && lo <= projection && projection <= hi,
                "{p}"
            );
        }
        Some("pace") if elapsed > 0.0 => {
            assert!((projection - so_far / elapsed).abs() < 1e-6, "{p}");
        }
        other => panic!("basis {other:?}: {p}"),
    }
    let id = g["id"].as_i64().unwrap();
    app::evaluate::tick(
        app.state.store().as_ref(),
        &sender(),
        notify::Backoff::default(),
        Timestamp::now().as_millisecond(),
    )
    .await
    .unwrap();
    let h = app
        .api(
            Method::GET,
            &format!("/api/v1/goals/{id}/history"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.body);
    assert_eq!(h.json()["periods"][0]["value"].as_f64().unwrap(), so_far);
}

#[tokio::test]
async fn the_screens_create_a_goal_an_alert_after_a_backtest_a_scorecard_and_show_history() {
    let app = app().await;
    let (admin, _token, m) = setup(&app).await;
    let metric = m.id.0.to_string();
    let csrf = admin.csrf.clone();
    let rx = WebhookReceiver::start().await;

    let saved = app
        .post_form(
            "/channels",
            Some(&admin),
            &[
                ("csrf", &csrf),
                ("name", "hook"),
                ("kind", "webhook"),
                ("url", &rx.url("/h")),
                ("secret", "k1"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(flash(&saved).is_some_and(|f| f.0), "{:?}", saved.location());
    let page = app.get("/channels", Some(&admin)).await;
    assert!(
        page.body.contains("sealed") && !page.body.contains("k1"),
        "{}",
        page.body
    );

    let today = Timestamp::now().strftime("%Y-%m-%d").to_string();
    let saved = app
        .post_form(
            "/goals",
            Some(&admin),
            &[
                ("csrf", &csrf),
                ("name", "Monthly sends"),
                ("metric", &metric),
                ("target", "1000"),
                ("criterion", "reach"),
                ("trend", "up"),
                ("aggregation", "sum"),
                ("unit", "month"),
                ("start", &today),
                ("repeat", "on"),
                ("zone", "Europe/Ljubljana"),
            ],
        )
        .await;
    assert!(flash(&saved).is_some_and(|f| f.0), "{:?}", saved.location());
    let goals = app.get("/goals", Some(&admin)).await;
    assert!(
        goals.body.contains("Monthly sends") && goals.body.contains("badge"),
        "{}",
        goals.body
    );

    let alert_fields = |extra: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("name", "Busy hour".to_owned()),
            ("metric", metric.clone()),
            ("aggregation", "sum".to_owned()),
            ("condition", "above".to_owned()),
            ("value", "0.5".to_owned()),
            ("range", "last_hour".to_owned()),
            ("cooldown_hours", extra.to_owned()),
            ("silent", "on".to_owned()),
        ]
    };
    let fields = alert_fields("0");
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let bt = app.post_form("/alerts/backtest", Some(&admin), &f).await;
    assert_eq!(bt.status, StatusCode::OK, "{}", bt.body);
    assert!(bt.body.contains("would have fired"), "{}", bt.body);
    assert!(
        bt.body.contains("value=\"Busy hour\""),
        "the form keeps what was typed"
    );
    let saved = app.post_form("/alerts", Some(&admin), &f).await;
    assert!(flash(&saved).is_some_and(|f| f.0), "{:?}", saved.location());
    let alert = app.state.store().list_alerts().await.unwrap().remove(0);
    // A firing shows in the history page.
    let counts = sent_per_hour();
    let h = *counts.iter().rev().find(|(_, v)| **v > 0.0).unwrap().0;
    app::evaluate::tick(
        app.state.store().as_ref(),
        &sender(),
        notify::Backoff::default(),
        h + HOUR + 60_000,
    )
    .await
    .unwrap();
    let hist = app
        .get(&format!("/alerts/{}", alert.id.0), Some(&admin))
        .await;
    assert!(hist.body.contains("badge fired"), "{}", hist.body);

    let saved = app
        .post_form(
            "/scorecards",
            Some(&admin),
            &[
                ("csrf", &csrf),
                ("name", "Morning"),
                ("frequency", "weekly"),
                ("weekday", "monday"),
                ("monthday", "1"),
                ("at", "08:00"),
                ("zone", "UTC"),
                ("baseline", "previous_period"),
                ("metric", &metric),
            ],
        )
        .await;
    assert!(flash(&saved).is_some_and(|f| f.0), "{:?}", saved.location());
    let cards = app.get("/scorecards", Some(&admin)).await;
    assert!(
        cards.body.contains("weekly on Monday at 08:00 UTC"),
        "{}",
        cards.body
    );

    let goal = app.state.store().list_goals().await.unwrap().remove(0);
    let gh = app
        .get(&format!("/goals/{}", goal.id.0), Some(&admin))
        .await;
    assert_eq!(gh.status, StatusCode::OK);
    assert!(gh.body.contains("goal-history"), "{}", gh.body);

    // A form without the session's CSRF token is refused.
    let forged = app
        .post_form("/goals", Some(&admin), &[("csrf", "nope"), ("name", "x")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_alert_on_a_metric_or_channel_that_does_not_exist_is_refused_naming_the_field() {
    let app = app().await;
    let (_admin, token, m) = setup(&app).await;
    let missing = m.id.0 + 1_000;
    let alert = app
        .api(
            Method::POST,
            "/api/v1/alerts",
            Some(&token),
            Some(json!({"metric_id": missing, "name": "stale",
                "spec": {"watch": "sync", "builtin": {"kind": "stale", "after_ms": HOUR}}})),
        )
        .await;
    assert_eq!(
        alert.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        alert.body
    );
    assert_eq!(alert.json()["error"]["field"], "metric_id");
    assert!(
        alert.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("metric {missing} does not exist")),
        "{}",
        alert.body
    );
    let alerts = app
        .api(Method::GET, "/api/v1/alerts", Some(&token), None)
        .await;
    assert!(
        !alerts.body.contains("\"stale\""),
        "nothing was saved: {}",
        alerts.body
    );
}

#[tokio::test]
async fn a_metric_an_alert_watches_is_not_deleted_until_the_alert_goes() {
    let app = app().await;
    let (_admin, token, m) = setup(&app).await;
    let alert = app
        .api(
            Method::POST,
            "/api/v1/alerts",
            Some(&token),
            Some(
                json!({"metric_id": m.id.0, "name": "sync broke", "silent": true,
                "spec": {"watch": "sync", "builtin": {"kind": "sync_failed"}}}),
            ),
        )
        .await;
    assert_eq!(alert.status, StatusCode::CREATED, "{}", alert.body);
    let alert_id = alert.json()["alert"]["id"].as_i64().unwrap();
    let metric_url = format!("/api/v1/metrics/{}", m.id.0);

    let refused = app
        .api(Method::DELETE, &metric_url, Some(&token), None)
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(
        refused.body.contains("alert 'sync broke'"),
        "{}",
        refused.body
    );
    let still = app.api(Method::GET, &metric_url, Some(&token), None).await;
    assert_eq!(still.status, StatusCode::OK, "the metric is kept");

    let gone = app
        .api(
            Method::DELETE,
            &format!("/api/v1/alerts/{alert_id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.body);
    let deleted = app
        .api(Method::DELETE, &metric_url, Some(&token), None)
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
}

#[tokio::test]
async fn a_scorecard_row_compares_with_a_stored_goal_of_its_metric() {
    let app = app().await;
    let (_admin, token, m) = setup(&app).await;
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date();
    let target = 40.0;
    let goal = app
        .api(
            Method::POST,
            "/api/v1/goals",
            Some(&token),
            Some(weekly_goal("Daily sends", m.id.0, target, today)),
        )
        .await;
    assert_eq!(goal.status, StatusCode::CREATED, "{}", goal.body);
    let goal_id = goal.json()["goal"]["id"].as_i64().unwrap();
    let card = |goal_id: i64| {
        json!({
            "name": "Against the goal",
            "spec": {"schedule": {"frequency": {"kind": "daily"}, "at": "00:30:00"}, "zone": "UTC",
                     "metrics": [{"metric_id": m.id.0, "aggregation": "sum",
                                  "baseline": {"kind": "stored_goal", "goal_id": goal_id}, "trend": "up"}]},
        })
    };
    let unknown = app
        .api(
            Method::POST,
            "/api/v1/scorecards",
            Some(&token),
            Some(card(goal_id + 100)),
        )
        .await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.body
    );
    let created = app
        .api(
            Method::POST,
            "/api/v1/scorecards",
            Some(&token),
            Some(card(goal_id)),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.json()["scorecard"]["id"].as_i64().unwrap();

    // A run today reports yesterday: its value against the goal's target.
    let day_ms = 24 * HOUR;
    let midnight = Timestamp::now().as_millisecond().div_euclid(day_ms) * day_ms;
    let at = Timestamp::from_millisecond(midnight + HOUR).unwrap();
    let preview = app
        .api(
            Method::GET,
            &format!("/api/v1/scorecards/{id}/preview?at={at}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let row = &preview.json()["rows"][0]["row"];
    let yesterday: f64 = sent_per_hour()
        .range(midnight - day_ms..midnight)
        .map(|(_, v)| v)
        .sum();
    assert_eq!(row["value"].as_f64().unwrap(), yesterday);
    assert_eq!(row["change"]["previous"].as_f64().unwrap(), target);
    let pct = row["change"]["percent"].as_f64().unwrap();
    assert!(
        (pct - (yesterday - target) / target * 100.0).abs() < 1e-9,
        "{pct}"
    );
}

#[tokio::test]
async fn the_sync_health_form_adds_the_built_in_alerts_and_a_failed_sync_fires_one() {
    let app = app().await;
    let (admin, token, m) = setup(&app).await;
    let form = [
        ("csrf", admin.csrf.as_str()),
        ("metric", "all"),
        ("failed", "on"),
        ("stale", "on"),
        ("stale_hours", "6"),
        ("page_cap", "on"),
        ("silent", "on"),
    ];
    let r = app.post_form("/alerts/sync", Some(&admin), &form).await;
    assert!(flash(&r).is_some_and(|f| f.0), "{:?}", r.location());
    let store = app.state.store();
    let mut names: Vec<String> = store
        .list_alerts()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    names.sort();
    let expected: Vec<String> = ["hit the page cap", "stale", "sync failed"]
        .iter()
        .map(|w| format!("{}: {w}", m.name))
        .collect();
    assert_eq!(names, expected, "every metric in use gets the three");
    let again = app.post_form("/alerts/sync", Some(&admin), &form).await;
    assert!(
        flash(&again).is_some_and(|(_, t)| t.contains("exist")),
        "{:?}",
        flash(&again)
    );
    assert_eq!(store.list_alerts().await.unwrap().len(), 3, "no duplicates");

    // The next sync fails: the failed-sync alert fires, the others stay quiet.
    let now = Timestamp::now().as_millisecond();
    let run = store
        .start_sync_run(&store::NewSyncRun {
            metric_id: m.id,
            from_ms: now - HOUR,
            to_ms: now,
            started_ms: now,
        })
        .await
        .unwrap();
    store
        .finish_sync_run(
            run,
            &store::SyncRunEnd {
                status: store::RunStatus::Failed,
                ledger: json!({}),
                error: Some("Twilio answered 401".to_owned()),
                finished_ms: now + 1,
            },
        )
        .await
        .unwrap();
    app::evaluate::tick(
        store.as_ref(),
        &sender(),
        notify::Backoff::default(),
        now + 2,
    )
    .await
    .unwrap();
    for a in store.list_alerts().await.unwrap() {
        let history = app
            .api(
                Method::GET,
                &format!("/api/v1/alerts/{}/history", a.id.0),
                Some(&token),
                None,
            )
            .await;
        let fired = history.json()["events"].as_array().unwrap().len();
        let expected = usize::from(a.name.ends_with("sync failed"));
        assert_eq!(fired, expected, "{}: {}", a.name, history.body);
    }
}

#[tokio::test]
async fn the_screens_delete_goals_alerts_scorecards_and_channels_for_editors_only() {
    let app = app().await;
    let (admin, token, m) = setup(&app).await;
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date();
    let made = |path: &'static str, body: Value| {
        let app = &app;
        let token = &token;
        async move {
            let r = app.api(Method::POST, path, Some(token), Some(body)).await;
            assert_eq!(r.status, StatusCode::CREATED, "{path}: {}", r.body);
            r.json()
        }
    };
    let goal = made("/api/v1/goals", weekly_goal("g", m.id.0, 5.0, today)).await["goal"]["id"]
        .as_i64()
        .unwrap();
    let channel = made("/api/v1/channels", json!({"name": "hook", "config": {"kind": "webhook", "url": "https://hooks.example.com/x"}, "secret": "s"}))
        .await["channel"]["id"]
        .as_i64()
        .unwrap();
    let alert = made("/api/v1/alerts", json!({"name": "a", "metric_id": m.id.0, "spec": {"watch": "sync", "builtin": {"kind": "sync_failed"}}, "channels": [], "silent": true}))
        .await["alert"]["id"]
        .as_i64()
        .unwrap();
    let scorecard = made("/api/v1/scorecards", json!({"name": "s", "spec": {"schedule": {"frequency": {"kind": "daily"}, "at": "08:00:00"}, "zone": "UTC",
        "metrics": [{"metric_id": m.id.0, "aggregation": "sum", "baseline": {"kind": "previous_period"}, "trend": "up"}]}}))
    .await["scorecard"]["id"]
        .as_i64()
        .unwrap();
    let targets = [
        ("/goals", goal),
        ("/alerts", alert),
        ("/scorecards", scorecard),
        ("/channels", channel),
    ];

    app.user("vera", web::Role::Viewer).await;
    let viewer = app.login("vera").await;
    for (screen, id) in targets {
        let page = app.get(screen, Some(&viewer)).await;
        assert!(
            !page.body.contains(&format!("{screen}/{id}/delete")),
            "no delete button for a viewer on {screen}"
        );
        let refused = app
            .post_form(
                &format!("{screen}/{id}/delete"),
                Some(&viewer),
                &[("csrf", viewer.csrf.as_str())],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "viewer on {screen}");
        let forged = app
            .post_form(
                &format!("{screen}/{id}/delete"),
                Some(&admin),
                &[("csrf", "forged")],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "bad CSRF on {screen}");
    }
    let store = app.state.store();
    assert!(store.goal(store::GoalId(goal)).await.is_ok(), "still there");

    for (screen, id) in targets {
        let page = app.get(screen, Some(&admin)).await;
        assert!(
            page.body
                .contains(&format!("action=\"{screen}/{id}/delete\"")),
            "a delete button on {screen}"
        );
        let r = app
            .post_form(
                &format!("{screen}/{id}/delete"),
                Some(&admin),
                &[("csrf", admin.csrf.as_str())],
            )
            .await;
        assert!(
            flash(&r).is_some_and(|f| f.0),
            "{screen}: {:?}",
            r.location()
        );
    }
    assert!(store.goal(store::GoalId(goal)).await.is_err());
    assert!(store.alert(store::AlertId(alert)).await.is_err());
    assert!(
        store
            .scorecard(store::ScorecardId(scorecard))
            .await
            .is_err()
    );
    assert!(store.channel(store::ChannelId(channel)).await.is_err());
}

#[tokio::test]
async fn a_new_goal_starts_with_the_history_of_its_past_periods() {
    let app = app().await;
    let (_admin, token, m) = setup(&app).await;
    // Weekly, repeating from 20 days ago: two or three whole weeks are already behind it.
    let start = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date()
        .checked_sub(jiff::Span::new().days(20))
        .unwrap();
    let created = app
        .api(
            Method::POST,
            "/api/v1/goals",
            Some(&token),
            Some(weekly_goal("Weekly sends", m.id.0, 100.0, start)),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.json()["goal"]["id"].as_i64().unwrap();
    // No clock tick ran: the history is there from the creation.
    let h = app
        .api(
            Method::GET,
            &format!("/api/v1/goals/{id}/history"),
            Some(&token),
            None,
        )
        .await;
    let periods = h.json()["periods"].as_array().unwrap().clone();
    let now = Timestamp::now().as_millisecond();
    let finished: Vec<&Value> = periods
        .iter()
        .filter(|p| p["end_ms"].as_i64().unwrap() <= now)
        .collect();
    assert!(finished.len() >= 2, "{}", h.body);
    let counts = sent_per_hour();
    for p in finished {
        let (from, to) = (
            p["start_ms"].as_i64().unwrap(),
            p["end_ms"].as_i64().unwrap(),
        );
        assert_eq!(to - from, 7 * 24 * HOUR, "a week");
        let expected: f64 = counts.range(from..to).map(|(_, v)| v).sum();
        assert_eq!(p["value"].as_f64().unwrap(), expected, "{p}");
        let status = if expected >= 100.0 {
            "achieved"
        } else {
            "missed"
        };
        assert_eq!(p["status"], status, "{p}");
    }
}

/// Issue 15, finding 4: a goal dated 0001-01-01 is refused before anything is stored (API and
/// screen), and one an earlier version stored anyway is listed as broken, without failing the
/// list for everyone, and can be deleted from the screen.
#[tokio::test]
async fn a_goal_dated_out_of_range_is_refused_and_a_stored_one_is_listed_as_broken_and_deletable() {
    let app = app().await;
    let (admin, token, m) = setup(&app).await;
    let ancient = jiff::civil::date(1, 1, 1);
    let r = app
        .api(
            Method::POST,
            "/api/v1/goals",
            Some(&token),
            Some(weekly_goal("ancient", m.id.0, 5.0, ancient)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("0001-01-01"), "{}", r.body);
    let metric = m.id.0.to_string();
    let screen = app
        .post_form(
            "/goals",
            Some(&admin),
            &[
                ("csrf", admin.csrf.as_str()),
                ("name", "ancient"),
                ("metric", &metric),
                ("target", "5"),
                ("criterion", "reach"),
                ("trend", "up"),
                ("aggregation", "sum"),
                ("unit", "custom"),
                ("start", "2026-01-01"),
                ("end", "9999-12-31"),
                ("zone", "UTC"),
            ],
        )
        .await;
    // The form comes back refused, with the reason and the dates as typed.
    assert_eq!(screen.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        screen.body.contains("id=\"form-error\"") && screen.body.contains("value=\"9999-12-31\""),
        "{}",
        screen.body
    );
    let store = app.state.store();
    assert!(
        store.list_goals().await.unwrap().is_empty(),
        "nothing stored"
    );

    // What an earlier version let through, written beside the checks.
    let spec: watch::GoalSpec =
        serde_json::from_value(weekly_goal("x", m.id.0, 5.0, ancient)["spec"].clone()).unwrap();
    let old = store
        .create_goal(
            &store::NewGoal {
                name: "old".into(),
                metric_id: m.id,
                spec,
            },
            Timestamp::now().as_millisecond(),
        )
        .await
        .unwrap();
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date();
    let good = app
        .api(
            Method::POST,
            "/api/v1/goals",
            Some(&token),
            Some(weekly_goal("good", m.id.0, 5.0, today)),
        )
        .await;
    assert_eq!(good.status, StatusCode::CREATED, "{}", good.body);

    app.user("vera", web::Role::Viewer).await;
    let viewer = app.login("vera").await;
    let viewer_token = app.token(&viewer).await;
    let list = app
        .api(Method::GET, "/api/v1/goals", Some(&viewer_token), None)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let goals = list.json()["goals"].as_array().unwrap().clone();
    assert_eq!(goals.len(), 2);
    let broken = goals.iter().find(|g| g["id"] == old.id.0).unwrap();
    assert!(broken["progress"].is_null());
    assert!(
        broken["broken"].as_str().unwrap().contains("0001-01-01"),
        "{broken}"
    );
    let fine = goals.iter().find(|g| g["name"] == "good").unwrap();
    assert!(
        fine["broken"].is_null() && fine["progress"].is_object(),
        "{fine}"
    );
    let one = app
        .api(
            Method::GET,
            &format!("/api/v1/goals/{}", old.id.0),
            Some(&viewer_token),
            None,
        )
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);

    let page = app.get("/goals", Some(&viewer)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("cannot be computed"), "{}", page.body);
    let page = app.get("/goals", Some(&admin)).await;
    let delete = format!("/goals/{}/delete", old.id.0);
    assert!(page.body.contains(&format!("action=\"{delete}\"")));
    let r = app
        .post_form(&delete, Some(&admin), &[("csrf", admin.csrf.as_str())])
        .await;
    assert!(flash(&r).is_some_and(|f| f.0), "{:?}", r.location());
    assert!(store.goal(old.id).await.is_err(), "deleted");
}

/// Issue 15, finding 3: one SMTP server that accepts the connection and never greets held every
/// delivery behind it, and the evaluator with them: alerts stopped being evaluated. Now the
/// webhook's message still goes out in the same tick, the tick ends within the send bound, and a
/// later alert is evaluated and sent.
#[tokio::test]
async fn finding_3_a_hanging_smtp_channel_neither_holds_a_webhook_nor_stops_alerts_being_evaluated()
{
    let app = app().await;
    let (_admin, token, m) = setup(&app).await;
    let silent = test_support::silent::SilentServer::start().await;
    let rx = WebhookReceiver::start().await;
    let channel = |body: Value| {
        let app = &app;
        let token = &token;
        async move {
            let made = app
                .api(Method::POST, "/api/v1/channels", Some(token), Some(body))
                .await;
            assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
            made.json()["channel"]["id"].as_i64().unwrap()
        }
    };
    // The hanging channel is made first, so its deliveries are the older ones.
    let mail = channel(json!({"name": "mail", "config": {"kind": "email", "host": "127.0.0.1",
        "port": silent.port(), "tls": "none", "from": "switchboard@example.com", "to": ["ops@example.com"]}}))
    .await;
    let hook = channel(
        json!({"name": "hook", "config": {"kind": "webhook", "url": rx.url("/a")}, "secret": "k"}),
    )
    .await;
    let alert = |name: &str, channels: Vec<i64>| {
        json!({"name": name, "metric_id": m.id.0, "spec": {"watch": "value", "zone": "UTC", "rule": {
            "aggregation": "sum", "dimension": null, "condition": {"kind": "above", "threshold": 0.5},
            "range": "last_hour", "cooldown": "PT6H"}}, "channels": channels})
    };
    let counts = sent_per_hour();
    let h = counts
        .iter()
        .rev()
        .find(|(_, n)| **n > 0.0)
        .map(|(h, _)| *h)
        .unwrap();
    let first = app
        .api(
            Method::POST,
            "/api/v1/alerts",
            Some(&token),
            Some(alert("first", vec![mail, hook])),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);

    let sender = notify::Sender::new(notify::Policy {
        allow_loopback: true,
        timeouts: notify::Timeouts {
            connect: std::time::Duration::from_secs(1),
            smtp_step: std::time::Duration::from_secs(1),
            request: std::time::Duration::from_secs(1),
            send: std::time::Duration::from_secs(3),
        },
    })
    .unwrap();
    let store = app.state.store().as_ref();
    let tick = |at: i64| {
        let sender = &sender;
        async move {
            let started = std::time::Instant::now();
            let r = tokio::time::timeout(
                std::time::Duration::from_secs(30),
                app::evaluate::tick(store, sender, notify::Backoff::default(), at),
            )
            .await
            .expect("a tick must end while an SMTP server hangs")
            .unwrap();
            assert!(
                started.elapsed() < std::time::Duration::from_secs(8),
                "{:?}",
                started.elapsed()
            );
            r
        }
    };
    let at = h + HOUR + 60_000;
    let r = tick(at).await;
    assert_eq!(
        (r.fired, r.deliveries.sent, r.deliveries.retrying),
        (1, 1, 1),
        "{r:?}"
    );
    assert_eq!(rx.received().len(), 1);
    assert_eq!(rx.received()[0].json()["data"]["alert"], "first");
    assert!(silent.accepted() >= 1, "the mail was tried");

    // A later alert is evaluated and sent while the mail channel keeps hanging (its retry is
    // due again in this tick).
    let second = app
        .api(
            Method::POST,
            "/api/v1/alerts",
            Some(&token),
            Some(alert("second", vec![hook])),
        )
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    let r = tick(at + 60_000).await;
    assert_eq!((r.fired, r.deliveries.sent), (1, 1), "{r:?}");
    assert_eq!(r.deliveries.retrying, 1, "the mail was tried again: {r:?}");
    assert_eq!(rx.received().len(), 2);
    assert_eq!(rx.received()[1].json()["data"]["alert"], "second");
    assert_eq!(rx.received()[1].json()["data"]["current"], counts[&h]);
}

#[tokio::test]
async fn a_scorecard_is_changed_from_its_edit_form_and_a_refused_change_keeps_the_fields() {
    let app = app().await;
    let (admin, _token, m) = setup(&app).await;
    let metric = m.id.0.to_string();
    let form = |name: &'static str, zone: &'static str| {
        vec![
            ("csrf", admin.csrf.clone()),
            ("name", name.to_owned()),
            ("frequency", "weekly".to_owned()),
            ("weekday", "friday".to_owned()),
            ("monthday", "1".to_owned()),
            ("at", "17:30".to_owned()),
            ("zone", zone.to_owned()),
            ("baseline", "previous_period".to_owned()),
            ("metric", metric.clone()),
        ]
    };
    let sc = app
        .state
        .app()
        .create_scorecard(app::ScorecardInput {
            name: "Morning".into(),
            spec: serde_json::from_value(
                json!({"schedule": {"frequency": {"kind": "daily"}, "at": "08:00:00"},
                "zone": "UTC", "metrics": [{"metric_id": m.id.0, "aggregation": "sum",
                "baseline": {"kind": "previous_period"}, "trend": "up"}]}),
            )
            .unwrap(),
            channels: Vec::new(),
        })
        .await
        .unwrap();
    let edit = app
        .get(&format!("/scorecards/{}/edit", sc.id.0), Some(&admin))
        .await;
    assert!(
        edit.body.contains("value=\"Morning\"") && edit.body.contains("value=\"08:00\""),
        "the form opens with what is stored"
    );

    let fields = form("Friday wrap", "Nowhere/Land");
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = app
        .post_form(&format!("/scorecards/{}/edit", sc.id.0), Some(&admin), &f)
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("value=\"Friday wrap\"")
            && refused.body.contains("value=\"17:30\"")
            && refused.body.contains("<option value=\"friday\" selected>"),
        "{}",
        refused.body
    );
    assert_eq!(
        app.state.store().scorecard(sc.id).await.unwrap().name,
        "Morning"
    );

    let fields = form("Friday wrap", "Europe/Paris");
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = app
        .post_form(&format!("/scorecards/{}/edit", sc.id.0), Some(&admin), &f)
        .await;
    assert!(flash(&saved).is_some_and(|f| f.0), "{}", saved.body);
    let stored = app.state.store().scorecard(sc.id).await.unwrap();
    assert_eq!(stored.name, "Friday wrap");
    assert_eq!(stored.spec.zone.name(), "Europe/Paris");
    assert_eq!(
        stored.spec.schedule.frequency,
        watch::Frequency::Weekly {
            day: watch::Day::Friday
        }
    );
}
