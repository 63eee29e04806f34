//! Twilio-shaped pages of the 2010 Messages list (`GET /2010-04-01/Accounts/{Sid}/Messages.json`),
//! generated from a seed: the field names, the RFC 2822 dates, the prices as negative decimal
//! strings (null while unpriced), `error_code` as a number or null, as Twilio writes them.
//! Shared by the tests and the benchmark.
#![allow(dead_code)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

pub const STATUSES: [&str; 6] = [
    "delivered",
    "delivered",
    "sent",
    "failed",
    "undelivered",
    "received",
];
const DIRECTIONS: [&str; 3] = ["outbound-api", "inbound", "outbound-reply"];
const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `count` pages of `per_page` messages, spread over the 30 days before 2026-11-01.
pub fn message_pages(seed: u64, count: usize, per_page: usize) -> Vec<Value> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let account = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let end: i64 = 1_793_491_200; // 2026-11-01T00:00:00Z
    (0..count)
        .map(|page| {
            let messages: Vec<Value> = (0..per_page)
                .map(|_| {
                    let created = end - rng.random_range(0..30 * 86_400);
                    message(&mut rng, account, created)
                })
                .collect();
            let base = format!("/2010-04-01/Accounts/{account}/Messages.json?PageSize={per_page}");
            json!({
                "end": (page + 1) * per_page - 1,
                "first_page_uri": format!("{base}&Page=0"),
                "next_page_uri": if page + 1 < count { Value::String(format!("{base}&Page={}", page + 1)) } else { Value::Null },
                "page": page,
                "page_size": per_page,
                "previous_page_uri": if page > 0 { Value::String(format!("{base}&Page={}", page - 1)) } else { Value::Null },
                "messages": messages,
                "start": page * per_page,
                "uri": format!("{base}&Page={page}"),
            })
        })
        .collect()
}

fn message(rng: &mut ChaCha8Rng, account: &str, created: i64) -> Value {
    let sid = format!("SM{:032x}", rng.random::<u128>());
    let status = STATUSES[rng.random_range(0..STATUSES.len())];
    let direction = DIRECTIONS[rng.random_range(0..DIRECTIONS.len())];
    let segments: u32 = rng.random_range(1..4);
    let priced = rng.random_range(0..10) != 0;
    let price = if priced {
        Value::String(format!("-{:.5}", 0.0079 * f64::from(segments)))
    } else {
        Value::Null
    };
    let failed = matches!(status, "failed" | "undelivered");
    json!({
        "account_sid": account,
        "api_version": "2010-04-01",
        "body": "Your code is 123456",
        "date_created": rfc2822(created),
        "date_sent": if status == "failed" { Value::Null } else { Value::String(rfc2822(created + 1)) },
        "date_updated": rfc2822(created + 2),
        "direction": direction,
        "error_code": if failed { json!(30003) } else { Value::Null },
        "error_message": if failed { json!("Unreachable destination handset") } else { Value::Null },
        "from": "+14155552345",
        "messaging_service_sid": "MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "num_media": "0",
        "num_segments": segments.to_string(),
        "price": price,
        "price_unit": "USD",
        "sid": sid,
        "status": status,
        "subresource_uris": {
            "media": format!("/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json")
        },
        "to": "+14155552345",
        "uri": format!("/2010-04-01/Accounts/{account}/Messages/{sid}.json"),
    })
}

/// RFC 2822 as Twilio writes it, computed by hand so the tests do not lean on the parser they
/// test: `Fri, 24 May 2019 17:44:50 +0000`.
pub fn rfc2822(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        DAYS[days.rem_euclid(7) as usize],
        d,
        MONTHS[(m - 1) as usize],
        y,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Reads an RFC 2822 date the generator wrote back to epoch seconds, by hand.
pub fn parse_generated(text: &str) -> i64 {
    // "Fri, 24 May 2019 17:44:50 +0000"
    let parts: Vec<&str> = text.split([' ', ':']).collect();
    let d: i64 = parts[1].parse().unwrap();
    let m = MONTHS.iter().position(|x| *x == parts[2]).unwrap() as i64 + 1;
    let y: i64 = parts[3].parse().unwrap();
    let (hh, mm, ss): (i64, i64, i64) = (
        parts[4].parse().unwrap(),
        parts[5].parse().unwrap(),
        parts[6].parse().unwrap(),
    );
    days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss
}

pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
