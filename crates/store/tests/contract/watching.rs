use domain::Secret;
use jiff::SignedDuration;
use jiff::civil::{Time, date};
use metric::{Aggregation, Trend};
use store::{
    AlertEventKind, AttemptOutcome, ChannelId, DeliverySource, DeliveryState, GoalPeriodRow,
    NewAlert, NewAlertEvent, NewChannel, NewDelivery, NewGoal, NewMetric, NewScorecard,
    SecretChange, Store, StoreError, WatchStore,
};
use watch::alert::{AlertRule, AlertState, Condition, EvalRange, Phase};
use watch::goal::{Criterion, Goal, GoalPeriod, PeriodUnit, Status};
use watch::schedule::{Frequency, Schedule};
use watch::{
    AlertSpec, Baseline, ChannelConfig, GoalSpec, ScorecardMetric, ScorecardSpec, SmtpTls, Zone,
};

use crate::support::{Harness, key_a, key_b};

const PASSWORD: &str = "smtp-password-not-real-42";
const LEASE: std::time::Duration = std::time::Duration::from_millis(30_000);

async fn metric<S: Store>(s: &S, name: &str) -> store::MetricId {
    s.create_metric(
        &NewMetric {
            name: name.to_owned(),
            connection_id: None,
            definition: "{}".to_owned(),
        },
        1,
    )
    .await
    .expect("metric")
    .id
}

fn email() -> ChannelConfig {
    ChannelConfig::Email {
        host: "smtp.example.com".into(),
        port: 465,
        tls: SmtpTls::Implicit,
        username: Some("ops".into()),
        from: "switchboard@example.com".into(),
        to: vec!["ops@example.com".into()],
    }
}

async fn channel<S: WatchStore>(s: &S, name: &str) -> ChannelId {
    s.create_channel(
        &NewChannel {
            name: name.into(),
            config: ChannelConfig::Slack,
            secret: Some(Secret::new("https://hooks.slack.com/services/T/B/X")),
        },
        1,
    )
    .await
    .expect("channel")
    .id
}

fn goal_spec(target: f64) -> GoalSpec {
    GoalSpec {
        accounts: None,
        goal: Goal {
            target,
            criterion: Criterion::Reach,
            trend: Trend::Up,
            period: GoalPeriod::Calendar {
                unit: PeriodUnit::Month,
                start: date(2026, 1, 1),
                repeat: true,
            },
        },
        aggregation: Aggregation::Sum,
        dimension: None,
        zone: Zone::parse("Europe/Ljubljana").unwrap(),
    }
}

fn alert_spec(threshold: f64) -> AlertSpec {
    AlertSpec::Value {
        rule: AlertRule {
            per_account: false,
            accounts: None,
            aggregation: Aggregation::Sum,
            dimension: Some("failed".into()),
            condition: Condition::Above { threshold },
            range: EvalRange::LastHour,
            cooldown: SignedDuration::from_hours(1),
        },
        zone: Zone::utc(),
    }
}

async fn channels_keep_their_secret_sealed<H: Harness>(h: &H)
where
    H::S: WatchStore,
{
    let s = h.open(key_a()).await.unwrap();
    let c = s
        .create_channel(
            &NewChannel {
                name: "ops mail".into(),
                config: email(),
                secret: Some(Secret::new(PASSWORD)),
            },
            5,
        )
        .await
        .unwrap();
    assert_eq!(c.config, email());
    assert_eq!(
        c.secret.as_ref().unwrap().as_ref().map(Secret::expose),
        Some(PASSWORD)
    );
    assert!(!format!("{c:?}").contains(PASSWORD));
    let raw = h
        .read_bytes(format!(
            "SELECT sealed_secret FROM channels WHERE id = {}",
            c.id
        ))
        .await;
    assert!(
        !raw.windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes())
    );

    let dup = s
        .create_channel(
            &NewChannel {
                name: "ops mail".into(),
                config: ChannelConfig::Slack,
                secret: None,
            },
            6,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            dup,
            StoreError::Duplicate {
                what: "channel",
                ..
            }
        ),
        "{dup}"
    );

    let kept = s
        .update_channel(c.id, "mail", &email(), &SecretChange::Keep, 7)
        .await
        .unwrap();
    assert_eq!(
        (kept.name.as_str(), kept.secret.clone()),
        ("mail", c.secret.clone())
    );
    let set = s
        .update_channel(
            c.id,
            "mail",
            &email(),
            &SecretChange::Set(Secret::new("new")),
            8,
        )
        .await
        .unwrap();
    assert_eq!(
        set.secret.as_ref().unwrap().as_ref().map(Secret::expose),
        Some("new")
    );

    // Rotating the master key re-seals channel secrets with the connections'.
    assert_eq!(s.rotate_master_key(&key_a(), &key_b()).await.unwrap(), 1);
    s.close().await;
    let s = h.open(key_b()).await.unwrap();
    assert_eq!(
        s.channel(c.id)
            .await
            .unwrap()
            .secret
            .unwrap()
            .as_ref()
            .map(Secret::expose),
        Some("new")
    );
    let cleared = s
        .update_channel(c.id, "mail", &email(), &SecretChange::Clear, 9)
        .await
        .unwrap();
    assert_eq!(cleared.secret, Ok(None));
    assert_eq!(s.list_channels().await.unwrap().len(), 1);
    assert!(s.delete_channel(c.id).await.unwrap());
    assert!(!s.delete_channel(c.id).await.unwrap());
    assert!(matches!(
        s.channel(c.id).await.unwrap_err(),
        StoreError::NotFound {
            what: "channel",
            ..
        }
    ));
}

async fn goals_and_their_period_history<H: Harness>(h: &H)
where
    H::S: WatchStore,
{
    let s = h.open(key_a()).await.unwrap();
    let m = metric(&s, "messages").await;
    let g = s
        .create_goal(
            &NewGoal {
                name: "Monthly messages".into(),
                metric_id: m,
                spec: goal_spec(1000.0),
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(s.goal(g.id).await.unwrap(), g);
    assert_eq!(g.spec, goal_spec(1000.0));
    let missing = s
        .create_goal(
            &NewGoal {
                name: "other".into(),
                metric_id: store::MetricId(999),
                spec: goal_spec(1.0),
            },
            10,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(missing, StoreError::NotFound { what: "metric", .. }),
        "{missing}"
    );

    let period = |index: u32, value: f64, status: Status| GoalPeriodRow {
        index,
        start_ms: i64::from(index) * 100,
        end_ms: i64::from(index) * 100 + 100,
        value: Some(value),
        target: 1000.0,
        status,
        recorded_ms: 50,
    };
    s.record_goal_period(g.id, &period(0, 1200.0, Status::Achieved))
        .await
        .unwrap();
    s.record_goal_period(g.id, &period(1, 100.0, Status::OffTrack))
        .await
        .unwrap();
    // The running period is rewritten as it goes.
    s.record_goal_period(g.id, &period(1, 700.0, Status::OnTrack))
        .await
        .unwrap();
    let history = s.goal_periods(g.id, 10).await.unwrap();
    assert_eq!(
        history,
        vec![
            period(1, 700.0, Status::OnTrack),
            period(0, 1200.0, Status::Achieved)
        ]
    );
    assert_eq!(s.goal_periods(g.id, 1).await.unwrap().len(), 1);

    let updated = s
        .update_goal(
            g.id,
            &NewGoal {
                name: "Monthly messages".into(),
                metric_id: m,
                spec: goal_spec(2000.0),
            },
            11,
        )
        .await
        .unwrap();
    assert_eq!((updated.spec.goal.target, updated.updated_ms), (2000.0, 11));
    // A goal goes with its metric.
    assert!(s.delete_metric(m).await.unwrap());
    assert!(s.list_goals().await.unwrap().is_empty());
    assert!(s.goal_periods(g.id, 10).await.unwrap().is_empty());
}

async fn alert_state_moves_once_and_events_keep_values<H: Harness>(h: &H)
where
    H::S: WatchStore,
{
    let s = h.open(key_a()).await.unwrap();
    let m = metric(&s, "failures").await;
    let ch = channel(&s, "slack").await;
    let a = s
        .create_alert(
            &NewAlert {
                name: "Failures".into(),
                metric_id: m,
                spec: alert_spec(10.0),
                enabled: true,
                channels: vec![ch],
            },
            20,
        )
        .await
        .unwrap();
    assert_eq!(
        (a.state, a.channels.clone()),
        (AlertState::default(), vec![ch])
    );
    let bad_channel = s
        .create_alert(
            &NewAlert {
                name: "Other".into(),
                metric_id: m,
                spec: alert_spec(10.0),
                enabled: true,
                channels: vec![ChannelId(999)],
            },
            20,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            bad_channel,
            StoreError::NotFound {
                what: "channel",
                ..
            }
        ),
        "{bad_channel}"
    );
    assert_eq!(
        s.list_alerts().await.unwrap().len(),
        1,
        "nothing half-created"
    );

    let firing = AlertState {
        phase: Phase::Firing,
        last_fired_ms: Some(3_600_000),
    };
    let fired = NewAlertEvent {
        kind: AlertEventKind::Fired,
        at_ms: 3_600_000,
        current: Some(12.0),
        previous: None,
        range: Some((0, 3_600_000)),
        message: "Failures is 12, above 10".into(),
    };
    let tell = |channel_id| NewDelivery {
        channel_id,
        source: DeliverySource::Alert(a.id),
        message: serde_json::json!({"title": "Failures is 12"}),
    };
    // A delivery that cannot be queued (no such channel) undoes the whole transition: no
    // event is ever recorded without its messages.
    let refused = s
        .transition_alert(
            a.id,
            &AlertState::default(),
            &firing,
            3_600_000,
            Some(&fired),
            &[tell(ch), tell(ChannelId(999))],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            StoreError::NotFound {
                what: "channel",
                ..
            }
        ),
        "{refused}"
    );
    assert_eq!(s.alert(a.id).await.unwrap().state, AlertState::default());
    assert!(s.alert_events(a.id, 10).await.unwrap().is_empty());
    assert!(
        s.deliveries(Some(DeliverySource::Alert(a.id)), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let first = s
        .transition_alert(
            a.id,
            &AlertState::default(),
            &firing,
            3_600_000,
            Some(&fired),
            &[tell(ch)],
        )
        .await
        .unwrap();
    assert!(matches!(first, Some(Some(_))));
    // A second evaluator that read the same old state loses: no second firing.
    let second = s
        .transition_alert(
            a.id,
            &AlertState::default(),
            &firing,
            3_600_000,
            Some(&fired),
            &[tell(ch)],
        )
        .await
        .unwrap();
    assert_eq!(second, None);
    let queued = s
        .deliveries(Some(DeliverySource::Alert(a.id)), 10)
        .await
        .unwrap();
    assert_eq!(
        queued.iter().map(|d| d.channel_id).collect::<Vec<_>>(),
        vec![ch],
        "the winner's message is queued once, the loser's not at all"
    );
    let resolved = NewAlertEvent {
        kind: AlertEventKind::Resolved,
        at_ms: 7_200_000,
        current: Some(3.0),
        previous: None,
        range: Some((3_600_000, 7_200_000)),
        message: "resolved".into(),
    };
    let ok = AlertState {
        phase: Phase::Ok,
        last_fired_ms: Some(3_600_000),
    };
    s.transition_alert(a.id, &firing, &ok, 7_200_000, Some(&resolved), &[])
        .await
        .unwrap()
        .unwrap();
    let read = s.alert(a.id).await.unwrap();
    assert_eq!((read.state, read.last_evaluated_ms), (ok, Some(7_200_000)));
    let events: Vec<_> = s
        .alert_events(a.id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(events, vec![resolved, fired]);

    // Updating keeps the state and relinks channels.
    let ch2 = channel(&s, "slack 2").await;
    let up = s
        .update_alert(
            a.id,
            &NewAlert {
                name: "Failures".into(),
                metric_id: m,
                spec: alert_spec(20.0),
                enabled: false,
                channels: vec![ch2],
            },
            30,
        )
        .await
        .unwrap();
    assert_eq!(
        (up.enabled, up.channels.clone(), up.state),
        (false, vec![ch2], ok)
    );
    assert!(s.delete_alert(a.id).await.unwrap());
    assert!(s.alert_events(a.id, 10).await.unwrap().is_empty());
}

async fn a_scorecard_run_is_claimed_once<H: Harness>(h: &H)
where
    H::S: WatchStore,
{
    let s = h.open(key_a()).await.unwrap();
    let m = metric(&s, "calls").await;
    let ch = channel(&s, "slack").await;
    let spec = ScorecardSpec {
        schedule: Schedule {
            frequency: Frequency::Daily,
            at: Time::constant(8, 0, 0, 0),
        },
        zone: Zone::parse("Europe/Ljubljana").unwrap(),
        metrics: vec![ScorecardMetric {
            metric_id: m.0,
            aggregation: Aggregation::Sum,
            baseline: Baseline::PreviousPeriod,
            trend: Trend::Up,
        }],
    };
    let sc = s
        .create_scorecard(
            &NewScorecard {
                name: "Daily".into(),
                spec: spec.clone(),
                channels: vec![ch],
            },
            1_000,
            1,
        )
        .await
        .unwrap();
    assert_eq!(
        (sc.spec.clone(), sc.next_run_ms, sc.last_run_ms),
        (spec.clone(), 1_000, None)
    );
    let run = [NewDelivery {
        channel_id: ch,
        source: DeliverySource::Scorecard(sc.id),
        message: serde_json::json!({"title": "Daily"}),
    }];
    let queued = || s.deliveries(Some(DeliverySource::Scorecard(sc.id)), 10);
    assert!(
        !s.claim_scorecard_run(sc.id, 1_000, 2_000, 999, &run)
            .await
            .unwrap(),
        "not due yet"
    );
    assert!(queued().await.unwrap().is_empty(), "no claim, no message");
    assert!(
        s.claim_scorecard_run(sc.id, 1_000, 2_000, 1_001, &run)
            .await
            .unwrap()
    );
    assert!(
        !s.claim_scorecard_run(sc.id, 1_000, 2_000, 1_001, &run)
            .await
            .unwrap(),
        "taken"
    );
    assert_eq!(
        queued().await.unwrap().len(),
        1,
        "queued with the one claim"
    );
    let read = s.scorecard(sc.id).await.unwrap();
    assert_eq!((read.next_run_ms, read.last_run_ms), (2_000, Some(1_001)));
    let up = s
        .update_scorecard(
            sc.id,
            &NewScorecard {
                name: "Daily digest".into(),
                spec,
                channels: vec![],
            },
            3_000,
            5,
        )
        .await
        .unwrap();
    assert_eq!(
        (up.name.as_str(), up.channels.len(), up.next_run_ms),
        ("Daily digest", 0, 3_000)
    );
    assert_eq!(s.list_scorecards().await.unwrap().len(), 1);
    assert!(s.delete_scorecard(sc.id).await.unwrap());
}

async fn deliveries_are_claimed_retried_and_failed<H: Harness>(h: &H)
where
    H::S: WatchStore,
{
    let s = h.open(key_a()).await.unwrap();
    let ch = channel(&s, "hook").await;
    let d = s
        .create_delivery(
            &NewDelivery {
                channel_id: ch,
                source: DeliverySource::Test,
                message: serde_json::json!({"title": "test"}),
            },
            100,
        )
        .await
        .unwrap();
    assert_eq!((d.state, d.attempts), (DeliveryState::Pending, 0));
    assert!(
        s.claim_delivery_id(d.id, "a", LEASE, 99)
            .await
            .unwrap()
            .is_none(),
        "not due yet"
    );
    let claimed = s
        .claim_delivery_id(d.id, "a", LEASE, 100)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((claimed.id, claimed.attempts), (d.id, 1));
    // Leased: nobody else takes it until the lease ends.
    assert!(s.claim_delivery("b", LEASE, 101).await.unwrap().is_none());
    s.finish_attempt(
        d.id,
        "a",
        &AttemptOutcome::Retry {
            at_ms: 5_000,
            error: "HTTP 500".into(),
        },
        200,
    )
    .await
    .unwrap();
    assert!(s.claim_delivery("b", LEASE, 4_999).await.unwrap().is_none());
    let again = s.claim_delivery("b", LEASE, 5_000).await.unwrap().unwrap();
    assert_eq!(
        (again.attempts, again.last_error.as_deref()),
        (2, Some("HTTP 500"))
    );
    s.finish_attempt(
        d.id,
        "b",
        &AttemptOutcome::Failed {
            error: "HTTP 503".into(),
        },
        5_100,
    )
    .await
    .unwrap();
    let done = s.delivery(d.id).await.unwrap();
    assert_eq!(
        (done.state, done.last_error.as_deref()),
        (DeliveryState::Failed, Some("HTTP 503"))
    );
    assert!(
        s.claim_delivery("b", LEASE, 1_000_000)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        s.deliveries(Some(DeliverySource::Test), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        s.deliveries(Some(DeliverySource::Alert(store::AlertId(1))), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Issue 15, finding 3: a claim whose process died or hung comes back once its lease lapses,
/// without another attempt counted (the lapsed claim counted its own), to the one process that
/// takes it back; the dead claim can no longer record an outcome over it.
async fn a_lapsed_delivery_claim_is_taken_back_once_and_counted_as_one_attempt<H: Harness>(h: &H)
where
    H::S: WatchStore,
{
    let s = h.open(key_a()).await.unwrap();
    let ch = channel(&s, "hook").await;
    let new = NewDelivery {
        channel_id: ch,
        source: DeliverySource::Test,
        message: serde_json::json!({"title": "test"}),
    };
    let d = s.create_delivery(&new, 100).await.unwrap();
    let claimed = s.claim_delivery("dead", LEASE, 100).await.unwrap().unwrap();
    assert_eq!(
        (
            claimed.id,
            claimed.attempts,
            claimed.locked_by.as_deref(),
            claimed.locked_until_ms
        ),
        (d.id, 1, Some("dead"), Some(30_100))
    );
    // Held until the lease lapses: neither a new claim nor a take-back gets it.
    assert!(
        s.claim_delivery("b", LEASE, 30_100)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.claim_delivery_id(d.id, "b", LEASE, 30_100)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.claim_lapsed_delivery("b", LEASE, 30_100)
            .await
            .unwrap()
            .is_none()
    );

    // Past the lease, processes race to take it back; exactly one gets it.
    let (x, y) = tokio::join!(
        s.claim_lapsed_delivery("b", LEASE, 30_101),
        s.claim_lapsed_delivery("c", LEASE, 30_101)
    );
    let taken: Vec<_> = [x.unwrap(), y.unwrap()].into_iter().flatten().collect();
    assert_eq!(taken.len(), 1, "{taken:?}");
    let back = &taken[0];
    let holder = back.locked_by.clone().unwrap();
    assert_eq!(
        (back.id, back.attempts, back.locked_until_ms),
        (d.id, 1, Some(60_101))
    );
    assert!(
        s.claim_delivery("d", LEASE, 30_102)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.claim_lapsed_delivery("d", LEASE, 30_102)
            .await
            .unwrap()
            .is_none()
    );

    // The dead claim waking up late cannot record over the new holder.
    let late = s
        .finish_attempt(d.id, "dead", &AttemptOutcome::Sent, 30_103)
        .await
        .unwrap_err();
    assert!(
        matches!(late, StoreError::DeliveryLeaseLost { .. }),
        "{late}"
    );
    s.finish_attempt(
        d.id,
        &holder,
        &AttemptOutcome::Retry {
            at_ms: 90_000,
            error: "attempt 1 did not finish".into(),
        },
        30_103,
    )
    .await
    .unwrap();
    let d1 = s.delivery(d.id).await.unwrap();
    assert_eq!(
        (
            d1.state,
            d1.attempts,
            d1.next_attempt_ms,
            d1.locked_by,
            d1.locked_until_ms
        ),
        (DeliveryState::Pending, 1, 90_000, None, None)
    );
    assert!(
        s.claim_lapsed_delivery("d", LEASE, 1_000_000)
            .await
            .unwrap()
            .is_none()
    );
    let again = s.claim_delivery("d", LEASE, 90_000).await.unwrap().unwrap();
    assert_eq!(again.attempts, 2);

    // Finishing a delivery that no longer exists says so.
    let gone = s
        .finish_attempt(store::DeliveryId(999_999), "d", &AttemptOutcome::Sent, 1)
        .await
        .unwrap_err();
    assert!(matches!(gone, StoreError::NotFound { .. }), "{gone}");
}

/// Parallel sends claim at the same moment: each claim takes a different due delivery rather
/// than coming back empty because another claim holds the oldest one.
async fn concurrent_delivery_claims_each_take_a_different_delivery<H: Harness>(h: &H)
where
    H::S: WatchStore,
{
    let s = h.open(key_a()).await.unwrap();
    let ch = channel(&s, "hook").await;
    for _ in 0..8 {
        s.create_delivery(
            &NewDelivery {
                channel_id: ch,
                source: DeliverySource::Test,
                message: serde_json::json!({"title": "test"}),
            },
            100,
        )
        .await
        .unwrap();
    }
    for round in 0..2 {
        let holders = ["a", "b", "c", "d"].map(|x| format!("{x}{round}"));
        let (w, x, y, z) = tokio::join!(
            s.claim_delivery(&holders[0], LEASE, 200),
            s.claim_delivery(&holders[1], LEASE, 200),
            s.claim_delivery(&holders[2], LEASE, 200),
            s.claim_delivery(&holders[3], LEASE, 200)
        );
        let mut ids: Vec<_> = [w, x, y, z]
            .into_iter()
            .map(|c| c.unwrap().expect("a due delivery for every claim").id)
            .collect();
        ids.sort_by_key(|id| id.0);
        ids.dedup();
        assert_eq!(ids.len(), 4, "round {round}: {ids:?}");
    }
    assert!(s.claim_delivery("e", LEASE, 200).await.unwrap().is_none());
}

crate::contract_tests!(
    channels_keep_their_secret_sealed,
    goals_and_their_period_history,
    alert_state_moves_once_and_events_keep_values,
    a_scorecard_run_is_claimed_once,
    deliveries_are_claimed_retried_and_failed,
    a_lapsed_delivery_claim_is_taken_back_once_and_counted_as_one_attempt,
    concurrent_delivery_claims_each_take_a_different_delivery,
);
