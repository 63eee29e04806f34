//! The why of an unusual alert on the simulator's incidents: for each kind, an alert over the
//! metric the incident moves fires inside the incident's hours, and its why names what the
//! simulator says the incident changed (`IncidentKind::effects`). The series are folded from the
//! simulator's records in memory, as a metric with that dimension would bucket them: what is
//! tested here is the judgement and the why, not the sync.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use metric::Aggregation;
use seasonal::{Sensitivity, Series};
use twilio_sim::model::CallStatus;
use twilio_sim::{Incident, IncidentKind, SimConfig, Sizes};
use watch::unusual::{UnusualBacktest, backtest};
use watch::{UnusualDirection, UnusualRule};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
const DAYS: u32 = 68;
/// The data's first day, 2026-03-02 (a Monday), as days since 1970-01-01.
const FIRST_DAY: i64 = 20_514;

/// One metric's hourly series over the whole dataset: the total and one per dimension value.
struct Folded {
    total: Vec<f64>,
    dims: BTreeMap<String, Vec<f64>>,
}

impl Folded {
    fn new() -> Folded {
        Folded {
            total: vec![0.0; DAYS as usize * 24 + 24],
            dims: BTreeMap::new(),
        }
    }

    fn add(&mut self, at_ms: i64, dim: &str, v: f64) {
        let h = (at_ms - FIRST_DAY * DAY_MS).div_euclid(HOUR_MS);
        let Ok(h) = usize::try_from(h) else { return };
        if h >= self.total.len() {
            return;
        }
        let n = self.total.len();
        self.total[h] += v;
        self.dims
            .entry(dim.to_owned())
            .or_insert_with(|| vec![0.0; n])[h] += v;
    }

    fn series(values: &[f64]) -> Series {
        Series {
            start_ms: FIRST_DAY * DAY_MS,
            values: values.iter().map(|v| Some(*v)).collect(),
        }
    }
}

/// The metric each incident kind moves, folded from the simulator's records.
fn fold(kind: IncidentKind, data: &twilio_sim::Dataset) -> Folded {
    let mut f = Folded::new();
    let account = data.main_account();
    match kind {
        IncidentKind::CarrierFiltering => {
            // Undelivered messages by error code.
            for m in account
                .messages
                .iter()
                .filter(|m| m.status.as_str() == "undelivered")
            {
                let code = m.error_code.map(|c| c.to_string()).unwrap_or_default();
                f.add(m.sort_ms(), &code, 1.0);
            }
        }
        IncidentKind::VoiceOutage => {
            // Calls that did not complete, by status.
            for c in account.calls.iter().filter(|c| {
                matches!(
                    c.status,
                    CallStatus::Failed | CallStatus::NoAnswer | CallStatus::Busy
                )
            }) {
                f.add(c.start_time, c.status.as_str(), 1.0);
            }
        }
        IncidentKind::TrafficDrop => {
            // Outbound messages by status.
            for m in account.messages.iter().filter(|m| !m.is_inbound()) {
                f.add(m.sort_ms(), m.status.as_str(), 1.0);
            }
        }
        IncidentKind::SpendSpike => {
            // Messaging spend by direction (Twilio's prices are negative amounts).
            for m in &account.messages {
                if let Some(p) = m.price {
                    f.add(m.sort_ms(), m.direction.as_str(), -p as f64 / 1e5);
                }
            }
        }
    }
    f
}

/// Each kind on its own day, 09:00–15:00 UTC, after eight weeks and a few days of history.
fn incidents() -> Vec<Incident> {
    IncidentKind::ALL
        .iter()
        .enumerate()
        .map(|(i, &kind)| {
            let day = FIRST_DAY + 59 + 2 * i as i64;
            Incident::new(kind, day * DAY_MS + 9 * HOUR_MS, 6)
        })
        .collect()
}

fn dataset() -> twilio_sim::Dataset {
    let now =
        Timestamp::from_millisecond((FIRST_DAY + i64::from(DAYS)) * DAY_MS + 23 * HOUR_MS).unwrap();
    twilio_sim::generate(&SimConfig {
        seed: 7,
        now,
        sizes: Sizes {
            messages_per_day: 2_000,
            calls_per_day: 400,
            days: DAYS,
            ..Sizes::default()
        },
        incidents: incidents(),
        ..SimConfig::default()
    })
}

/// The unusual alert's back-test over the incident's day, hour by hour.
fn alert_over(kind: IncidentKind, data: &twilio_sim::Dataset) -> (Incident, UnusualBacktest) {
    let incident = *incidents().iter().find(|i| i.kind == kind).unwrap();
    let folded = fold(kind, data);
    let total = Folded::series(&folded.total);
    let dims: Vec<(String, Series)> = folded
        .dims
        .iter()
        .map(|(d, v)| (d.clone(), Folded::series(v)))
        .collect();
    let rule = UnusualRule {
        aggregation: Aggregation::Sum,
        dimension: None,
        sensitivity: Sensitivity::Medium,
        direction: UnusualDirection::Either,
        cooldown: SignedDuration::from_hours(6),
    };
    let day = incident.start_ms.div_euclid(DAY_MS) * DAY_MS;
    let report = backtest(
        &rule,
        seasonal::Direction::Either,
        &total,
        &dims,
        Timestamp::from_millisecond(day + HOUR_MS).unwrap(),
        Timestamp::from_millisecond(day + DAY_MS).unwrap(),
        SignedDuration::from_hours(1),
    )
    .unwrap();
    (incident, report)
}

/// The first firing whose judged hour lies inside the incident.
fn firing_inside(incident: &Incident, report: &UnusualBacktest) -> watch::unusual::UnusualFiring {
    report
        .firings
        .iter()
        .find(|f| incident.covers(f.hour_start.as_millisecond()))
        .unwrap_or_else(|| {
            panic!(
                "{}: no firing inside {}..{} (firings: {:?})",
                incident.kind,
                incident.start_ms,
                incident.end_ms(),
                report.firings
            )
        })
        .clone()
}

/// What the simulator lists as the incident's named value (the effect moving up, other than
/// a whole status when a finer value is listed).
fn named_value(kind: IncidentKind) -> String {
    let effects = kind.effects();
    let finest = effects
        .iter()
        .find(|e| e.field == "error_code")
        .or_else(|| effects.iter().find(|e| e.change == twilio_sim::Change::Up))
        .unwrap();
    finest.value.clone()
}

#[test]
fn each_incident_fires_inside_its_hours_and_the_why_names_what_it_changed() {
    let data = dataset();
    for kind in [
        IncidentKind::CarrierFiltering,
        IncidentKind::VoiceOutage,
        IncidentKind::SpendSpike,
    ] {
        let (incident, report) = alert_over(kind, &data);
        let firing = firing_inside(&incident, &report);
        assert!(
            firing.observed > firing.upper,
            "{kind}: {} observed, band up to {}",
            firing.observed,
            firing.upper
        );
        let first = firing
            .why
            .first()
            .unwrap_or_else(|| panic!("{kind}: no why"));
        assert_eq!(
            first.dimension,
            named_value(kind),
            "{kind}: {:?}",
            firing.why
        );
        assert!(first.share > 0.5, "{kind}: {:?}", firing.why);
    }
}

#[test]
fn a_traffic_drop_fires_downward_and_the_why_spreads_it_over_every_status_alike() {
    let data = dataset();
    let (incident, report) = alert_over(IncidentKind::TrafficDrop, &data);
    let firing = firing_inside(&incident, &report);
    assert!(firing.observed < firing.lower, "{firing:?}");
    // Every value fell by the same fraction, so each one's share of the fall is its share of
    // what was expected.
    let expected_total: f64 = firing.why.iter().map(|c| c.expected).sum();
    assert!(firing.why.len() >= 2, "{:?}", firing.why);
    for c in &firing.why {
        let volume_share = c.expected / expected_total;
        assert!(
            (c.share - volume_share).abs() < 0.15,
            "{}: share {:.2} of the fall, {:.2} of the expected volume",
            c.dimension,
            c.share,
            volume_share
        );
    }
}
