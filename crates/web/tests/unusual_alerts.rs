//! "Unusual" alerts through the API and the Alerts screen, on SQLite and PostgreSQL, over
//! stored hours whose incident the test placed (`support::unusual`).

mod support;

use axum::http::{Method, StatusCode};
use jiff::Timestamp;
use serde_json::json;
use store::{Store as _, WatchStore as _};
use support::unusual::{DAY, DAYS, HOUR, INCIDENT, start, undelivered, value};
use support::*;

/// Each backend this machine has: SQLite always, PostgreSQL when reachable.
async fn apps() -> Vec<(TestApp, Option<test_support::PgSchema>)> {
    let mut out = vec![(spawn_app().await, None)];
    if let Some((app, schema)) = spawn_app_pg().await {
        out.push((app, Some(schema)));
    }
    out
}

fn unusual_spec() -> serde_json::Value {
    json!({"watch": "unusual", "rule": {"aggregation": "sum", "dimension": null,
        "sensitivity": "medium", "direction": "unfavourable", "cooldown": "PT6H"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_creates_reads_and_updates_an_unusual_alert() {
    for (app, _schema) in apps().await {
        let admin = app.admin().await;
        let token = app.token(&admin).await;
        let m = undelivered(app.state.store()).await;
        let created = app
            .api(
                Method::POST,
                "/api/v1/alerts",
                Some(&token),
                Some(json!({"name": "Undelivered unusual", "metric_id": m.id.0,
                    "spec": unusual_spec(), "silent": true})),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let id = created.json()["alert"]["id"].as_i64().unwrap();
        let read = app
            .api(
                Method::GET,
                &format!("/api/v1/alerts/{id}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(read.status, StatusCode::OK);
        let spec = &read.json()["alert"]["spec"];
        assert_eq!(spec["watch"], "unusual");
        assert_eq!(spec["rule"]["direction"], "unfavourable");
        assert_eq!(spec["rule"]["sensitivity"], "medium");
        assert_eq!(spec["zone"], "UTC");
        assert!(
            read.json()["alert"]["learning"].is_null(),
            "70 days is enough: {}",
            read.body
        );

        let mut changed = unusual_spec();
        changed["rule"]["sensitivity"] = json!("high");
        let updated = app
            .api(
                Method::PUT,
                &format!("/api/v1/alerts/{id}"),
                Some(&token),
                Some(json!({"name": "Undelivered unusual", "metric_id": m.id.0,
                    "spec": changed, "silent": true})),
            )
            .await;
        assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
        assert_eq!(
            updated.json()["alert"]["spec"]["rule"]["sensitivity"],
            "high"
        );

        let mut negative = unusual_spec();
        negative["rule"]["cooldown"] = json!("-PT1H");
        let refused = app
            .api(
                Method::POST,
                "/api/v1/alerts",
                Some(&token),
                Some(json!({"name": "Negative", "metric_id": m.id.0, "spec": negative, "silent": true})),
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert!(refused.body.contains("cool-down"), "{}", refused.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_back_test_of_an_unusual_rule_fires_at_the_incident_and_names_its_error_code() {
    for (app, _schema) in apps().await {
        let admin = app.admin().await;
        let token = app.token(&admin).await;
        let m = undelivered(app.state.store()).await;
        let (from, to) = (start() + 60 * DAY, start() + DAYS * DAY);
        let r = app
            .api(
                Method::POST,
                "/api/v1/alerts/backtest",
                Some(&token),
                Some(json!({
                    "metric_id": m.id.0,
                    "unusual": {"aggregation": "sum", "sensitivity": "medium",
                        "direction": "up", "cooldown": "PT0S"},
                    "from": Timestamp::from_millisecond(from).unwrap(),
                    "to": Timestamp::from_millisecond(to).unwrap(),
                })),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let report = &r.json()["backtest"];
        assert_eq!(report["evaluations"], (to - from) / HOUR + 1);
        assert_eq!(report["learning"], 0);
        let firings = report["firings"].as_array().unwrap();
        assert_eq!(firings.len(), 1, "{report}");
        let f = &firings[0];
        let fired_at: Timestamp = f["at"].as_str().unwrap().parse().unwrap();
        assert_eq!(fired_at.as_millisecond(), start() + (INCIDENT + 1) * HOUR);
        assert_eq!(
            f["observed"],
            value("30003", INCIDENT) + value("30007", INCIDENT)
        );
        assert_eq!(f["why"][0]["dimension"], "30007", "{f}");

        let both = app
            .api(
                Method::POST,
                "/api/v1/alerts/backtest",
                Some(&token),
                Some(json!({
                    "metric_id": m.id.0,
                    "unusual": {"aggregation": "sum", "sensitivity": "medium",
                        "direction": "up", "cooldown": "PT0S"},
                    "rule": {"aggregation": "sum", "dimension": null,
                        "condition": {"kind": "above", "threshold": 1}, "range": "last_hour", "cooldown": "PT0S"},
                })),
            )
            .await;
        assert_eq!(
            both.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            both.body
        );
        assert!(both.body.contains("either"), "{}", both.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alert_form_back_tests_saves_and_edits_an_unusual_alert() {
    for (app, _schema) in apps().await {
        let admin = app.admin().await;
        let m = undelivered(app.state.store()).await;
        let metric = m.id.0.to_string();
        let fields = [
            ("csrf", admin.csrf.as_str()),
            ("name", "Undelivered unusual"),
            ("metric", &metric),
            ("aggregation", "sum"),
            ("condition", "unusual"),
            ("sensitivity", "high"),
            ("direction", "up"),
            ("value", ""),
            ("range", "last_hour"),
            ("cooldown_hours", "3"),
            ("silent", "on"),
        ];
        let bt = app
            .post_form("/alerts/backtest", Some(&admin), &fields)
            .await;
        assert_eq!(bt.status, StatusCode::OK, "{}", bt.body);
        assert!(bt.body.contains("would have fired"), "{}", bt.body);
        let fired = Timestamp::from_millisecond(start() + (INCIDENT + 1) * HOUR)
            .unwrap()
            .strftime("%Y-%m-%d %H:%M")
            .to_string();
        assert!(
            bt.body.contains(&fired),
            "the incident's firing is listed: {}",
            bt.body
        );
        assert!(bt.body.contains("“30007” explains"), "{}", bt.body);
        // The metric's favourable trend is "more is better" (its definition says nothing).
        assert!(
            bt.body
                .contains("so “only the unfavourable way” means down"),
            "{}",
            bt.body
        );

        let saved = app.post_form("/alerts", Some(&admin), &fields).await;
        assert!(
            flash(&saved).is_some_and(|f| f.0),
            "{:?} {}",
            saved.location(),
            saved.body
        );
        let a = app.state.store().list_alerts().await.unwrap().remove(0);
        let watch::AlertSpec::Unusual { rule, .. } = &a.spec else {
            panic!("saved as {:?}", a.spec)
        };
        assert_eq!(rule.sensitivity, watch::unusual::Sensitivity::High);
        assert_eq!(rule.direction, watch::UnusualDirection::Up);
        assert_eq!(rule.cooldown, jiff::SignedDuration::from_hours(3));

        let edit = app
            .get(&format!("/alerts/{}/edit", a.id.0), Some(&admin))
            .await;
        assert!(
            edit.body.contains(r#"<option value="unusual" selected>"#),
            "{}",
            edit.body
        );
        assert!(
            edit.body.contains(r#"<option value="high" selected>"#),
            "{}",
            edit.body
        );
        assert!(
            edit.body.contains(r#"<option value="up" selected>"#),
            "{}",
            edit.body
        );
        let list = app.get("/alerts", Some(&admin)).await;
        assert!(
            list.body
                .contains("unusual for its daily and weekly rhythm"),
            "{}",
            list.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusual_alert_on_two_weeks_of_history_says_it_is_learning() {
    for (app, _schema) in apps().await {
        let admin = app.admin().await;
        let store = app.state.store();
        let m = store
            .create_metric(
                &store::NewMetric {
                    name: "Young metric".into(),
                    connection_id: None,
                    definition: "{}".into(),
                },
                0,
            )
            .await
            .unwrap();
        let today = Timestamp::now().as_millisecond().div_euclid(DAY) * DAY;
        let from = today - 14 * DAY;
        let rows: Vec<store::BucketRow> = (0..14 * 24)
            .map(|h| store::BucketRow {
                dimension: String::new(),
                hour_ms: from + h * HOUR,
                sum: 5.0,
                count: 5,
                min: 1.0,
                max: 1.0,
                latest: 1.0,
                latest_at_ms: from + h * HOUR,
            })
            .collect();
        store
            .replace_window(m.id, from, today, &rows)
            .await
            .unwrap();
        let run = store
            .start_sync_run(&store::NewSyncRun {
                metric_id: m.id,
                from_ms: from,
                to_ms: today,
                started_ms: today,
            })
            .await
            .unwrap();
        store
            .finish_sync_run(
                run,
                &store::SyncRunEnd {
                    status: store::RunStatus::Succeeded,
                    ledger: json!({}),
                    error: None,
                    finished_ms: today,
                },
            )
            .await
            .unwrap();
        let a = app
            .state
            .app()
            .create_alert(app::AlertInput {
                name: "Young unusual".into(),
                metric_id: m.id.0,
                spec: serde_json::from_value(unusual_spec()).unwrap(),
                enabled: true,
                channels: vec![],
                silent: true,
            })
            .await
            .unwrap();
        let list = app.get("/alerts", Some(&admin)).await;
        assert!(
            list.body.contains("Learning: 14 of 21 days of history"),
            "{}",
            list.body
        );
        let token = app.token(&admin).await;
        let read = app
            .api(
                Method::GET,
                &format!("/api/v1/alerts/{}", a.id.0),
                Some(&token),
                None,
            )
            .await;
        let learning = &read.json()["alert"]["learning"];
        assert_eq!(learning["hours"], 14 * 24, "{}", read.body);
        assert_eq!(learning["needed"], 21 * 24);
        assert_eq!(learning["text"], "learning: 14 of 21 days of history");
        let history = app.get(&format!("/alerts/{}", a.id.0), Some(&admin)).await;
        assert!(
            history.body.contains("Learning: 14 of 21 days of history"),
            "{}",
            history.body
        );
    }
}
