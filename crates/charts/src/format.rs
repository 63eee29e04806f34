//! Numbers as a metric's unit says: the one formatter of every surface that shows a value (the
//! Metrics screen, boards, emails, Slack and webhook texts, scorecards), so one value prints
//! the same everywhere. Tooltips, tables and messages get the full value; axes get a compact
//! one (`12k`, `$1.5M`) so tick labels stay short.

use metric::definition::{NumberFormat, Unit};

/// What every surface prints for a missing value.
pub const NO_VALUE: &str = "—";

/// The exact value: `1,234`, `$12.50`, `42.0%`, `3m 20s`, `—` for no value. A negative value
/// that rounds to zero prints without its sign (`0.00`, not `-0.00`).
pub fn format_full(value: Option<f64>, format: &NumberFormat) -> String {
    let Some(v) = value else {
        return NO_VALUE.to_owned();
    };
    let text = match format.unit {
        Unit::Currency => grouped(v.abs(), format.decimals.unwrap_or(2)),
        Unit::Percent => grouped(v.abs(), format.decimals.unwrap_or(1)),
        Unit::Seconds => duration(v.abs()),
        Unit::Count => {
            let decimals = format
                .decimals
                .unwrap_or(if v.fract() == 0.0 { 0 } else { 2 });
            grouped(v.abs(), decimals)
        }
    };
    let sign = if v < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        "-"
    } else {
        ""
    };
    match format.unit {
        Unit::Currency => currency(sign, &text, format.currency.as_deref()),
        Unit::Percent => format!("{sign}{text}%"),
        Unit::Seconds | Unit::Count => format!("{sign}{text}"),
    }
}

/// The format of a value whose metric is not at hand (or whose definition does not read): a
/// count, with the count's usual decimals.
pub fn plain() -> NumberFormat {
    NumberFormat {
        unit: Unit::Count,
        currency: None,
        decimals: None,
    }
}

/// A value printed as [`plain`] says.
pub fn format_plain(value: Option<f64>) -> String {
    format_full(value, &plain())
}

/// A relative change in percent, signed, one decimal: `+12.5%`, `-3.0%`, `0.0%` (a change
/// that rounds to zero has no sign).
pub fn format_change(percent: f64) -> String {
    let text = format!("{:.1}", percent.abs());
    let sign = match text.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        false => "",
        true if percent < 0.0 => "-",
        true => "+",
    };
    format!("{sign}{text}%")
}

/// A short label for an axis tick. `step` is the distance between ticks, which decides how
/// many digits are needed to tell neighbours apart; `largest` is the axis's largest absolute
/// tick, which picks one scale (k, M, B) for every label of the axis.
pub fn format_axis(v: f64, step: f64, largest: f64, format: &NumberFormat) -> String {
    let sign = if v < 0.0 { "-" } else { "" };
    let a = v.abs();
    if format.unit == Unit::Seconds {
        return format!("{sign}{}", duration(a));
    }
    let (divisor, suffix) = if largest >= 1e9 {
        (1e9, "B")
    } else if largest >= 1e6 {
        (1e6, "M")
    } else if largest >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    if a == 0.0 {
        // "0" needs no scale, and "$0" reads better than "$0k".
        return match format.unit {
            Unit::Currency => currency("", "0", format.currency.as_deref()),
            Unit::Percent => "0%".to_owned(),
            _ => "0".to_owned(),
        };
    }
    let (scaled, scaled_step) = (a / divisor, step / divisor);
    let text = format!("{}{suffix}", trim(scaled, decimals_for(scaled_step)));
    match format.unit {
        Unit::Currency => currency(sign, &text, format.currency.as_deref()),
        Unit::Percent => format!("{sign}{text}%"),
        _ => format!("{sign}{text}"),
    }
}

/// Digits needed to print multiples of `step` exactly (0.25 → 2, 5 → 0).
fn decimals_for(step: f64) -> usize {
    if step <= 0.0 || !step.is_finite() {
        return 0;
    }
    let mut d = 0;
    let mut s = step;
    while d < 6 && (s - s.round()).abs() > 1e-9 * s.abs().max(1.0) {
        s *= 10.0;
        d += 1;
    }
    d
}

fn trim(v: f64, decimals: usize) -> String {
    grouped(v, decimals.min(6) as u8)
}

fn currency(sign: &str, text: &str, code: Option<&str>) -> String {
    match code.unwrap_or("") {
        "USD" => format!("{sign}${text}"),
        "EUR" => format!("{sign}€{text}"),
        "GBP" => format!("{sign}£{text}"),
        "" => format!("{sign}{text}"),
        other => format!("{sign}{text} {other}"),
    }
}

fn duration(secs: f64) -> String {
    let secs = secs.round() as i64;
    if secs >= 3600 {
        format!("{}h {}m", secs / 3600, (secs % 3600) / 60)
    } else if secs >= 60 {
        format!("{}m {}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

/// A non-negative number with thousands separators: `1234567.891`, 2 → `1,234,567.89`.
fn grouped(v: f64, decimals: u8) -> String {
    let text = format!("{:.*}", usize::from(decimals), v);
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_str(), None),
    };
    let mut out = String::with_capacity(text.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(unit: Unit, currency: Option<&str>, decimals: Option<u8>) -> NumberFormat {
        NumberFormat {
            unit,
            currency: currency.map(str::to_owned),
            decimals,
        }
    }

    #[test]
    fn full_values_follow_the_unit() {
        let count = fmt(Unit::Count, None, None);
        assert_eq!(format_full(Some(1_234_567.0), &count), "1,234,567");
        assert_eq!(format_full(Some(-12.5), &count), "-12.50");
        assert_eq!(format_full(None, &count), "—");
        let usd = fmt(Unit::Currency, Some("USD"), Some(2));
        assert_eq!(format_full(Some(1234.5), &usd), "$1,234.50");
        assert_eq!(format_full(Some(-3.0), &usd), "-$3.00");
        let chf = fmt(Unit::Currency, Some("CHF"), None);
        assert_eq!(format_full(Some(9.0), &chf), "9.00 CHF");
        assert_eq!(
            format_full(Some(42.0), &fmt(Unit::Percent, None, None)),
            "42.0%"
        );
        let secs = fmt(Unit::Seconds, None, None);
        assert_eq!(format_full(Some(200.0), &secs), "3m 20s");
        assert_eq!(format_full(Some(7300.0), &secs), "2h 1m");
        assert_eq!(format_full(Some(-200.0), &secs), "-3m 20s");
        let eur = fmt(Unit::Currency, Some("EUR"), None);
        assert_eq!(format_full(Some(-1234.5), &eur), "-€1,234.50");
        let no_code = fmt(Unit::Currency, None, None);
        assert_eq!(
            format_full(Some(12.5), &no_code),
            "12.50",
            "no trailing space"
        );
    }

    #[test]
    fn a_negative_value_that_rounds_to_zero_has_no_sign() {
        let usd = fmt(Unit::Currency, Some("USD"), None);
        assert_eq!(format_full(Some(-0.001), &usd), "$0.00");
        let count = fmt(Unit::Count, None, Some(0));
        assert_eq!(format_full(Some(-0.4), &count), "0");
        assert_eq!(
            format_full(Some(-0.4), &fmt(Unit::Seconds, None, None)),
            "0s"
        );
        assert_eq!(format_full(Some(-0.6), &count), "-1");
    }

    #[test]
    fn plain_values_are_counts() {
        assert_eq!(format_plain(Some(1234.0)), "1,234");
        assert_eq!(format_plain(Some(12.5)), "12.50");
        assert_eq!(format_plain(None), "—");
    }

    #[test]
    fn changes_are_signed_with_one_decimal() {
        assert_eq!(format_change(12.54), "+12.5%");
        assert_eq!(format_change(-3.0), "-3.0%");
        assert_eq!(format_change(-0.01), "0.0%");
        assert_eq!(format_change(0.0), "0.0%");
    }

    #[test]
    fn axis_labels_are_compact_and_tell_neighbours_apart() {
        let count = fmt(Unit::Count, None, None);
        assert_eq!(format_axis(0.0, 5000.0, 15000.0, &count), "0");
        assert_eq!(format_axis(15000.0, 5000.0, 15000.0, &count), "15k");
        assert_eq!(
            format_axis(5000.0, 5000.0, 15000.0, &count),
            "5k",
            "one scale per axis"
        );
        assert_eq!(format_axis(2500.0, 2500.0, 7500.0, &count), "2,500");
        assert_eq!(format_axis(1_500_000.0, 500_000.0, 2e6, &count), "1.5M");
        assert_eq!(format_axis(0.25, 0.25, 1.0, &count), "0.25");
        let usd = fmt(Unit::Currency, Some("USD"), Some(2));
        assert_eq!(format_axis(20000.0, 10000.0, 20000.0, &usd), "$20k");
        assert_eq!(
            format_axis(50.0, 10.0, 100.0, &fmt(Unit::Percent, None, None)),
            "50%"
        );
    }
}
