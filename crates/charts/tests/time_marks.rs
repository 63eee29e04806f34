//! What a chart says about time beyond its values: partial intervals drawn lighter with a
//! tooltip, and a "no data before" mark where the data starts.

use charts::{BarMode, Marks, Series, Theme, TimeChart};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use metric::Interval;
use metric::definition::{NumberFormat, Unit};

fn count() -> NumberFormat {
    NumberFormat {
        unit: Unit::Count,
        currency: None,
        decimals: None,
    }
}

/// Twelve UTC month starts, January to December 2026.
fn months() -> Vec<Timestamp> {
    (1..=12)
        .map(|m| {
            jiff::civil::date(2026, m, 1)
                .to_zoned(TimeZone::UTC)
                .unwrap()
                .timestamp()
        })
        .collect()
}

/// No value before September; September (data from the 5th) and December (running) partial.
fn year_with_late_data() -> (Vec<Option<f64>>, Vec<bool>) {
    let mut values = vec![None; 8];
    values.extend([Some(624.0), Some(744.0), Some(720.0), Some(82.0)]);
    let mut partial = vec![false; 12];
    partial[8] = true;
    partial[11] = true;
    (values, partial)
}

fn chart<'a>(
    starts: &'a [Timestamp],
    series: &'a [Series],
    zone: &'a TimeZone,
    format: &'a NumberFormat,
    marks: Marks<'a>,
) -> TimeChart<'a> {
    TimeChart {
        starts,
        interval: Interval::Month,
        zone,
        series,
        comparison: None,
        format,
        width: 480,
        height: 240,
        theme: Theme::Css,
        expected: None,
        marks,
    }
}

/// The `d` attribute of every `<path>` whose class attribute is exactly `class`.
fn paths_of(svg: &str, class: &str) -> Vec<String> {
    let needle = format!("<path class=\"{class}\" d=\"");
    svg.match_indices(&needle)
        .map(|(at, _)| {
            let rest = &svg[at + needle.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}

/// Every `x y` pair of a path's data.
fn points(d: &str) -> Vec<(f64, f64)> {
    d.split(['M', 'L'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (x, y) = p.split_once(' ').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

#[test]
fn segments_touching_a_partial_point_are_drawn_apart_and_lighter() {
    let (values, partial) = year_with_late_data();
    let starts = months();
    let zone = TimeZone::UTC;
    let format = count();
    let series = [Series {
        name: "sent".to_owned(),
        values,
    }];
    let marks = Marks {
        partial: &partial,
        data_from: None,
    };
    let svg = charts::line(&chart(&starts, &series, &zone, &format, marks));
    let whole = paths_of(&svg, "s0");
    let light = paths_of(&svg, "s0 partial");
    assert_eq!(whole.len(), 1, "{svg}");
    assert_eq!(light.len(), 1, "{svg}");
    // Sep→Oct and Nov→Dec touch a partial month; only Oct→Nov is whole.
    let whole_xs: Vec<f64> = points(&whole[0]).iter().map(|p| p.0).collect();
    let light_xs: Vec<f64> = points(&light[0]).iter().map(|p| p.0).collect();
    assert_eq!(
        light_xs.len(),
        4,
        "two segments of two points: {light_xs:?}"
    );
    let distinct_whole: std::collections::BTreeSet<i64> =
        whole_xs.iter().map(|x| (*x * 10.0) as i64).collect();
    assert_eq!(
        distinct_whole.len(),
        2,
        "October and November: {whole_xs:?}"
    );
    assert!(svg.contains("stroke-dasharray=\"3 3\" opacity=\"0.5\""));
    assert!(svg.contains("sent: partial"), "the lighter line says why");
    // The hover band of December says it is partial; October's does not.
    assert!(svg.contains("December 2026 (partial"), "{svg}");
    assert!(!svg.contains("October 2026 (partial"));
}

#[test]
fn a_partial_bar_is_lighter_and_says_so() {
    let (values, partial) = year_with_late_data();
    let starts = months();
    let zone = TimeZone::UTC;
    let format = count();
    let series = [Series {
        name: "sent".to_owned(),
        values,
    }];
    let marks = Marks {
        partial: &partial,
        data_from: None,
    };
    let svg = charts::bar(
        &chart(&starts, &series, &zone, &format, marks),
        BarMode::Grouped,
    );
    assert_eq!(
        svg.matches("<rect class=\"f0 partial\"").count(),
        2,
        "{svg}"
    );
    assert_eq!(svg.matches("<rect class=\"f0\"").count(), 2, "{svg}");
    assert!(svg.contains("December 2026 · sent: 82 (partial"), "{svg}");
}

#[test]
fn no_point_is_drawn_before_the_data_and_a_mark_says_where_it_starts() {
    let (values, _) = year_with_late_data();
    let starts = months();
    let zone = TimeZone::UTC;
    let format = count();
    let series = [Series {
        name: "sent".to_owned(),
        values,
    }];
    let data_from: Timestamp = "2026-09-05T00:00:00Z".parse().unwrap();
    let marks = Marks {
        partial: &[],
        data_from: Some(data_from),
    };
    let svg = charts::line(&chart(&starts, &series, &zone, &format, marks));
    assert!(svg.contains("no data before 5 Sep 2026"), "{svg}");
    // The mark's line stands at September's x; every drawn point is at or right of it.
    let group = &svg[svg.find("<g class=\"no-data\">").unwrap()..];
    let mark_d = &group[group.find(" d=\"M").unwrap() + 5..];
    let mark_x: f64 = mark_d[..mark_d.find(' ').unwrap()].parse().unwrap();
    let drawn = paths_of(&svg, "s0");
    let xs: Vec<f64> = drawn.iter().flat_map(|d| points(d)).map(|p| p.0).collect();
    assert_eq!(xs.len(), 4, "four months with data: {xs:?}");
    assert!(xs.iter().all(|x| *x >= mark_x), "{xs:?} vs {mark_x}");
    assert_eq!(xs[0], mark_x);
}

#[test]
fn a_chart_starting_with_data_has_no_mark() {
    let starts = months();
    let zone = TimeZone::UTC;
    let format = count();
    let series = [Series {
        name: "sent".to_owned(),
        values: vec![Some(1.0); 12],
    }];
    let marks = Marks {
        partial: &[],
        data_from: Some("2025-06-01T00:00:00Z".parse().unwrap()),
    };
    let svg = charts::line(&chart(&starts, &series, &zone, &format, marks));
    assert!(!svg.contains("no data before"));
}

#[test]
fn a_sparkline_draws_its_partial_last_day_lighter_not_as_a_dip() {
    let values = [Some(10.0), Some(12.0), Some(11.0), Some(3.0)];
    let partial = [false, false, false, true];
    let svg = charts::sparkline_marked(&values, &partial, 120, 32, Theme::Css);
    let whole = paths_of(&svg, "s0");
    let light = paths_of(&svg, "s0 partial");
    assert_eq!(points(&whole[0]).len(), 3, "the whole days: {svg}");
    assert_eq!(points(&light[0]).len(), 2, "the last segment: {svg}");
    assert!(svg.contains("<title>partial"));
    let plain = charts::sparkline(&values, 120, 32, Theme::Css);
    assert!(!plain.contains("partial"));
}

#[test]
fn a_comparison_with_no_value_draws_no_line_and_its_legend_says_no_data() {
    let (values, _) = year_with_late_data();
    let starts = months();
    let zone = TimeZone::UTC;
    let format = count();
    let series = [Series {
        name: "sent".to_owned(),
        values,
    }];
    let earlier = [Series {
        name: "sent".to_owned(),
        values: vec![None; 12],
    }];
    let mut c = chart(&starts, &series, &zone, &format, Marks::default());
    c.comparison = Some(charts::Comparison {
        label: "same period last year",
        series: &earlier,
    });
    let svg = charts::line(&c);
    assert!(!svg.contains("comparison\""), "no dashed line: {svg}");
    assert!(svg.contains("- - same period last year: no data"), "{svg}");
}
