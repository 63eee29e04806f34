//! Chart SVG for fixed data against committed files under `tests/snapshots/`. A change to the
//! drawing shows up as a diff in review; `UPDATE_SNAPSHOTS=1 cargo test -p charts` rewrites them.

use std::path::PathBuf;

use charts::{BarMode, PieSlice, Series, Theme, TimeChart};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use metric::Interval;
use metric::definition::{NumberFormat, Unit};

fn check(name: &str, svg: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.svg"));
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, svg).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with UPDATE_SNAPSHOTS=1 to create it",
            path.display()
        )
    });
    assert!(
        expected == svg,
        "{name}.svg differs from the rendering; if the change is intended, run with UPDATE_SNAPSHOTS=1 and review the diff"
    );
}

fn count() -> NumberFormat {
    NumberFormat {
        unit: Unit::Count,
        currency: None,
        decimals: None,
    }
}

fn usd() -> NumberFormat {
    NumberFormat {
        unit: Unit::Currency,
        currency: Some("USD".to_owned()),
        decimals: Some(2),
    }
}

fn paris() -> TimeZone {
    TimeZone::get("Europe/Paris").unwrap()
}

/// Fourteen Paris days from Monday 2026-03-23, across the change to summer time on the 29th.
fn days(zone: &TimeZone) -> Vec<Timestamp> {
    (0..14)
        .map(|d| {
            jiff::civil::date(2026, 3, 23)
                .checked_add(jiff::Span::new().days(d))
                .unwrap()
                .to_zoned(zone.clone())
                .unwrap()
                .timestamp()
        })
        .collect()
}

fn two_series() -> Vec<Series> {
    vec![
        Series {
            name: "delivered".to_owned(),
            values: (0..14)
                .map(|i| Some(f64::from(100 + i * 37 % 90)))
                .collect(),
        },
        Series {
            name: "failed <& \"quoted\">".to_owned(),
            values: (0..14)
                .map(|i| {
                    if i == 5 {
                        None
                    } else {
                        Some(f64::from(i * 13 % 40))
                    }
                })
                .collect(),
        },
    ]
}

#[test]
fn line_chart_over_days_in_paris() {
    let zone = paris();
    let starts = days(&zone);
    let series = two_series();
    let chart = TimeChart {
        starts: &starts,
        interval: Interval::Day,
        zone: &zone,
        series: &series,
        comparison: None,
        format: &count(),
        width: 480,
        height: 240,
        theme: Theme::Css,
        expected: None,
        marks: charts::Marks::default(),
    };
    let svg = charts::line(&chart);
    assert!(
        svg.contains(">Europe/Paris</text>"),
        "the chart names its zone"
    );
    assert!(
        svg.contains("failed &lt;&amp; &quot;quoted&quot;&gt;"),
        "names are escaped"
    );
    assert!(!svg.contains("<style>"), "the page's stylesheet colours it");
    assert!(
        Theme::Css
            .stylesheet()
            .contains(".chart .f0{fill:var(--chart-1,#2563eb)}"),
        "colours come from CSS properties with fallbacks"
    );
    check("line_days_paris", &svg);
}

#[test]
fn line_chart_with_its_previous_period_dashed() {
    let zone = paris();
    let starts = days(&zone);
    let series = two_series();
    // The earlier period: each value halved, the first point missing.
    let earlier: Vec<Series> = series
        .iter()
        .map(|s| Series {
            name: s.name.clone(),
            values: s
                .values
                .iter()
                .enumerate()
                .map(|(i, v)| if i == 0 { None } else { v.map(|x| x / 2.0) })
                .collect(),
        })
        .collect();
    let chart = TimeChart {
        starts: &starts,
        interval: Interval::Day,
        zone: &zone,
        series: &series,
        comparison: Some(charts::Comparison {
            label: "previous period",
            series: &earlier,
        }),
        format: &count(),
        width: 480,
        height: 260,
        theme: Theme::Light,
        expected: None,
        marks: charts::Marks::default(),
    };
    let svg = charts::line(&chart);
    assert_eq!(
        svg.matches("stroke-dasharray").count(),
        earlier.len(),
        "one dashed line per compared series"
    );
    assert!(
        svg.contains(">- - previous period</text>"),
        "the legend names it"
    );
    check("line_with_previous_period", &svg);
}

#[test]
fn bar_charts_grouped_and_stacked() {
    let zone = paris();
    let starts = days(&zone);
    let series = two_series();
    let chart = TimeChart {
        starts: &starts,
        interval: Interval::Day,
        zone: &zone,
        series: &series,
        comparison: None,
        format: &count(),
        width: 480,
        height: 240,
        theme: Theme::Light,
        expected: None,
        marks: charts::Marks::default(),
    };
    check("bar_grouped", &charts::bar(&chart, BarMode::Grouped));
    check("bar_stacked", &charts::bar(&chart, BarMode::Stacked));
}

#[test]
fn monthly_spend_in_utc() {
    let zone = TimeZone::UTC;
    let starts: Vec<Timestamp> = (0..12)
        .map(|m| {
            jiff::civil::date(2026, 1, 1)
                .checked_add(jiff::Span::new().months(m))
                .unwrap()
                .to_zoned(TimeZone::UTC)
                .unwrap()
                .timestamp()
        })
        .collect();
    let series = vec![Series {
        name: "spend".to_owned(),
        values: (0..12).map(|m| Some(1234.5 * f64::from(m + 1))).collect(),
    }];
    let chart = TimeChart {
        starts: &starts,
        interval: Interval::Month,
        zone: &zone,
        series: &series,
        comparison: None,
        format: &usd(),
        width: 360,
        height: 200,
        theme: Theme::Dark,
        expected: None,
        marks: charts::Marks::default(),
    };
    let svg = charts::bar(&chart, BarMode::Grouped);
    assert!(
        svg.contains("$15k"),
        "axis ticks use the unit, compactly: {svg}"
    );
    assert!(svg.contains("$14,814.00"), "tooltips have the exact value");
    check("bar_month_usd_dark", &svg);
}

#[test]
fn pie_and_donut() {
    let slices = vec![
        PieSlice {
            label: "delivered".to_owned(),
            value: 640.0,
            other: false,
        },
        PieSlice {
            label: "failed".to_owned(),
            value: 120.0,
            other: false,
        },
        PieSlice {
            label: "undelivered".to_owned(),
            value: 40.0,
            other: false,
        },
        PieSlice {
            label: "Other".to_owned(),
            value: 200.0,
            other: true,
        },
        PieSlice {
            label: "zero".to_owned(),
            value: 0.0,
            other: false,
        },
    ];
    let pie = charts::pie(&slices, false, &count(), 360, 200, Theme::Css);
    assert!(pie.contains("<title>delivered: 640 (64.0%)</title>"));
    assert!(
        !pie.contains("zero"),
        "a slice without a positive value is not drawn"
    );
    check("pie", &pie);
    let donut = charts::pie(&slices, true, &count(), 360, 200, Theme::Css);
    assert!(donut.contains(">1,000</text>"), "the donut shows the total");
    check("donut", &donut);
    let whole = charts::pie(&slices[..1], true, &count(), 360, 200, Theme::Css);
    assert!(whole.contains("<circle"), "one slice is a full ring");
}

#[test]
fn sparkline_breaks_at_missing_values() {
    let svg = charts::sparkline(
        &[Some(1.0), Some(3.0), None, Some(2.0), Some(5.0)],
        120,
        32,
        Theme::Css,
    );
    assert_eq!(
        svg.matches('M').count() - svg.matches("M ").count(),
        2,
        "{svg}"
    );
    check("sparkline", &svg);
}

/// A scorecard email reads no stylesheet: its trend carries the verdict's colour on the marks,
/// with no `<style>` and no background.
#[test]
fn a_literal_sparkline_carries_its_colour_on_its_marks() {
    let svg = charts::sparkline(
        &[Some(1.0), Some(3.0)],
        120,
        28,
        charts::Ink::Literal("#cf222e"),
    );
    assert!(
        !svg.contains("<style>") && !svg.contains("class=\"bg\""),
        "{svg}"
    );
    assert!(
        svg.contains(r##"d="M2 26L118 2" fill="none" stroke="#cf222e" stroke-width="1.5""##),
        "{svg}"
    );
    assert!(
        svg.contains(r##"<circle class="" cx="118" cy="2" r="2" fill="#cf222e""##),
        "{svg}"
    );
}

#[test]
fn a_flat_sparkline_runs_through_the_middle_and_an_empty_one_says_so() {
    let flat = charts::sparkline(&[Some(5.0), Some(5.0), Some(5.0)], 120, 32, Theme::Css);
    assert!(flat.contains(r#"d="M2 16L60 16L118 16""#), "{flat}");
    let empty = charts::sparkline(&[None, None], 120, 32, Theme::Css);
    assert!(empty.contains(r#"aria-label="no data yet""#), "{empty}");
    assert!(
        empty.contains(r#"<path class="grid" d="M2 30L118 30""#),
        "{empty}"
    );
    assert!(!empty.contains("<circle"), "{empty}");
}

#[test]
fn a_year_of_hours_stays_small_and_labels_do_not_crowd() {
    let start: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let starts: Vec<Timestamp> = (0..8760)
        .map(|h| {
            start
                .checked_add(jiff::SignedDuration::from_hours(h))
                .unwrap()
        })
        .collect();
    let series = vec![Series {
        name: "messages".to_owned(),
        values: (0..8760).map(|h| Some(f64::from(h % 24))).collect(),
    }];
    let chart = TimeChart {
        starts: &starts,
        interval: Interval::Hour,
        zone: &TimeZone::UTC,
        series: &series,
        comparison: None,
        format: &count(),
        width: 600,
        height: 240,
        theme: Theme::Css,
        expected: None,
        marks: charts::Marks::default(),
    };
    let svg = charts::line(&chart);
    assert!(
        !svg.contains("<circle"),
        "no markers on thousands of points"
    );
    assert!(
        !svg.contains("class=\"hit\""),
        "no hover bands past the cap"
    );
    let x_labels = svg.matches(r#"y="228" text-anchor="middle""#).count();
    assert!((2..=8).contains(&x_labels), "{x_labels} date labels");
}

#[test]
fn png_of_a_chart() {
    if charts::font_count() == 0 {
        return test_support::skip("system fonts", "text would not be drawn in the PNG")
            .unwrap_or(());
    }
    let zone = paris();
    let starts = days(&zone);
    let series = two_series();
    let chart = TimeChart {
        starts: &starts,
        interval: Interval::Day,
        zone: &zone,
        series: &series,
        comparison: None,
        format: &count(),
        width: 480,
        height: 240,
        theme: Theme::Light,
        expected: None,
        marks: charts::Marks::default(),
    };
    let png = charts::png(&charts::line(&chart), 2.0).unwrap();
    let page_chart = TimeChart {
        theme: Theme::Css,
        ..chart.clone()
    };
    assert_eq!(
        &charts::png(&charts::line(&page_chart), 1.0).unwrap()[..4],
        b"\x89PNG"
    );
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // The IHDR chunk: width and height, big-endian, at bytes 16..24.
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 960);
    assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), 480);
    assert!(charts::png("<svg", 1.0).is_err());
}

/// Fourteen days of one series with its band: the first three days still learning (no band),
/// the tenth far above its band.
fn banded() -> (Vec<Series>, Vec<Option<charts::BandPoint>>, Vec<bool>) {
    let expected = |i: i32| f64::from(200 + (i % 7) * 10);
    let values = (0..14)
        .map(|i| Some(if i == 9 { 420.0 } else { expected(i) + 5.0 }))
        .collect();
    let band = (0..14)
        .map(|i| {
            (i >= 3).then(|| charts::BandPoint {
                expected: expected(i),
                lower: expected(i) - 40.0,
                upper: expected(i) + 40.0,
            })
        })
        .collect();
    let unusual = (0..14).map(|i| i == 9).collect();
    (
        vec![Series {
            name: "undelivered".to_owned(),
            values,
        }],
        band,
        unusual,
    )
}

fn banded_chart<'a>(
    starts: &'a [Timestamp],
    zone: &'a TimeZone,
    series: &'a [Series],
    format: &'a NumberFormat,
    expected: charts::Expected<'a>,
    theme: Theme,
) -> TimeChart<'a> {
    TimeChart {
        starts,
        interval: Interval::Day,
        zone,
        series,
        comparison: None,
        format,
        width: 480,
        height: 240,
        theme,
        marks: charts::Marks::default(),
        expected: Some(expected),
    }
}

#[test]
fn a_line_chart_draws_its_expected_band_and_rings_the_unusual_point() {
    let zone = paris();
    let starts = days(&zone);
    let (series, band, unusual) = banded();
    let format = count();
    let expected = charts::Expected {
        band: &band,
        unusual: &unusual,
    };
    let svg = charts::line(&banded_chart(
        &starts,
        &zone,
        &series,
        &format,
        expected,
        Theme::Css,
    ));
    assert_eq!(
        svg.matches(r#"class="band""#).count(),
        1,
        "one shaded run from the fourth day: {svg}"
    );
    assert_eq!(svg.matches(r#"class="unusual""#).count(), 1, "{svg}");
    assert!(
        svg.contains("undelivered: unusual, 420 observed against 220 expected (180 to 260)"),
        "the ring says observed against expected: {svg}"
    );
    assert!(
        svg.contains("expected: 230 (190 to 270)"),
        "a point's tooltip names its expected value: {svg}"
    );
    assert!(
        svg.find(r#"class="band""#) < svg.find(r#"class="s0""#),
        "the band is drawn behind the line"
    );
    assert!(
        Theme::Css
            .stylesheet()
            .contains(".chart .band{fill:var(--chart-band,#2563eb);fill-opacity:.14}"),
        "the band's colour is a CSS property, light"
    );
    check("line_expected_band", &svg);
    let dark = charts::line(&banded_chart(
        &starts,
        &zone,
        &series,
        &format,
        expected,
        Theme::Dark,
    ));
    assert!(dark.contains(".chart .band{fill:#60a5fa;fill-opacity:.14}"));
    check("line_expected_band_dark", &dark);
}

#[test]
fn a_point_alone_between_learning_days_still_shows_its_band() {
    let zone = paris();
    let starts = days(&zone);
    let (series, mut band, _) = banded();
    for (i, b) in band.iter_mut().enumerate() {
        if i != 5 {
            *b = None;
        }
    }
    let format = count();
    let svg = charts::line(&banded_chart(
        &starts,
        &zone,
        &series,
        &format,
        charts::Expected {
            band: &band,
            unusual: &[],
        },
        Theme::Css,
    ));
    assert_eq!(svg.matches(r#"class="band""#).count(), 1, "{svg}");
    assert!(!svg.contains("unusual"), "{svg}");
}

#[test]
fn a_bar_chart_draws_no_band() {
    let zone = paris();
    let starts = days(&zone);
    let (series, band, unusual) = banded();
    let format = count();
    let chart = banded_chart(
        &starts,
        &zone,
        &series,
        &format,
        charts::Expected {
            band: &band,
            unusual: &unusual,
        },
        Theme::Css,
    );
    let svg = charts::bar(&chart, BarMode::Grouped);
    assert!(!svg.contains(r#"class="band""#) && !svg.contains(r#"class="unusual""#));
}

/// Pixels of a PNG within `tolerance` of `rgb` in every channel.
fn pixels_near(png: &[u8], rgb: [u8; 3], tolerance: u8) -> usize {
    let decoder = png::Decoder::new(png);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = info.color_type.samples();
    buf[..info.buffer_size()]
        .chunks(step)
        .filter(|p| (0..3).all(|c| p[c].abs_diff(rgb[c]) <= tolerance))
        .count()
}

#[test]
fn the_png_draws_the_band_and_the_ring() {
    let zone = paris();
    let starts = days(&zone);
    let (series, band, unusual) = banded();
    let format = count();
    let with = charts::Expected {
        band: &band,
        unusual: &unusual,
    };
    let banded_png = charts::png(
        &charts::line(&banded_chart(
            &starts,
            &zone,
            &series,
            &format,
            with,
            Theme::Light,
        )),
        1.0,
    )
    .unwrap();
    let plain_png = charts::png(
        &charts::line(&TimeChart {
            expected: None,
            ..banded_chart(&starts, &zone, &series, &format, with, Theme::Light)
        }),
        1.0,
    )
    .unwrap();
    // #2563eb at 14 % over white, and the light theme's ring red.
    let band_tint = [224, 233, 252];
    let ring = [0xdc, 0x26, 0x26];
    // The line's anti-aliased edges have a few such pixels of their own.
    let (tinted, plain_tinted) = (
        pixels_near(&banded_png, band_tint, 6),
        pixels_near(&plain_png, band_tint, 6),
    );
    assert!(
        tinted > plain_tinted + 2000,
        "the band is shaded: {tinted} tinted pixels against {plain_tinted}"
    );
    let (red, plain_red) = (
        pixels_near(&banded_png, ring, 30),
        pixels_near(&plain_png, ring, 30),
    );
    assert!(
        red > plain_red + 20,
        "the ring is drawn: {red} against {plain_red}"
    );
}
