//! A period's forecast: the running total so far (solid), the projected path to the period's
//! end (dashed) inside its band (light), and a budget line when there is one.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use metric::Interval;
use metric::definition::NumberFormat;

use crate::format::format_full;
use crate::svg::{Svg, n, text_width};
use crate::theme::Theme;
use crate::ticks::{ValueAxis, fitting_date_ticks};

const PAD: f64 = 8.0;
const LINE_HEIGHT: f64 = 16.0;
const X_LABELS: f64 = 22.0;

/// One day of the period: its start, the running total the store holds at its end (for a day
/// that is over) and the projected running total at its end with its band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastDay {
    pub start: Timestamp,
    pub actual: Option<f64>,
    pub projected: f64,
    pub lower: f64,
    pub upper: f64,
}

pub struct ForecastChart<'a> {
    pub days: &'a [ForecastDay],
    pub zone: &'a TimeZone,
    pub budget: Option<f64>,
    pub format: &'a NumberFormat,
    pub width: u32,
    pub height: u32,
    pub theme: Theme,
}

/// The forecast chart as SVG. Each point is a day's end; the projected path starts at the last
/// day with an actual total, so the two lines meet.
pub fn forecast(chart: &ForecastChart<'_>) -> String {
    let (width, height) = (f64::from(chart.width), f64::from(chart.height));
    let zone = chart.zone.iana_name().unwrap_or("UTC");
    let mut svg = Svg::new(
        chart.width,
        chart.height,
        chart.theme,
        "forecast",
        &format!("forecast chart, days in {zone}"),
    );
    let days = chart.days;
    let mut hi = chart.budget.unwrap_or(0.0).max(0.0);
    let mut lo = 0.0f64;
    for d in days {
        for v in [Some(d.upper), Some(d.projected), d.actual]
            .into_iter()
            .flatten()
        {
            hi = hi.max(v);
            lo = lo.min(v);
        }
        lo = lo.min(d.lower);
    }
    let top = PAD + LINE_HEIGHT;
    let bottom = height - PAD - X_LABELS - LINE_HEIGHT;
    let plot_h = (bottom - top).max(10.0);
    let axis = ValueAxis::new(lo, hi, plot_h, 6, chart.format);
    let (ticks, labels, t_lo, t_hi) = (&axis.ticks, &axis.labels, axis.lo, axis.hi);
    let left = PAD + axis.label_width() + 6.0;
    let right = width - PAD;
    let plot_w = (right - left).max(10.0);
    let span = if t_hi > t_lo { t_hi - t_lo } else { 1.0 };
    let y = |v: f64| bottom - (v - t_lo) / span * plot_h;
    let count = days.len();
    let x = |i: usize| {
        if count <= 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (count - 1) as f64
        }
    };

    svg.text(right, PAD + 10.0, "end", "muted", zone);
    for (t, label) in ticks.iter().zip(labels) {
        svg.line(left, y(*t), right, y(*t), "grid");
        svg.text(left - 6.0, y(*t) + 4.0, "end", "muted", label);
    }
    let starts: Vec<Timestamp> = days.iter().map(|d| d.start).collect();
    let widest = text_width("30 Sep");
    let date_labels = fitting_date_ticks(&starts, Interval::Day, chart.zone, plot_w, widest, x);
    for tick in &date_labels {
        let half = text_width(&tick.label) / 2.0;
        svg.text(
            x(tick.index).clamp(half, width - half),
            bottom + 18.0,
            "middle",
            "muted",
            &tick.label,
        );
    }

    // The projection runs from the last day that is over (or the period's start).
    let last_actual = days.iter().rposition(|d| d.actual.is_some());
    let from = last_actual.unwrap_or(0);
    if from + 1 < count || last_actual.is_none() {
        let mut band = String::new();
        for (i, d) in days.iter().enumerate().skip(from) {
            let (lo, _) = band_at(d, i == from && last_actual.is_some());
            band.push_str(&format!(
                "{}{} {}",
                if band.is_empty() { "M" } else { "L" },
                n(x(i)),
                n(y(lo))
            ));
        }
        for i in (from..count).rev() {
            let (_, up) = band_at(&days[i], i == from && last_actual.is_some());
            band.push_str(&format!("L{} {}", n(x(i)), n(y(up))));
        }
        band.push('Z');
        let last = days[count - 1];
        let title = format!(
            "projected band at the period's end: {} – {}",
            format_full(Some(last.lower), chart.format),
            format_full(Some(last.upper), chart.format)
        );
        svg.path(&band, "f0 band", r#" fill-opacity="0.15""#, Some(&title));
        let mut path = String::new();
        for (i, d) in days.iter().enumerate().skip(from) {
            let v = match (i == from, last_actual, d.actual) {
                (true, Some(_), Some(a)) => a,
                _ => d.projected,
            };
            path.push_str(&format!(
                "{}{} {}",
                if path.is_empty() { "M" } else { "L" },
                n(x(i)),
                n(y(v))
            ));
        }
        let title = format!(
            "projected at the period's end: {}",
            format_full(Some(last.projected), chart.format)
        );
        svg.path(
            &path,
            "s0 projected",
            r#" stroke-width="2" stroke-dasharray="5 4""#,
            Some(&title),
        );
    }
    if let Some(end) = last_actual {
        let mut path = String::new();
        for (i, d) in days.iter().enumerate().take(end + 1) {
            if let Some(a) = d.actual {
                path.push_str(&format!(
                    "{}{} {}",
                    if path.is_empty() { "M" } else { "L" },
                    n(x(i)),
                    n(y(a))
                ));
            }
        }
        let title = format!("so far: {}", format_full(days[end].actual, chart.format));
        svg.path(
            &path,
            "s0 actual",
            r#" stroke-width="2" stroke-linejoin="round""#,
            Some(&title),
        );
    }
    if let Some(b) = chart.budget {
        let label = format!("budget {}", format_full(Some(b), chart.format));
        svg.path(
            &format!("M{} {}L{} {}", n(left), n(y(b)), n(right), n(y(b))),
            "s6 budget",
            r#" stroke-width="1.5" stroke-dasharray="2 3""#,
            Some(&label),
        );
        svg.text(right, y(b) - 4.0, "end", "muted", &label);
    }
    svg.line(
        left,
        y(0.0f64.clamp(t_lo, t_hi)),
        right,
        y(0.0f64.clamp(t_lo, t_hi)),
        "grid",
    );
    // The legend: what each line is.
    let legend_y = height - PAD;
    svg.text(
        left,
        legend_y,
        "start",
        "muted",
        "— so far   - - projected, with its band",
    );
    svg.finish()
}

/// A day's band; the day the projection starts from has no width yet (it is what the store
/// holds).
fn band_at(d: &ForecastDay, anchored: bool) -> (f64, f64) {
    match (anchored, d.actual) {
        (true, Some(a)) => (a, a),
        _ => (d.lower, d.upper),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(i: i64, actual: Option<f64>, projected: f64) -> ForecastDay {
        ForecastDay {
            start: Timestamp::from_second(1_772_323_200 + i * 86_400).unwrap(),
            actual,
            projected,
            lower: projected * 0.9,
            upper: projected * 1.1,
        }
    }

    #[test]
    fn draws_the_actual_line_the_projected_path_its_band_and_the_budget() {
        let days = [
            day(0, Some(10.0), 10.0),
            day(1, Some(20.0), 20.0),
            day(2, None, 30.0),
            day(3, None, 40.0),
        ];
        let format = crate::format::plain();
        let svg = forecast(&ForecastChart {
            days: &days,
            zone: &TimeZone::UTC,
            budget: Some(35.0),
            format: &format,
            width: 400,
            height: 200,
            theme: Theme::Light,
        });
        for class in ["s0 actual", "s0 projected", "f0 band", "s6 budget"] {
            assert!(svg.contains(class), "{class} missing");
        }
        assert!(svg.contains("projected at the period&#39;s end: 40"));
        assert!(svg.contains("so far: 20"));
    }
}
