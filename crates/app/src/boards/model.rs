//! What a block is: its type and its settings, as stored (JSON) and as edited (a form).

use std::fmt;
use std::str::FromStr;

use metric::accounts::{AccountFilter, AccountView};
use metric::{CompareTo, Interval, NamedRange};
use serde::{Deserialize, Serialize};

use crate::forecast::ForecastPeriod;

/// The block types of a board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    Number,
    Line,
    Bar,
    Table,
    Pie,
    Progress,
    Text,
    Forecast,
    /// Which account of a multi-account metric is out of line (`crate::outliers`).
    Outliers,
}

impl BlockKind {
    pub const ALL: [BlockKind; 9] = [
        BlockKind::Number,
        BlockKind::Line,
        BlockKind::Bar,
        BlockKind::Table,
        BlockKind::Pie,
        BlockKind::Progress,
        BlockKind::Text,
        BlockKind::Forecast,
        BlockKind::Outliers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Number => "number",
            BlockKind::Line => "line",
            BlockKind::Bar => "bar",
            BlockKind::Table => "table",
            BlockKind::Pie => "pie",
            BlockKind::Progress => "progress",
            BlockKind::Text => "text",
            BlockKind::Forecast => "forecast",
            BlockKind::Outliers => "outliers",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BlockKind::Number => "Number",
            BlockKind::Line => "Line chart",
            BlockKind::Bar => "Bar chart",
            BlockKind::Table => "Table",
            BlockKind::Pie => "Pie or donut",
            BlockKind::Progress => "Progress to a goal",
            BlockKind::Text => "Text",
            BlockKind::Forecast => "Forecast",
            BlockKind::Outliers => "Account outliers",
        }
    }

    /// The grid cells a new block of this type takes (width, height) on a 12-column grid.
    pub fn default_size(self) -> (i64, i64) {
        match self {
            BlockKind::Number | BlockKind::Progress => (3, 2),
            BlockKind::Text => (3, 2),
            BlockKind::Line | BlockKind::Bar | BlockKind::Outliers => (6, 3),
            BlockKind::Table | BlockKind::Pie | BlockKind::Forecast => (4, 3),
        }
    }
}

impl fmt::Display for BlockKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BlockKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        BlockKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown block type {s:?}"))
    }
}

/// How a Number block shows its change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeFormat {
    #[default]
    Percent,
    Absolute,
    Ratio,
}

impl ChangeFormat {
    pub const ALL: [ChangeFormat; 3] = [
        ChangeFormat::Percent,
        ChangeFormat::Absolute,
        ChangeFormat::Ratio,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeFormat::Percent => "percent",
            ChangeFormat::Absolute => "absolute",
            ChangeFormat::Ratio => "ratio",
        }
    }
}

/// How a Table block lays out its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableRows {
    #[default]
    ByDimension,
    ByInterval,
}

/// A Table block's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableSort {
    #[default]
    ValueDesc,
    ValueAsc,
    Label,
}

impl TableSort {
    pub fn parse(s: &str) -> Option<TableSort> {
        match s {
            "value_desc" => Some(TableSort::ValueDesc),
            "value_asc" => Some(TableSort::ValueAsc),
            "label" => Some(TableSort::Label),
            _ => None,
        }
    }
}

/// The most metrics one block shows: beyond a dozen series a chart or table stops being
/// readable, and each metric costs a bucket read on every render.
pub const MAX_BLOCK_METRICS: usize = 12;

/// A block's settings. Stored as JSON; every field has a default so older documents still
/// read after a field is added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlockSettings {
    /// Metric ids, in display order.
    pub metrics: Vec<i64>,
    /// Overrides the board's range (its text form, such as `last_7_days`).
    pub range: Option<String>,
    /// Overrides the board's comparison.
    pub compare: Option<String>,
    /// "Graph by": the interval of a series; the range's natural one when absent.
    pub interval: Option<Interval>,
    /// Only this dimension value.
    pub dimension: Option<String>,
    /// Break a single metric down by dimension (bar, line, table, pie).
    pub by_dimension: bool,
    /// How many dimensions are named before the rest is "Other".
    pub top: usize,
    /// Running totals instead of per-interval values.
    pub cumulative: bool,
    pub change: ChangeFormat,
    /// Bar: stacked rather than grouped.
    pub stacked: bool,
    /// Pie: a donut.
    pub donut: bool,
    pub table_rows: TableRows,
    pub sort: TableSort,
    /// Progress: the value aimed at over the range.
    pub goal: Option<f64>,
    /// Progress: a stored goal to follow instead; its current period, target and pace replace
    /// the block's range and `goal`, and its metric is the block's.
    pub goal_id: Option<i64>,
    /// Text: the notes.
    pub text: String,
    /// Line: draw the first metric's expected band behind it and ring unusual points.
    pub band: bool,
    /// Forecast: the calendar period projected to its end.
    pub forecast_period: ForecastPeriod,
    /// Forecast of a spend metric: the budget checked against the forecast.
    pub budget: Option<f64>,
    /// A metric over several accounts: accounts added together, or one series, row or slice
    /// per account. Left out of the JSON when total, so older blocks read the same.
    #[serde(skip_serializing_if = "is_total")]
    pub accounts: AccountView,
    /// Only these accounts (SIDs); empty: every account.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub account_filter: Vec<String>,
}

fn is_total(v: &AccountView) -> bool {
    *v == AccountView::Total
}

impl Default for BlockSettings {
    fn default() -> Self {
        Self {
            metrics: Vec::new(),
            range: None,
            compare: None,
            interval: None,
            dimension: None,
            by_dimension: false,
            top: 5,
            cumulative: false,
            change: ChangeFormat::Percent,
            stacked: false,
            donut: false,
            table_rows: TableRows::ByDimension,
            sort: TableSort::ValueDesc,
            goal: None,
            goal_id: None,
            text: String::new(),
            band: false,
            forecast_period: ForecastPeriod::Month,
            budget: None,
            accounts: AccountView::Total,
            account_filter: Vec::new(),
        }
    }
}

impl BlockSettings {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    pub fn from_json(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_default()
    }

    pub fn range_override(&self) -> Option<NamedRange> {
        self.range.as_deref().and_then(|r| r.parse().ok())
    }

    pub fn compare_override(&self) -> Option<CompareTo> {
        self.compare.as_deref().and_then(|c| c.parse().ok())
    }

    /// Whether a chart or breakdown shows one series per dimension value or per account.
    pub fn breaks_down(&self) -> bool {
        self.by_dimension || self.accounts == AccountView::ByAccount
    }

    /// Whether the block asks anything of accounts (only a multi-account metric can answer).
    pub fn asks_accounts(&self) -> bool {
        self.accounts != AccountView::Total || !self.account_filter.is_empty()
    }

    /// The accounts kept, as [`metric::accounts::regroup`] takes them.
    pub fn account_filter(&self) -> AccountFilter {
        (!self.account_filter.is_empty()).then(|| self.account_filter.iter().cloned().collect())
    }
}

/// Whether a block of `kind` may show one series, row or slice per account (the types that
/// break a metric down); any type reading a metric may keep chosen accounts.
pub fn shows_by_account(kind: BlockKind) -> bool {
    matches!(
        kind,
        BlockKind::Line | BlockKind::Bar | BlockKind::Table | BlockKind::Pie
    )
}

/// The block's account settings from the editor's `accounts` and repeated `account` fields.
fn parse_accounts(
    kind: BlockKind,
    get: &dyn Fn(&str) -> String,
    pairs: &[(String, String)],
    s: &mut BlockSettings,
) -> Result<(), (&'static str, String)> {
    s.accounts = match get("accounts").as_str() {
        "" | "total" => AccountView::Total,
        "by_account" if shows_by_account(kind) => AccountView::ByAccount,
        "by_account" => {
            return Err((
                "accounts",
                format!(
                    "a {} block shows one value; by account is for line, bar, table and pie blocks",
                    kind.label()
                ),
            ));
        }
        other => {
            return Err((
                "accounts",
                format!("{other:?} is not an account view: use total or by_account"),
            ));
        }
    };
    for (k, v) in pairs {
        let v = v.trim();
        if k != "account" || v.is_empty() || s.account_filter.iter().any(|a| a == v) {
            continue;
        }
        domain::AccountSid::parse(v)
            .map_err(|e| ("account_filter", format!("{v:?} is not an account: {e}")))?;
        s.account_filter.push(v.to_owned());
    }
    if kind == BlockKind::Text && s.asks_accounts() {
        return Err(("accounts", "a Text block reads no metric".to_owned()));
    }
    Ok(())
}

/// One edited block, read from the editor's form fields (repeated `metric` fields included).
#[derive(Debug, Clone, PartialEq)]
pub struct BlockForm {
    pub kind: BlockKind,
    pub title: String,
    pub settings: BlockSettings,
}

impl BlockForm {
    /// Reads the editor's fields; `Err` names the field that does not read.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, (&'static str, String)> {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default()
        };
        let on = |k: &str| pairs.iter().any(|(key, v)| key == k && !v.is_empty());
        let kind: BlockKind = get("kind").parse().map_err(|e| ("kind", e))?;
        let mut s = BlockSettings::default();
        for (k, v) in pairs {
            if k == "metric" && !v.is_empty() {
                let id = v
                    .parse::<i64>()
                    .map_err(|_| ("metric", format!("{v:?} is not a metric id")))?;
                if !s.metrics.contains(&id) {
                    if s.metrics.len() == MAX_BLOCK_METRICS {
                        return Err((
                            "metric",
                            format!(
                                "a block shows at most {MAX_BLOCK_METRICS} metrics; pick fewer or add another block"
                            ),
                        ));
                    }
                    s.metrics.push(id);
                }
            }
        }
        let goal_id = get("goal_id");
        if kind == BlockKind::Progress && !goal_id.is_empty() {
            s.goal_id = Some(
                goal_id
                    .parse::<i64>()
                    .ok()
                    .filter(|g| *g > 0)
                    .ok_or(("goal_id", format!("{goal_id:?} is not a goal id")))?,
            );
        }
        // A block following a stored goal takes the goal's metric (filled in by the caller).
        if kind != BlockKind::Text && s.metrics.is_empty() && s.goal_id.is_none() {
            return Err(("metric", "pick at least one metric".to_owned()));
        }
        let range = get("range");
        if !range.is_empty() {
            range
                .parse::<NamedRange>()
                .map_err(|e| ("range", e.to_string()))?;
            s.range = Some(range);
        }
        let compare = get("compare");
        if !compare.is_empty() {
            compare
                .parse::<CompareTo>()
                .map_err(|e| ("compare", e.to_string()))?;
            s.compare = Some(compare);
        }
        let interval = get("interval");
        if !interval.is_empty() {
            s.interval = Some(
                Interval::from_name(&interval)
                    .ok_or(("interval", format!("unknown interval {interval:?}")))?,
            );
        }
        let dimension = get("dimension");
        s.dimension = (!dimension.is_empty()).then_some(dimension);
        s.by_dimension = on("by_dimension");
        let top = get("top");
        if !top.is_empty() {
            s.top = top
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=50).contains(n))
                .ok_or(("top", "top N is a whole number from 1 to 50".to_owned()))?;
        }
        s.cumulative = on("cumulative");
        s.change = match get("change").as_str() {
            "" | "percent" => ChangeFormat::Percent,
            "absolute" => ChangeFormat::Absolute,
            "ratio" => ChangeFormat::Ratio,
            other => return Err(("change", format!("unknown change format {other:?}"))),
        };
        s.stacked = on("stacked");
        s.donut = on("donut");
        s.table_rows = if get("table_rows") == "by_interval" {
            TableRows::ByInterval
        } else {
            TableRows::ByDimension
        };
        s.sort = TableSort::parse(&get("sort")).unwrap_or_default();
        let goal = get("goal");
        if !goal.is_empty() {
            s.goal = Some(
                goal.parse::<f64>()
                    .ok()
                    .filter(|g| g.is_finite() && *g > 0.0)
                    .ok_or(("goal", "the goal is a number above 0".to_owned()))?,
            );
        } else if kind == BlockKind::Progress && s.goal_id.is_none() {
            return Err((
                "goal",
                "a Progress block needs a stored goal or a target".to_owned(),
            ));
        }
        s.text = get("text");
        s.band = kind == BlockKind::Line && on("band");
        if kind == BlockKind::Forecast {
            if s.metrics.len() > 1 {
                return Err((
                    "metric",
                    "a Forecast block projects one metric; pick one, or add a block per metric"
                        .to_owned(),
                ));
            }
            let period = get("forecast_period");
            if !period.is_empty() {
                s.forecast_period = ForecastPeriod::parse(&period).ok_or((
                    "forecast_period",
                    format!("{period:?} is not a period to forecast: pick week, month or quarter"),
                ))?;
            }
            let budget = get("budget");
            if !budget.is_empty() {
                s.budget = Some(
                    budget
                        .parse::<f64>()
                        .ok()
                        .filter(|b| b.is_finite() && *b > 0.0)
                        .ok_or((
                            "budget",
                            format!("the budget {budget:?} is not an amount above 0, such as 1500"),
                        ))?,
                );
            }
        }
        parse_accounts(kind, &get, pairs, &mut s)?;
        if kind == BlockKind::Outliers {
            one_metric_of_accounts(&s)?;
        }
        let title = crate::names::block_title(&get("title")).map_err(|e| (e.field, e.message))?;
        Ok(BlockForm {
            kind,
            title,
            settings: s,
        })
    }
}

/// An Account outliers block compares the accounts of one metric.
fn one_metric_of_accounts(s: &BlockSettings) -> Result<(), (&'static str, String)> {
    if s.metrics.len() > 1 {
        return Err((
            "metric",
            "an Account outliers block compares the accounts of one metric; pick one, or add a block per metric"
                .to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_editor_form_reads_into_settings() {
        let f = BlockForm::parse(&pairs(&[
            ("kind", "bar"),
            ("title", "Messages"),
            ("metric", "3"),
            ("metric", "5"),
            ("metric", "3"),
            ("range", "last_7_days"),
            ("interval", "day"),
            ("stacked", "on"),
            ("top", "3"),
        ]))
        .unwrap();
        assert_eq!(f.kind, BlockKind::Bar);
        assert_eq!(f.settings.metrics, [3, 5]);
        assert_eq!(f.settings.range.as_deref(), Some("last_7_days"));
        assert_eq!(f.settings.interval, Some(Interval::Day));
        assert!(f.settings.stacked && !f.settings.donut);
        assert_eq!(BlockSettings::from_json(&f.settings.to_json()), f.settings);
        let bad = BlockForm::parse(&pairs(&[
            ("kind", "line"),
            ("metric", "1"),
            ("range", "soon"),
        ]));
        assert_eq!(bad.unwrap_err().0, "range");
        let none = BlockForm::parse(&pairs(&[("kind", "line")]));
        assert_eq!(none.unwrap_err().0, "metric");
        let goal = BlockForm::parse(&pairs(&[("kind", "progress"), ("metric", "1")]));
        assert_eq!(goal.unwrap_err().0, "goal");
        assert!(BlockForm::parse(&pairs(&[("kind", "text"), ("text", "hi")])).is_ok());
    }

    #[test]
    fn an_outliers_block_reads_one_metric_and_its_top_n() {
        let f = BlockForm::parse(&pairs(&[
            ("kind", "outliers"),
            ("metric", "4"),
            ("top", "8"),
        ]))
        .unwrap();
        assert_eq!(f.kind, BlockKind::Outliers);
        assert_eq!(
            (f.settings.metrics.as_slice(), f.settings.top),
            (&[4][..], 8)
        );
        let two = BlockForm::parse(&pairs(&[
            ("kind", "outliers"),
            ("metric", "1"),
            ("metric", "2"),
        ]));
        assert_eq!(two.unwrap_err().0, "metric");
    }

    #[test]
    fn a_forecast_block_reads_its_period_and_budget() {
        let f = BlockForm::parse(&pairs(&[
            ("kind", "forecast"),
            ("metric", "4"),
            ("forecast_period", "quarter"),
            ("budget", "1500.5"),
        ]))
        .unwrap();
        assert_eq!(f.kind, BlockKind::Forecast);
        assert_eq!(f.settings.forecast_period, ForecastPeriod::Quarter);
        assert_eq!(f.settings.budget, Some(1500.5));
        assert_eq!(BlockSettings::from_json(&f.settings.to_json()), f.settings);
        let plain = BlockForm::parse(&pairs(&[("kind", "forecast"), ("metric", "4")])).unwrap();
        assert_eq!(
            (plain.settings.forecast_period, plain.settings.budget),
            (ForecastPeriod::Month, None)
        );
    }

    #[test]
    fn a_forecast_block_refuses_two_metrics_a_bad_period_and_a_bad_budget() {
        let field = |p: &[(&str, &str)]| BlockForm::parse(&pairs(p)).unwrap_err().0;
        assert_eq!(
            field(&[("kind", "forecast"), ("metric", "1"), ("metric", "2")]),
            "metric"
        );
        assert_eq!(
            field(&[
                ("kind", "forecast"),
                ("metric", "1"),
                ("forecast_period", "year")
            ]),
            "forecast_period"
        );
        for bad in ["0", "-3", "lots", "inf"] {
            assert_eq!(
                field(&[("kind", "forecast"), ("metric", "1"), ("budget", bad)]),
                "budget"
            );
        }
    }
}
