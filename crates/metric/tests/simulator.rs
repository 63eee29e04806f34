//! The whole pure path on the simulator's data: its dataset (as `switchboard sim dump` writes
//! it, every resource as the API renders it) cut into 2010 list pages, the generated expression,
//! rows, hourly buckets, a daily series by status. Expected figures are counted straight from
//! the dump, with dates read by hand.

mod support;

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use metric::aggregate::{Aggregation, Interval, Query, TimeRange, query};
use metric::bucket::fold_rows;
use metric::jsonata::{Expression, Limits};
use metric::picks::{DatePick, Picks, ValuePick};
use serde_json::{Value, json};
use support::pages::parse_generated;

const DAY_MS: i64 = 86_400_000;

fn dump() -> Value {
    let config = twilio_sim::SimConfig {
        seed: 4,
        now: "2026-11-01T12:00:00Z".parse().unwrap(),
        sizes: twilio_sim::Sizes {
            messages_per_day: 60,
            calls_per_day: 20,
            days: 20,
            subaccounts: 0,
            ..twilio_sim::Sizes::default()
        },
        faults: twilio_sim::Faults::default(),
        incidents: Vec::new(),
    };
    serde_json::to_value(twilio_sim::generate(&config)).expect("the dump serializes")
}

/// The main account's records of one list, as 2010 list pages of `per_page`.
fn pages(dump: &Value, list: &str, per_page: usize) -> (Vec<Value>, Vec<Value>) {
    let records = dump["accounts"][0][list]
        .as_array()
        .unwrap_or_else(|| panic!("the dump has no {list}: {}", dump["accounts"][0]))
        .clone();
    let pages = records
        .chunks(per_page)
        .enumerate()
        .map(|(i, chunk)| json!({ list: chunk, "page": i, "page_size": per_page }))
        .collect();
    (pages, records)
}

fn run(picks: &Picks, pages: &[Value]) -> metric::Extracted {
    let e = Expression::compile(&picks.to_expression().unwrap(), Limits::default()).unwrap();
    let texts: Vec<String> = pages.iter().map(Value::to_string).collect();
    metric::extract_text(&e, &texts, "2026-11-01T12:00:00Z".parse().unwrap()).unwrap()
}

#[test]
fn messages_by_status_per_day_match_a_direct_count_of_the_dump() {
    let dump = dump();
    let (pages, messages) = pages(&dump, "messages", 300);
    assert!(pages.len() > 2, "several pages expected");
    let picks = Picks {
        records: Some("messages".into()),
        value: ValuePick::Count,
        dimension: Some("status".into()),
        date: DatePick::Field {
            path: "date_created".into(),
        },
        filters: vec![],
    };
    let out = run(&picks, &pages);
    assert_eq!(out.errors, []);
    assert_eq!(out.rows.len(), messages.len());

    // Direct: messages per (UTC day, status).
    let mut direct: BTreeMap<(i64, String), f64> = BTreeMap::new();
    for m in &messages {
        let day = (parse_generated(m["date_created"].as_str().unwrap()) * 1000).div_euclid(DAY_MS);
        *direct
            .entry((day, m["status"].as_str().unwrap().to_owned()))
            .or_default() += 1.0;
    }
    let first_day = *direct.keys().map(|(d, _)| d).min().unwrap();
    let last_day = *direct.keys().map(|(d, _)| d).max().unwrap();
    let buckets = fold_rows(&out.rows);
    let statuses: std::collections::BTreeSet<&String> = direct.keys().map(|(_, s)| s).collect();
    assert!(
        statuses.len() >= 3,
        "the simulator should vary statuses: {statuses:?}"
    );
    for status in statuses {
        let mine: Vec<_> = buckets
            .iter()
            .filter(|b| b.dimension.as_ref() == Some(status))
            .cloned()
            .collect();
        let got = query(
            &mine,
            &Query {
                range: TimeRange::new(
                    jiff::Timestamp::from_millisecond(first_day * DAY_MS).unwrap(),
                    jiff::Timestamp::from_millisecond((last_day + 1) * DAY_MS).unwrap(),
                )
                .unwrap(),
                interval: Interval::Day,
                aggregation: Aggregation::Sum,
                zone: TimeZone::UTC,
                top: 10,
            },
        )
        .unwrap();
        assert_eq!(got.series.len() as i64, last_day - first_day + 1);
        for p in &got.series {
            let day = p.start.as_millisecond().div_euclid(DAY_MS);
            let expected = direct.get(&(day, status.clone())).copied().unwrap_or(0.0);
            assert_eq!(p.value, Some(expected), "{status} on day {day}");
        }
    }
}

#[test]
fn message_cost_sums_the_priced_messages_of_the_dump() {
    let dump = dump();
    let (pages, messages) = pages(&dump, "messages", 500);
    let picks = Picks {
        records: Some("messages".into()),
        value: ValuePick::Field {
            path: "price".into(),
        },
        dimension: None,
        date: DatePick::Field {
            path: "date_created".into(),
        },
        filters: vec![],
    };
    let out = run(&picks, &pages);
    let priced: Vec<f64> = messages
        .iter()
        .filter_map(|m| m["price"].as_str()?.parse().ok())
        .collect();
    let unpriced = messages.iter().filter(|m| m["price"].is_null()).count();
    assert_eq!(out.errors, []);
    assert_eq!(out.skipped, unpriced);
    let got: f64 = out.rows.iter().map(|r| r.value).sum();
    let expected: f64 = priced.iter().sum();
    assert!((got - expected).abs() < 1e-9, "{got} vs {expected}");
}
