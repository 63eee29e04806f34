//! Every library metric, synced from the simulator over HTTP into SQLite, equals the values this
//! test computes from the simulator's dump, hour by hour and dimension by dimension: counts exactly, sums within 1e-9, and rates within
//! 1e-9 of the rate computed from the same counts. A metric without a test here is refused by
//! `every_library_metric_has_a_sync_test`.

mod support;

use std::collections::BTreeMap;

use serde_json::Value;
use store::{BucketQuery, Store};
use support::*;

enum Expected {
    /// Dated rows, compared per day and dimension.
    Rows(Vec<ExpectedRow>),
    /// A reading at the sync time, compared with the stored latest value.
    Latest(f64),
}

fn rows_of(
    list: &str,
    keep: impl Fn(&Value) -> bool,
    at: impl Fn(&Value) -> i64,
    value: impl Fn(&Value) -> Option<f64>,
    dim: impl Fn(&Value) -> String,
) -> Vec<ExpectedRow> {
    records(list)
        .iter()
        .filter(|r| keep(r))
        .filter_map(|r| value(r).map(|v| (at(r), dim(r), v)))
        .collect()
}

fn none(_: &Value) -> String {
    String::new()
}

fn field(name: &'static str) -> impl Fn(&Value) -> String {
    move |r| match r.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        other => panic!("{name} is {other:?}"),
    }
}

fn one(_: &Value) -> Option<f64> {
    Some(1.0)
}

fn is(name: &'static str, wanted: &'static [&'static str]) -> impl Fn(&Value) -> bool {
    move |r| text(r, name).is_some_and(|v| wanted.contains(&v))
}

fn outbound(m: &Value) -> bool {
    text(m, "direction") != Some("inbound")
}

fn priced(r: &Value) -> bool {
    text(r, "price").is_some_and(|p| !p.is_empty())
}

fn negated_price(r: &Value) -> Option<f64> {
    num(r, "price").map(|p| -p)
}

fn messages(
    keep: impl Fn(&Value) -> bool,
    value: impl Fn(&Value) -> Option<f64>,
    dim: impl Fn(&Value) -> String,
) -> Expected {
    Expected::Rows(rows_of("messages", keep, message_at, value, dim))
}

fn calls(
    keep: impl Fn(&Value) -> bool,
    value: impl Fn(&Value) -> Option<f64>,
    dim: impl Fn(&Value) -> String,
) -> Expected {
    Expected::Rows(rows_of(
        "calls",
        keep,
        |c| rfc2822(c, "start_time").unwrap(),
        value,
        dim,
    ))
}

fn usage(categories: &'static [&'static str], value: &'static str, by_category: bool) -> Expected {
    Expected::Rows(rows_of(
        "usage_records_daily",
        is("category", categories),
        |r| ymd(r, "start_date").unwrap(),
        |r| num(r, value),
        |r| {
            if by_category {
                text(r, "category").unwrap().to_owned()
            } else {
                String::new()
            }
        },
    ))
}

fn alerts(keep: impl Fn(&Value) -> bool, dim: impl Fn(&Value) -> String) -> Expected {
    Expected::Rows(rows_of(
        "alerts",
        keep,
        |a| iso(a, "date_generated").unwrap(),
        one,
        dim,
    ))
}

fn attempts(
    keep: impl Fn(&Value) -> bool,
    value: impl Fn(&Value) -> Option<f64>,
    dim: impl Fn(&Value) -> String,
) -> Expected {
    Expected::Rows(rows_of(
        "verify_attempts",
        keep,
        |v| iso(v, "date_created").unwrap(),
        value,
        dim,
    ))
}

const FINAL_MESSAGE: &[&str] = &["delivered", "undelivered", "failed"];
const FINAL_CALL: &[&str] = &["completed", "busy", "no-answer", "failed", "canceled"];

fn all(_: &Value) -> bool {
    true
}

fn expected(slug: &str) -> Expected {
    let dump = &shared().dump["accounts"][0];
    match slug {
        "messages-sent" => messages(outbound, one, none),
        "messages-sent-per-hour" => messages(outbound, one, none),
        "sms-sent" => messages(
            |m| outbound(m) && num(m, "num_media").unwrap() == 0.0 && priced(m),
            one,
            none,
        ),
        "messages-received" => messages(|m| !outbound(m), one, none),
        "messages-delivered" => messages(is("status", &["delivered"]), one, none),
        "messages-failed" => messages(is("status", &["failed"]), one, none),
        "messages-undelivered" => messages(is("status", &["undelivered"]), one, none),
        "messages-by-status" => messages(all, one, field("status")),
        "messages-by-direction" => messages(all, one, field("direction")),
        "messages-by-messaging-service" => messages(all, one, |m| {
            text(m, "messaging_service_sid")
                .unwrap_or("none")
                .to_owned()
        }),
        "message-delivery-rate" => messages(
            |m| outbound(m) && is("status", FINAL_MESSAGE)(m),
            |m| {
                Some(if text(m, "status") == Some("delivered") {
                    100.0
                } else {
                    0.0
                })
            },
            none,
        ),
        "message-segments" => messages(all, |m| num(m, "num_segments"), field("direction")),
        "mms-messages" => messages(
            |m| num(m, "num_media").unwrap() > 0.0,
            one,
            field("direction"),
        ),
        "messaging-spend-from-messages" | "average-price-per-message" => {
            messages(priced, negated_price, none)
        }
        "message-errors-by-code" => messages(
            is("status", &["failed", "undelivered"]),
            one,
            field("error_code"),
        ),
        "alerts-by-error-code" => alerts(all, field("error_code")),
        "alerts-by-log-level" => alerts(all, field("log_level")),
        "error-alerts" => alerts(is("log_level", &["error"]), none),
        "failed-calls" => calls(is("status", &["failed"]), one, none),
        "calls-by-status" => calls(all, one, field("status")),
        "calls-by-direction" => calls(all, one, field("direction")),
        "inbound-calls" => calls(is("direction", &["inbound"]), one, none),
        "outbound-calls" => calls(|c| text(c, "direction") != Some("inbound"), one, none),
        "call-minutes" => calls(all, |c| num(c, "duration").map(|d| d / 60.0), none),
        "billed-call-minutes" => calls(
            priced,
            |c| num(c, "duration").map(|d| (d / 60.0).ceil()),
            none,
        ),
        "average-call-duration" => {
            calls(is("status", &["completed"]), |c| num(c, "duration"), none)
        }
        "call-answer-rate" => calls(
            is("status", FINAL_CALL),
            |c| {
                Some(if text(c, "status") == Some("completed") {
                    100.0
                } else {
                    0.0
                })
            },
            none,
        ),
        "voice-spend-from-calls" => calls(priced, negated_price, none),
        "conferences" => Expected::Rows(rows_of(
            "conferences",
            all,
            |c| rfc2822(c, "date_created").unwrap(),
            one,
            field("status"),
        )),
        "conference-minutes" => Expected::Rows(rows_of(
            "conferences",
            is("status", &["completed"]),
            |c| rfc2822(c, "date_created").unwrap(),
            |c| {
                let minutes = rfc2822(c, "date_updated")? - rfc2822(c, "date_created")?;
                Some(minutes as f64 / 60_000.0)
            },
            none,
        )),
        "recordings" | "recording-minutes" => Expected::Rows(rows_of(
            "recordings",
            all,
            |r| rfc2822(r, "date_created").unwrap(),
            |r| {
                if slug == "recordings" {
                    Some(1.0)
                } else {
                    num(r, "duration").map(|d| d / 60.0)
                }
            },
            none,
        )),
        "call-summaries-by-state" => Expected::Rows(rows_of(
            "call_summaries",
            all,
            |s| iso(s, "start_time").unwrap(),
            one,
            field("call_state"),
        )),
        "total-spend" => usage(&["totalprice"], "price", false),
        "spend-by-category" => usage(
            &["calls", "sms", "mms", "phonenumbers", "recordings"],
            "price",
            true,
        ),
        "messaging-spend" => usage(&["sms", "mms"], "price", false),
        "voice-spend" => usage(&["calls"], "price", false),
        "phone-number-cost" => usage(&["phonenumbers"], "price", false),
        "recording-spend" => usage(&["recordings"], "price", false),
        "sms-sent-usage" => usage(&["sms-outbound"], "count", false),
        "sms-received-usage" => usage(&["sms-inbound"], "count", false),
        "sms-segments-usage" => usage(&["sms"], "usage", false),
        "mms-usage" => usage(&["mms"], "count", false),
        "voice-minutes-usage" => usage(&["calls"], "usage", false),
        "calls-usage" => usage(&["calls"], "count", false),
        "account-balance" => Expected::Latest(num(&dump["balance"], "balance").unwrap()),
        "phone-numbers-owned" => {
            Expected::Latest(dump["incoming_phone_numbers"].as_array().unwrap().len() as f64)
        }
        "messaging-services" => {
            Expected::Latest(dump["messaging_services"].as_array().unwrap().len() as f64)
        }
        "verify-attempts" => attempts(all, one, field("channel")),
        "verify-conversions" => attempts(is("conversion_status", &["converted"]), one, none),
        "verify-conversion-rate" => attempts(
            all,
            |v| {
                Some(if text(v, "conversion_status") == Some("converted") {
                    100.0
                } else {
                    0.0
                })
            },
            none,
        ),
        "verify-spend" => attempts(all, |v| num(&v["price"], "value"), none),
        other => panic!("no expected values written for the library metric {other}"),
    }
}

/// The list, the date, which records count and which are hits.
type RateSource = (
    &'static str,
    fn(&Value) -> i64,
    fn(&Value) -> bool,
    fn(&Value) -> bool,
);

/// For the rates: `(numerator, denominator)` counts per day, computed apart from the rows above.
fn rate_counts(slug: &str) -> Option<BTreeMap<i64, (u64, u64)>> {
    let (list, at, counted, hit): RateSource = match slug {
        "message-delivery-rate" => (
            "messages",
            message_at,
            |m| outbound(m) && is("status", FINAL_MESSAGE)(m),
            |m| text(m, "status") == Some("delivered"),
        ),
        "call-answer-rate" => (
            "calls",
            |c| rfc2822(c, "start_time").unwrap(),
            |c| is("status", FINAL_CALL)(c),
            |c| text(c, "status") == Some("completed"),
        ),
        "verify-conversion-rate" => (
            "verify_attempts",
            |v| iso(v, "date_created").unwrap(),
            |_| true,
            |v| text(v, "conversion_status") == Some("converted"),
        ),
        _ => return None,
    };
    let (from, to) = whole_range();
    let mut out = BTreeMap::new();
    for r in records(list).iter().filter(|r| counted(r)) {
        let t = at(r);
        if from <= t && t < to {
            let e = out.entry(day_of(t)).or_insert((0u64, 0u64));
            e.1 += 1;
            e.0 += u64::from(hit(r));
        }
    }
    Some(out)
}

async fn check(slug: &str) {
    let t = store_with_connection().await;
    let (id, report) = add_and_sync(&t, slug).await;
    let (from, to) = whole_range();
    match expected(slug) {
        Expected::Rows(rows) => {
            let expected = hourly(&rows, from, to);
            let stored = stored_hourly(&t.store, id, from, to).await;
            assert_same(&stored, &expected, slug);
            if let Some(counts) = rate_counts(slug) {
                let stored = per_day(&stored);
                assert_eq!(stored.len(), counts.len(), "{slug}: days with a rate");
                for (day, (hits, total)) in counts {
                    let (count, sum) = stored[&day];
                    let rate = sum / count as f64;
                    let want = hits as f64 * 100.0 / total as f64;
                    assert!(
                        (rate - want).abs() <= 1e-9,
                        "{slug}: rate of day {day}: stored {rate}, from the counts {want}"
                    );
                }
            }
        }
        Expected::Latest(want) => {
            assert_eq!(report.ledger.shape, "snapshot", "{slug}");
            let buckets = t
                .store
                .buckets(&BucketQuery {
                    metric: id,
                    dimension: None,
                    from_ms: from,
                    to_ms: to,
                })
                .await
                .unwrap();
            assert_eq!(buckets.len(), 1, "{slug}: one reading");
            let b = &buckets[0];
            assert_eq!(b.latest_at_ms, sim_now().as_millisecond(), "{slug}");
            assert!(
                (b.latest - want).abs() <= 1e-9,
                "{slug}: stored {}, expected {want}",
                b.latest
            );
        }
    }
}

macro_rules! library_tests {
    ($($test:ident => $slug:literal),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                check($slug).await;
            }
        )*
        const TESTED: &[&str] = &[$($slug),*];
    };
}

library_tests! {
    messages_sent => "messages-sent",
    messages_sent_per_hour => "messages-sent-per-hour",
    sms_sent => "sms-sent",
    messages_received => "messages-received",
    messages_delivered => "messages-delivered",
    messages_failed => "messages-failed",
    messages_undelivered => "messages-undelivered",
    messages_by_status => "messages-by-status",
    messages_by_direction => "messages-by-direction",
    messages_by_messaging_service => "messages-by-messaging-service",
    message_delivery_rate => "message-delivery-rate",
    message_segments => "message-segments",
    mms_messages => "mms-messages",
    messaging_spend_from_messages => "messaging-spend-from-messages",
    average_price_per_message => "average-price-per-message",
    message_errors_by_code => "message-errors-by-code",
    alerts_by_error_code => "alerts-by-error-code",
    alerts_by_log_level => "alerts-by-log-level",
    error_alerts => "error-alerts",
    failed_calls => "failed-calls",
    calls_by_status => "calls-by-status",
    calls_by_direction => "calls-by-direction",
    inbound_calls => "inbound-calls",
    outbound_calls => "outbound-calls",
    call_minutes => "call-minutes",
    billed_call_minutes => "billed-call-minutes",
    average_call_duration => "average-call-duration",
    call_answer_rate => "call-answer-rate",
    voice_spend_from_calls => "voice-spend-from-calls",
    conferences => "conferences",
    conference_minutes => "conference-minutes",
    recordings => "recordings",
    recording_minutes => "recording-minutes",
    call_summaries_by_state => "call-summaries-by-state",
    total_spend => "total-spend",
    spend_by_category => "spend-by-category",
    messaging_spend => "messaging-spend",
    voice_spend => "voice-spend",
    phone_number_cost => "phone-number-cost",
    recording_spend => "recording-spend",
    sms_sent_usage => "sms-sent-usage",
    sms_received_usage => "sms-received-usage",
    sms_segments_usage => "sms-segments-usage",
    mms_usage => "mms-usage",
    voice_minutes_usage => "voice-minutes-usage",
    calls_usage => "calls-usage",
    account_balance => "account-balance",
    phone_numbers_owned => "phone-numbers-owned",
    messaging_services => "messaging-services",
    verify_attempts => "verify-attempts",
    verify_conversions => "verify-conversions",
    verify_conversion_rate => "verify-conversion-rate",
    verify_spend => "verify-spend",
}

#[test]
fn every_library_metric_has_a_sync_test() {
    let mut library: Vec<&str> = library::all()
        .unwrap()
        .iter()
        .map(|m| m.slug.as_str())
        .collect();
    library.sort_unstable();
    let mut tested = TESTED.to_vec();
    tested.sort_unstable();
    assert_eq!(
        library, tested,
        "each library file needs a test above, and only those"
    );
}
