//! The operations on a real store, SQLite and PostgreSQL: the rules each applies, the
//! references it checks, what it refuses and in which words, and the clock it stamps with.

mod support;

use app::{AppError, Label, Name, Role, TokenName, UserName};
use serde_json::json;
use store::{NewChannel, NewGoal, Store, WatchStore};
use support::{T0, backends, connection, metric};

fn field_of(e: &AppError) -> &'static str {
    match e {
        AppError::Invalid { field, .. } => field,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn goal_spec() -> watch::GoalSpec {
    serde_json::from_value(
        json!({"goal": {"target": 1.0, "criterion": "reach", "trend": "up",
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

fn scorecard_spec(metric_id: i64, baseline: serde_json::Value) -> watch::ScorecardSpec {
    serde_json::from_value(
        json!({"schedule": {"frequency": {"kind": "daily"}, "at": "08:00:00"},
        "zone": "UTC", "metrics": [{"metric_id": metric_id, "aggregation": "sum",
        "baseline": baseline, "trend": "up"}]}),
    )
    .expect("scorecard spec")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renaming_a_connection_keeps_the_label_rule_and_follows_into_definitions() {
    for b in backends("rename").await {
        let app = &b.app;
        let prod = connection(app, "prod").await;
        connection(app, "staging").await;
        let m = metric(app, "Sent", &prod).await;

        let taken = app
            .rename_connection(prod.id, &Label::parse("staging").unwrap())
            .await
            .unwrap_err();
        assert!(
            matches!(&taken, AppError::Conflict(m) if m.contains("'staging' already exists")),
            "{}: {taken:?}",
            b.name
        );

        b.time.set(T0 + 60_000);
        let renamed = app
            .rename_connection(prod.id, &Label::parse(" production ").unwrap())
            .await
            .unwrap();
        assert_eq!(renamed.label, "production", "{}", b.name);
        let after = app.store().metric(m.id).await.unwrap();
        assert!(after.definition.contains("\"production\""), "{}", b.name);
        assert_eq!(
            after.updated_ms,
            T0 + 60_000,
            "{}: stamped by the app's clock",
            b.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_connection_takes_its_metrics_off_the_screen() {
    for b in backends("remove").await {
        let app = &b.app;
        let prod = connection(app, "prod").await;
        let m = metric(app, "Sent", &prod).await;
        app.store()
            .set_metric_usage(m.id, &[library::METRICS_SCREEN.to_owned()], T0)
            .await
            .unwrap();
        assert_eq!(app.remove_connection(prod.id).await.unwrap(), vec!["Sent"]);
        assert!(app.store().metric(m.id).await.unwrap().used_by.is_empty());
        let again = app.remove_connection(prod.id).await.unwrap_err();
        assert!(
            matches!(again, AppError::NotFound(_)),
            "{}: {again:?}",
            b.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metric_watched_by_a_goal_is_not_deleted_and_the_goal_is_named() {
    for b in backends("delete").await {
        let app = &b.app;
        let prod = connection(app, "prod").await;
        let m = metric(app, "Sent", &prod).await;
        let goal = app::watching::goal_checked(app.store(), "Monthly sends", m.id.0, goal_spec())
            .await
            .unwrap();
        app.store().create_goal(&goal, T0).await.unwrap();
        let refused = app.delete_metric(m.id).await.unwrap_err();
        assert!(
            matches!(&refused, AppError::Conflict(why) if why.contains("goal 'Monthly sends'")),
            "{}: {refused:?}",
            b.name
        );
        let free = metric(app, "Unused", &prod).await;
        assert!(app.delete_metric(free.id).await.unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_request_is_queued_at_the_app_clock() {
    for b in backends("enqueue").await {
        let app = &b.app;
        let prod = connection(app, "prod").await;
        let m = metric(app, "Sent", &prod).await;
        b.time.set(T0 + 3_600_000);
        let job = app.enqueue_sync(m.id).await.unwrap();
        let stored = app.store().job(store::JobId(job)).await.unwrap();
        assert_eq!(stored.run_at_ms, T0 + 3_600_000, "{}", b.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn goals_and_alerts_check_their_name_spec_and_references() {
    for b in backends("goals").await {
        let app = &b.app;
        let store = app.store();
        let m = metric(app, "Sent", &connection(app, "prod").await).await;
        for bad in ["", "   ", &"x".repeat(121)] {
            let e = app::watching::goal_checked(store, bad, m.id.0, goal_spec())
                .await
                .unwrap_err();
            assert_eq!(e.to_string(), "a name is 1 to 120 characters", "{}", b.name);
        }
        let e = app::watching::goal_checked(store, "a\nb", m.id.0, goal_spec())
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("control characters"),
            "{}: {e}",
            b.name
        );
        let e = app::watching::goal_checked(store, "g", 999, goal_spec())
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "metric_id");
        assert!(e.to_string().contains("metric 999 does not exist"), "{e}");
        let g = app::watching::goal_checked(store, "  Sends  ", m.id.0, goal_spec())
            .await
            .unwrap();
        assert_eq!(g.name, "Sends");

        let e = app::watching::alert_checked(store, "a", m.id.0, alert_spec(), true, &[42])
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "channels", "{}", b.name);
        assert!(e.to_string().contains("channel 42 does not exist"), "{e}");
        let e = app::watching::alert_checked(store, "", m.id.0, alert_spec(), true, &[])
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "name");
        let ok = app::watching::alert_checked(store, "a", m.id.0, alert_spec(), false, &[])
            .await
            .unwrap();
        assert!(!ok.enabled);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scorecard_compares_only_with_a_goal_of_the_same_metric() {
    for b in backends("scorecards").await {
        let app = &b.app;
        let store = app.store();
        let prod = connection(app, "prod").await;
        let sent = metric(app, "Sent", &prod).await;
        let failed = metric(app, "Failed", &prod).await;
        let goal = store
            .create_goal(
                &NewGoal {
                    name: "Sends".into(),
                    metric_id: sent.id,
                    spec: goal_spec(),
                },
                T0,
            )
            .await
            .unwrap();
        let with_goal = |metric_id: i64| {
            scorecard_spec(
                metric_id,
                json!({"kind": "stored_goal", "goal_id": goal.id.0}),
            )
        };

        let e = app::watching::scorecard_checked(store, "s", with_goal(failed.id.0), &[], T0)
            .await
            .unwrap_err();
        assert_eq!(field_of(&e), "spec", "{}", b.name);
        assert!(e.to_string().contains("is about metric"), "{e}");

        let missing = scorecard_spec(sent.id.0, json!({"kind": "stored_goal", "goal_id": 999}));
        let e = app::watching::scorecard_checked(store, "s", missing, &[], T0)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("goal 999 does not exist"), "{e}");

        let e = app::watching::scorecard_checked(
            store,
            "s",
            scorecard_spec(999, json!({"kind": "previous_period"})),
            &[],
            T0,
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("metric 999 does not exist"), "{e}");

        let channel = store
            .create_channel(
                &NewChannel {
                    name: "hook".into(),
                    config: watch::ChannelConfig::Webhook {
                        url: "https://example.com/hook".into(),
                    },
                    secret: None,
                },
                T0,
            )
            .await
            .unwrap();
        let (card, next) = app::watching::scorecard_checked(
            store,
            " Weekly ",
            with_goal(sent.id.0),
            &[channel.id.0],
            T0,
        )
        .await
        .unwrap();
        assert_eq!(card.name, "Weekly");
        // Daily at 08:00 UTC, from midnight.
        assert_eq!(next, T0 + 8 * 3_600_000, "{}", b.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_keep_their_rules_and_the_last_admin() {
    for b in backends("people").await {
        let app = &b.app;
        let root = app
            .add_user(
                &UserName::parse("root").unwrap(),
                Role::Admin,
                "a long passphrase 1",
            )
            .await
            .unwrap();
        assert_eq!(
            root.created_ms, T0,
            "{}: stamped by the app's clock",
            b.name
        );

        let weak = app
            .add_user(&UserName::parse("ops").unwrap(), Role::Viewer, "short")
            .await
            .unwrap_err();
        assert_eq!(field_of(&weak), "password", "{}", b.name);
        assert!(weak.to_string().contains("12 characters"), "{weak}");

        let last = app.set_user_role(root.id, Role::Viewer).await.unwrap_err();
        assert!(
            last.to_string().contains("last enabled Admin"),
            "{}: {last}",
            b.name
        );
        let last = app.delete_user(root.id).await.unwrap_err();
        assert!(
            last.to_string().contains("last enabled Admin"),
            "{}: {last}",
            b.name
        );

        let first = app
            .create_first_admin(&UserName::parse("second").unwrap(), "a long passphrase 2")
            .await
            .unwrap_err();
        assert_eq!(first.to_string(), app::people::SETUP_LINK_DEAD);

        let (token, info) = app
            .create_token(root.id, &TokenName::parse(" ci ").unwrap())
            .await
            .unwrap();
        assert!(token.starts_with("sbt_"));
        assert_eq!((info.name.as_str(), info.created_ms), ("ci", T0));

        let missing = app.user_named("nobody").await.unwrap_err();
        assert!(matches!(missing, AppError::NotFound(_)), "{missing:?}");
        assert!(Name::parse("ok").is_ok());
    }
}

/// What the web's handlers call through `App` since its wrappers went (issue 16, phase 2): the
/// Metrics screen and a connection's metrics, the connection a definition names, a library
/// metric added with and without its backfill, and the password check, all on the app's clock
/// and pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_reads_and_adds_through_the_app() {
    for b in backends("web_reads").await {
        let app = &b.app;
        let prod = connection(app, "prod").await;
        b.time.set(T0 + 60_000);

        let demo = app
            .add_library_metric_unsynced("outbound-calls", "prod")
            .await
            .unwrap();
        assert_eq!(demo.created_ms, T0 + 60_000, "{}", b.name);
        let jobs = app.store().list_jobs(None, 10).await.unwrap();
        assert!(jobs.is_empty(), "{}: no backfill queued: {jobs:?}", b.name);

        let added = app
            .add_library_metric("messages-sent", "prod")
            .await
            .unwrap();
        let jobs = app.store().list_jobs(None, 10).await.unwrap();
        assert_eq!(jobs.len(), 1, "{}: one backfill: {jobs:?}", b.name);
        assert_eq!(jobs[0].run_at_ms, T0 + 60_000, "{}", b.name);

        let names = |ms: Vec<store::StoredMetric>| {
            let mut n: Vec<_> = ms.into_iter().map(|m| m.id).collect();
            n.sort_by_key(|id| id.0);
            n
        };
        let both = names(vec![demo.clone(), added.clone()]);
        assert_eq!(
            names(app.screen_metrics().await.unwrap()),
            both,
            "{}",
            b.name
        );
        assert_eq!(
            names(app.metrics_of_connection(prod.id).await.unwrap()),
            both,
            "{}",
            b.name
        );

        assert_eq!(
            app.connection_in_definition("prod").await.unwrap().id,
            prod.id
        );
        let missing = app.connection_in_definition("nope").await.unwrap_err();
        assert_eq!(field_of(&missing), "definition", "{}", b.name);
        assert!(missing.to_string().contains("no connection named 'nope'"));

        let hash = app
            .new_password_hash("password", "correct horse battery")
            .await
            .unwrap();
        assert!(
            app.password_matches("correct horse battery", Some(&hash))
                .await
                .unwrap()
        );
        assert!(!app.password_matches("wrong", Some(&hash)).await.unwrap());
        assert!(!app.password_matches("wrong", None).await.unwrap());
        let weak = app
            .new_password_hash("password", "short")
            .await
            .unwrap_err();
        assert_eq!(field_of(&weak), "password", "{}", b.name);
    }
}
