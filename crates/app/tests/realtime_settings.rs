//! A connection's Auth Token (issue 22), against the simulator over loopback on both backends:
//! one Twilio accepts (Basic Account SID + Auth Token) is stored and answered with the hook key,
//! then removed; a wrong one, a malformed one and a Viewer are refused in words with nothing
//! saved; the token is in no answer nor `Debug`. And the reconciliation ledger's summary and its
//! sentence, from ledger rows the test writes, the expected values worked out by hand.

mod support;

use app::realtime_settings::{
    self as rt, AuthToken, LedgerSummary, ledger_sentence, parse_auth_token,
};
use app::{AppError, Label, Role};
use connector::{BaseUrl, Connector, ConnectorConfig};
use domain::Secret;
use metric::Aggregation;
use store::{BucketRow, LedgerRow, LiveHour, LiveStore, MetricId, Store};
use twilio_sim::{Faults, SimConfig, SimHandle, Sizes};

const HOUR: i64 = 3_600_000;

async fn sim() -> SimHandle {
    twilio_sim::spawn(SimConfig {
        seed: 22,
        now: "2026-03-01T00:00:00Z".parse().unwrap(),
        sizes: Sizes {
            messages_per_day: 2,
            calls_per_day: 1,
            days: 2,
            subaccounts: 0,
            ..Sizes::default()
        },
        faults: Faults::default(),
        incidents: Vec::new(),
    })
    .await
    .expect("the simulator starts")
}

fn connector_to(sim: &SimHandle) -> Connector {
    Connector::new(ConnectorConfig {
        base_url: Some(BaseUrl::parse(&sim.base_url()).unwrap()),
        ..ConnectorConfig::default()
    })
    .unwrap()
}

/// The simulator's main account saved as connection "prod" with its Main key.
async fn saved(b: &support::Backend, sim: &SimHandle) -> store::Connection {
    let account = sim.dataset().main_account();
    let key = account.main_key().expect("a Main key");
    let creds = app::connections::parse_credentials(
        &account.sid,
        &key.sid,
        Secret::new(key.secret.clone()),
    )
    .unwrap();
    b.app
        .add_connection(&Label::parse("prod").unwrap(), creds)
        .await
        .expect("the simulator accepts its own key")
        .connection
}

fn token_of(sim: &SimHandle) -> String {
    sim.dataset().main_account().auth_token.clone()
}

/// A token of the right shape that is not the account's.
fn wrong_token(right: &str) -> String {
    let other = if right.starts_with('0') { "1" } else { "0" };
    format!("{other}{}", &right[1..])
}

#[tokio::test]
async fn a_token_twilio_accepts_is_stored_then_removed_with_the_same_hook_key() {
    let sim = sim().await;
    for b in support::backends_with("rt_set", connector_to(&sim)).await {
        let c = saved(&b, &sim).await;
        let token = parse_auth_token(&Secret::new(token_of(&sim))).unwrap();
        let key = b
            .app
            .set_connection_auth_token(Role::Admin, c.id, Some(token))
            .await
            .unwrap();
        assert!(!key.is_empty(), "{}", b.name);
        let info = b.app.connection_realtime(c.id).await.unwrap();
        assert!(info.has_auth_token(), "{}", b.name);
        assert_eq!(
            info.hook.as_ref().map(|h| h.hook_key.as_str()),
            Some(key.as_str())
        );
        assert_eq!(
            info.paths().unwrap().messages,
            format!("/hooks/twilio/{key}/messages")
        );
        assert!(info.recent.is_empty(), "{}: nothing received yet", b.name);

        let again = b
            .app
            .set_connection_auth_token(Role::Admin, c.id, None)
            .await
            .unwrap();
        assert_eq!(again, key, "{}: removing keeps the URLs", b.name);
        let info = b.app.connection_realtime(c.id).await.unwrap();
        assert!(!info.has_auth_token(), "{}", b.name);
    }
}

#[tokio::test]
async fn a_token_twilio_refuses_is_not_saved_and_the_refusal_says_why() {
    let sim = sim().await;
    for b in support::backends_with("rt_wrong", connector_to(&sim)).await {
        let c = saved(&b, &sim).await;
        let wrong = wrong_token(&token_of(&sim));
        let token = parse_auth_token(&Secret::new(wrong.clone())).unwrap();
        let e = b
            .app
            .set_connection_auth_token(Role::Admin, c.id, Some(token))
            .await
            .unwrap_err();
        let AppError::Refused { field, message } = &e else {
            panic!("{}: {e:?}", b.name);
        };
        assert_eq!(*field, "auth_token");
        assert!(
            message.contains("Twilio refused the Auth Token (HTTP 401"),
            "{message}"
        );
        assert!(
            !message.contains(&wrong),
            "the refusal never repeats the token"
        );
        let info = b.app.connection_realtime(c.id).await.unwrap();
        assert!(info.hook.is_none(), "{}: nothing saved", b.name);
    }
}

#[tokio::test]
async fn a_malformed_token_is_refused_in_words_naming_the_rule() {
    for (text, words) in [
        ("", "is empty"),
        ("abc", "32 characters long, this one has 3"),
        ("0123456789ABCDEF0123456789ABCDEF", "0-9 and a-f"),
        ("0123456789abcdef0123456789abcdeg", "0-9 and a-f"),
    ] {
        let e = parse_auth_token(&Secret::new(text)).unwrap_err();
        let AppError::Invalid { field, message } = &e else {
            panic!("{text:?}: {e:?}");
        };
        assert_eq!(*field, "auth_token");
        assert!(message.contains(words), "{text:?}: {message}");
    }
}

#[tokio::test]
async fn an_editor_may_neither_set_nor_remove_a_token() {
    let sim = sim().await;
    for b in support::backends_with("rt_viewer", connector_to(&sim)).await {
        let c = saved(&b, &sim).await;
        let token = parse_auth_token(&Secret::new(token_of(&sim))).unwrap();
        for t in [Some(token), None] {
            let e = b
                .app
                .set_connection_auth_token(Role::Editor, c.id, t)
                .await
                .unwrap_err();
            assert!(matches!(e, AppError::Forbidden(Role::Admin)), "{e:?}");
            assert_eq!(
                e.to_string(),
                "your role cannot do this: it needs the Admin role"
            );
        }
    }
}

#[tokio::test]
async fn the_token_is_in_no_debug_output() {
    let sim = sim().await;
    let text = token_of(&sim);
    let token = AuthToken::parse(&Secret::new(text.clone())).unwrap();
    assert!(!format!("{token:?}").contains(&text));
    for b in support::backends_with("rt_debug", connector_to(&sim)).await {
        let c = saved(&b, &sim).await;
        b.app
            .set_connection_auth_token(Role::Admin, c.id, Some(token.clone()))
            .await
            .unwrap();
        let info = b.app.connection_realtime(c.id).await.unwrap();
        assert!(!format!("{info:?}").contains(&text), "{}", b.name);
        let auth = b
            .app
            .store()
            .callback_auth(&info.hook.unwrap().hook_key)
            .await
            .unwrap()
            .unwrap();
        assert!(!format!("{auth:?}").contains(&text), "{}", b.name);
        // The store gives it back only to the code that verifies signatures.
        assert_eq!(auth.auth_token.unwrap().expose(), text);
    }
}

fn row(hours: i64, provisional: (f64, i64), polled: (f64, i64)) -> LedgerRow {
    LedgerRow {
        metric: MetricId(1),
        from_ms: 0,
        to_ms: HOUR,
        hours,
        provisional_sum: provisional.0,
        provisional_count: provisional.1,
        polled_sum: polled.0,
        polled_count: polled.1,
        recorded_ms: 0,
    }
}

#[test]
fn a_sum_weighs_the_sums_of_every_window() {
    let rows = [
        row(2, (99.0, 9), (100.0, 10)),
        row(1, (150.0, 1), (150.0, 1)),
    ];
    let s = LedgerSummary::of(&rows, Aggregation::Sum).unwrap();
    // 249 against 250: 1 / 250 = 0.4 %.
    assert_eq!((s.windows, s.hours), (2, 3));
    assert_eq!((s.provisional, s.polled), (249.0, 250.0));
    assert!((s.gap_pct.unwrap() - 0.4).abs() < 1e-9);
    assert_eq!(
        ledger_sentence(Some(&s)),
        "Real-time was within 0.4 % of the polled value over the last 2 windows."
    );
}

#[test]
fn a_count_weighs_the_counts() {
    let rows = [row(1, (5.0, 9), (5.0, 10))];
    let s = LedgerSummary::of(&rows, Aggregation::Count).unwrap();
    // 9 against 10: 10 %.
    assert_eq!((s.provisional, s.polled), (9.0, 10.0));
    assert_eq!(
        ledger_sentence(Some(&s)),
        "Real-time was within 10.0 % of the polled value over the last window."
    );
}

#[test]
fn an_average_weighs_sum_over_count_on_each_side() {
    let rows = [row(1, (30.0, 3), (40.0, 4)), row(1, (12.0, 3), (20.0, 4))];
    let s = LedgerSummary::of(&rows, Aggregation::Average).unwrap();
    // (30 + 12) / 6 = 7 against (40 + 20) / 8 = 7.5: 0.5 / 7.5 = 6.67 %, said as 6.7.
    assert_eq!((s.provisional, s.polled), (7.0, 7.5));
    assert_eq!(
        ledger_sentence(Some(&s)),
        "Real-time was within 6.7 % of the polled value over the last 2 windows."
    );
}

#[test]
fn an_aggregation_without_a_sum_of_its_own_weighs_sums() {
    let rows = [row(1, (3.0, 1), (4.0, 2))];
    let s = LedgerSummary::of(&rows, Aggregation::Max).unwrap();
    assert_eq!((s.provisional, s.polled), (3.0, 4.0));
}

#[test]
fn a_tiny_gap_is_rounded_up_so_within_stays_true() {
    let rows = [row(1, (9_999.0, 1), (10_000.0, 1))];
    let s = LedgerSummary::of(&rows, Aggregation::Sum).unwrap();
    // 1 / 10000 = 0.01 %: "within 0.1 %", never "within 0.0 %".
    assert!(ledger_sentence(Some(&s)).contains("within 0.1 %"));
}

#[test]
fn equal_values_and_a_zero_poll_have_words_of_their_own() {
    let same = LedgerSummary::of(&[row(1, (5.0, 1), (5.0, 1))], Aggregation::Sum).unwrap();
    assert_eq!(
        ledger_sentence(Some(&same)),
        "Real-time matched the polled value exactly over the last window."
    );
    let zero = LedgerSummary::of(&[row(1, (3.0, 1), (0.0, 0))], Aggregation::Sum).unwrap();
    assert_eq!(zero.gap_pct, None);
    assert_eq!(
        ledger_sentence(Some(&zero)),
        "Real-time read 3 where the poll found 0 over the last window."
    );
}

#[test]
fn no_rows_say_so_in_words() {
    assert_eq!(LedgerSummary::of(&[], Aggregation::Sum), None);
    assert!(ledger_sentence(None).starts_with("No reconciled windows yet"));
}

fn bucket(dimension: &str, hour_ms: i64, sum: f64, count: i64) -> BucketRow {
    BucketRow {
        dimension: dimension.to_owned(),
        hour_ms,
        sum,
        count,
        min: 0.0,
        max: sum,
        latest: 0.0,
        latest_at_ms: hour_ms,
    }
}

/// A provisional hour, then a poll over its window: the ledger row the store records, summed
/// by `ledger_summary` (the metric's definition does not read, so it is summed).
#[tokio::test]
async fn the_summary_of_a_reconciled_window_reads_the_stores_ledger() {
    for b in support::backends("rt_ledger").await {
        let c = support::connection(&b.app, "prod").await;
        let m = support::metric(&b.app, "sent", &c).await;
        assert_eq!(rt::ledger_summary(b.app.store(), m.id).await.unwrap(), None);
        let t0 = support::T0;
        let live = vec![
            bucket("a", t0 + HOUR, 5.0, 2),
            bucket("b", t0 + HOUR, 2.0, 1),
        ];
        b.app
            .store()
            .write_live_hours(
                m.id,
                &[LiveHour {
                    hour_ms: t0 + HOUR,
                    buckets: live,
                }],
            )
            .await
            .unwrap();
        let polled = [
            bucket("a", t0, 100.0, 50),
            bucket("a", t0 + HOUR, 6.0, 3),
            bucket("b", t0 + HOUR, 2.0, 1),
        ];
        b.app
            .store()
            .replace_window(m.id, t0, t0 + 3 * HOUR, &polled)
            .await
            .unwrap();
        let s = b.app.realtime_ledger(m.id).await.unwrap().unwrap();
        // Only the overlaid hour counts: 5 + 2 = 7 provisional against 6 + 2 = 8 polled.
        assert_eq!((s.windows, s.hours), (1, 1), "{}", b.name);
        assert_eq!((s.provisional, s.polled), (7.0, 8.0), "{}", b.name);
        assert_eq!(
            ledger_sentence(Some(&s)),
            "Real-time was within 12.5 % of the polled value over the last window."
        );
    }
}
