//! One metric's page (`/metrics/{id}`), behind every metric name: its chart over a named range
//! and interval with the previous period dashed beside it, the total and its change, the
//! breakdown by dimension, how fresh its data is, and its sync ledgers on a tab. Numbers are in
//! the metric's format; a range with no data says so.

use askama::Template;
use axum::extract::{Path, Query, State};
use jiff::tz::TimeZone;
use metric::range::{CompareTo, NamedRange};
use metric::{Aggregation, Interval, MetricDefinition};
use serde::Deserialize;
use std::collections::BTreeSet;

use metric::accounts::{AccountFilter, AccountView};
use store::{LiveStore, MetricId, Store};

use super::pages::{RunRow, run_rows};
use crate::auth::Caller;
use crate::error::WebError;
use crate::features::boards::compute::bounded_interval;
use crate::pages::{PageFrame, PageResult, render};
use crate::state::AppState;
use crate::views;

/// The range a metric page opens on.
const DEFAULT_RANGE: NamedRange = NamedRange::LastN(30, metric::range::LastUnit::Days);
/// How many dimension values the breakdown names before "other".
const TOP: usize = 10;

#[derive(Deserialize, Default)]
pub struct MetricQuery {
    range: Option<String>,
    interval: Option<String>,
    tab: Option<String>,
    /// `off` hides the expected band.
    band: Option<String>,
    /// One account's SID: a multi-account metric's chart for that account alone.
    account: Option<String>,
}

/// One account's row of a multi-account metric's "By account" breakdown.
pub struct AccountRow {
    sid: String,
    name: String,
    /// The aggregation over the range in the metric's format; `None`: no data stored.
    value: Option<String>,
}

/// What a multi-account metric's page shows of its accounts.
pub struct Accounts {
    /// "every active account of connection 'prod' (12 now)".
    scope: String,
    /// The account the page is narrowed to, by name.
    shown: Option<String>,
    rows: Vec<AccountRow>,
}

/// How many of the range's most recent unusual hours the page explains.
const UNUSUAL_LISTED: usize = 5;
/// How many dimension values a "why" weighs, and names at most.
const WHY_TOP: usize = 10;
const WHY_NAMED: usize = 2;

/// One unusual hour as the page lists it.
pub struct UnusualRow {
    when: String,
    /// "522 observed against 22 expected (18 to 26)".
    what: String,
    /// "“30007” explains 98 %", or empty when no dimension value explains it.
    why: String,
}

pub struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "metric.html")]
struct MetricPage {
    frame: PageFrame,
    id: i64,
    name: String,
    summary: Option<String>,
    ledgers: bool,
    ranges: Vec<Choice>,
    intervals: Vec<Choice>,
    /// Why the range or interval asked for was not used.
    notice: Option<String>,
    range_text: String,
    /// The aggregation over the range, in the metric's format; none when there is no data.
    total: Option<String>,
    /// The stored value behind `total`, for scripts and tests.
    raw_total: String,
    previous: Option<String>,
    change: Option<String>,
    verdict: &'static str,
    aggregation: &'static str,
    chart: Option<String>,
    /// Whether the chart shows the expected band, and the link that toggles it.
    band_shown: bool,
    band_toggle: String,
    /// What the band on the chart means, or why there is none, or how long it is still
    /// learning.
    band_note: Option<String>,
    /// The most recent unusual hours of the range, newest first.
    unusual: Vec<UnusualRow>,
    /// Dimension value, its value formatted, its share of the total.
    breakdown: Vec<(String, String)>,
    state: &'static str,
    reason: Option<String>,
    last_sync: String,
    runs: Vec<RunRow>,
    definition_error: Option<String>,
    /// "every hour", "every 15 minutes".
    every: String,
    /// Whether that is the default interval.
    every_default: bool,
    /// The interval in the form's notation (`15m`), or `default`.
    interval_value: String,
    /// Which accounts the metric reads, and its breakdown by account; `None` for a metric of
    /// its connection's own account.
    accounts: Option<Accounts>,
    /// The `account` the page is narrowed to, kept by the range form.
    account_param: String,
    /// The range shows real-time hours no poll has confirmed yet: the caption saying so.
    provisional: Option<&'static str>,
    /// On the ledgers tab: how far real time was from the poll, in one sentence.
    realtime_ledger: Option<String>,
}

fn utc_range_text(r: &metric::TimeRange) -> String {
    format!(
        "{} – {}",
        views::when(Some(r.start.as_millisecond())),
        views::when(Some(r.end.as_millisecond()))
    )
}

pub async fn metric_page(
    State(state): State<AppState>,
    caller: Caller,
    flash: crate::flash::Flash,
    Path(id): Path<i64>,
    Query(q): Query<MetricQuery>,
) -> PageResult {
    let m = state.store().metric(MetricId(id)).await?;
    let every = app::SyncInterval::of_stored(m.sync_interval_s);
    let now = state.clock().now();
    let zone = TimeZone::UTC;
    let mut notice = None;
    let named = match q.range.as_deref().filter(|r| !r.is_empty()) {
        None => DEFAULT_RANGE,
        Some(text) => text.parse::<NamedRange>().unwrap_or_else(|e| {
            notice = Some(format!("{e}: showing {}", DEFAULT_RANGE.label()));
            DEFAULT_RANGE
        }),
    };
    let resolved = named
        .resolve_with(CompareTo::PreviousPeriod, now, &zone)
        .map_err(|e| WebError::invalid("range", e.to_string()))?;
    let asked = q
        .interval
        .as_deref()
        .filter(|i| !i.is_empty())
        .and_then(|i| serde_json::from_value::<Interval>(serde_json::json!(i)).ok())
        .unwrap_or_else(|| named.natural_interval());
    let interval =
        bounded_interval(asked, &resolved.current).map_err(|e| WebError::invalid("interval", e))?;
    if interval != asked {
        notice = Some(format!(
            "{} points would be too many for this range: shown by {}",
            asked.name(),
            interval.name()
        ));
    }

    let runs = state.store().sync_runs(Some(m.id), 50).await?;
    let sync = views::sync_state(&runs, m.sync_interval_s, now.as_millisecond());
    let definition = MetricDefinition::from_json(&m.definition);
    let (aggregation, format, favourable, summary, definition_error) = match &definition {
        Ok(d) => (
            d.description.aggregation,
            d.description.format.clone(),
            d.description.favourable,
            d.description.summary.clone(),
            None,
        ),
        Err(e) => (
            Aggregation::Sum,
            charts::format::plain(),
            metric::Trend::Up,
            None,
            Some(format!("its definition does not read: {e}")),
        ),
    };
    let from_ms = resolved
        .previous
        .map(|p| p.start)
        .unwrap_or(resolved.current.start)
        .as_millisecond();
    let scope = definition
        .as_ref()
        .map(|d| d.accounts.clone())
        .unwrap_or_default();
    let account = q
        .account
        .clone()
        .filter(|a| !a.is_empty() && scope.is_multi());
    let filter: AccountFilter = account.clone().map(|sid| BTreeSet::from([sid]));
    let buckets = metric_sync::buckets_viewed(
        state.store().as_ref(),
        m.id,
        from_ms,
        resolved.current.end.as_millisecond(),
        AccountView::Total,
        &filter,
    )
    .await?;
    let query = |range: metric::TimeRange| metric::Query {
        range,
        interval,
        aggregation,
        zone: zone.clone(),
        top: TOP,
    };
    // A value exists only where the metric has synced: outside that span a sum over no stored
    // hour would read 0, which the page must not show.
    let known = views::known_of(state.store(), &m, now).await?;
    let has_data = metric::coverage::has_data(&resolved.current, known.as_ref());
    let previous_has_data = resolved
        .previous
        .as_ref()
        .is_some_and(|p| metric::coverage::has_data(p, known.as_ref()));
    let mut current = metric::query(&buckets, &query(resolved.current))
        .map_err(|e| WebError::invalid("range", e.to_string()))?;
    let coverage =
        metric::coverage::apply(&mut current, &query(resolved.current), known.as_ref(), now)
            .map_err(|e| WebError::Internal(e.to_string()))?;
    let previous = match resolved.previous {
        Some(p) => {
            let mut r = metric::query(&buckets, &query(p))
                .map_err(|e| WebError::invalid("range", e.to_string()))?;
            metric::coverage::apply(&mut r, &query(p), known.as_ref(), now)
                .map_err(|e| WebError::Internal(e.to_string()))?;
            Some(r)
        }
        None => None,
    };
    let partial: Vec<bool> = coverage
        .iter()
        .map(|c| *c == metric::Coverage::Partial)
        .collect();
    let data_from = known
        .map(|k| k.start)
        .filter(|start| *start > resolved.current.start);
    let total = current.total.filter(|_| has_data);
    let prev_total = previous
        .as_ref()
        .and_then(|p| p.total)
        .filter(|_| previous_has_data);
    // The one rule of change and verdict, as on boards and the Metrics screen.
    let compared = metric::change(total, prev_total, favourable);
    let change = compared.percent.map(charts::format_change);
    let verdict = compared.verdict;
    // The band and the unusual hours are the whole metric's: not drawn for one account.
    let band_shown = q.band.as_deref() != Some("off") && account.is_none();
    let expected = if band_shown && has_data && definition_error.is_none() {
        let bq = app::seasonal::BandQuery {
            metric: m.id,
            aggregation,
            dimension: None,
            range: resolved.current,
            interval,
            zone: zone.clone(),
            sensitivity: seasonal::Sensitivity::Medium,
        };
        Some(state.app().expected(&bq).await?)
    } else {
        None
    };
    let (band, ringed): (Vec<Option<charts::BandPoint>>, Vec<bool>) = match &expected {
        Some(Ok(e)) => e
            .points
            .iter()
            .map(|p| {
                let b = p.band.map(|b| charts::BandPoint {
                    expected: b.expected,
                    lower: b.lower,
                    upper: b.upper,
                });
                (b, p.unusual)
            })
            .unzip(),
        _ => (Vec::new(), Vec::new()),
    };
    let band_note = match &expected {
        Some(Err(no)) => Some(format!("{}.", capitalised(&no.to_string()))),
        Some(Ok(e)) => match e.learning {
            Some(l) => Some(format!(
                "No expected band yet, {l} of history: it is drawn once a day has {} days of history before it.",
                l.needed
            )),
            None if band.iter().any(Option::is_some) => Some(
                "The shaded area is the expected range of each point; a ring marks a point with an unusual hour."
                    .to_owned(),
            ),
            None => None,
        },
        None => None,
    };
    let mut unusual = Vec::new();
    if let Some(Ok(e)) = &expected {
        for hour in e.unusual.iter().rev().take(UNUSUAL_LISTED) {
            let why = state
                .app()
                .explain_hour(m.id, aggregation, hour.hour_ms, WHY_TOP)
                .await?;
            let f = |v: f64| charts::format_full(Some(v), &format);
            let change = (hour.band.expected.abs() > f64::EPSILON)
                .then(|| {
                    charts::format_change(
                        (hour.observed - hour.band.expected) / hour.band.expected.abs() * 100.0,
                    )
                })
                .map(|c| format!(", {c}"))
                .unwrap_or_default();
            unusual.push(UnusualRow {
                when: views::when(Some(hour.hour_ms)),
                what: format!(
                    "{} observed against {} expected ({} to {}){change}",
                    f(hour.observed),
                    f(hour.band.expected),
                    f(hour.band.lower),
                    f(hour.band.upper)
                ),
                why: why
                    .iter()
                    .take(WHY_NAMED)
                    .map(app::seasonal::contribution_words)
                    .collect::<Vec<_>>()
                    .join("; "),
            });
        }
    }
    let band_toggle = {
        let mut link = format!("/metrics/{}?", m.id);
        if let Some(r) = q.range.as_deref().filter(|r| !r.is_empty()) {
            link.push_str(&format!("range={}&", urlencoding(r)));
        }
        if let Some(i) = q.interval.as_deref().filter(|i| !i.is_empty()) {
            link.push_str(&format!("interval={}&", urlencoding(i)));
        }
        link.push_str(if band_shown { "band=off" } else { "band=on" });
        link
    };
    let chart = has_data.then(|| {
        let starts: Vec<jiff::Timestamp> = current.series.iter().map(|p| p.start).collect();
        let series = [charts::Series {
            name: m.name.clone(),
            values: current.series.iter().map(|p| p.value).collect(),
        }];
        let earlier = previous.as_ref().filter(|_| previous_has_data).map(|p| {
            [charts::Series {
                name: m.name.clone(),
                values: p.series.iter().map(|p| p.value).collect(),
            }]
        });
        charts::line(&charts::TimeChart {
            starts: &starts,
            interval,
            zone: &zone,
            series: &series,
            comparison: earlier.as_ref().map(|s| charts::Comparison {
                label: "previous period",
                series: s,
            }),
            format: &format,
            // Drawn for a phone's width and scaled up on wider screens, so its labels stay
            // readable on both.
            width: 800,
            height: 300,
            theme: charts::Theme::Css,
            expected: (!band.is_empty()).then_some(charts::Expected {
                band: &band,
                unusual: &ringed,
            }),
            marks: charts::Marks {
                partial: &partial,
                data_from,
            },
        })
    });
    let mut breakdown: Vec<(String, String)> = current
        .breakdown
        .iter()
        .filter(|s| s.dimension.is_some())
        .map(|s| {
            (
                s.dimension.clone().unwrap_or_default(),
                charts::format_full(s.value, &format),
            )
        })
        .collect();
    if !breakdown.is_empty()
        && let Some(other) = current.other
    {
        breakdown.push(("Other".to_owned(), charts::format_full(other, &format)));
    }

    let accounts = match &scope {
        s if s.is_multi() => Some(
            accounts_of(
                &state,
                &m,
                s,
                account.as_deref(),
                &query(resolved.current),
                &format,
                has_data,
            )
            .await?,
        ),
        _ => None,
    };
    let ranges = NamedRange::presets()
        .into_iter()
        .map(|r| Choice {
            value: r.to_string(),
            label: r.label(),
            selected: r == named,
        })
        .collect();
    let intervals = Interval::ALL
        .into_iter()
        .map(|i| Choice {
            value: serde_json::to_value(i)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            label: i.name().to_owned(),
            selected: i == interval,
        })
        .collect();
    let ledgers = q.tab.as_deref() == Some("ledgers");
    let live = state.store().live_spans(&[m.id]).await?;
    let provisional = app::realtime_settings::shows_provisional(
        live.get(&m.id).copied(),
        resolved.current.start.as_millisecond(),
        resolved.current.end.as_millisecond(),
    )
    .then_some(app::realtime_settings::PROVISIONAL_NOTE);
    let realtime_ledger = if ledgers {
        let summary = state.app().realtime_ledger(m.id).await?;
        Some(app::realtime_settings::ledger_sentence(summary.as_ref()))
    } else {
        None
    };
    render(&MetricPage {
        frame: PageFrame::of(&caller, "metrics").flash(flash),
        id: m.id.0,
        name: m.name.clone(),
        summary,
        ledgers,
        ranges,
        intervals,
        notice,
        range_text: format!("{}: {}", named.label(), utc_range_text(&resolved.current)),
        total: total.map(|v| charts::format_full(Some(v), &format)),
        raw_total: total.map(|v| v.to_string()).unwrap_or_default(),
        previous: prev_total.map(|v| charts::format_full(Some(v), &format)),
        change,
        verdict: super::pages::verdict_class(verdict),
        aggregation: watch::describe::aggregation(aggregation),
        chart,
        band_shown,
        band_toggle,
        band_note,
        unusual,
        breakdown,
        state: sync.state,
        reason: sync.reason,
        last_sync: views::when(sync.last_sync_ms),
        runs: run_rows(&runs),
        definition_error,
        every: every.describe(),
        every_default: m.sync_interval_s.is_none(),
        interval_value: match m.sync_interval_s {
            Some(_) => every.to_string(),
            None => app::sync_interval::DEFAULT_WORD.to_owned(),
        },
        accounts,
        account_param: account.unwrap_or_default(),
        provisional,
        realtime_ledger,
    })
}

/// Which accounts a multi-account metric reads, in words, and each account's value over the
/// range, by friendly name: the accounts with data first (greatest first), then the accounts
/// the metric reads that have none, said so rather than drawn as zero.
async fn accounts_of(
    state: &AppState,
    m: &store::StoredMetric,
    scope: &metric::AccountScope,
    shown: Option<&str>,
    query: &metric::Query,
    format: &metric::definition::NumberFormat,
    has_data: bool,
) -> Result<Accounts, WebError> {
    let names = app::twilio_accounts::AccountNames::load(state.store()).await?;
    let listed = match m.connection_id {
        Some(c) => state.app().twilio_accounts(c).await?,
        None => Vec::new(),
    };
    let connection = match m.connection_id {
        Some(c) => state.store().connection(c).await?.label,
        None => "(removed)".to_owned(),
    };
    let requested = listed.iter().filter(|a| a.is_requested()).count();
    let scope_text = match scope {
        metric::AccountScope::List(sids) if sids.len() == 1 => {
            format!("1 chosen account of connection '{connection}'")
        }
        metric::AccountScope::List(sids) => {
            format!(
                "{} chosen accounts of connection '{connection}'",
                sids.len()
            )
        }
        _ => format!("every active account of connection '{connection}' ({requested} now)"),
    };
    let by_account = metric_sync::buckets_viewed(
        state.store().as_ref(),
        m.id,
        query.range.start.as_millisecond(),
        query.range.end.as_millisecond(),
        AccountView::ByAccount,
        &None,
    )
    .await?;
    let all = metric::Query {
        top: usize::MAX,
        ..query.clone()
    };
    let result =
        metric::query(&by_account, &all).map_err(|e| WebError::invalid("range", e.to_string()))?;
    let mut rows: Vec<AccountRow> = Vec::new();
    if has_data {
        for slice in &result.breakdown {
            if let Some(sid) = &slice.dimension {
                rows.push(AccountRow {
                    name: names.name(sid),
                    sid: sid.clone(),
                    value: slice.value.map(|v| charts::format_full(Some(v), format)),
                });
            }
        }
    }
    let connection_sid = listed
        .iter()
        .find(|a| a.is_parent)
        .map(|a| a.sid.to_string());
    for a in &listed {
        let sid = a.sid.as_str();
        let read = scope.includes(sid, connection_sid.as_deref().unwrap_or(""));
        if read && !rows.iter().any(|r| r.sid == sid) {
            rows.push(AccountRow {
                name: names.name(sid),
                sid: sid.to_owned(),
                value: None,
            });
        }
    }
    Ok(Accounts {
        scope: scope_text,
        shown: shown.map(|sid| names.name(sid)),
        rows,
    })
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A query parameter's value as it may sit in a link: letters, digits and `-_.~` as they are,
/// every other byte percent-encoded.
fn urlencoding(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
