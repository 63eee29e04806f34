//! Period-end forecasts: how a volume or spend metric's week, month or quarter (in the reader's
//! zone) is expected to end, from the seasonal model of today. This module reads and wires;
//! the arithmetic is `seasonal::forecast`'s, and the one wording of a Twilio Usage Trigger for
//! a budget is [`usage_trigger`].

use ::seasonal::forecast::{self, Projection};
use ::seasonal::{DAY_MS, Fit, HOUR_MS, Model, Series};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use metric::definition::{NumberFormat, Unit};
use metric::{Aggregation, Interval, NamedRange, Period, TimeRange};
use metric_sync::buckets;
use serde::{Deserialize, Serialize};
use store::{MetricId, Store, StoreError};

use crate::AppError;

/// How many robust standard deviations the projected band spans on each side: about 90 % of
/// outcomes for a normal spread, wide enough to be believed and narrow enough to be useful.
pub const BAND_WIDTH: f64 = 1.645;

/// The calendar period a forecast projects to the end of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForecastPeriod {
    Week,
    #[default]
    Month,
    Quarter,
}

impl ForecastPeriod {
    pub const ALL: [ForecastPeriod; 3] = [
        ForecastPeriod::Week,
        ForecastPeriod::Month,
        ForecastPeriod::Quarter,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ForecastPeriod::Week => "week",
            ForecastPeriod::Month => "month",
            ForecastPeriod::Quarter => "quarter",
        }
    }

    pub fn parse(s: &str) -> Option<ForecastPeriod> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The whole current period, as boards and goals resolve it.
    pub fn range(self) -> NamedRange {
        NamedRange::This(match self {
            ForecastPeriod::Week => Period::Week,
            ForecastPeriod::Month => Period::Month,
            ForecastPeriod::Quarter => Period::Quarter,
        })
    }
}

/// Whether a metric of this aggregation can be projected to a period's end: only what adds up
/// over time (a sum or a count) has an end value that is the hours' values added.
pub fn can_forecast(aggregation: Aggregation) -> bool {
    matches!(aggregation, Aggregation::Sum | Aggregation::Count)
}

/// The projection of one period, or why there is none yet.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Outlook {
    /// The series has `hours` of the `needed` hours of history: no forecast, no guess.
    Learning {
        hours: usize,
        needed: usize,
    },
    Ready(Projected),
}

impl Outlook {
    /// "learning: 12 of 21 days", the one wording of a young series' state.
    pub fn learning_text(hours: usize, needed: usize) -> String {
        format!("learning: {} of {} days", hours / 24, needed.div_ceil(24))
    }
}

/// A ready projection: the period's total with its band, and its path day by day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Projected {
    pub total: Projection,
    /// One point per day of the period in the zone, each the running total at the day's end.
    pub days: Vec<DayPoint>,
}

/// The running total at the end of one day of the period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DayPoint {
    pub start_ms: i64,
    pub end_ms: i64,
    /// What the store holds up to the day's end, for a day already over; `None` from today on.
    pub actual: Option<f64>,
    /// The projected running total at the day's end, with its band.
    pub projected: Projection,
}

/// A metric's period as a forecast shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodForecast {
    pub metric_id: i64,
    pub period: ForecastPeriod,
    pub start_ms: i64,
    pub end_ms: i64,
    pub at_ms: i64,
    /// The sum (or count) of the period's known whole hours before the current one; `None`
    /// when no hour of the period is known.
    pub so_far: Option<f64>,
    pub outlook: Outlook,
    /// With a budget on a spend metric: whether and when the forecast crosses it.
    pub budget: Option<BudgetOutlook>,
}

/// A spend budget against the forecast.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetOutlook {
    pub budget: f64,
    /// When the running total reaches the budget: already (an instant before `at_ms`), on the
    /// projected path, or `None` when the projected total stays below it.
    pub reached_ms: Option<i64>,
    /// The projected total stays below the budget but the band's upper edge passes it.
    pub within_band: bool,
    pub trigger: UsageTrigger,
}

/// The projection of `[from_ms, to_ms)` of one series at `at_ms`, with a path to each of
/// `ends`: what goals and the Forecast block share. Reads the metric's hours over the period
/// and fits the series' model of today (`app::seasonal::models`).
#[derive(Debug, Clone)]
pub struct SeriesForecast {
    /// The period's hours up to the hour of `at_ms`.
    pub series: Series,
    pub fit: Fit,
}

impl SeriesForecast {
    pub fn model(&self) -> Option<&Model> {
        match &self.fit {
            Fit::Ready(m) => Some(m),
            Fit::Learning { .. } => None,
        }
    }

    /// The sum of the known hours.
    pub fn so_far(&self) -> Option<f64> {
        (self.series.known_hours() > 0).then(|| self.series.values.iter().flatten().sum())
    }
}

/// Reads what a projection of `[from_ms, to_ms)` at `at_ms` needs: the period's hours (all rows
/// or `dimension`'s) and the model of the day of `at_ms`.
pub async fn series_forecast<S: Store>(
    store: &S,
    metric: MetricId,
    aggregation: Aggregation,
    dimension: Option<&str>,
    from_ms: i64,
    at_ms: i64,
) -> Result<SeriesForecast, StoreError> {
    let models = crate::seasonal::models(store, metric, aggregation, dimension, 0, at_ms).await?;
    // A period can start before the training weeks (a quarter), so its hours are read on
    // their own; whole hours, as the series are.
    let from = from_ms.div_euclid(HOUR_MS) * HOUR_MS;
    let to = at_ms.div_euclid(HOUR_MS) * HOUR_MS;
    let rows = buckets(store, metric, from, to.max(from)).await?;
    let known = store
        .synced_spans(&[metric])
        .await?
        .get(&metric)
        .map(|&(s, e)| (s, e.min(to)));
    let series = Series::hourly(&rows, dimension, aggregation, from, to.max(from), known);
    Ok(SeriesForecast {
        series,
        fit: models.total.fit,
    })
}

/// The forecast of `metric`'s current `period` in `zone` at `at_ms`, with `budget` checked when
/// the metric is spend. A metric that is neither a sum nor a count is refused with a reason.
pub async fn period_forecast<S: Store>(
    store: &S,
    metric: MetricId,
    dimension: Option<&str>,
    period: ForecastPeriod,
    budget: Option<f64>,
    zone: &TimeZone,
    at_ms: i64,
) -> Result<PeriodForecast, AppError> {
    let (stored, definition) = crate::metrics::with_definition(store, metric).await?;
    let aggregation = definition.description.aggregation;
    if !can_forecast(aggregation) {
        return Err(AppError::invalid(
            "metric",
            format!(
                "metric {:?} is {}: only a sum or a count adds up to a period's end and can be forecast; pick a volume or spend metric",
                stored.name,
                aggregation_words(aggregation)
            ),
        ));
    }
    let at = Timestamp::from_millisecond(at_ms)
        .map_err(|_| AppError::invalid("now", "the instant is out of range"))?;
    let range = period
        .range()
        .resolve(at, zone)
        .map_err(|e| AppError::invalid("period", e.to_string()))?;
    let (start_ms, end_ms) = (range.start.as_millisecond(), range.end.as_millisecond());
    let read = series_forecast(store, metric, aggregation, dimension, start_ms, at_ms).await?;
    let so_far = read.so_far();
    let format = &definition.description.format;
    let outlook = match &read.fit {
        Fit::Learning { hours, needed } => Outlook::Learning {
            hours: *hours,
            needed: *needed,
        },
        Fit::Ready(model) => {
            let ends = day_ends(&range, zone)?;
            let path = forecast::path(model, &read.series, start_ms, &ends, at_ms, BAND_WIDTH);
            let now_hour = at_ms.div_euclid(HOUR_MS) * HOUR_MS;
            let mut days = Vec::with_capacity(ends.len());
            let mut day_start = start_ms;
            for (end, projected) in ends.iter().zip(&path) {
                days.push(DayPoint {
                    start_ms: day_start,
                    end_ms: *end,
                    actual: (*end <= now_hour).then_some(projected.so_far),
                    projected: *projected,
                });
                day_start = *end;
            }
            let total = path.last().copied().unwrap_or(Projection {
                so_far: 0.0,
                value: 0.0,
                lower: 0.0,
                upper: 0.0,
            });
            Outlook::Ready(Projected { total, days })
        }
    };
    let budget = match (budget, format.unit) {
        (Some(b), Unit::Currency) => {
            let (reached_ms, within_band) = match (&read.fit, &outlook) {
                (Fit::Ready(model), Outlook::Ready(p)) => {
                    let at = forecast::crossing(model, &read.series, start_ms, end_ms, at_ms, b);
                    (at, at.is_none() && p.total.upper >= b)
                }
                _ => (None, false),
            };
            Some(BudgetOutlook {
                budget: b,
                reached_ms,
                within_band,
                trigger: usage_trigger(b, format, period, &stored.name),
            })
        }
        _ => None,
    };
    Ok(PeriodForecast {
        metric_id: metric.0,
        period,
        start_ms,
        end_ms,
        at_ms,
        so_far,
        outlook,
        budget,
    })
}

fn aggregation_words(a: Aggregation) -> &'static str {
    match a {
        Aggregation::Sum => "a sum",
        Aggregation::Count => "a count",
        Aggregation::Average => "an average",
        Aggregation::Min => "a minimum",
        Aggregation::Max => "a maximum",
        Aggregation::Latest => "a latest value",
    }
}

/// The end of every day of `range` in `zone`, the last one the range's end.
fn day_ends(range: &TimeRange, zone: &TimeZone) -> Result<Vec<i64>, AppError> {
    let mut ends = Vec::new();
    let mut t = range.start;
    // A quarter has at most 92 days; the bound keeps a broken zone from looping.
    for _ in 0..=(93 * DAY_MS / HOUR_MS) {
        let next = metric::aggregate::next_interval_start(t, Interval::Day, zone)
            .map_err(|e| AppError::invalid("period", e.to_string()))?;
        let next = next.min(range.end);
        ends.push(next.as_millisecond());
        if next >= range.end {
            return Ok(ends);
        }
        t = next;
    }
    Err(AppError::Internal("a period longer than a quarter".into()))
}

/// The Usage Trigger that fires at a budget, as a person sets it in the Twilio Console (or
/// through the API): the fields of Twilio's UsageTrigger resource and only those.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageTrigger {
    /// `UsageCategory`: the account's total price, every product together.
    pub usage_category: &'static str,
    /// The category as the Console lists it.
    pub usage_category_label: &'static str,
    /// `TriggerBy`: the usage record's price.
    pub trigger_by: &'static str,
    /// `TriggerValue`: the budget with two decimals, in the account's currency.
    pub trigger_value: String,
    /// `Recurring`: Twilio's `daily`, `monthly`, `yearly` or `alltime`; `None` when none of them
    /// is the forecast's period.
    pub recurring: Option<&'static str>,
    /// `FriendlyName` (at most 64 characters).
    pub friendly_name: String,
    /// The words to paste, every field named.
    pub words: String,
}

/// The one wording of the Usage Trigger for `budget` over `period`. Twilio's recurring triggers
/// reset daily, monthly or yearly (in GMT), so only a month maps to one; a week or a quarter
/// says so rather than offer a trigger that would reset at other times.
pub fn usage_trigger(
    budget: f64,
    format: &NumberFormat,
    period: ForecastPeriod,
    metric_name: &str,
) -> UsageTrigger {
    let trigger_value = format!("{budget:.2}");
    let currency = format
        .currency
        .as_deref()
        .unwrap_or("the account's currency");
    let recurring = match period {
        ForecastPeriod::Month => Some("monthly"),
        ForecastPeriod::Week | ForecastPeriod::Quarter => None,
    };
    let mut friendly_name = format!("Budget: {metric_name}");
    if friendly_name.chars().count() > 64 {
        friendly_name = friendly_name.chars().take(63).collect::<String>() + "…";
    }
    let recurring_words = match recurring {
        Some(r) => format!("Recurring: {} (Twilio's months run in GMT)", capital(r)),
        None => format!(
            "Recurring: none matches; Twilio's triggers recur daily, monthly or yearly, not by {}, so use a Forecast block set to \"month\" for a monthly budget",
            period.as_str()
        ),
    };
    // One field a line, as the Console's form asks for them; the API's values in brackets.
    let words = [
        "Create a Usage Trigger in the Twilio Console:".to_owned(),
        "Usage category: Total Price (API: totalprice)".to_owned(),
        "Trigger by: Price (API: price)".to_owned(),
        format!("Trigger value: {trigger_value} ({currency})"),
        recurring_words,
        format!("Friendly name: {friendly_name}"),
        "Callback URL: the address Twilio should call when it fires (required)".to_owned(),
    ]
    .join("\n");
    UsageTrigger {
        usage_category: "totalprice",
        usage_category_label: "Total Price",
        trigger_by: "price",
        trigger_value,
        recurring,
        friendly_name,
        words,
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> NumberFormat {
        NumberFormat {
            unit: Unit::Currency,
            currency: Some("USD".into()),
            decimals: Some(2),
        }
    }

    #[test]
    fn a_monthly_budget_gives_a_monthly_price_trigger_on_total_price() {
        let t = usage_trigger(1500.0, &usd(), ForecastPeriod::Month, "Messaging spend");
        assert_eq!(
            (
                t.usage_category,
                t.trigger_by,
                t.trigger_value.as_str(),
                t.recurring
            ),
            ("totalprice", "price", "1500.00", Some("monthly"))
        );
        for line in [
            "Usage category: Total Price (API: totalprice)",
            "Trigger by: Price (API: price)",
            "Trigger value: 1500.00 (USD)",
            "Recurring: Monthly (Twilio's months run in GMT)",
            "Friendly name: Budget: Messaging spend",
        ] {
            assert!(
                t.words.lines().any(|l| l == line),
                "{line:?} missing from {:?}",
                t.words
            );
        }
    }

    #[test]
    fn the_trigger_value_has_two_decimals() {
        let t = usage_trigger(99.999, &usd(), ForecastPeriod::Month, "Spend");
        assert_eq!(t.trigger_value, "100.00");
        let t = usage_trigger(12.3, &usd(), ForecastPeriod::Month, "Spend");
        assert_eq!(t.trigger_value, "12.30");
    }

    #[test]
    fn a_week_or_quarter_budget_names_no_recurrence_twilio_does_not_have() {
        for p in [ForecastPeriod::Week, ForecastPeriod::Quarter] {
            let t = usage_trigger(10.0, &usd(), p, "Spend");
            assert_eq!(t.recurring, None);
            assert!(
                t.words.contains(&format!(
                    "recur daily, monthly or yearly, not by {}",
                    p.as_str()
                )),
                "{:?}",
                t.words
            );
        }
    }

    #[test]
    fn a_long_metric_name_keeps_the_friendly_name_within_64_characters() {
        let t = usage_trigger(1.0, &usd(), ForecastPeriod::Month, &"x".repeat(200));
        assert_eq!(t.friendly_name.chars().count(), 64);
    }

    #[test]
    fn learning_counts_whole_days() {
        assert_eq!(
            Outlook::learning_text(14 * 24 + 5, 21 * 24),
            "learning: 14 of 21 days"
        );
    }
}
