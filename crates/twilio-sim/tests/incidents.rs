//! Incidents: each kind changes what it says inside its window and nothing outside it, the
//! dump lists them, and a dataset without incidents is what it was before they existed.

mod support;

use std::collections::HashMap;

use serde_json::Value;
use support::*;
use twilio_sim::{Incident, IncidentKind, SimConfig, generate};

const HOUR_MS: i64 = 3_600_000;

/// FNV-1a 64 over bytes: a stable fingerprint (std's hasher may change between releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The dump of `small_config(21)` as the generator wrote it before incidents existed
/// (measured on commit 4950e94 with this same test body): its length and fingerprint.
const DUMP_BEFORE_INCIDENTS: (usize, u64) = (9_781_477, 0x0387_0405_b24e_c992);

#[test]
fn without_incidents_the_dump_is_byte_identical_to_the_generator_before_incidents() {
    let dump = serde_json::to_string(&generate(&small_config(21))).unwrap();
    assert_eq!((dump.len(), fnv1a(dump.as_bytes())), DUMP_BEFORE_INCIDENTS);
}

/// Busy enough that a six-hour window holds hundreds of messages and calls.
fn busy_config(incidents: Vec<Incident>) -> SimConfig {
    let mut config = small_config(5);
    config.sizes.messages_per_day = 2_000;
    config.sizes.calls_per_day = 600;
    config.sizes.days = 4;
    config.incidents = incidents;
    config
}

/// 2026-03-12 (three days before `NOW`), 09:00 UTC.
fn window_start() -> i64 {
    "2026-03-12T09:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond()
}

fn incident(kind: IncidentKind) -> Incident {
    format!("2026-03-12:{kind}").parse().unwrap()
}

/// Every message, call, recording and alert of every account, as dumped, by SID, with the
/// instant its message or call was created (a recording's call, an alert's message).
fn records(config: &SimConfig) -> HashMap<String, (i64, Value)> {
    let data = generate(config);
    let dump = serde_json::to_value(&data).unwrap();
    let mut created: HashMap<String, i64> = HashMap::new();
    for a in &data.accounts {
        let mut by_sid = HashMap::new();
        for m in &a.messages {
            by_sid.insert(m.sid, m.date_created);
        }
        for c in &a.calls {
            by_sid.insert(c.sid, c.date_created);
        }
        for r in &a.recordings {
            by_sid.insert(r.sid, by_sid[&r.call_sid]);
        }
        for x in &a.alerts {
            by_sid.insert(x.sid, by_sid[&x.resource_sid]);
        }
        created.extend(by_sid.into_iter().map(|(k, v)| (k.to_string(), v)));
    }
    let mut out = HashMap::new();
    for a in dump["accounts"].as_array().unwrap() {
        for key in ["messages", "calls", "recordings", "alerts"] {
            for r in a[key].as_array().unwrap() {
                let sid = r["sid"].as_str().unwrap().to_string();
                out.insert(sid.clone(), (created[&sid], r.clone()));
            }
        }
    }
    out
}

/// A record of the clean run inside the window, and the same SID in the incident's run.
type Pair = (Option<Value>, Option<Value>);

/// The records of a run with `kind` beside the same seed's clean run, by SID, for every record
/// either run has inside the window. Asserts on the way that every record outside the window
/// is identical in both runs.
fn inside_window(kind: IncidentKind) -> Vec<Pair> {
    let clean = records(&busy_config(Vec::new()));
    let with = records(&busy_config(vec![incident(kind)]));
    let (from, to) = (window_start(), window_start() + 6 * HOUR_MS);
    let inside = |t: i64| t >= from && t < to;
    let mut out = Vec::new();
    for (sid, (t, r)) in &with {
        if !inside(*t) {
            assert_eq!(
                clean.get(sid).map(|c| &c.1),
                Some(r),
                "{kind} changed {sid} outside its window"
            );
        } else if !clean.contains_key(sid) {
            out.push((None, Some(r.clone())));
        }
    }
    for (sid, (t, r)) in &clean {
        if inside(*t) {
            out.push((Some(r.clone()), with.get(sid).map(|w| w.1.clone())));
        } else {
            assert!(
                with.contains_key(sid),
                "{kind} dropped {sid} outside its window"
            );
        }
    }
    assert!(out.len() > 300, "only {} records in the window", out.len());
    out
}

/// The messages and calls of the clean run inside the window, with the incident run's.
fn messages_and_calls(pairs: &[Pair]) -> Vec<(&Value, Option<&Value>)> {
    pairs
        .iter()
        .filter_map(|(c, w)| Some((c.as_ref()?, w.as_ref())))
        .filter(|(c, _)| is_message(c) || is_call(c))
        .collect()
}

fn is_call(r: &Value) -> bool {
    r.get("parent_call_sid").is_some()
}

fn is_message(r: &Value) -> bool {
    r.get("num_segments").is_some()
}

fn outbound(r: &Value) -> bool {
    r["direction"].as_str().unwrap().starts_with("outbound")
}

fn share(n: usize, of: usize) -> f64 {
    n as f64 / of as f64
}

#[test]
fn carrier_filtering_makes_a_third_of_outbound_messages_undelivered_with_30007() {
    let all = inside_window(IncidentKind::CarrierFiltering);
    let pairs = messages_and_calls(&all);
    let out: Vec<_> = pairs
        .iter()
        .filter(|(c, _)| is_message(c) && outbound(c))
        .collect();
    let filtered = |r: &Value| r["status"] == "undelivered" && r["error_code"] == 30007;
    let before = out.iter().filter(|(c, _)| filtered(c)).count();
    let after = out
        .iter()
        .filter(|(_, w)| filtered(w.as_ref().unwrap()))
        .count();
    assert_eq!(before, 0, "the clean run has no filtered messages");
    let s = share(after, out.len());
    assert!(
        (0.25..=0.45).contains(&s),
        "{after} of {} filtered",
        out.len()
    );
    for (c, w) in &pairs {
        let w = w.expect("no record disappears");
        if !filtered(w) {
            assert_eq!(*c, w, "only filtered messages change");
        } else {
            assert_eq!(
                c["status"], "delivered",
                "only delivered messages are filtered"
            );
            assert_eq!(
                c["price"], w["price"],
                "a filtered message is still charged"
            );
        }
    }
    let new_alerts = all
        .iter()
        .filter(|(c, w)| c.is_none() && w.as_ref().is_some_and(|w| w["error_code"] == "30007"))
        .count();
    assert_eq!(
        new_alerts, after,
        "each filtered message raises a 30007 alert"
    );
}

#[test]
fn voice_outage_makes_most_calls_in_its_window_fail() {
    let all = inside_window(IncidentKind::VoiceOutage);
    let pairs = messages_and_calls(&all);
    let calls: Vec<_> = pairs.iter().filter(|(c, _)| is_call(c)).collect();
    let failed = |r: &Value| r["status"] == "failed";
    let before = calls.iter().filter(|(c, _)| failed(c)).count();
    let after = calls.iter().filter(|(_, w)| failed(w.unwrap())).count();
    assert!(share(before, calls.len()) < 0.1, "{before} failed before");
    assert!(
        share(after, calls.len()) > 0.75,
        "{after} of {} failed",
        calls.len()
    );
    for (c, w) in &pairs {
        let w = w.expect("no record disappears");
        if is_message(c) || !failed(w) {
            assert_eq!(*c, w, "only calls that fail change");
        } else {
            assert!(w["price"].is_null() && w["duration"] == "0", "{w}");
        }
    }
}

#[test]
fn traffic_drop_keeps_a_fifth_of_the_messages_and_calls_in_its_window() {
    let all = inside_window(IncidentKind::TrafficDrop);
    let pairs = messages_and_calls(&all);
    for (what, of_kind) in [("messages", true), ("calls", false)] {
        let all: Vec<_> = pairs
            .iter()
            .filter(|(c, _)| is_message(c) == of_kind)
            .collect();
        let kept = all.iter().filter(|(_, w)| w.is_some()).count();
        let s = share(kept, all.len());
        assert!(
            (0.12..=0.28).contains(&s),
            "{kept} of {} {what} kept",
            all.len()
        );
    }
    for (c, w) in &all {
        let c = c.as_ref().expect("a drop makes no record");
        if let Some(w) = w {
            assert_eq!(c, w, "a record that still exists is unchanged");
        }
    }
}

#[test]
fn spend_spike_multiplies_the_price_of_outbound_api_messages_by_five() {
    let all = inside_window(IncidentKind::SpendSpike);
    let pairs = messages_and_calls(&all);
    let price = |r: &Value| money(r["price"].as_str().unwrap());
    let mut raised = 0;
    for (c, w) in &pairs {
        let w = w.expect("no record disappears");
        if is_message(c) && c["direction"] == "outbound-api" && !c["price"].is_null() {
            assert_eq!(price(w), 5 * price(c), "{w}");
            let mut rest = w.clone();
            rest["price"] = c["price"].clone();
            assert_eq!(*c, &rest, "only the price changes");
            raised += 1;
        } else {
            assert_eq!(*c, w, "other records keep their price");
        }
    }
    assert!(raised > 100, "only {raised} messages raised");
}

#[test]
fn usage_records_outside_the_incident_days_stay_the_same() {
    let clean = serde_json::to_value(generate(&busy_config(Vec::new()))).unwrap();
    let with = serde_json::to_value(generate(&busy_config(vec![incident(
        IncidentKind::SpendSpike,
    )])))
    .unwrap();
    let daily = |d: &Value| -> Vec<Value> {
        d["accounts"][0]["usage_records_daily"]
            .as_array()
            .unwrap()
            .clone()
    };
    let (c, w) = (daily(&clean), daily(&with));
    assert_eq!(c.len(), w.len());
    let mut changed_days = std::collections::BTreeSet::new();
    for (a, b) in c.iter().zip(&w) {
        if a != b {
            changed_days.insert(a["start_date"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(
        changed_days.into_iter().collect::<Vec<_>>(),
        vec!["2026-03-12".to_string()]
    );
}

#[test]
fn the_dump_lists_each_incident_with_its_window_and_what_it_affects() {
    let incidents = vec![
        "2026-03-12:carrier-filtering".parse::<Incident>().unwrap(),
        "2026-03-13T22:voice-outage:4".parse().unwrap(),
    ];
    let dump = serde_json::to_value(generate(&busy_config(incidents))).unwrap();
    let listed = dump["incidents"].as_array().expect("incidents listed");
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["kind"], "carrier-filtering");
    assert_eq!(listed[0]["start"], "2026-03-12T09:00:00Z");
    assert_eq!(listed[0]["end"], "2026-03-12T15:00:00Z");
    assert_eq!(listed[0]["hours"], 6);
    let affects = &listed[0]["affects"];
    assert!(
        affects
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "error_code" && e["value"] == "30007" && e["change"] == "up"),
        "{affects}"
    );
    assert_eq!(listed[1]["kind"], "voice-outage");
    assert_eq!(listed[1]["start"], "2026-03-13T22:00:00Z");
    assert_eq!(listed[1]["end"], "2026-03-14T02:00:00Z");
    assert!(
        listed[1]["affects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["resource"] == "calls" && e["value"] == "failed"),
        "{}",
        listed[1]
    );
}

#[test]
fn an_incident_reads_date_kind_and_hours_and_writes_them_back() {
    let i: Incident = "2026-03-02T14:voice-outage:3".parse().unwrap();
    assert_eq!(i.kind, IncidentKind::VoiceOutage);
    assert_eq!(i.hours, 3);
    let start: jiff::Timestamp = "2026-03-02T14:00:00Z".parse().unwrap();
    assert_eq!(i.start_ms, start.as_millisecond());
    assert_eq!(i.end_ms() - i.start_ms, 3 * HOUR_MS);
    assert_eq!(i.to_string(), "2026-03-02T14:voice-outage:3");
    let d: Incident = "2026-03-02:traffic-drop".parse().unwrap();
    assert_eq!(d.to_string(), "2026-03-02T09:traffic-drop:6");
}

#[test]
fn a_bad_incident_is_refused_naming_the_wrong_part() {
    let refusal = |s: &str| s.parse::<Incident>().unwrap_err().to_string();
    let kinds = "carrier-filtering, voice-outage, traffic-drop, spend-spike";
    let e = refusal("2026-03-02:meltdown");
    assert!(e.contains("\"meltdown\"") && e.contains(kinds), "{e}");
    let e = refusal("2026-02-30:voice-outage");
    assert!(
        e.contains("\"2026-02-30\"") && e.contains("YYYY-MM-DD"),
        "{e}"
    );
    let e = refusal("2026-03-02T25:voice-outage");
    assert!(e.contains("\"25\"") && e.contains("00 to 23"), "{e}");
    let e = refusal("2026-03-02:voice-outage:0");
    assert!(e.contains("\"0\"") && e.contains("1 to 168"), "{e}");
    let e = refusal("2026-03-02");
    assert!(e.contains("DATE:KIND[:HOURS]") && e.contains(kinds), "{e}");
}
