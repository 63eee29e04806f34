//! A computed block as HTML (the page), as CSV rows (exports) and as an SVG panel (the PNG of a
//! whole board). Charts come from the `charts` crate, so the page and the PNG draw alike.

use charts::{BandPoint, BarMode, Comparison, Expected, Marks, PieSlice, Series, Theme, TimeChart};
use jiff::tz::TimeZone;
use metric::Verdict;

use super::compute::{BlockBand, BlockData, GoalShown, MetricData};
use super::model::{BlockKind, BlockSettings, ChangeFormat, TableRows, TableSort};

/// Text made safe inside HTML, the one escaping the charts use too.
pub use charts::escape as esc;

pub fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Good => "good",
        Verdict::Bad => "bad",
        Verdict::Unchanged => "unchanged",
        Verdict::Unknown => "unknown",
    }
}

/// The change as the block asks: `+12.5%`, `+340`, `×1.12`.
pub fn change_text(m: &MetricData, format: ChangeFormat) -> String {
    let c = &m.change;
    match format {
        ChangeFormat::Percent => c.percent.map(charts::format_change),
        ChangeFormat::Absolute => c.absolute.map(|a| {
            let text = charts::format_full(Some(a.abs()), &m.info.format);
            format!("{}{text}", if a < 0.0 { "−" } else { "+" })
        }),
        ChangeFormat::Ratio => c.ratio.map(|r| format!("×{r:.2}")),
    }
    .unwrap_or_else(|| match c.previous {
        _ if c.verdict == Verdict::Unchanged => "no change".to_owned(),
        // From zero a relative change has no meaning, but the earlier value is known: say it,
        // as the Metrics screen does.
        Some(p) => format!(
            "from {} in the period before",
            charts::format_full(Some(p), &m.info.format)
        ),
        None => "no earlier value".to_owned(),
    })
}

/// What a block prints where the metric has no synced data for the range (or the interval).
pub const NO_DATA: &str = "no data";

/// A value as a block prints it: the metric's format, or "no data" where nothing is known.
fn shown(value: Option<f64>, known: bool, m: &MetricData) -> String {
    if value.is_none() && !known {
        NO_DATA.to_owned()
    } else {
        charts::format_full(value, &m.info.format)
    }
}

/// Which points of a metric's series are only partly known.
fn partial_points(m: &MetricData) -> Vec<bool> {
    m.coverage
        .iter()
        .map(|c| *c == metric::Coverage::Partial)
        .collect()
}

/// The first known instant of the first metric, when the block's range starts before it.
fn data_from(data: &BlockData) -> Option<jiff::Timestamp> {
    let known = data.metrics.first()?.info.known?;
    (known.start > data.window.current.start).then_some(known.start)
}

fn zone_name(zone: &TimeZone) -> &str {
    zone.iana_name().unwrap_or("UTC")
}

/// The pixel size a chart is drawn at for a block of `w`×`h` grid cells; the SVG scales with
/// the cell, so this only sets proportions and text size.
pub fn chart_size(w: i64, h: i64) -> (u32, u32) {
    let width = (w.clamp(1, 12) * 100) as u32;
    let height = (h.clamp(1, 12) * 110 - 60).max(80) as u32;
    (width, height)
}

/// A chart's drawing size on a TV whose board uses `rows` grid rows: the block's inner size in
/// pixels on a 1920×1080 screen (the TV stylesheet sizes columns by the viewport's width and
/// rows by its height, so a 3840×2160 screen shows the same picture twice as large), divided by
/// 1.6 so that the charts' 11-unit labels show at about 18 px there, readable across a room.
pub fn tv_chart_size(w: i64, h: i64, rows: i64) -> (u32, u32) {
    // These follow `.board-page.tv` in app.css at 1920×1080: 1vw padding, 0.625vw column
    // gaps, 1.1vh row gaps, the title strip and each block's title and caption.
    const COLUMN: f64 = 147.0;
    const COLUMN_GAP: f64 = 12.0;
    const ROW_GAP: f64 = 12.0;
    const GRID_HEIGHT: f64 = 960.0;
    const BLOCK_CHROME_W: f64 = 34.0;
    const BLOCK_CHROME_H: f64 = 96.0;
    const SCALE: f64 = 1.6;
    let (w, h, rows) = (
        w.clamp(1, 12) as f64,
        h.clamp(1, 60) as f64,
        rows.clamp(1, 60) as f64,
    );
    let row = (GRID_HEIGHT - (rows - 1.0) * ROW_GAP) / rows;
    let width = w * COLUMN + (w - 1.0) * COLUMN_GAP - BLOCK_CHROME_W;
    let height = h * row + (h - 1.0) * ROW_GAP - BLOCK_CHROME_H;
    (
        (width / SCALE).max(120.0) as u32,
        (height / SCALE).max(60.0) as u32,
    )
}

fn time_series(data: &BlockData, settings: &BlockSettings) -> Vec<Series> {
    if settings.breaks_down()
        && let Some(m) = data.metrics.first()
        && !m.dimension_series.is_empty()
    {
        return m
            .dimension_series
            .iter()
            .map(|(name, values)| Series {
                name: name.clone(),
                values: values.clone(),
            })
            .collect();
    }
    data.metrics
        .iter()
        .map(|m| Series {
            name: m.info.name.clone(),
            values: m.series.clone(),
        })
        .collect()
}

/// The comparison range of each metric drawn, when every metric has one (not for charts by
/// dimension, where the series are dimensions).
fn comparison_series(data: &BlockData) -> Option<Vec<Series>> {
    data.metrics
        .iter()
        .map(|m| {
            m.previous_series.as_ref().map(|values| Series {
                name: m.info.name.clone(),
                values: values.clone(),
            })
        })
        .collect()
}

/// A drawn band as the chart takes it, point for point: empty when the block has none.
fn band_points(data: &BlockData) -> (Vec<Option<BandPoint>>, Vec<bool>) {
    let Some(BlockBand::Drawn(e)) = &data.band else {
        return (Vec::new(), Vec::new());
    };
    e.points
        .iter()
        .map(|p| {
            let band = p.band.map(|b| BandPoint {
                expected: b.expected,
                lower: b.lower,
                upper: b.upper,
            });
            (band, p.unusual)
        })
        .unzip()
}

/// The block's body on the page (or in the PNG when `theme` is literal).
pub fn body(
    kind: BlockKind,
    settings: &BlockSettings,
    data: &BlockData,
    zone: &TimeZone,
    size: (u32, u32),
    theme: Theme,
) -> String {
    if kind == BlockKind::Text {
        return super::markdown::to_html(&settings.text);
    }
    let Some(first) = data.metrics.first() else {
        return "<p class=\"muted\">No metric to show: pick one in the editor.</p>".to_owned();
    };
    match kind {
        BlockKind::Number => {
            let mut out = String::new();
            for m in &data.metrics {
                let value = shown(m.change.current, m.has_data, m);
                let raw = m.change.current.map(|v| v.to_string()).unwrap_or_default();
                let previous_known = data
                    .window
                    .previous
                    .is_some_and(|r| metric::coverage::has_data(&r, m.info.known.as_ref()));
                let previous = shown(m.change.previous, previous_known, m);
                out.push_str(&format!(
                    "<div class=\"number\" data-metric=\"{}\"><span class=\"number-name small muted\">{}</span><span class=\"big\" data-value=\"{}\">{}</span>",
                    m.info.id,
                    esc(&m.info.name),
                    esc(&raw),
                    esc(&value)
                ));
                if data.window.previous.is_some() {
                    out.push_str(&format!(
                        "<span class=\"change {}\" data-previous=\"{}\" title=\"previous: {}\">{}</span>",
                        verdict_class(m.change.verdict),
                        m.change.previous.map(|v| v.to_string()).unwrap_or_default(),
                        esc(&previous),
                        esc(&change_text(m, settings.change))
                    ));
                }
                out.push_str(&charts::sparkline_marked(
                    &m.series,
                    &partial_points(m),
                    160,
                    32,
                    theme,
                ));
                out.push_str("</div>");
            }
            out
        }
        BlockKind::Line | BlockKind::Bar => {
            let series = time_series(data, settings);
            let earlier = comparison_series(data);
            let label = data.window.compare.label().to_lowercase();
            let partial = partial_points(first);
            let (band, unusual) = band_points(data);
            let chart = TimeChart {
                starts: &data.starts,
                interval: data.window.interval,
                zone,
                series: &series,
                comparison: earlier.as_deref().map(|series| Comparison {
                    label: &label,
                    series,
                }),
                format: &first.info.format,
                width: size.0,
                height: size.1,
                theme,
                expected: (kind == BlockKind::Line && !band.is_empty()).then_some(Expected {
                    band: &band,
                    unusual: &unusual,
                }),
                marks: Marks {
                    partial: &partial,
                    data_from: data_from(data),
                },
            };
            if kind == BlockKind::Line {
                charts::line(&chart)
            } else {
                let mode = if settings.stacked {
                    BarMode::Stacked
                } else {
                    BarMode::Grouped
                };
                charts::bar(&chart, mode)
            }
        }
        BlockKind::Pie => {
            let mut slices: Vec<PieSlice> = first
                .breakdown
                .iter()
                .map(|(d, v, _)| PieSlice {
                    label: d.clone(),
                    value: v.unwrap_or(0.0),
                    other: false,
                })
                .collect();
            if let Some((Some(v), _)) = first.other {
                slices.push(PieSlice {
                    label: "Other".to_owned(),
                    value: v,
                    other: true,
                });
            }
            charts::pie(
                &slices,
                settings.donut,
                &first.info.format,
                size.0,
                size.1,
                theme,
            )
        }
        BlockKind::Progress if data.goal.is_some() => data
            .goal
            .as_ref()
            .map(|g| followed_goal(g, &first.info.format))
            .unwrap_or_default(),
        BlockKind::Progress if !first.has_data => format!(
            "<div class=\"progress-block\"><span class=\"big muted\" data-value=\"\">{NO_DATA}</span></div>"
        ),
        BlockKind::Progress => {
            let goal = settings.goal.unwrap_or(0.0);
            let value = first.change.current.unwrap_or(0.0);
            let share = if goal > 0.0 { value / goal } else { 0.0 };
            format!(
                "<div class=\"progress-block\"><span class=\"big\" data-value=\"{}\">{}</span><progress max=\"{}\" value=\"{}\"></progress><span class=\"small muted\">{:.0}% of {}</span></div>",
                value,
                esc(&charts::format_full(Some(value), &first.info.format)),
                goal,
                value.min(goal).max(0.0),
                share * 100.0,
                esc(&charts::format_full(Some(goal), &first.info.format))
            )
        }
        BlockKind::Table => table(settings, data, zone),
        BlockKind::Forecast => forecast_block(settings, data, first, zone, size, theme),
        BlockKind::Outliers => outliers_block(settings, data, size, theme),
        BlockKind::Text => String::new(),
    }
}

/// An Account outliers block: the strip chart of every account against the median, then the
/// top N accounts most out of line with their value and score; the reason in words when there
/// is nothing to rank.
fn outliers_block(
    settings: &BlockSettings,
    data: &BlockData,
    size: (u32, u32),
    theme: charts::Theme,
) -> String {
    let Some(out) = &data.outliers else {
        return format!("<p class=\"empty\">{NO_DATA}</p>");
    };
    let view = outliers_view(settings, out);
    let mut html = format!(
        "<div class=\"outliers-block\" data-metric=\"{}\" data-flagged=\"{}\">",
        out.metric_id, view.flagged
    );
    if let Some(why) = &view.empty {
        html.push_str(&format!("<p class=\"empty\">{}</p></div>", esc(why)));
        return html;
    }
    let chart_h = (size.1 / 2).clamp(60, 160);
    if let Some(svg) = crate::features::metrics::outliers::chart(out, size.0, chart_h, theme) {
        html.push_str(&svg);
    }
    html.push_str("<table class=\"outliers\"><tbody>");
    for (name, value, z, flag) in &view.rows {
        html.push_str(&format!(
            "<tr{}><td title=\"{}\">{}</td><td class=\"num\">{}</td><td class=\"num\">z {}</td></tr>",
            if *flag { " class=\"out-of-line\"" } else { "" },
            esc(name),
            esc(name),
            esc(value),
            esc(z)
        ));
    }
    html.push_str(&format!(
        "</tbody></table><p class=\"small muted\">{}</p></div>",
        esc(&view.caption)
    ));
    html
}

/// What an Account outliers block says, shared by the page and the PNG.
pub struct OutliersView {
    /// Why there is nothing to rank, in words.
    pub empty: Option<String>,
    /// The top N accounts most out of line: name, value, robust z, flagged.
    pub rows: Vec<(String, String, String, bool)>,
    pub flagged: usize,
    /// "1 of 99 accounts out of line · median 95.0% · 1 too few to judge".
    pub caption: String,
}

pub fn outliers_view(
    settings: &BlockSettings,
    out: &app::outliers::AccountOutliers,
) -> OutliersView {
    let flagged = out.flagged().count();
    let Some(r) = out.ranked.as_ref().filter(|_| out.has_data) else {
        let empty = if out.has_data {
            out.not_ranked.clone()
        } else {
            None
        };
        return OutliersView {
            empty: Some(empty.unwrap_or_else(|| NO_DATA.to_owned())),
            rows: Vec::new(),
            flagged,
            caption: String::new(),
        };
    };
    let mut caption = format!(
        "{flagged} of {} accounts out of line · median {}",
        r.rows.len(),
        r.median_text
    );
    if !out.too_few.is_empty() {
        caption.push_str(&format!(" · {} too few to judge", out.too_few.len()));
    }
    OutliersView {
        empty: None,
        rows: r
            .rows
            .iter()
            .take(settings.top.max(1))
            .map(|row| {
                (
                    row.account.clone(),
                    row.value_text.clone(),
                    row.z_text.clone(),
                    row.out_of_line,
                )
            })
            .collect(),
        flagged,
        caption,
    }
}

/// What a Forecast block says, shared by the page and the PNG: the figures in the metric's
/// format and the sentences about learning and the budget.
pub struct ForecastView {
    pub so_far: String,
    /// The projected end value, and its band in words ("between 1,100 and 1,300").
    pub projected: Option<(String, String)>,
    /// "learning: 5 of 21 days ...", while the series is too young.
    pub learning: Option<String>,
    /// Whether and when the budget is reached, and whether that is bad news.
    pub budget: Option<(String, bool)>,
    /// The Usage Trigger words for the budget.
    pub trigger: Option<String>,
    /// The chart's days, when there is a projection.
    pub days: Vec<charts::ForecastDay>,
    /// The last day of the period, in the zone.
    pub until: String,
}

pub fn forecast_view(
    settings: &BlockSettings,
    f: &app::forecast::PeriodForecast,
    m: &MetricData,
    zone: &TimeZone,
) -> ForecastView {
    use app::forecast::Outlook;
    let format = &m.info.format;
    let full = |v: f64| charts::format_full(Some(v), format);
    let day = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.to_zoned(zone.clone()).strftime("%b %-d").to_string())
            .unwrap_or_default()
    };
    let so_far = match f.so_far {
        Some(v) => full(v),
        None => NO_DATA.to_owned(),
    };
    let mut view = ForecastView {
        so_far,
        projected: None,
        learning: None,
        budget: None,
        trigger: None,
        days: Vec::new(),
        until: day(f.end_ms - 1),
    };
    match &f.outlook {
        Outlook::Learning { hours, needed } => {
            view.learning = Some(format!(
                "{}: no forecast until the metric has {} days of history",
                Outlook::learning_text(*hours, *needed),
                needed.div_ceil(24)
            ));
        }
        Outlook::Ready(p) => {
            view.projected = Some((
                full(p.total.value),
                format!(
                    "between {} and {}",
                    full(p.total.lower),
                    full(p.total.upper)
                ),
            ));
            view.days = p
                .days
                .iter()
                .filter_map(|d| {
                    Some(charts::ForecastDay {
                        start: jiff::Timestamp::from_millisecond(d.start_ms).ok()?,
                        actual: d.actual,
                        projected: d.projected.value,
                        lower: d.projected.lower,
                        upper: d.projected.upper,
                    })
                })
                .collect();
        }
    }
    match &f.budget {
        Some(b) => {
            let budget = full(b.budget);
            let text = match (b.reached_ms, &f.outlook) {
                (Some(at), _) if at <= f.at_ms => (
                    format!("Already over the budget of {budget} (on {})", day(at - 1)),
                    true,
                ),
                (Some(at), _) => (
                    format!(
                        "Projected to reach the budget of {budget} on {}",
                        day(at - 1)
                    ),
                    true,
                ),
                (None, Outlook::Ready(_)) if b.within_band => (
                    format!(
                        "Projected to stay under the budget of {budget}, though the band reaches it"
                    ),
                    true,
                ),
                (None, Outlook::Ready(_)) => (
                    format!("Projected to stay under the budget of {budget}"),
                    false,
                ),
                (None, Outlook::Learning { .. }) => (
                    format!("Budget {budget}: no forecast yet to check it against"),
                    false,
                ),
            };
            view.budget = Some(text);
            view.trigger = Some(b.trigger.words.clone());
        }
        None if settings.budget.is_some() => {
            view.budget = Some((
                "A budget applies to spend metrics (shown in a currency); this metric is not one"
                    .to_owned(),
                false,
            ));
        }
        None => {}
    }
    view
}

fn forecast_block(
    settings: &BlockSettings,
    data: &BlockData,
    m: &MetricData,
    zone: &TimeZone,
    size: (u32, u32),
    theme: Theme,
) -> String {
    let Some(f) = &data.forecast else {
        return format!("<p class=\"muted\">{NO_DATA}</p>");
    };
    let view = forecast_view(settings, f, m, zone);
    let raw = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let (state, projected, lower, upper) = match &f.outlook {
        app::forecast::Outlook::Ready(p) => (
            "ready",
            Some(p.total.value),
            Some(p.total.lower),
            Some(p.total.upper),
        ),
        app::forecast::Outlook::Learning { .. } => ("learning", None, None, None),
    };
    let mut out = format!(
        "<div class=\"forecast-block\" data-metric=\"{}\" data-state=\"{state}\" data-so-far=\"{}\" data-projected=\"{}\" data-lower=\"{}\" data-upper=\"{}\"><div class=\"forecast-figures\">\
         <div><span class=\"small muted\">So far</span><span class=\"big so-far\">{}</span></div>",
        m.info.id,
        raw(f.so_far),
        raw(projected),
        raw(lower),
        raw(upper),
        esc(&view.so_far),
    );
    if let Some((value, band)) = &view.projected {
        out.push_str(&format!(
            "<div><span class=\"small muted\">Projected by {}</span><span class=\"big projected\">{}</span><span class=\"small muted band\">{}</span></div>",
            esc(&view.until),
            esc(value),
            esc(band)
        ));
    }
    out.push_str("</div>");
    if let Some(text) = &view.learning {
        out.push_str(&format!("<p class=\"muted learning\">{}</p>", esc(text)));
    }
    if !view.days.is_empty() {
        let chart_h = size.1.saturating_sub(70).max(80);
        out.push_str(&charts::forecast::forecast(&charts::ForecastChart {
            days: &view.days,
            zone,
            budget: f.budget.as_ref().map(|b| b.budget),
            format: &m.info.format,
            width: size.0,
            height: chart_h,
            theme,
        }));
    }
    if let Some((text, bad)) = &view.budget {
        out.push_str(&format!(
            "<p class=\"forecast-budget change {}\">{}</p>",
            if *bad { "bad" } else { "good" },
            esc(text)
        ));
    }
    if let Some(words) = &view.trigger {
        out.push_str(&format!(
            "<details class=\"usage-trigger\"><summary>Usage Trigger for this budget</summary><p class=\"trigger-words\">{}</p></details>",
            esc(words)
        ));
    }
    out.push_str("</div>");
    out
}

/// A stored goal's current period: the value against the target, where the pace says it should
/// be by now, the projected end value and the status, coloured by whether that is good news.
fn followed_goal(g: &GoalShown, format: &metric::definition::NumberFormat) -> String {
    let p = &g.progress;
    let value = p.current.unwrap_or(0.0);
    let status = serde_json::to_value(p.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let full = |v: Option<f64>| esc(&charts::format_full(v, format));
    let raw = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    format!(
        "<div class=\"progress-block goal-progress\" data-goal=\"{}\" data-status=\"{status}\" data-target=\"{}\" data-expected=\"{}\" data-projection=\"{}\" data-basis=\"{}\">\
         <span class=\"small\">{}</span>\
         <span class=\"big\" data-value=\"{}\">{}</span>\
         <progress max=\"{}\" value=\"{}\"></progress>\
         <span class=\"small muted\">{} of {} · <span class=\"change {}\">{}</span></span>\
         <span class=\"small muted\">expected by now {} · projected {}</span></div>",
        g.id,
        p.target,
        p.expected,
        raw(p.projection),
        serde_json::to_value(p.basis)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        esc(&g.name),
        raw(p.current),
        full(p.current),
        p.target.max(0.0),
        value.clamp(0.0, p.target.max(0.0)),
        p.progress
            .map(|r| format!("{:.0}%", r * 100.0))
            .unwrap_or_else(|| "—".to_owned()),
        full(Some(p.target)),
        verdict_class(p.verdict),
        esc(&status.replace('_', " ")),
        full(Some(p.expected)),
        esc(
            &watch::describe::projection(p, &|v| charts::format_full(Some(v), format))
                .unwrap_or_else(|| charts::NO_VALUE.to_owned())
        ),
    )
}

/// A column header the reader can click to sort by (`tables.js`); `num` columns sort by value.
fn sortable_header(label: &str, numeric: bool) -> String {
    format!(
        "<th{}><button type=\"button\" class=\"sort\" title=\"Sort by {}\">{}</button></th>",
        if numeric { " class=\"num\"" } else { "" },
        esc(label),
        esc(label)
    )
}

/// One cell of a Table block: its text, the raw value it sorts by, and how it is set.
pub struct TableCell {
    pub text: String,
    /// The raw number (or instant) behind the text; `None` for a label or no value.
    pub sort: Option<String>,
    pub kind: CellKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// A dimension's name: cut with an ellipsis when long, its full text as the tooltip.
    Label,
    /// The start of an interval.
    When,
    Number,
}

/// A Table block's rows, what both the page and the PNG draw: the header (each with whether it
/// holds numbers), the rows in the block's order, and the note shown when there are none.
pub struct TableView {
    pub header: Vec<(String, bool)>,
    pub rows: Vec<Vec<TableCell>>,
    pub empty: Option<&'static str>,
}

fn number_cell(v: Option<f64>, text: String) -> TableCell {
    TableCell {
        text,
        sort: Some(v.map(|x| x.to_string()).unwrap_or_default()),
        kind: CellKind::Number,
    }
}

pub fn table_view(settings: &BlockSettings, data: &BlockData, zone: &TimeZone) -> TableView {
    let mut view = TableView {
        header: Vec::new(),
        rows: Vec::new(),
        empty: None,
    };
    match settings.table_rows {
        TableRows::ByDimension => {
            let Some(m) = data.metrics.first() else {
                return view;
            };
            let mut rows: Vec<(String, Option<f64>, Option<f64>)> = m.breakdown.clone();
            if let Some((v, p)) = m.other {
                rows.push(("Other".to_owned(), v, p));
            }
            match settings.sort {
                TableSort::ValueDesc => {
                    rows.sort_by(|a, b| b.1.unwrap_or(f64::MIN).total_cmp(&a.1.unwrap_or(f64::MIN)))
                }
                TableSort::ValueAsc => {
                    rows.sort_by(|a, b| a.1.unwrap_or(f64::MAX).total_cmp(&b.1.unwrap_or(f64::MAX)))
                }
                TableSort::Label => rows.sort_by(|a, b| a.0.cmp(&b.0)),
            }
            let label = if settings.accounts == metric::accounts::AccountView::ByAccount {
                "Account"
            } else {
                "Dimension"
            };
            view.header.push((label.to_owned(), false));
            view.header.push((m.info.name.clone(), true));
            if data.window.previous.is_some() {
                view.header.push(("Previous".to_owned(), true));
            }
            if rows.is_empty() && !m.has_data {
                view.empty = Some(NO_DATA);
            }
            for (d, v, p) in rows {
                let mut row = vec![
                    TableCell {
                        text: d,
                        sort: None,
                        kind: CellKind::Label,
                    },
                    number_cell(v, charts::format_full(v, &m.info.format)),
                ];
                if data.window.previous.is_some() {
                    row.push(number_cell(p, charts::format_full(p, &m.info.format)));
                }
                view.rows.push(row);
            }
        }
        TableRows::ByInterval => {
            view.header.push(("Starting".to_owned(), true));
            for m in &data.metrics {
                view.header.push((m.info.name.clone(), true));
            }
            let mut order: Vec<usize> = (0..data.starts.len()).collect();
            let key = |i: usize| {
                data.metrics
                    .first()
                    .and_then(|m| m.series.get(i).copied().flatten())
            };
            match settings.sort {
                TableSort::ValueDesc => order.sort_by(|&a, &b| {
                    key(b)
                        .unwrap_or(f64::MIN)
                        .total_cmp(&key(a).unwrap_or(f64::MIN))
                }),
                TableSort::ValueAsc => order.sort_by(|&a, &b| {
                    key(a)
                        .unwrap_or(f64::MAX)
                        .total_cmp(&key(b).unwrap_or(f64::MAX))
                }),
                TableSort::Label => {}
            }
            for i in order {
                // Dates sort by instant, not by their text.
                let mut row = vec![TableCell {
                    text: start_label(data, i, zone),
                    sort: Some(
                        data.starts
                            .get(i)
                            .map(|t| t.as_millisecond().to_string())
                            .unwrap_or_default(),
                    ),
                    kind: CellKind::When,
                }];
                for m in &data.metrics {
                    let v = m.series.get(i).copied().flatten();
                    let known = m.coverage.get(i) != Some(&metric::Coverage::NoData);
                    row.push(number_cell(v, shown(v, known, m)));
                }
                view.rows.push(row);
            }
        }
    }
    view
}

fn table(settings: &BlockSettings, data: &BlockData, zone: &TimeZone) -> String {
    let view = table_view(settings, data, zone);
    if view.header.is_empty() {
        return String::new();
    }
    let mut out = String::from("<table class=\"block-table\"><thead><tr>");
    for (label, numeric) in &view.header {
        out.push_str(&sortable_header(label, *numeric));
    }
    out.push_str("</tr></thead><tbody>");
    if let Some(note) = view.empty {
        out.push_str(&format!(
            "<tr><td colspan=\"{}\" class=\"muted\">{note}</td></tr>",
            view.header.len()
        ));
    }
    for row in &view.rows {
        out.push_str("<tr>");
        for cell in row {
            let text = esc(&cell.text);
            let sort = cell
                .sort
                .as_deref()
                .map(|v| format!(" data-value=\"{}\"", esc(v)))
                .unwrap_or_default();
            match cell.kind {
                CellKind::Label => {
                    out.push_str(&format!("<td class=\"label\" title=\"{text}\">{text}</td>"))
                }
                CellKind::When => out.push_str(&format!("<td class=\"when\"{sort}>{text}</td>")),
                CellKind::Number => out.push_str(&format!("<td class=\"num\"{sort}>{text}</td>")),
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

fn start_label(data: &BlockData, i: usize, zone: &TimeZone) -> String {
    let Some(t) = data.starts.get(i) else {
        return String::new();
    };
    let z = t.to_zoned(zone.clone());
    match data.window.interval {
        metric::Interval::Hour => z.strftime("%Y-%m-%d %H:00").to_string(),
        _ => z.strftime("%Y-%m-%d").to_string(),
    }
}

/// The CSV rows of a block: one per metric per interval, one per dimension, one total.
/// Columns: block, metric, dimension, start, end, value.
pub fn csv_rows(title: &str, data: &BlockData, zone: &TimeZone, out: &mut String) {
    let fmt_t = |t: jiff::Timestamp| {
        t.to_zoned(zone.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    };
    let v = |x: Option<f64>| x.map(|x| x.to_string()).unwrap_or_default();
    for m in &data.metrics {
        for (i, start) in data.starts.iter().enumerate() {
            let end = data
                .starts
                .get(i + 1)
                .copied()
                .unwrap_or(data.window.current.end);
            csv_line(
                out,
                &[
                    title,
                    &m.info.name,
                    "",
                    &fmt_t((*start).max(data.window.current.start)),
                    &fmt_t(end),
                    &v(m.series.get(i).copied().flatten()),
                ],
            );
        }
        for (d, value, _) in &m.breakdown {
            csv_line(
                out,
                &[
                    title,
                    &m.info.name,
                    d,
                    &fmt_t(data.window.current.start),
                    &fmt_t(data.window.current.end),
                    &v(*value),
                ],
            );
        }
        csv_line(
            out,
            &[
                title,
                &m.info.name,
                "(total)",
                &fmt_t(data.window.current.start),
                &fmt_t(data.window.current.end),
                &v(m.change.current),
            ],
        );
        if let Some(p) = data.window.previous {
            csv_line(
                out,
                &[
                    title,
                    &m.info.name,
                    "(previous total)",
                    &fmt_t(p.start),
                    &fmt_t(p.end),
                    &v(m.change.previous),
                ],
            );
        }
    }
}

pub const CSV_HEADER: &str = "block,metric,dimension,start,end,value\n";

fn csv_line(out: &mut String, cells: &[&str]) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_csv_cell(out, c);
    }
    out.push('\n');
}

/// One CSV cell that a spreadsheet shows as text and never runs. A cell whose first character
/// after any leading whitespace is `=`, `+`, `-` or `@` (or that starts with a tab or carriage
/// return, which some spreadsheets skip before looking) gets a leading `'`; a plain negative
/// number stays a number. A cell with a comma, quote or line break of any kind is quoted, so a
/// `\r` inside it cannot start a new row whose first cell is a formula.
fn push_csv_cell(out: &mut String, cell: &str) {
    let first = cell.trim_start().chars().next();
    let risky = cell.starts_with(['\t', '\r'])
        || matches!(first, Some('=' | '+' | '@'))
        || (first == Some('-') && cell.trim().parse::<f64>().is_err());
    let needs_quotes = risky || cell.contains([',', '"', '\n', '\r']);
    if needs_quotes {
        out.push('"');
    }
    if risky {
        out.push('\'');
    }
    for ch in cell.chars() {
        if ch == '"' {
            out.push('"');
        }
        out.push(ch);
    }
    if needs_quotes {
        out.push('"');
    }
}

/// The range a block shows and what it is compared with, for its header.
pub fn range_caption(data: &BlockData, zone: &TimeZone) -> String {
    if let Some(g) = &data.goal {
        // The goal's own period, not the board's range; its last day is the one before `end`.
        let day = |t: jiff::Timestamp| t.to_zoned(zone.clone()).strftime("%b %-d").to_string();
        let last = g
            .progress
            .period
            .end
            .checked_sub(jiff::SignedDuration::from_millis(1))
            .unwrap_or(g.progress.period.end);
        return format!(
            "Goal period {} – {} · {}",
            day(g.progress.period.start),
            day(last),
            zone_name(zone)
        );
    }
    let compare = match data.window.compare {
        metric::CompareTo::None => String::new(),
        c => format!(" · vs {}", c.label().to_lowercase()),
    };
    // A range too long for its interval is drawn by a coarser one; say so rather than let a
    // reader take months for the days they asked for.
    let coarsened = match data.window.coarsened_from {
        Some(asked) => format!(
            " · by {} (too long to draw by {})",
            data.window.interval.name(),
            asked.name()
        ),
        None => String::new(),
    };
    // A band asked for but not drawn says why; one still learning says how far it is.
    let band = match &data.band {
        Some(BlockBand::Missing(why)) => format!(" · {why}"),
        Some(BlockBand::Drawn(e)) => e
            .learning
            .map(|l| format!(" · band still learning: {} of {} days", l.days, l.needed))
            .unwrap_or_default(),
        None => String::new(),
    };
    // Real-time hours not yet confirmed by a poll: the value may still move when it comes.
    let provisional = if data.metrics.iter().any(|m| m.provisional) {
        format!(" · {}", app::realtime_settings::PROVISIONAL_NOTE)
    } else {
        String::new()
    };
    format!(
        "{}{compare}{coarsened}{band}{provisional} · {}",
        data.window.range.label(),
        zone_name(zone)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(cells: &[&str]) -> String {
        let mut out = String::new();
        csv_line(&mut out, cells);
        out
    }

    /// Issue 15, finding 8: a carriage return or a tab must not smuggle a formula past the
    /// defusing, whether it sits inside the cell or before the formula.
    #[test]
    fn csv_defuses_formulas_behind_carriage_returns_tabs_and_whitespace() {
        for cell in ["safe\r=1+2", "safe\n=1+2", "safe\r\n@SUM(A1)"] {
            let out = line(&[cell]);
            assert!(
                out.starts_with('"') && out.ends_with("\"\n"),
                "{out:?} is not one quoted cell"
            );
            // Splitting on every line break a spreadsheet might honour: no piece outside the
            // quotes starts a row.
            assert_eq!(out.matches('"').count(), 2, "{out:?}");
        }
        for cell in [
            "\t=1+2",
            "\r=1+2",
            " =1+2",
            "  +1",
            "\t-x",
            " @cmd",
            "=HYPERLINK(\"x\")",
        ] {
            let out = line(&[cell]);
            assert!(
                out.starts_with("\"'"),
                "{cell:?} was written as {out:?}, not defused"
            );
        }
    }

    #[test]
    fn csv_keeps_plain_numbers_and_text_as_they_are() {
        assert_eq!(
            line(&["-5", "3.25", "Messages sent", "-1e3"]),
            "-5,3.25,Messages sent,-1e3\n"
        );
        assert_eq!(line(&["a,b", "say \"hi\""]), "\"a,b\",\"say \"\"hi\"\"\"\n");
    }
}
