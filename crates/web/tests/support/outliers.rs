//! Stored hours of a delivery-rate metric over 100 accounts (composite dimensions written
//! straight into the store), one account planted far below the others and one with too few
//! rows, so which account is out of line is the test's own arithmetic.

use metric::accounts::{AccountScope, compose};
use metric::definition::Unit;
use metric::{Aggregation, Trend};
use store::{AnyStore, BucketRow, NewMetric, Store as _};

pub const HOUR: i64 = 3_600_000;
pub const DAY: i64 = 24 * HOUR;
/// Days of history, ending at the start of today (the pages read the real clock).
pub const DAYS: i64 = 8;
pub const ACCOUNTS: usize = 100;
pub const PLANTED: usize = 42;
pub const PLANTED_RATE: f64 = 70.0;
pub const TINY: usize = 77;
pub const ROWS: i64 = 3;

pub fn sid(i: usize) -> String {
    format!("AC{i:032x}")
}

/// Each account's rate: 93.5 % to 96.5 %, the planted one at 70 %.
pub fn rate(i: usize) -> f64 {
    if i == PLANTED {
        PLANTED_RATE
    } else {
        95.0 + ((i * 37 % 11) as f64 - 5.0) * 0.3
    }
}

/// The median of the judged accounts' rates (every account but the tiny one), worked out here.
pub fn judged_median() -> f64 {
    let mut v: Vec<f64> = (0..ACCOUNTS).filter(|&i| i != TINY).map(rate).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

pub fn start() -> i64 {
    let today = jiff::Timestamp::now().as_millisecond().div_euclid(DAY) * DAY;
    today - DAYS * DAY
}

/// A delivery-rate metric (an average in percent, more is better) of `scope`, holding
/// [`DAYS`] of every account's hours when `scope` is multi-account, covered by a good sync.
pub async fn rate_metric(store: &AnyStore, name: &str, scope: AccountScope) -> store::StoredMetric {
    let entry = library::find("messages-sent-per-hour").expect("a library metric");
    let mut definition = entry.definition.clone();
    definition.description.name = name.into();
    definition.description.aggregation = Aggregation::Average;
    definition.description.favourable = Trend::Up;
    definition.description.format.unit = Unit::Percent;
    definition.description.format.currency = None;
    let multi = scope.is_multi();
    definition.accounts = scope;
    let (start, end) = (start(), start() + DAYS * DAY);
    let m = store
        .create_metric(
            &NewMetric {
                name: name.into(),
                connection_id: None,
                definition: definition.to_json_pretty(),
            },
            start,
        )
        .await
        .unwrap();
    if multi {
        store
            .replace_window(m.id, start, end, &rows(start))
            .await
            .unwrap();
    }
    super::good_run(store, m.id, start, end).await;
    m
}

fn rows(start: i64) -> Vec<BucketRow> {
    let mut rows = Vec::new();
    for i in 0..ACCOUNTS {
        let hours = if i == TINY { 1 } else { DAYS * 24 };
        let value = if i == TINY { 5.0 } else { rate(i) };
        // The tiny account's one hour is the last, inside every recent range.
        for h in DAYS * 24 - hours..DAYS * 24 {
            let hour_ms = start + h * HOUR;
            rows.push(BucketRow {
                dimension: compose(&sid(i), Some("sms")),
                hour_ms,
                sum: value * ROWS as f64,
                count: ROWS,
                min: value,
                max: value,
                latest: value,
                latest_at_ms: hour_ms,
            });
        }
    }
    rows
}
