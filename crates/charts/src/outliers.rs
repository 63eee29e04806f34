//! Which account is out of line, drawn: every account's value as a dot on one horizontal value
//! axis, the median as a line inside its in-line band (lightly shaded), dots out of line ringed
//! and named. Dots close together stack in lanes so a hundred accounts stay countable.

use metric::definition::NumberFormat;

use crate::format::format_full;
use crate::render::truncate;
use crate::svg::{Svg, n, text_width};
use crate::theme::Theme;
use crate::ticks::ValueAxis;

const PAD: f64 = 8.0;
const RADIUS: f64 = 4.0;
const AXIS_LABELS: f64 = 18.0;
/// The most out-of-line accounts named on the chart (the table names them all).
const NAMED: usize = 3;

/// One account.
#[derive(Debug, Clone, PartialEq)]
pub struct OutlierDot {
    /// The account's name, shown beside a dot out of line.
    pub label: String,
    pub value: f64,
    pub out_of_line: bool,
    /// Out of line on the side the metric calls bad news.
    pub unfavourable: bool,
    /// The dot's tooltip: name, value, score.
    pub title: String,
}

pub struct OutlierChart<'a> {
    /// Most out of line first (the ones named are the first out of line).
    pub dots: &'a [OutlierDot],
    pub median: f64,
    /// The values inside the threshold, shaded.
    pub band: Option<(f64, f64)>,
    pub format: &'a NumberFormat,
    pub width: u32,
    pub height: u32,
    pub theme: Theme,
}

/// The strip chart as SVG.
pub fn outliers(chart: &OutlierChart<'_>) -> String {
    let (width, height) = (f64::from(chart.width), f64::from(chart.height));
    let mut svg = Svg::new(
        chart.width,
        chart.height,
        chart.theme,
        "outliers",
        &format!(
            "{} accounts against their median, {}",
            chart.dots.len(),
            format_full(Some(chart.median), chart.format)
        ),
    );
    let (lo, hi) = extent(chart);
    let (left, right) = (PAD + 4.0, width - PAD - 4.0);
    let plot_w = (right - left).max(10.0);
    // About one tick per 90 pixels: horizontal labels are wider than tall ones.
    let axis = ValueAxis::new(lo, hi, plot_w * 0.4, 8, chart.format);
    let span = if axis.hi > axis.lo {
        axis.hi - axis.lo
    } else {
        1.0
    };
    let x = |v: f64| left + (v - axis.lo) / span * plot_w;
    let top = PAD + 14.0;
    let bottom = height - PAD - AXIS_LABELS;
    for (t, label) in axis.ticks.iter().zip(&axis.labels) {
        svg.line(x(*t), top, x(*t), bottom, "grid");
        let half = text_width(label) / 2.0;
        svg.text(
            x(*t).clamp(half, width - half),
            height - PAD,
            "middle",
            "muted",
            label,
        );
    }
    if let Some((b_lo, b_hi)) = chart.band {
        let (a, b) = (x(b_lo.max(axis.lo)), x(b_hi.min(axis.hi)));
        let title = format!(
            "in line: {} to {}",
            format_full(Some(b_lo), chart.format),
            format_full(Some(b_hi), chart.format)
        );
        svg.rect(a, top, b - a, bottom - top, "band", Some(&title));
    }
    let median_title = format!("median {}", format_full(Some(chart.median), chart.format));
    svg.path(
        &format!("M{} {}V{}", n(x(chart.median)), n(top), n(bottom)),
        "s7",
        r#" stroke-width="2""#,
        Some(&median_title),
    );
    svg.text(x(chart.median), top - 4.0, "middle", "muted", "median");
    draw_dots(
        &mut svg,
        chart,
        &x,
        top + RADIUS + 2.0,
        bottom - RADIUS - 2.0,
    );
    svg.finish()
}

/// The value span to draw: every dot, the median and the band, never empty.
fn extent(chart: &OutlierChart<'_>) -> (f64, f64) {
    let mut lo = chart.median;
    let mut hi = chart.median;
    let band = chart.band.map(|(a, b)| [a, b]).unwrap_or([lo, hi]);
    for v in chart.dots.iter().map(|d| d.value).chain(band) {
        if v.is_finite() {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if (hi - lo).abs() < f64::EPSILON {
        let pad = (hi.abs() * 0.1).max(1.0);
        (lo - pad, hi + pad)
    } else {
        (lo, hi)
    }
}

fn draw_dots(svg: &mut Svg, chart: &OutlierChart<'_>, x: &dyn Fn(f64) -> f64, y0: f64, y1: f64) {
    let gap = RADIUS * 2.0 + 1.0;
    let lanes = (((y1 - y0) / gap) as usize).max(1);
    // The lane each dot goes in: the first whose last dot is far enough to the left, so dots
    // sorted by value never overlap until every lane is full there.
    let mut order: Vec<usize> = (0..chart.dots.len()).collect();
    order.sort_by(|&a, &b| chart.dots[a].value.total_cmp(&chart.dots[b].value));
    let mut ends = vec![f64::NEG_INFINITY; lanes];
    let mut lane_of = vec![0usize; chart.dots.len()];
    for &i in &order {
        let px = x(chart.dots[i].value);
        let lane = ends.iter().position(|&e| px - e >= gap).unwrap_or_else(|| {
            ends.iter()
                .enumerate()
                .min_by(|a, b| a.1.total_cmp(b.1))
                .map_or(0, |(l, _)| l)
        });
        ends[lane] = px;
        lane_of[i] = lane;
    }
    let middle = (y0 + y1) / 2.0;
    let y = |lane: usize| {
        // Lanes alternate below and above the middle: 0, +1, −1, +2…
        let step = lane.div_ceil(2) as f64 * gap;
        let y = if lane % 2 == 1 {
            middle + step
        } else {
            middle - step
        };
        y.clamp(y0, y1)
    };
    // The accounts in line sit between these; a name must stop before it reaches them.
    let (in_lo, in_hi) = chart.band.unwrap_or((chart.median, chart.median));
    let (zone_left, zone_right) = (x(in_lo.min(chart.median)), x(in_hi.max(chart.median)));
    let mut named = 0;
    for (i, dot) in chart.dots.iter().enumerate() {
        let (cx, cy) = (x(dot.value), y(lane_of[i]));
        let class = match (dot.out_of_line, dot.unfavourable) {
            (true, true) => "f6",
            (true, false) => "f2",
            _ => "f0",
        };
        svg.circle(
            cx,
            cy,
            RADIUS,
            class,
            r#" fill-opacity="0.8""#,
            Some(&dot.title),
        );
        if dot.out_of_line && named < NAMED {
            named += 1;
            svg.circle(cx, cy, RADIUS + 3.0, "unusual", "", None);
            let right_half = cx > (x(chart.median) + 0.0);
            let (tx, anchor, room) = if right_half {
                let tx = cx - RADIUS - 6.0;
                (tx, "end", tx - zone_right - 6.0)
            } else {
                let tx = cx + RADIUS + 6.0;
                (tx, "start", zone_left - tx - 6.0)
            };
            let chars = (room / text_width("m")).floor().max(4.0) as usize;
            svg.text(tx, cy + 4.0, anchor, "", &truncate(&dot.label, chars));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use metric::definition::Unit;

    fn percent() -> NumberFormat {
        NumberFormat {
            unit: Unit::Percent,
            currency: None,
            decimals: None,
        }
    }

    fn dot(label: &str, value: f64, out: bool) -> OutlierDot {
        OutlierDot {
            label: label.into(),
            value,
            out_of_line: out,
            unfavourable: out,
            title: format!("{label}: {value}"),
        }
    }

    #[test]
    fn every_account_is_a_dot_with_its_tooltip_and_the_one_out_of_line_is_named() {
        let dots: Vec<OutlierDot> = std::iter::once(dot("Brand X", 70.0, true))
            .chain((0..20).map(|i| dot(&format!("B{i}"), 94.0 + i as f64 * 0.1, false)))
            .collect();
        let svg = outliers(&OutlierChart {
            dots: &dots,
            median: 95.0,
            band: Some((92.0, 98.0)),
            format: &percent(),
            width: 600,
            height: 140,
            theme: Theme::Css,
        });
        assert_eq!(svg.matches("<circle class=\"f").count(), 21);
        assert!(svg.contains("<title>Brand X: 70</title>"));
        assert!(svg.contains(">Brand X</text>"));
        assert!(
            !svg.contains(">B3</text>"),
            "in-line accounts are not named"
        );
        assert!(svg.contains("<title>in line: 92.0% to 98.0%</title>"));
    }

    #[test]
    fn accounts_that_all_agree_still_draw_an_axis() {
        let dots = vec![dot("a", 5.0, false), dot("b", 5.0, false)];
        let svg = outliers(&OutlierChart {
            dots: &dots,
            median: 5.0,
            band: None,
            format: &percent(),
            width: 300,
            height: 100,
            theme: Theme::Light,
        });
        assert!(svg.contains("class=\"grid\""));
        assert!(!svg.contains("NaN"));
    }

    #[test]
    fn a_long_name_on_a_narrow_chart_stops_before_the_accounts_in_line() {
        let long = "Northwind Logistics — Customer Care (EU)";
        let dots: Vec<OutlierDot> = std::iter::once(dot(long, 71.0, true))
            .chain((0..7).map(|i| dot(&format!("B{i}"), 93.5 + i as f64 * 0.4, false)))
            .collect();
        let svg = outliers(&OutlierChart {
            dots: &dots,
            median: 94.4,
            band: Some((90.5, 98.3)),
            format: &percent(),
            width: 340,
            height: 150,
            theme: Theme::Css,
        });
        let attr = |tag: &str, name: &str| -> f64 {
            let at = svg.find(tag).expect(tag);
            let rest = &svg[at..];
            let from = rest.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
            rest[from..].split('"').next().unwrap().parse().unwrap()
        };
        let band_x = attr("<rect class=\"band\"", "x");
        let name_tag = svg
            .split("<text")
            .find(|t| {
                t.split('>')
                    .nth(1)
                    .is_some_and(|c| c.starts_with("Northwind"))
            })
            .expect("the account out of line is named");
        let name_x: f64 = name_tag
            .split(" x=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .and_then(|v| v.parse().ok())
            .unwrap();
        let shown = name_tag
            .split('>')
            .nth(1)
            .unwrap()
            .trim_end_matches("</text");
        assert!(shown.ends_with('…'), "{shown}");
        let width = shown.chars().count() as f64 * text_width("m");
        assert!(
            name_x + width < band_x,
            "{shown} runs from {name_x} to {} into the band at {band_x}",
            name_x + width
        );
        assert!(
            svg.contains(&format!("<title>{long}: 71</title>")),
            "the tooltip keeps the whole name"
        );
    }
}
