//! Usage-based and record-based library metrics that measure the same thing agree, day by day,
//! once both are synced from the simulator: the stored series of one library metric against the
//! stored series of the other.

mod support;

use std::collections::BTreeMap;

use support::*;

async fn synced_per_day(t: &TempStore, slug: &str) -> BTreeMap<i64, (i64, f64)> {
    let (id, _) = add_and_sync(t, slug).await;
    let (from, to) = whole_range();
    per_day(&stored_hourly(&t.store, id, from, to).await)
}

/// Equal sums per day, within 1e-9, over the days either has.
async fn assert_agree(usage: &str, records: &str) {
    let t = store_with_connection().await;
    let a = synced_per_day(&t, usage).await;
    let b = synced_per_day(&t, records).await;
    assert!(
        !a.is_empty() && !b.is_empty(),
        "{usage} / {records}: no data"
    );
    let days: std::collections::BTreeSet<_> = a.keys().chain(b.keys()).collect();
    let mut nonzero = 0;
    for day in days {
        let x = a.get(day).map_or(0.0, |v| v.1);
        let y = b.get(day).map_or(0.0, |v| v.1);
        assert!(
            (x - y).abs() <= 1e-9,
            "day {day}: {usage} says {x}, {records} says {y}"
        );
        if x != 0.0 {
            nonzero += 1;
        }
    }
    assert!(nonzero > 0, "{usage} / {records}: only zeros");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_sent_from_usage_records_equals_sms_sent_from_messages() {
    assert_agree("sms-sent-usage", "sms-sent").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messaging_spend_from_usage_records_equals_the_messages_prices() {
    assert_agree("messaging-spend", "messaging-spend-from-messages").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voice_spend_from_usage_records_equals_the_calls_prices() {
    assert_agree("voice-spend", "voice-spend-from-calls").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn billed_voice_minutes_from_usage_records_equal_the_calls_rounded_up() {
    assert_agree("voice-minutes-usage", "billed-call-minutes").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spend_by_category_adds_up_to_the_total_spend() {
    assert_agree("total-spend", "spend-by-category").await;
}
