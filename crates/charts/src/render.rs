//! The drawings: line, bar (grouped or stacked), pie or donut, sparkline.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use metric::Interval;
use metric::definition::NumberFormat;

use crate::format::format_full;
use crate::svg::{Svg, escape, n, text_width};
use crate::theme::{PALETTE_LEN, Theme};
use crate::ticks::{ValueAxis, fitting_date_ticks};

/// One named series: a value (or none) per point of [`TimeChart::starts`].
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// A chart over time: points start at `starts` (one per interval, in order).
#[derive(Debug, Clone)]
pub struct TimeChart<'a> {
    pub starts: &'a [Timestamp],
    pub interval: Interval,
    /// The display zone, named on the chart.
    pub zone: &'a TimeZone,
    pub series: &'a [Series],
    /// The same series over the comparison range, point for point, drawn dashed in the colour
    /// of the series it compares with; `None` draws no comparison.
    pub comparison: Option<Comparison<'a>>,
    pub format: &'a NumberFormat,
    pub width: u32,
    pub height: u32,
    pub theme: Theme,
    /// Which points are only partly known, and where the data starts.
    pub marks: Marks<'a>,
    /// What the first series was expected to do: a band drawn lightly behind a line chart and
    /// rings on its unusual points. Bar charts do not draw it.
    pub expected: Option<Expected<'a>>,
}

/// The expected value and band of a line chart's first series, point for point, and which of
/// its points held an unusual hour.
#[derive(Debug, Clone, Copy, Default)]
pub struct Expected<'a> {
    /// Per point of [`TimeChart::starts`]; `None` where there is no band (the series is still
    /// learning its rhythm there). Missing entries count as `None`.
    pub band: &'a [Option<BandPoint>],
    /// Per point: whether an hour in it fell outside its band. Missing entries count as usual.
    pub unusual: &'a [bool],
}

/// One point's expected value and the band around it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandPoint {
    pub expected: f64,
    pub lower: f64,
    pub upper: f64,
}

impl Expected<'_> {
    fn at(&self, i: usize) -> Option<BandPoint> {
        self.band.get(i).copied().flatten()
    }

    fn is_unusual(&self, i: usize) -> bool {
        self.unusual.get(i).copied().unwrap_or(false)
    }
}

/// What a chart says about time beyond its values: a point whose interval is only partly
/// known (still running, or data starts or stops inside it) is drawn lighter and dashed with a
/// tooltip saying so; points before the first instant with data are left empty under a light
/// "no data before" mark, so an empty stretch never reads as a run of zeros.
#[derive(Debug, Clone, Copy, Default)]
pub struct Marks<'a> {
    /// Per point of [`TimeChart::starts`]; missing entries count as whole.
    pub partial: &'a [bool],
    /// The first instant the metric has data for, when the chart starts before it.
    pub data_from: Option<Timestamp>,
}

impl Marks<'_> {
    fn is_partial(&self, i: usize) -> bool {
        self.partial.get(i).copied().unwrap_or(false)
    }
}

/// The lighter, dashed look of a partial point's line.
const PARTIAL_STROKE: &str = r#" stroke-dasharray="3 3" opacity="0.5""#;
/// The lighter look of a partial point's bar or marker.
const PARTIAL_FILL: &str = r#" opacity="0.45""#;

/// The earlier range a chart compares with: `series[k]` pairs with the chart's `series[k]`.
#[derive(Debug, Clone, Copy)]
pub struct Comparison<'a> {
    /// What the earlier range is, for the legend and tooltips: `previous period`.
    pub label: &'a str,
    pub series: &'a [Series],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarMode {
    /// Series side by side within each interval.
    Grouped,
    /// Series on top of each other (positives up, negatives down).
    Stacked,
}

const PAD: f64 = 8.0;
const LINE_HEIGHT: f64 = 16.0;
/// The row under the plot for date labels, tall enough that they clear the lowest value label.
const X_LABELS: f64 = 22.0;
/// Past this many points a line chart has one hover band per point but no markers: thousands
/// of dots are noise, and the tooltip still names the exact values.
const MARKERS_UP_TO: usize = 60;
/// Past this many points hover bands are dropped too, to keep the document small; the CSV
/// export has the exact values.
const HOVER_UP_TO: usize = 1500;

pub fn line(chart: &TimeChart<'_>) -> String {
    time_chart(chart, None)
}

pub fn bar(chart: &TimeChart<'_>, mode: BarMode) -> String {
    time_chart(chart, Some(mode))
}

fn zone_name(zone: &TimeZone) -> &str {
    zone.iana_name().unwrap_or("UTC")
}

fn time_chart(chart: &TimeChart<'_>, bars: Option<BarMode>) -> String {
    let width = f64::from(chart.width);
    let height = f64::from(chart.height);
    let n_points = chart.starts.len();
    let kind = if bars.is_some() { "bar" } else { "line" };
    let zone = zone_name(chart.zone);
    let mut svg = Svg::new(
        chart.width,
        chart.height,
        chart.theme,
        kind,
        &format!("{kind} chart, times in {zone}"),
    );

    // The value extent: stacked bars reach the sum of a point's positives (or negatives).
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for i in 0..n_points {
        let values = chart
            .series
            .iter()
            .filter_map(|s| s.values.get(i).copied().flatten());
        if bars == Some(BarMode::Stacked) {
            let (pos, neg) =
                values.fold(
                    (0.0, 0.0),
                    |(p, q), v| {
                        if v >= 0.0 { (p + v, q) } else { (p, q + v) }
                    },
                );
            hi = hi.max(pos);
            lo = lo.min(neg);
        } else {
            for v in values {
                hi = hi.max(v);
                lo = lo.min(v);
            }
        }
    }

    // The band widens the extent only on a line chart, the one drawing it.
    let expected = chart.expected.filter(|_| bars.is_none());
    if let Some(e) = expected {
        for b in (0..n_points).filter_map(|i| e.at(i)) {
            hi = hi.max(b.upper);
            lo = lo.min(b.lower);
        }
    }

    let comparison: &[Series] = chart.comparison.map(|c| c.series).unwrap_or(&[]);
    for v in comparison
        .iter()
        .flat_map(|s| s.values.iter().take(n_points).copied().flatten())
    {
        hi = hi.max(v);
        lo = lo.min(v);
    }
    // A comparison range with no value at all draws no line; the legend says why.
    let comparison_note = chart.comparison.filter(|c| !c.series.is_empty()).map(|c| {
        let empty = c
            .series
            .iter()
            .all(|s| s.values.iter().take(n_points).all(Option::is_none));
        if empty {
            format!("- - {}: no data", c.label)
        } else {
            format!("- - {}", c.label)
        }
    });

    // What the shading and rings mean, when the chart draws any.
    let expected_note = expected
        .filter(|e| (0..n_points).any(|i| e.at(i).is_some()))
        .map(|e| {
            if (0..n_points).any(|i| e.is_unusual(i)) {
                "shaded: expected range · ringed: unusual"
            } else {
                "shaded: expected range"
            }
        });

    // Legend rows at the bottom, wrapped to the width; the comparison and the expected range
    // are muted entries.
    let legend = legend_rows(
        chart
            .series
            .iter()
            .map(|s| s.name.as_str())
            .chain(comparison_note.as_deref())
            .chain(expected_note),
        width - 2.0 * PAD,
    );
    let legend_entries = chart.series.len()
        + usize::from(comparison_note.is_some())
        + usize::from(expected_note.is_some());
    let legend_h = if legend_entries > 1 {
        legend.len() as f64 * LINE_HEIGHT
    } else {
        0.0
    };
    let top = PAD + LINE_HEIGHT; // room for the zone caption
    // x labels under the plot, then the legend.
    let bottom = height - PAD - legend_h - X_LABELS;
    let plot_h = (bottom - top).max(10.0);
    let axis = ValueAxis::new(lo, hi, plot_h, 8, chart.format);
    let (ticks, labels, t_lo, t_hi) = (&axis.ticks, &axis.labels, axis.lo, axis.hi);
    let left = PAD + axis.label_width() + 6.0;
    let right = width - PAD;
    let plot_w = (right - left).max(10.0);
    let y = |v: f64| bottom - (v - t_lo) / (t_hi - t_lo) * plot_h;

    svg.text(right, PAD + 10.0, "end", "muted", zone);
    for (t, label) in ticks.iter().zip(labels) {
        svg.line(left, y(*t), right, y(*t), "grid");
        svg.text(left - 6.0, y(*t) + 4.0, "end", "muted", label);
    }

    // x positions: bars sit in bands, a line runs edge to edge.
    let band = plot_w / n_points.max(1) as f64;
    let x = |i: usize| -> f64 {
        if bars.is_some() || n_points <= 1 {
            left + band * (i as f64 + 0.5)
        } else {
            left + plot_w * i as f64 / (n_points - 1) as f64
        }
    };

    // Date labels: ask for fewer until neighbours do not overlap.
    let widest = chart
        .starts
        .first()
        .map(|_| text_width(sample_label(chart.interval)))
        .unwrap_or(0.0);
    let date_labels =
        fitting_date_ticks(chart.starts, chart.interval, chart.zone, plot_w, widest, x);
    for tick in &date_labels {
        let half = text_width(&tick.label) / 2.0;
        let cx = x(tick.index).clamp(half, width - half);
        svg.text(cx, bottom + 18.0, "middle", "muted", &tick.label);
    }

    draw_no_data_mark(&mut svg, chart, left, top, bottom, band, bars.is_some(), &x);
    let zero = y(0.0f64.clamp(t_lo, t_hi));
    if let Some(e) = expected {
        draw_band(&mut svg, &e, n_points, &x, &y);
    }
    match bars {
        None => draw_lines(&mut svg, chart, &x, &y),
        Some(mode) => draw_bars(&mut svg, chart, mode, band, &x, &y, zero),
    }
    // Drawn after the current values so the dashes stay visible over bars.
    draw_comparison(&mut svg, comparison, n_points, &x, &y);
    svg.line(left, zero, right, zero, "grid");

    if bars.is_none() && n_points <= HOVER_UP_TO {
        // One band per point whose tooltip lists every series: exact values on hover.
        for i in 0..n_points {
            let x0 = if n_points <= 1 {
                left
            } else {
                x(i) - plot_w / (n_points - 1) as f64 / 2.0
            };
            let w = if n_points <= 1 {
                plot_w
            } else {
                plot_w / (n_points - 1) as f64
            };
            let title = point_title(chart, i);
            svg.rect(
                x0.max(left),
                top,
                w.min(right - x0.max(left)),
                plot_h,
                "hit",
                Some(&title),
            );
        }
    }

    // Over the hover bands, so a ring's own tooltip is the one shown on it.
    if let Some(e) = expected {
        draw_unusual(&mut svg, chart, &e, &x, &y);
    }

    if legend_entries > 1 {
        draw_legend(
            &mut svg,
            &legend,
            chart.series.len(),
            bottom + X_LABELS + 12.0,
        );
    }
    svg.finish()
}

/// A light vertical line where the data starts, with "no data before 5 Sep" over the empty
/// stretch to its left (or its right when that stretch is too narrow for the words).
#[allow(clippy::too_many_arguments)]
fn draw_no_data_mark(
    svg: &mut Svg,
    chart: &TimeChart<'_>,
    left: f64,
    top: f64,
    bottom: f64,
    band: f64,
    bars: bool,
    x: &dyn Fn(usize) -> f64,
) {
    let Some(from) = chart.marks.data_from else {
        return;
    };
    // The first point whose interval reaches past `from` holds the first data.
    let first = chart
        .starts
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, s)| **s > from)
        .map(|(i, _)| i - 1)
        .unwrap_or(chart.starts.len().saturating_sub(1));
    if first == 0 || chart.starts.is_empty() {
        return;
    }
    let at = if bars {
        x(first) - band / 2.0
    } else {
        x(first)
    };
    let day = from
        .to_zoned(chart.zone.clone())
        .strftime("%-d %b %Y")
        .to_string();
    let words = format!("no data before {day}");
    svg.open_group("no-data", &words);
    svg.path(
        &format!("M{} {}L{} {}", n(at), n(top), n(at), n(bottom)),
        "grid",
        r#" stroke-dasharray="2 3""#,
        None,
    );
    let (tx, anchor) = if at - left >= text_width(&words) + 6.0 {
        (at - 4.0, "end")
    } else {
        (at + 4.0, "start")
    };
    svg.text(tx, top + 12.0, anchor, "muted", &words);
    svg.close_group();
}

/// The band as a light filled area behind the lines, one shape per run of points that have
/// one; a point alone between gaps gets a short bar so it still shows.
fn draw_band(
    svg: &mut Svg,
    e: &Expected<'_>,
    n_points: usize,
    x: &dyn Fn(usize) -> f64,
    y: &dyn Fn(f64) -> f64,
) {
    let mut i = 0;
    while i < n_points {
        if e.at(i).is_none() {
            i += 1;
            continue;
        }
        let first = i;
        while i < n_points && e.at(i).is_some() {
            i += 1;
        }
        let run: Vec<(usize, BandPoint)> =
            (first..i).filter_map(|j| e.at(j).map(|b| (j, b))).collect();
        let d = if run.len() == 1 {
            let (j, b) = run[0];
            let (x0, x1) = (x(j) - 3.0, x(j) + 3.0);
            format!(
                "M{} {}L{} {}L{} {}L{} {}Z",
                n(x0),
                n(y(b.upper)),
                n(x1),
                n(y(b.upper)),
                n(x1),
                n(y(b.lower)),
                n(x0),
                n(y(b.lower))
            )
        } else {
            let mut d = String::new();
            for (k, (j, b)) in run.iter().enumerate() {
                d.push_str(if k == 0 { "M" } else { "L" });
                d.push_str(&format!("{} {}", n(x(*j)), n(y(b.upper))));
            }
            for (j, b) in run.iter().rev() {
                d.push_str(&format!("L{} {}", n(x(*j)), n(y(b.lower))));
            }
            d.push('Z');
            d
        };
        svg.path(&d, "band", "", None);
    }
}

/// A ring on each unusual point of the first series, its tooltip saying what was observed
/// against what was expected.
fn draw_unusual(
    svg: &mut Svg,
    chart: &TimeChart<'_>,
    e: &Expected<'_>,
    x: &dyn Fn(usize) -> f64,
    y: &dyn Fn(f64) -> f64,
) {
    let Some(first) = chart.series.first() else {
        return;
    };
    for i in 0..chart.starts.len() {
        let Some(v) = first.values.get(i).copied().flatten() else {
            continue;
        };
        if !e.is_unusual(i) {
            continue;
        }
        let mut title = format!(
            "{} · {}: unusual, {} observed",
            date_title(chart.starts[i], chart.interval, chart.zone),
            first.name,
            format_full(Some(v), chart.format)
        );
        if let Some(b) = e.at(i) {
            title.push_str(&format!(
                " against {} expected ({} to {})",
                format_full(Some(b.expected), chart.format),
                format_full(Some(b.lower), chart.format),
                format_full(Some(b.upper), chart.format)
            ));
        }
        svg.circle(
            x(i),
            y(v),
            6.0,
            "unusual",
            r#" fill="none" stroke-width="2""#,
            Some(&title),
        );
    }
}

/// Each comparison series as a thin dashed line in its series' colour, broken where a value is
/// missing.
fn draw_comparison(
    svg: &mut Svg,
    comparison: &[Series],
    n_points: usize,
    x: &dyn Fn(usize) -> f64,
    y: &dyn Fn(f64) -> f64,
) {
    for (k, s) in comparison.iter().enumerate() {
        let d = polyline(&s.values, n_points, x, y);
        if !d.is_empty() {
            svg.path(
                &d,
                &format!("s{} comparison", k % PALETTE_LEN),
                r#" stroke-width="1.5" stroke-dasharray="5 4" opacity="0.7""#,
                None,
            );
        }
    }
}

/// The path data of a series' first `n_points` values; a missing value breaks the line rather
/// than drawing a false zero.
fn polyline(
    values: &[Option<f64>],
    n_points: usize,
    x: &dyn Fn(usize) -> f64,
    y: &dyn Fn(f64) -> f64,
) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for (i, v) in values.iter().enumerate().take(n_points) {
        match v {
            Some(v) => {
                d.push_str(if pen_down { "L" } else { "M" });
                d.push_str(&format!("{} {}", n(x(i)), n(y(*v))));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d
}

/// A series' path split in two: the segments between whole points (one continuous path while
/// nothing interrupts it, as before partial marks existed), and those that touch a partial
/// point (drawn lighter). A missing value breaks both.
fn split_polyline(
    values: &[Option<f64>],
    n_points: usize,
    partial: &dyn Fn(usize) -> bool,
    x: &dyn Fn(usize) -> f64,
    y: &dyn Fn(f64) -> f64,
) -> (String, String) {
    let (mut whole, mut light) = (String::new(), String::new());
    // The previous point, its coordinates, and whether a segment has drawn it yet (a point
    // alone between gaps is still moved to, as it always was, so its marker has a place).
    let mut previous: Option<(usize, String, bool)> = None;
    let mut whole_at: Option<usize> = None;
    for (i, v) in values.iter().enumerate().take(n_points) {
        let Some(v) = *v else {
            if let Some((_, there, false)) = previous.take() {
                whole.push_str(&format!("M{there}"));
            }
            continue;
        };
        let here = format!("{} {}", n(x(i)), n(y(v)));
        if let Some((j, there, _)) = previous.take() {
            if partial(i) || partial(j) {
                light.push_str(&format!("M{there}L{here}"));
            } else {
                if whole_at != Some(j) {
                    whole.push_str(&format!("M{there}"));
                }
                whole.push_str(&format!("L{here}"));
                whole_at = Some(i);
            }
            previous = Some((i, here, true));
        } else {
            previous = Some((i, here, false));
        }
    }
    if let Some((_, there, false)) = previous {
        whole.push_str(&format!("M{there}"));
    }
    (whole, light)
}

fn draw_lines(
    svg: &mut Svg,
    chart: &TimeChart<'_>,
    x: &dyn Fn(usize) -> f64,
    y: &dyn Fn(f64) -> f64,
) {
    let n_points = chart.starts.len();
    let marks = chart.marks;
    for (k, s) in chart.series.iter().enumerate() {
        let c = k % PALETTE_LEN;
        let (whole, partial) = split_polyline(&s.values, n_points, &|i| marks.is_partial(i), x, y);
        if !whole.is_empty() {
            svg.path(
                &whole,
                &format!("s{c}"),
                r#" stroke-width="2" stroke-linejoin="round""#,
                None,
            );
        }
        if !partial.is_empty() {
            svg.path(
                &partial,
                &format!("s{c} partial"),
                &format!(r#" stroke-width="2" stroke-linejoin="round"{PARTIAL_STROKE}"#),
                Some(&format!(
                    "{}: partial, the interval is not over or not wholly synced",
                    s.name
                )),
            );
        }
        if n_points <= MARKERS_UP_TO {
            for (i, v) in s.values.iter().enumerate().take(n_points) {
                if let Some(v) = v {
                    if marks.is_partial(i) {
                        svg.circle(
                            x(i),
                            y(*v),
                            2.5,
                            &format!("f{c} partial"),
                            PARTIAL_FILL,
                            None,
                        );
                    } else {
                        svg.circle(x(i), y(*v), 2.5, &format!("f{c}"), "", None);
                    }
                }
            }
        }
    }
}

fn draw_bars(
    svg: &mut Svg,
    chart: &TimeChart<'_>,
    mode: BarMode,
    band: f64,
    x: &dyn Fn(usize) -> f64,
    y: &dyn Fn(f64) -> f64,
    zero: f64,
) {
    let k_series = chart.series.len().max(1);
    // A gap between bands keeps neighbouring intervals apart; very thin bands get none.
    let inner = if band > 4.0 { band * 0.8 } else { band };
    for i in 0..chart.starts.len() {
        let (mut up, mut down) = (0.0f64, 0.0f64);
        for (k, s) in chart.series.iter().enumerate() {
            let Some(v) = s.values.get(i).copied().flatten() else {
                continue;
            };
            let c = k % PALETTE_LEN;
            let partial = chart.marks.is_partial(i);
            let title = format!(
                "{} · {}: {}{}",
                date_title(chart.starts[i], chart.interval, chart.zone),
                s.name,
                format_full(Some(v), chart.format),
                if partial { PARTIAL_NOTE } else { "" }
            );
            let class = if partial {
                format!("f{c} partial")
            } else {
                format!("f{c}")
            };
            match mode {
                BarMode::Grouped => {
                    let w = inner / k_series as f64;
                    let x0 = x(i) - inner / 2.0 + w * k as f64;
                    let (y0, y1) = (y(v).min(zero), y(v).max(zero));
                    svg.rect(x0, y0, w, y1 - y0, &class, Some(&title));
                }
                BarMode::Stacked => {
                    let (from, to) = if v >= 0.0 {
                        let from = up;
                        up += v;
                        (from, up)
                    } else {
                        let from = down;
                        down += v;
                        (from, down)
                    };
                    let (y0, y1) = (y(to).min(y(from)), y(to).max(y(from)));
                    svg.rect(x(i) - inner / 2.0, y0, inner, y1 - y0, &class, Some(&title));
                }
            }
        }
    }
}

/// `Mar 2 2026 14:00`-style full description of a point for its tooltip.
fn date_title(start: Timestamp, interval: Interval, zone: &TimeZone) -> String {
    let z = start.to_zoned(zone.clone());
    match interval {
        Interval::Hour => z.strftime("%Y-%m-%d %H:00").to_string(),
        Interval::Day => z.strftime("%Y-%m-%d").to_string(),
        Interval::Week => format!("week of {}", z.strftime("%Y-%m-%d")),
        Interval::Month => z.strftime("%B %Y").to_string(),
        Interval::Quarter => format!("Q{} {}", (z.month() - 1) / 3 + 1, z.year()),
        Interval::Year => z.year().to_string(),
    }
}

/// What a partial point's tooltip adds to its value.
const PARTIAL_NOTE: &str = " (partial: not over or not wholly synced)";

fn point_title(chart: &TimeChart<'_>, i: usize) -> String {
    let mut t = date_title(chart.starts[i], chart.interval, chart.zone);
    if chart.marks.is_partial(i) {
        t.push_str(PARTIAL_NOTE);
    }
    for (k, s) in chart.series.iter().enumerate() {
        let v = s.values.get(i).copied().flatten();
        t.push_str(&format!("\n{}: {}", s.name, format_full(v, chart.format)));
        if let Some(c) = chart.comparison
            && let Some(earlier) = c.series.get(k)
        {
            let v = earlier.values.get(i).copied().flatten();
            t.push_str(&format!(" ({}: {})", c.label, format_full(v, chart.format)));
        }
        if k == 0
            && let Some(b) = chart.expected.and_then(|e| e.at(i))
        {
            t.push_str(&format!(
                "\nexpected: {} ({} to {})",
                format_full(Some(b.expected), chart.format),
                format_full(Some(b.lower), chart.format),
                format_full(Some(b.upper), chart.format)
            ));
        }
    }
    t
}

/// The widest label an interval's axis can show, used to guess how many fit.
fn sample_label(interval: Interval) -> &'static str {
    match interval {
        Interval::Hour => "Mar 22 00:00",
        Interval::Day | Interval::Week => "Mar 22 2026",
        Interval::Month => "Mar 2026",
        Interval::Quarter => "Q1 2026",
        Interval::Year => "2026",
    }
}

/// Legend entries packed into rows no wider than `width`: (series index, x offset, text).
fn legend_rows<'a>(
    names: impl Iterator<Item = &'a str>,
    width: f64,
) -> Vec<Vec<(usize, f64, String)>> {
    let mut rows: Vec<Vec<(usize, f64, String)>> = vec![Vec::new()];
    let mut at = 0.0;
    for (k, name) in names.enumerate() {
        let label = truncate(name, ((width - 14.0) / 6.8) as usize);
        let w = 14.0 + text_width(&label) + 12.0;
        if at > 0.0 && at + w > width {
            rows.push(Vec::new());
            at = 0.0;
        }
        if let Some(row) = rows.last_mut() {
            row.push((k, at, label));
        }
        at += w;
    }
    rows
}

/// Entries from `swatches` on are notes (the comparison) and get no colour swatch.
fn draw_legend(svg: &mut Svg, rows: &[Vec<(usize, f64, String)>], swatches: usize, y0: f64) {
    for (r, row) in rows.iter().enumerate() {
        let y = y0 + r as f64 * LINE_HEIGHT;
        for (k, at, label) in row {
            if *k >= swatches {
                svg.text(PAD + at, y, "start", "muted", label);
                continue;
            }
            svg.rect(
                PAD + at,
                y - 9.0,
                10.0,
                10.0,
                &format!("f{}", k % PALETTE_LEN),
                None,
            );
            svg.text(PAD + at + 14.0, y, "start", "", label);
        }
    }
}

/// Shortens a label to `max` characters with an ellipsis.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut t: String = text.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

/// One slice of a pie: a dimension (or "Other") and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct PieSlice {
    pub label: String,
    pub value: f64,
    /// Drawn in the muted colour: the "other dimensions" slice.
    pub other: bool,
}

/// A pie, or a donut with the total in its hole. Slices with no positive value are left out,
/// since a pie cannot show them.
pub fn pie(
    slices: &[PieSlice],
    donut: bool,
    format: &NumberFormat,
    width: u32,
    height: u32,
    theme: Theme,
) -> String {
    let kind = if donut { "donut" } else { "pie" };
    let mut svg = Svg::new(width, height, theme, kind, &format!("{kind} chart"));
    let (w, h) = (f64::from(width), f64::from(height));
    let shown: Vec<(usize, &PieSlice)> = slices
        .iter()
        .enumerate()
        .filter(|(_, s)| s.value > 0.0 && s.value.is_finite())
        .collect();
    let total: f64 = shown.iter().map(|(_, s)| s.value).sum();
    let legend_w = (w * 0.45).min(220.0);
    let r = ((h - 2.0 * PAD).min(w - legend_w - 3.0 * PAD) / 2.0).max(10.0);
    let (cx, cy) = (PAD + r, h / 2.0);
    let hole = if donut { r * 0.6 } else { 0.0 };
    if total <= 0.0 {
        svg.text(cx, cy + 4.0, "middle", "muted", "No data");
        return svg.finish();
    }
    let class = |k: usize, s: &PieSlice| {
        if s.other {
            "fm".to_owned()
        } else {
            format!("f{}", k % PALETTE_LEN)
        }
    };
    let mut angle = -std::f64::consts::FRAC_PI_2;
    for (k, s) in &shown {
        let share = s.value / total;
        let title = format!(
            "{}: {} ({:.1}%)",
            s.label,
            format_full(Some(s.value), format),
            share * 100.0
        );
        if share >= 0.9999 {
            // An arc from a point to itself draws nothing, so a whole pie is a circle.
            if donut {
                let extra = format!(r#" fill="none" stroke-width="{}""#, n(r - hole));
                let c = if s.other {
                    "fm".to_owned()
                } else {
                    format!("f{}", k % PALETTE_LEN)
                };
                svg.circle(
                    cx,
                    cy,
                    (r + hole) / 2.0,
                    &format!("{} s{}", c, k % PALETTE_LEN),
                    &extra,
                    Some(&title),
                );
            } else {
                svg.circle(cx, cy, r, &class(*k, s), "", Some(&title));
            }
            angle += std::f64::consts::TAU;
            continue;
        }
        let end = angle + share * std::f64::consts::TAU;
        let large = u8::from(share > 0.5);
        let (x0, y0) = (cx + r * angle.cos(), cy + r * angle.sin());
        let (x1, y1) = (cx + r * end.cos(), cy + r * end.sin());
        let d = if donut {
            let (ix0, iy0) = (cx + hole * end.cos(), cy + hole * end.sin());
            let (ix1, iy1) = (cx + hole * angle.cos(), cy + hole * angle.sin());
            format!(
                "M{} {}A{} {} 0 {large} 1 {} {}L{} {}A{} {} 0 {large} 0 {} {}Z",
                n(x0),
                n(y0),
                n(r),
                n(r),
                n(x1),
                n(y1),
                n(ix0),
                n(iy0),
                n(hole),
                n(hole),
                n(ix1),
                n(iy1)
            )
        } else {
            format!(
                "M{} {}L{} {}A{} {} 0 {large} 1 {} {}Z",
                n(cx),
                n(cy),
                n(x0),
                n(y0),
                n(r),
                n(r),
                n(x1),
                n(y1)
            )
        };
        svg.path(&d, &class(*k, s), "", Some(&title));
        angle = end;
    }
    if donut {
        svg.text(
            cx,
            cy + 4.0,
            "middle",
            "",
            &format_full(Some(total), format),
        );
    }

    // The legend beside the pie, one row per slice while rows fit.
    let lx = cx + r + 2.0 * PAD;
    let max_chars = ((w - lx - PAD - 14.0) / 6.8).max(4.0) as usize;
    let rows = ((h - 2.0 * PAD) / LINE_HEIGHT).max(1.0) as usize;
    let y_top = cy - (shown.len().min(rows) as f64 * LINE_HEIGHT) / 2.0 + 11.0;
    for (row, (k, s)) in shown.iter().enumerate() {
        let y = y_top + row as f64 * LINE_HEIGHT;
        if row + 1 == rows && shown.len() > rows {
            svg.text(
                lx,
                y,
                "start",
                "muted",
                &format!("+{} more", shown.len() - row),
            );
            break;
        }
        svg.rect(lx, y - 9.0, 10.0, 10.0, &class(*k, s), None);
        let label = format!("{} {:.0}%", s.label, s.value / total * 100.0);
        svg.text(lx + 14.0, y, "start", "", &truncate(&label, max_chars));
    }
    svg.finish()
}

/// The colour of a [`sparkline`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ink<'a> {
    /// The theme's first series colour: a page (which serves the chart stylesheet) or a
    /// rasterised image with the theme's own stylesheet embedded.
    Theme(Theme),
    /// One literal CSS colour on a transparent background, for an image that reads no
    /// stylesheet, such as a scorecard row's trend in an email, coloured by its verdict.
    Literal(&'a str),
}

impl From<Theme> for Ink<'_> {
    fn from(theme: Theme) -> Self {
        Ink::Theme(theme)
    }
}

/// A small line without axes, the one trend drawing of the Metrics screen, board Number blocks
/// and scorecards: missing values break the line, the last point is marked, a flat series runs
/// through the middle (not along the bottom, which would read as zero), and a series without
/// any value draws a faint baseline labelled "no data yet".
pub fn sparkline<'a>(
    values: &[Option<f64>],
    width: u32,
    height: u32,
    ink: impl Into<Ink<'a>>,
) -> String {
    sparkline_marked(values, &[], width, height, ink)
}

/// A [`sparkline`] whose partial points (`partial[i]`: an interval not over, or not wholly
/// synced) are joined by a lighter dashed segment with a tooltip saying so, rather than drawn
/// as if final (a partial day's smaller total would read as a dip).
pub fn sparkline_marked<'a>(
    values: &[Option<f64>],
    partial: &[bool],
    width: u32,
    height: u32,
    ink: impl Into<Ink<'a>>,
) -> String {
    let ink = ink.into();
    let (w, h) = (f64::from(width), f64::from(height));
    let present = values.iter().flatten().copied();
    let (lo, hi) = present.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let theme = match ink {
        Ink::Theme(theme) => theme,
        // The colour is written on the marks; a stylesheet or background would hide it.
        Ink::Literal(_) => Theme::Css,
    };
    let label = if lo.is_finite() {
        "trend"
    } else {
        "no data yet"
    };
    let mut svg = Svg::new(width, height, theme, "sparkline", label);
    let (line_class, line_extra, dot_class, dot_extra, empty_class, empty_extra) = match ink {
        Ink::Theme(_) => (
            "s0",
            String::new(),
            "f0",
            String::new(),
            "grid",
            String::new(),
        ),
        Ink::Literal(colour) => {
            let colour = escape(colour);
            (
                "",
                format!(r#" fill="none" stroke="{colour}""#),
                "",
                format!(r#" fill="{colour}""#),
                "",
                format!(r#" fill="none" stroke="{colour}" stroke-opacity="0.4""#),
            )
        }
    };
    if !lo.is_finite() {
        let d = format!("M2 {y}L{} {y}", n(w - 2.0), y = n(h - 2.0));
        svg.path(&d, empty_class, &empty_extra, None);
        return svg.finish();
    }
    let x = |i: usize| 2.0 + (w - 4.0) * i as f64 / values.len().saturating_sub(1).max(1) as f64;
    let y = |v: f64| {
        if hi > lo {
            h - 2.0 - (v - lo) / (hi - lo) * (h - 4.0)
        } else {
            h / 2.0
        }
    };
    let is_partial = |i: usize| partial.get(i).copied().unwrap_or(false);
    let (d, light) = split_polyline(values, values.len(), &is_partial, &x, &y);
    let last = values
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, v)| v.map(|v| (x(i), y(v))));
    svg.path(
        &d,
        line_class,
        &format!(r#"{line_extra} stroke-width="1.5""#),
        None,
    );
    if !light.is_empty() {
        svg.path(
            &light,
            &format!("{line_class} partial"),
            &format!(r#"{line_extra} stroke-width="1.5"{PARTIAL_STROKE}"#),
            Some("partial: the interval is not over or not wholly synced"),
        );
    }
    if let Some((lx, ly)) = last {
        svg.circle(lx, ly, 2.0, dot_class, &dot_extra, None);
    }
    svg.finish()
}
