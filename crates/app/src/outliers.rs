//! Which account is out of line: a multi-account metric's value per account over a named
//! range, judged by `watch::outliers` against the accounts' median. This module reads, names
//! and formats; the judgement is `watch`'s. The page, the API and the board block all show what
//! [`account_outliers`] answers.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use metric::accounts::AccountView;
use metric::definition::NumberFormat;
use metric::{Aggregation, HourBucket, NamedRange, TimeRange, Trend};
use serde::Serialize;
use store::{AnyStore, MetricId, Store};
use watch::outliers::{AccountValue, Judged, Settings, Side, Spread, judge};

use crate::twilio_accounts::AccountNames;
use crate::{AppError, AppResult};

/// One judged account as every surface shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutlierRow {
    /// Its place in the ranking, from 1.
    pub rank: usize,
    pub account_sid: String,
    /// The account's friendly name ("Brand B (closed)" when no longer active).
    pub account: String,
    pub value: f64,
    /// `value` in the metric's unit.
    pub value_text: String,
    pub z: f64,
    /// `z` with one decimal and its sign.
    pub z_text: String,
    pub out_of_line: bool,
    pub side: Option<Side>,
    pub unfavourable: bool,
    /// How many rows the value rests on.
    pub volume: u64,
}

/// An account left out of the ranking for too few rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TooFew {
    pub account_sid: String,
    pub account: String,
    pub value_text: String,
    pub volume: u64,
}

/// The judged accounts and what they are judged against.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    pub median: f64,
    pub median_text: String,
    /// The band `|z| <` threshold spans around the median: `[lower, upper]`, none when the
    /// accounts have no spread.
    pub band: Option<(f64, f64)>,
    pub spread: Spread,
    /// "median absolute deviation 0.8%".
    pub spread_text: String,
    pub rows: Vec<OutlierRow>,
}

/// The judgement of a metric's accounts over a range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountOutliers {
    pub metric_id: i64,
    pub metric: String,
    pub aggregation: Aggregation,
    pub favourable: Trend,
    #[serde(skip)]
    pub format: NumberFormat,
    pub range: TimeRange,
    pub range_label: String,
    /// `false` when the range holds no synced hour: nothing is judged and nothing is drawn.
    pub has_data: bool,
    /// The ranking, or why there is none ("only 2 accounts have at least 20 rows…").
    pub ranked: Option<Ranked>,
    pub not_ranked: Option<String>,
    pub too_few: Vec<TooFew>,
    pub min_volume: u64,
    pub threshold: f64,
}

impl AccountOutliers {
    /// The out-of-line accounts, most out of line first.
    pub fn flagged(&self) -> impl Iterator<Item = &OutlierRow> {
        self.ranked
            .iter()
            .flat_map(|r| r.rows.iter())
            .filter(|r| r.out_of_line)
    }
}

/// `metric`'s accounts over `range` (in `zone`, at `now_ms`), ranked by how far each is out of
/// line. A metric over its connection's account alone is refused in words.
pub async fn account_outliers(
    store: &AnyStore,
    metric: MetricId,
    range: &NamedRange,
    zone: &TimeZone,
    now_ms: i64,
) -> AppResult<AccountOutliers> {
    let (stored, definition) = crate::metrics::with_definition(store, metric).await?;
    if !definition.accounts.is_multi() {
        return Err(AppError::invalid(
            "metric",
            format!(
                "metric {:?} reads only its connection's own account, so there are no accounts \
                 to compare; set its accounts to every active account or a chosen list",
                stored.name
            ),
        ));
    }
    let now = Timestamp::from_millisecond(now_ms)
        .map_err(|_| AppError::invalid("now", "the instant is out of range"))?;
    let resolved = range
        .resolve(now, zone)
        .map_err(|e| AppError::invalid("range", e.to_string()))?;
    let description = &definition.description;
    let mut out = AccountOutliers {
        metric_id: metric.0,
        metric: stored.name.clone(),
        aggregation: description.aggregation,
        favourable: description.favourable,
        format: description.format.clone(),
        range: resolved,
        range_label: range.label(),
        has_data: false,
        ranked: None,
        not_ranked: None,
        too_few: Vec::new(),
        min_volume: watch::outliers::MIN_VOLUME,
        threshold: watch::outliers::THRESHOLD,
    };
    let known = store
        .synced_spans(&[metric])
        .await?
        .get(&metric)
        .and_then(|&(s, e)| {
            let span = TimeRange::new(
                Timestamp::from_millisecond(s).ok()?,
                Timestamp::from_millisecond(e).ok()?,
            )
            .ok()?;
            metric::known_span(Some(span), now)
        });
    out.has_data = metric::coverage::has_data(&resolved, known.as_ref());
    if !out.has_data {
        return Ok(out);
    }
    let values = per_account(store, metric, &resolved, description.aggregation).await?;
    let names = AccountNames::load(store).await?;
    let report = judge(values, description.favourable, Settings::default());
    fill(&mut out, report, &names);
    Ok(out)
}

/// Each account's value (the metric's aggregation over the range) and row count.
async fn per_account(
    store: &AnyStore,
    metric: MetricId,
    range: &TimeRange,
    aggregation: Aggregation,
) -> AppResult<Vec<AccountValue>> {
    let buckets = metric_sync::buckets_viewed(
        store,
        metric,
        range.start.as_millisecond(),
        range.end.as_millisecond(),
        AccountView::ByAccount,
        &None,
    )
    .await?;
    let mut by_account: BTreeMap<String, Vec<HourBucket>> = BTreeMap::new();
    for b in buckets {
        // A bucket without an account (written before the metric had several) belongs to none.
        if let Some(sid) = b.dimension.clone() {
            by_account.entry(sid).or_default().push(b);
        }
    }
    Ok(by_account
        .into_iter()
        .filter_map(|(account, rows)| {
            let (from, to) = (range.start.as_millisecond(), range.end.as_millisecond());
            let in_range = rows.iter().filter(|b| from <= b.hour && b.hour < to);
            let volume = in_range.map(|b| b.count).sum();
            Some(AccountValue {
                value: metric::aggregate::total(&rows, range, aggregation)?,
                volume,
                account,
            })
        })
        .collect())
}

fn fill(out: &mut AccountOutliers, report: watch::outliers::Report, names: &AccountNames) {
    let format = out.format.clone();
    let f = |v: f64| charts::format_full(Some(v), &format);
    out.min_volume = report.settings_min_volume;
    out.too_few = report
        .too_few
        .into_iter()
        .map(|a| TooFew {
            account: names.name(&a.account),
            value_text: f(a.value),
            volume: a.volume,
            account_sid: a.account,
        })
        .collect();
    match report.ranking {
        Err(why) => out.not_ranked = Some(why.to_string()),
        Ok(ranking) => {
            let band = ranking.band(out.threshold);
            out.ranked = Some(Ranked {
                median: ranking.median,
                median_text: f(ranking.median),
                band,
                spread: ranking.spread,
                spread_text: spread_words(ranking.spread, &format),
                rows: ranking
                    .accounts
                    .into_iter()
                    .enumerate()
                    .map(|(i, j)| row(i + 1, j, names, &format))
                    .collect(),
            });
        }
    }
}

fn row(rank: usize, j: Judged, names: &AccountNames, format: &NumberFormat) -> OutlierRow {
    OutlierRow {
        rank,
        account: names.name(&j.account),
        account_sid: j.account,
        value: j.value,
        value_text: charts::format_full(Some(j.value), format),
        z: j.z,
        z_text: z_words(j.z),
        out_of_line: j.out_of_line,
        side: j.side,
        unfavourable: j.unfavourable,
        volume: j.volume,
    }
}

/// "+4.2", "−0.3", "0.0".
pub fn z_words(z: f64) -> String {
    let text = format!("{:.1}", z.abs());
    if text == "0.0" {
        text
    } else if z < 0.0 {
        format!("−{text}")
    } else {
        format!("+{text}")
    }
}

fn spread_words(spread: Spread, format: &NumberFormat) -> String {
    match spread {
        Spread::Mad(mad) => format!(
            "median absolute deviation {}",
            charts::format_full(Some(mad), format)
        ),
        Spread::MeanDeviation(mean) => format!(
            "most accounts hold the median exactly, so the mean absolute deviation ({}) measures the spread",
            charts::format_full(Some(mean), format)
        ),
        Spread::None => "every account holds the same value: none is out of line".to_owned(),
    }
}
