//! Creating, changing and deleting goals, alerts, scorecards and channels through `app`, on
//! SQLite and PostgreSQL: each applies its checks before it writes, stamps with the app's clock,
//! and a missing one is named.

mod support;

use app::{AlertInput, AppError, ChannelInput, GoalInput, ScorecardInput};
use serde_json::json;
use store::{AlertId, ChannelId, GoalId, ScorecardId, WatchStore};
use support::{T0, backends, connection, metric};

fn goal_spec() -> watch::GoalSpec {
    serde_json::from_value(
        json!({"goal": {"target": 10.0, "criterion": "reach", "trend": "up",
        "period": {"kind": "calendar", "unit": "month", "start": "2026-01-01", "repeat": true}},
        "aggregation": "sum", "zone": "UTC"}),
    )
    .expect("goal spec")
}

fn alert_spec() -> watch::AlertSpec {
    serde_json::from_value(
        json!({"watch": "value", "zone": "UTC", "rule": {"aggregation": "sum",
        "dimension": null, "condition": {"kind": "above", "threshold": 1.0},
        "range": "last_hour", "cooldown": "PT1H"}}),
    )
    .expect("alert spec")
}

fn scorecard_spec(metric_id: i64) -> watch::ScorecardSpec {
    serde_json::from_value(
        json!({"schedule": {"frequency": {"kind": "daily"}, "at": "08:00:00"},
        "zone": "UTC", "metrics": [{"metric_id": metric_id, "aggregation": "sum",
        "baseline": {"kind": "previous_period"}, "trend": "up"}]}),
    )
    .expect("scorecard spec")
}

fn webhook(name: &str, url: &str, secret: &str) -> ChannelInput {
    ChannelInput {
        name: name.to_owned(),
        config: serde_json::from_value(json!({"kind": "webhook", "url": url})).unwrap(),
        secret: Some(domain::Secret::new(secret)),
        clear_secret: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_goal_is_saved_trimmed_with_its_history_and_a_bad_one_writes_nothing() {
    for b in backends("goal_ops").await {
        let app = &b.app;
        let m = metric(app, "Sent", &connection(app, "prod").await).await;
        let bad = app
            .create_goal(GoalInput {
                name: "x".repeat(121),
                metric_id: m.id.0,
                spec: goal_spec(),
            })
            .await
            .unwrap_err();
        assert!(
            matches!(bad, AppError::Invalid { field: "name", .. }),
            "{}: {bad:?}",
            b.name
        );
        let missing = app
            .create_goal(GoalInput {
                name: "g".into(),
                metric_id: 999,
                spec: goal_spec(),
            })
            .await
            .unwrap_err();
        assert!(
            matches!(
                missing,
                AppError::Invalid {
                    field: "metric_id",
                    ..
                }
            ),
            "{}: {missing:?}",
            b.name
        );
        assert!(
            app.store().list_goals().await.unwrap().is_empty(),
            "{}",
            b.name
        );

        let g = app
            .create_goal(GoalInput {
                name: "  Monthly sends ".into(),
                metric_id: m.id.0,
                spec: goal_spec(),
            })
            .await
            .unwrap();
        assert_eq!(g.name, "Monthly sends", "{}", b.name);
        // T0 is 2026-03-01: January and February are behind it, so their periods are recorded.
        let history = app.store().goal_periods(g.id, 100).await.unwrap();
        let starts: Vec<i64> = history.iter().map(|p| p.start_ms).collect();
        let january = 1_767_225_600_000; // 2026-01-01T00:00:00Z
        let february = 1_769_904_000_000; // 2026-02-01T00:00:00Z
        assert!(
            starts.contains(&january) && starts.contains(&february),
            "{}: {starts:?}",
            b.name
        );

        b.time.set(T0 + 60_000);
        let renamed = app
            .update_goal(
                g.id,
                GoalInput {
                    name: "Sends".into(),
                    metric_id: m.id.0,
                    spec: goal_spec(),
                },
            )
            .await
            .unwrap();
        assert_eq!(renamed.name, "Sends");
        app.delete_goal(g.id).await.unwrap();
        let again = app.delete_goal(g.id).await.unwrap_err();
        assert_eq!(again.to_string(), format!("goal {} does not exist", g.id.0));
        let never = app.delete_goal(GoalId(4242)).await.unwrap_err();
        assert!(matches!(never, AppError::NotFound(_)), "{never:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_names_a_channel_that_does_not_exist_and_saves_with_one_that_does() {
    for b in backends("alert_ops").await {
        let app = app::App::clone(&b.app).with_loopback_channels(true);
        let m = metric(&app, "Sent", &connection(&app, "prod").await).await;
        let input = |channels: Vec<i64>| AlertInput {
            name: "Too many".into(),
            metric_id: m.id.0,
            spec: alert_spec(),
            enabled: true,
            channels,
            silent: false,
        };
        let e = app.create_alert(input(vec![77])).await.unwrap_err();
        assert!(
            matches!(
                e,
                AppError::Invalid {
                    field: "channels",
                    ..
                }
            ),
            "{}: {e:?}",
            b.name
        );
        let c = app
            .create_channel(webhook("Ops hook", "http://127.0.0.1:9/hook", "k"))
            .await
            .unwrap();
        let a = app.create_alert(input(vec![c.id.0])).await.unwrap();
        assert_eq!(a.channels, vec![c.id], "{}", b.name);
        let off = app
            .update_alert(
                a.id,
                AlertInput {
                    enabled: false,
                    silent: true,
                    ..input(vec![])
                },
            )
            .await
            .unwrap();
        assert!(!off.enabled && off.channels.is_empty(), "{}", b.name);
        app.delete_alert(a.id).await.unwrap();
        assert!(matches!(
            app.delete_alert(AlertId(a.id.0)).await,
            Err(AppError::NotFound(_))
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_with_no_channel_is_refused_with_the_reason_unless_saved_silent_on_purpose() {
    for b in backends("alert_silent").await {
        let app = &b.app;
        let m = metric(app, "Sent", &connection(app, "prod").await).await;
        let input = |silent: bool| AlertInput {
            name: "Nobody hears".into(),
            metric_id: m.id.0,
            spec: alert_spec(),
            enabled: true,
            channels: Vec::new(),
            silent,
        };
        let e = app.create_alert(input(false)).await.unwrap_err();
        match &e {
            AppError::Invalid { field, message } => {
                assert_eq!(*field, "channels", "{}", b.name);
                assert_eq!(message, app::watching::NO_CHANNEL, "{}", b.name);
            }
            other => panic!("{}: {other:?}", b.name),
        }
        assert!(
            b.app.store().list_alerts().await.unwrap().is_empty(),
            "{}: the refused alert was not saved",
            b.name
        );
        let a = app.create_alert(input(true)).await.unwrap();
        assert!(a.channels.is_empty(), "{}", b.name);
        // Changing it without the flag is refused the same way, and leaves it as it was.
        let renamed = AlertInput {
            name: "Renamed".into(),
            ..input(false)
        };
        let e = app.update_alert(a.id, renamed).await.unwrap_err();
        assert!(
            matches!(
                e,
                AppError::Invalid {
                    field: "channels",
                    ..
                }
            ),
            "{}: {e:?}",
            b.name
        );
        assert_eq!(app.store().alert(a.id).await.unwrap().name, "Nobody hears");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_refuses_an_internal_url_unless_allowed_and_keeps_its_secret_on_an_empty_one() {
    for b in backends("channel_ops").await {
        let strict = &b.app;
        let e = strict
            .create_channel(webhook("Ops hook", "https://127.0.0.1/hook", "k"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                AppError::Invalid {
                    field: "config.url",
                    ..
                }
            ),
            "{}: {e:?}",
            b.name
        );
        let no_secret = strict
            .create_channel(webhook("Ops hook", "https://hooks.example.com/x", ""))
            .await
            .unwrap_err();
        assert!(
            matches!(
                no_secret,
                AppError::Invalid {
                    field: "secret",
                    ..
                }
            ),
            "{}: {no_secret:?}",
            b.name
        );
        assert!(strict.store().list_channels().await.unwrap().is_empty());

        let c = strict
            .create_channel(webhook("Ops hook", "https://hooks.example.com/x", "k1"))
            .await
            .unwrap();
        let kept = strict
            .update_channel(c.id, webhook("Ops", "https://hooks.example.com/y", ""))
            .await
            .unwrap();
        assert_eq!(kept.name, "Ops");
        assert_eq!(
            kept.secret.clone().unwrap().map(|s| s.expose().to_owned()),
            Some("k1".to_owned()),
            "{}: an empty secret keeps the stored one",
            b.name
        );
        let cleared = strict
            .update_channel(
                c.id,
                ChannelInput {
                    clear_secret: true,
                    ..webhook("Ops", "https://hooks.example.com/y", "")
                },
            )
            .await
            .unwrap();
        assert_eq!(cleared.secret, Ok(None), "{}", b.name);
        strict.delete_channel(c.id).await.unwrap();
        assert!(matches!(
            strict.delete_channel(ChannelId(c.id.0)).await,
            Err(AppError::NotFound(_))
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scorecard_is_scheduled_from_the_app_clock() {
    for b in backends("scorecard_ops").await {
        let app = &b.app;
        let m = metric(app, "Sent", &connection(app, "prod").await).await;
        let e = app
            .create_scorecard(ScorecardInput {
                name: "Daily".into(),
                spec: scorecard_spec(999),
                channels: vec![],
            })
            .await
            .unwrap_err();
        assert!(
            matches!(e, AppError::Invalid { field: "spec", .. }),
            "{}: {e:?}",
            b.name
        );
        let s = app
            .create_scorecard(ScorecardInput {
                name: "Daily".into(),
                spec: scorecard_spec(m.id.0),
                channels: vec![],
            })
            .await
            .unwrap();
        // Daily at 08:00 UTC, the clock at 2026-03-01T00:00Z: the first run is eight hours on.
        assert_eq!(s.next_run_ms, T0 + 8 * 3_600_000, "{}", b.name);
        app.delete_scorecard(s.id).await.unwrap();
        assert!(matches!(
            app.delete_scorecard(ScorecardId(s.id.0)).await,
            Err(AppError::NotFound(_))
        ));
    }
}
