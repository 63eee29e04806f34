//! Usage Records computed from the records themselves, so they always agree with them.
//!
//! The rule, per UTC day: a record counts towards its categories when its `price` is not null
//! (messages on the day of `date_sent`, calls on the day of `start_time`, recordings on the day
//! of `date_created`). `count` is the number of such records, `price` the sum of their charges
//! (positive), `usage` is segments for SMS, messages for MMS, billed minutes
//! (`ceil(duration / 60)`) for calls and recordings. Phone numbers are charged their monthly fee
//! on the day of the month they were bought (capped at the 28th). `totalprice` has `count` 0 and
//! `usage` = `price` = the sum of every other category except the `calls`, `sms` and `mms`
//! totals, which would count their inbound/outbound parts twice.

use crate::generate::{NUMBER_MONTHLY_FEE, month_start};
use crate::model::*;
use crate::time::{civil_from_days, day_of};

const CALLS: usize = 0;
const CALLS_IN: usize = 1;
const CALLS_OUT: usize = 2;
const MMS: usize = 3;
const MMS_IN: usize = 4;
const MMS_OUT: usize = 5;
const NUMBERS: usize = 6;
const RECORDINGS: usize = 7;
const SMS: usize = 8;
const SMS_IN: usize = 9;
const SMS_OUT: usize = 10;

/// One `UsageDay` per day from `first_day` to `last_day` inclusive, ascending.
pub fn daily(
    first_day: i64,
    last_day: i64,
    messages: &[Message],
    calls: &[Call],
    recordings: &[Recording],
    numbers: &[PhoneNumber],
) -> Vec<UsageDay> {
    let len = (last_day - first_day + 1).max(0) as usize;
    let mut days: Vec<UsageDay> = (0..len)
        .map(|i| UsageDay {
            day: first_day + i as i64,
            values: [UsageValue::default(); CATEGORIES.len()],
        })
        .collect();
    let slot = |ms: i64| -> Option<usize> {
        let d = day_of(ms) - first_day;
        (0..len as i64).contains(&d).then_some(d as usize)
    };
    for m in messages {
        let (Some(price), Some(sent)) = (m.price, m.date_sent) else {
            continue;
        };
        let Some(i) = slot(sent) else { continue };
        let v = if m.is_mms() {
            UsageValue {
                count: 1,
                usage: 1,
                price: -price,
            }
        } else {
            UsageValue {
                count: 1,
                usage: i64::from(m.num_segments),
                price: -price,
            }
        };
        let (all, part) = match (m.is_mms(), m.is_inbound()) {
            (true, true) => (MMS, MMS_IN),
            (true, false) => (MMS, MMS_OUT),
            (false, true) => (SMS, SMS_IN),
            (false, false) => (SMS, SMS_OUT),
        };
        days[i].values[all] += v;
        days[i].values[part] += v;
    }
    for c in calls {
        let Some(price) = c.price else { continue };
        let Some(i) = slot(c.start_time) else {
            continue;
        };
        let minutes = i64::from(c.duration.unwrap_or(0).div_ceil(60));
        let v = UsageValue {
            count: 1,
            usage: minutes,
            price: -price,
        };
        let part = if c.direction == CallDirection::Inbound {
            CALLS_IN
        } else {
            CALLS_OUT
        };
        days[i].values[CALLS] += v;
        days[i].values[part] += v;
    }
    for r in recordings {
        let Some(price) = r.price else { continue };
        let Some(i) = slot(r.date_created) else {
            continue;
        };
        days[i].values[RECORDINGS] += UsageValue {
            count: 1,
            usage: i64::from(r.duration.div_ceil(60)),
            price: -price,
        };
    }
    for d in &mut days {
        let (_, _, dom) = civil_from_days(d.day);
        let charged = numbers
            .iter()
            .filter(|n| {
                let bought = day_of(n.date_created);
                let (_, _, bought_dom) = civil_from_days(bought);
                d.day >= bought && dom == bought_dom.min(28)
            })
            .count() as i64;
        d.values[NUMBERS] = UsageValue {
            count: charged,
            usage: charged,
            price: charged * NUMBER_MONTHLY_FEE,
        };
        let total: Micros5 = [
            CALLS_IN, CALLS_OUT, MMS_IN, MMS_OUT, NUMBERS, RECORDINGS, SMS_IN, SMS_OUT,
        ]
        .iter()
        .map(|&c| d.values[c].price)
        .sum();
        d.values[TOTALPRICE] = UsageValue {
            count: 0,
            usage: total,
            price: total,
        };
    }
    days
}

/// Sums of every category over the days in `start..=end` (day numbers).
pub fn sum(days: &[UsageDay], start: i64, end: i64) -> [UsageValue; CATEGORIES.len()] {
    let mut out = [UsageValue::default(); CATEGORIES.len()];
    for d in days.iter().filter(|d| d.day >= start && d.day <= end) {
        for (o, v) in out.iter_mut().zip(d.values.iter()) {
            *o += *v;
        }
    }
    out
}

/// The (start, end) day ranges of the calendar months touching `start..=end`, clipped to it, newest first.
pub fn months(start: i64, end: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut m = month_start(end);
    loop {
        let (y, mo, _) = civil_from_days(m);
        let next = crate::time::days_from_civil(
            if mo == 12 { y + 1 } else { y },
            if mo == 12 { 1 } else { mo + 1 },
            1,
        );
        out.push((m.max(start), (next - 1).min(end)));
        if m <= start {
            break;
        }
        m = month_start(m - 1);
    }
    out
}

/// The (start, end) day ranges of the calendar years touching `start..=end`, clipped to it, newest first.
pub fn years(start: i64, end: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let (mut y, _, _) = civil_from_days(end);
    loop {
        let first = crate::time::days_from_civil(y, 1, 1);
        let last = crate::time::days_from_civil(y + 1, 1, 1) - 1;
        out.push((first.max(start), last.min(end)));
        if first <= start {
            break;
        }
        y -= 1;
    }
    out
}
