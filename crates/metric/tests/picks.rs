//! The builder's picks generate expressions that, run on Twilio-shaped pages, give the rows a
//! direct reading of the same pages gives. Expected rows are computed here by walking the JSON
//! by hand, without JSONata.

mod support;

use metric::extract::extract;
use metric::jsonata::{Expression, Limits};
use metric::picks::{DatePick, Filter, Picks, ValuePick};
use serde_json::{Value, json};
use support::{pages, read_json, ts};

type Expected = (f64, i64, Option<String>);

fn sync() -> jiff::Timestamp {
    ts("2026-11-01T06:00:00Z")
}

fn messages() -> Vec<Value> {
    pages::message_pages(7, 3, 200)
}

fn field(path: &str) -> String {
    path.to_owned()
}

fn picks(
    records: Option<&str>,
    value: ValuePick,
    dimension: Option<&str>,
    date: DatePick,
) -> Picks {
    Picks {
        records: records.map(str::to_owned),
        value,
        dimension: dimension.map(str::to_owned),
        date,
        filters: Vec::new(),
    }
}

fn date_field(path: &str) -> DatePick {
    DatePick::Field { path: field(path) }
}

fn equals(f: &str, v: Value) -> Filter {
    Filter {
        field: f.into(),
        equals: Some(v),
        one_of: None,
    }
}

fn one_of(f: &str, vs: Vec<Value>) -> Filter {
    Filter {
        field: f.into(),
        equals: None,
        one_of: Some(vs),
    }
}

/// Runs the picks' expression and returns the rows sorted, the skipped count and bad count.
fn run(p: &Picks, pages: &[Value]) -> (Vec<Expected>, usize, usize) {
    let text = p.to_expression().expect("picks generate an expression");
    let e = Expression::compile(&text, Limits::default())
        .unwrap_or_else(|err| panic!("generated expression does not compile: {err}\n{text}"));
    let out = extract(&e, pages, sync()).unwrap_or_else(|err| panic!("{err}\n{text}"));
    let mut rows: Vec<Expected> = out
        .rows
        .into_iter()
        .map(|r| (r.value, r.date.as_millisecond(), r.dimension))
        .collect();
    sort(&mut rows);
    (rows, out.skipped, out.errors.len())
}

fn sort(rows: &mut [Expected]) {
    rows.sort_by(|a, b| a.1.cmp(&b.1).then(a.2.cmp(&b.2)).then(a.0.total_cmp(&b.0)));
}

fn all_messages(pages: &[Value]) -> Vec<&Value> {
    pages
        .iter()
        .flat_map(|p| p["messages"].as_array().unwrap())
        .collect()
}

fn created_ms(m: &Value) -> i64 {
    pages::parse_generated(m["date_created"].as_str().unwrap()) * 1000
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

#[test]
fn messages_by_status_per_day_generates_the_documented_expression() {
    let p = picks(
        Some("messages"),
        ValuePick::Count,
        Some("status"),
        date_field("date_created"),
    );
    assert_eq!(
        p.to_expression().unwrap(),
        "messages.{\n  \"value\": 1,\n  \"date\": date_created,\n  \"dimension\": status\n}"
    );
}

#[test]
fn count_of_messages_by_creation_date() {
    let pages = messages();
    let (rows, skipped, bad) = run(
        &picks(
            Some("messages"),
            ValuePick::Count,
            None,
            date_field("date_created"),
        ),
        &pages,
    );
    let mut expected: Vec<Expected> = all_messages(&pages)
        .into_iter()
        .map(|m| (1.0, created_ms(m), None))
        .collect();
    sort(&mut expected);
    assert_eq!((rows, skipped, bad), (expected, 0, 0));
}

#[test]
fn count_of_messages_by_status() {
    let pages = messages();
    let (rows, _, bad) = run(
        &picks(
            Some("messages"),
            ValuePick::Count,
            Some("status"),
            date_field("date_created"),
        ),
        &pages,
    );
    let mut expected: Vec<Expected> = all_messages(&pages)
        .into_iter()
        .map(|m| (1.0, created_ms(m), text_of(&m["status"])))
        .collect();
    sort(&mut expected);
    assert_eq!(bad, 0);
    assert_eq!(rows, expected);
}

#[test]
fn price_by_status_skips_unpriced_messages() {
    let pages = messages();
    let (rows, skipped, bad) = run(
        &picks(
            Some("messages"),
            ValuePick::Field {
                path: field("price"),
            },
            Some("status"),
            date_field("date_created"),
        ),
        &pages,
    );
    let all = all_messages(&pages);
    let mut expected: Vec<Expected> = all
        .iter()
        .filter_map(|m| Some((num(&m["price"])?, created_ms(m), text_of(&m["status"]))))
        .collect();
    sort(&mut expected);
    let unpriced = all.iter().filter(|m| m["price"].is_null()).count();
    assert!(unpriced > 0, "the data should hold unpriced messages");
    assert_eq!((rows, skipped, bad), (expected, unpriced, 0));
}

#[test]
fn segments_as_numeric_strings_by_direction() {
    let pages = messages();
    let (rows, _, bad) = run(
        &picks(
            Some("messages"),
            ValuePick::Field {
                path: field("num_segments"),
            },
            Some("direction"),
            date_field("date_created"),
        ),
        &pages,
    );
    let mut expected: Vec<Expected> = all_messages(&pages)
        .into_iter()
        .map(|m| {
            (
                num(&m["num_segments"]).unwrap(),
                created_ms(m),
                text_of(&m["direction"]),
            )
        })
        .collect();
    sort(&mut expected);
    assert_eq!(bad, 0);
    assert_eq!(rows, expected);
}

#[test]
fn delivered_messages_only() {
    let pages = messages();
    let mut p = picks(
        Some("messages"),
        ValuePick::Count,
        None,
        date_field("date_created"),
    );
    p.filters.push(equals("status", json!("delivered")));
    let (rows, _, _) = run(&p, &pages);
    let mut expected: Vec<Expected> = all_messages(&pages)
        .into_iter()
        .filter(|m| m["status"] == "delivered")
        .map(|m| (1.0, created_ms(m), None))
        .collect();
    sort(&mut expected);
    assert!(!expected.is_empty());
    assert_eq!(rows, expected);
}

#[test]
fn failures_by_error_code() {
    let pages = messages();
    let mut p = picks(
        Some("messages"),
        ValuePick::Count,
        Some("error_code"),
        date_field("date_created"),
    );
    p.filters.push(one_of(
        "status",
        vec![json!("failed"), json!("undelivered")],
    ));
    let (rows, _, bad) = run(&p, &pages);
    let mut expected: Vec<Expected> = all_messages(&pages)
        .into_iter()
        .filter(|m| m["status"] == "failed" || m["status"] == "undelivered")
        .map(|m| (1.0, created_ms(m), text_of(&m["error_code"])))
        .collect();
    sort(&mut expected);
    assert!(expected.iter().all(|r| r.2.is_some()));
    assert_eq!(bad, 0);
    assert_eq!(rows, expected);
}

#[test]
fn inbound_replies_with_two_filters() {
    let pages = messages();
    let mut p = picks(
        Some("messages"),
        ValuePick::Count,
        Some("status"),
        date_field("date_created"),
    );
    p.filters.push(equals("direction", json!("inbound")));
    p.filters.push(one_of(
        "status",
        vec![json!("received"), json!("delivered")],
    ));
    let (rows, _, _) = run(&p, &pages);
    let mut expected: Vec<Expected> = all_messages(&pages)
        .into_iter()
        .filter(|m| m["direction"] == "inbound")
        .filter(|m| m["status"] == "received" || m["status"] == "delivered")
        .map(|m| (1.0, created_ms(m), text_of(&m["status"])))
        .collect();
    sort(&mut expected);
    assert!(!expected.is_empty());
    assert_eq!(rows, expected);
}

#[test]
fn dated_by_send_time_where_unsent_messages_are_bad_rows() {
    let pages = messages();
    let (rows, _, bad) = run(
        &picks(
            Some("messages"),
            ValuePick::Count,
            None,
            date_field("date_sent"),
        ),
        &pages,
    );
    let all = all_messages(&pages);
    let mut expected: Vec<Expected> = all
        .iter()
        .filter_map(|m| {
            let sent = m["date_sent"].as_str()?;
            Some((1.0, pages::parse_generated(sent) * 1000, None))
        })
        .collect();
    sort(&mut expected);
    let unsent = all.iter().filter(|m| m["date_sent"].is_null()).count();
    assert!(unsent > 0);
    assert_eq!((rows, bad), (expected, unsent));
}

#[test]
fn count_at_sync_time() {
    let pages = messages();
    let (rows, _, _) = run(
        &picks(Some("messages"), ValuePick::Count, None, DatePick::SyncTime),
        &pages,
    );
    let n = all_messages(&pages).len();
    assert_eq!(rows.len(), n);
    assert!(rows.iter().all(|r| r.1 == sync().as_millisecond()));
}

fn example(relative: &str) -> Option<Value> {
    test_support::shared_fixture(&format!("twilio/examples/{relative}")).map(|p| read_json(&p))
}

#[test]
fn balance_of_the_whole_response_at_sync_time_by_currency() {
    let Some(page) = example(
        "twilio_api_v2010/GET__2010_04_01_Accounts_AccountSid_Balance_json__200__fetch.json",
    ) else {
        return;
    };
    let (rows, _, bad) = run(
        &picks(
            None,
            ValuePick::Field {
                path: field("balance"),
            },
            Some("currency"),
            DatePick::SyncTime,
        ),
        std::slice::from_ref(&page),
    );
    let expected = vec![(
        num(&page["balance"]).unwrap(),
        sync().as_millisecond(),
        text_of(&page["currency"]),
    )];
    assert_eq!((rows, bad), (expected, 0));
}

#[test]
fn nested_field_of_voice_insights_summaries() {
    let Some(page) =
        example("twilio_insights_v1/GET__v1_Voice_Summaries__200__readWithCarrier.json")
    else {
        return;
    };
    let (rows, _, bad) = run(
        &picks(
            Some("call_summaries"),
            ValuePick::Field {
                path: field("properties.pdd_ms"),
            },
            Some("call_type"),
            date_field("start_time"),
        ),
        std::slice::from_ref(&page),
    );
    let mut expected: Vec<Expected> = page["call_summaries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| {
            let at: jiff::Timestamp = c["start_time"].as_str()?.parse().ok()?;
            Some((
                num(&c["properties"]["pdd_ms"])?,
                at.as_millisecond(),
                text_of(&c["call_type"]),
            ))
        })
        .collect();
    sort(&mut expected);
    assert!(!expected.is_empty());
    assert_eq!((rows, bad), (expected, 0));
}

#[test]
fn call_cost_by_status_on_two_pages_of_calls() {
    let Some(p1) = example(
        "twilio_api_v2010/GET__2010_04_01_Accounts_AccountSid_Calls_json__200__readFullPage1.json",
    ) else {
        return;
    };
    let Some(p2) = example(
        "twilio_api_v2010/GET__2010_04_01_Accounts_AccountSid_Calls_json__200__readFullPage2.json",
    ) else {
        return;
    };
    let pages = vec![p1, p2];
    let (rows, skipped, bad) = run(
        &picks(
            Some("calls"),
            ValuePick::Field {
                path: field("price"),
            },
            Some("status"),
            date_field("start_time"),
        ),
        &pages,
    );
    let mut expected = Vec::new();
    let mut unpriced = 0;
    for c in pages.iter().flat_map(|p| p["calls"].as_array().unwrap()) {
        let at = jiff::fmt::rfc2822::parse(c["start_time"].as_str().unwrap())
            .unwrap()
            .timestamp();
        match num(&c["price"]) {
            Some(v) => expected.push((v, at.as_millisecond(), text_of(&c["status"]))),
            None => unpriced += 1,
        }
    }
    sort(&mut expected);
    assert_eq!((rows, skipped, bad), (expected, unpriced, 0));
}

#[test]
fn field_names_that_are_not_plain_identifiers_are_quoted() {
    let pages = vec![json!({"items": [
        {"total-cost": "2.5", "when": "2026-10-01T10:00:00Z", "in": "x"},
        {"total-cost": "1.5", "when": "2026-10-01T11:00:00Z", "in": "y"}
    ]})];
    let p = picks(
        Some("items"),
        ValuePick::Field {
            path: field("total-cost"),
        },
        Some("in"),
        date_field("when"),
    );
    assert!(p.to_expression().unwrap().contains("`total-cost`"));
    let (rows, _, _) = run(&p, &pages);
    let mut expected = vec![
        (
            2.5,
            ts("2026-10-01T10:00:00Z").as_millisecond(),
            Some("x".into()),
        ),
        (
            1.5,
            ts("2026-10-01T11:00:00Z").as_millisecond(),
            Some("y".into()),
        ),
    ];
    sort(&mut expected);
    assert_eq!(rows, expected);
}

#[test]
fn a_filter_without_a_test_is_refused_with_the_field_named() {
    let mut p = picks(
        Some("messages"),
        ValuePick::Count,
        None,
        date_field("date_created"),
    );
    p.filters.push(Filter {
        field: "status".into(),
        equals: None,
        one_of: None,
    });
    let err = p.to_expression().unwrap_err();
    assert!(err.to_string().contains("status"), "{err}");
}

#[test]
fn an_empty_path_segment_is_refused() {
    let p = picks(
        Some("messages..x"),
        ValuePick::Count,
        None,
        date_field("date_created"),
    );
    assert!(p.to_expression().is_err());
}
