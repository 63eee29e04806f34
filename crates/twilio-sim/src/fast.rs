//! Hand-written JSON for the two records that fill 1000-record pages (messages and calls).
//! `serde` through `Display` costs about 7 ms per such page, most of it in tiny formatted
//! writes; writing bytes directly is several times cheaper. The output is byte-identical to
//! `render::MessageJson` / `render::CallJson` (a unit test checks every record of a dataset).

use crate::dataset::AccountData;
use crate::generate::{BODIES, error_message};
use crate::model::{Call, Message};
use crate::render::API_VERSION;
use crate::sid::Sid;
use crate::time::{MS_PER_DAY, civil_from_days};

fn lit(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
}

fn num(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn two(out: &mut Vec<u8>, v: u32) {
    out.push(b'0' + (v / 10 % 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

/// A JSON string that may need escaping.
fn string(out: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn sid(out: &mut Vec<u8>, s: Sid) {
    out.push(b'"');
    out.extend_from_slice(&s.bytes());
    out.push(b'"');
}

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn rfc2822(out: &mut Vec<u8>, ms: i64) {
    let days = ms.div_euclid(MS_PER_DAY);
    let secs = (ms.rem_euclid(MS_PER_DAY) / 1000) as u32;
    let (y, m, d) = civil_from_days(days);
    out.push(b'"');
    lit(out, WEEKDAYS[days.rem_euclid(7) as usize]);
    lit(out, ", ");
    two(out, d);
    out.push(b' ');
    lit(out, MONTHS[(m as usize).saturating_sub(1) % 12]);
    out.push(b' ');
    num(out, y.max(0) as u64);
    out.push(b' ');
    two(out, secs / 3600);
    out.push(b':');
    two(out, secs / 60 % 60);
    out.push(b':');
    two(out, secs % 60);
    lit(out, " +0000\"");
}

fn money(out: &mut Vec<u8>, v: i64) {
    out.push(b'"');
    if v < 0 {
        out.push(b'-');
    }
    let a = v.unsigned_abs();
    num(out, a / 100_000);
    out.push(b'.');
    let frac = a % 100_000;
    let mut div = 10_000;
    while div > 0 {
        out.push(b'0' + (frac / div % 10) as u8);
        div /= 10;
    }
    out.push(b'"');
}

fn phone(out: &mut Vec<u8>, n: u64) {
    lit(out, "\"+");
    num(out, n);
    out.push(b'"');
}

fn national(out: &mut Vec<u8>, n: u64) {
    let n = n % 10_000_000_000;
    let (area, mid, last) = (n / 10_000_000, n / 10_000 % 1000, n % 10_000);
    lit(out, "\"(");
    for d in [area / 100, area / 10 % 10, area % 10] {
        out.push(b'0' + d as u8);
    }
    lit(out, ") ");
    for d in [mid / 100, mid / 10 % 10, mid % 10] {
        out.push(b'0' + d as u8);
    }
    out.push(b'-');
    for d in [last / 1000, last / 100 % 10, last / 10 % 10, last % 10] {
        out.push(b'0' + d as u8);
    }
    out.push(b'"');
}

fn key(out: &mut Vec<u8>, k: &str) {
    out.push(b'"');
    lit(out, k);
    lit(out, "\":");
}

fn account_path(out: &mut Vec<u8>, a: &AccountData) {
    lit(out, "/2010-04-01/Accounts/");
    lit(out, &a.sid);
}

/// `/2010-04-01/Accounts/AC…/<collection>/<sid>`: a record's URI without its `.json`.
fn record_path(out: &mut Vec<u8>, a: &AccountData, collection: &str, record: Sid) {
    account_path(out, a);
    out.push(b'/');
    lit(out, collection);
    out.push(b'/');
    out.extend_from_slice(&record.bytes());
}

/// The members of a record's `subresource_uris` object, one `(key, segment)` each.
fn subresource_uris(
    out: &mut Vec<u8>,
    a: &AccountData,
    collection: &str,
    record: Sid,
    subs: &[(&str, &str)],
) {
    for (i, (k, seg)) in subs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        key(out, k);
        out.push(b'"');
        record_path(out, a, collection, record);
        out.push(b'/');
        lit(out, seg);
        lit(out, ".json\"");
    }
}

/// `null`, or the value as `write` puts it.
fn nullable<T>(out: &mut Vec<u8>, value: Option<T>, write: impl FnOnce(&mut Vec<u8>, T)) {
    match value {
        Some(v) => write(out, v),
        None => lit(out, "null"),
    }
}

pub fn message(out: &mut Vec<u8>, m: &Message, a: &AccountData) {
    out.push(b'{');
    key(out, "account_sid");
    string(out, &a.sid);
    lit(out, ",\"api_version\":\"");
    lit(out, API_VERSION);
    lit(out, "\",");
    key(out, "body");
    string(out, BODIES.get(usize::from(m.body)).copied().unwrap_or(""));
    lit(out, ",");
    key(out, "date_created");
    rfc2822(out, m.date_created);
    lit(out, ",");
    key(out, "date_sent");
    nullable(out, m.date_sent, rfc2822);
    lit(out, ",");
    key(out, "date_updated");
    rfc2822(out, m.date_updated);
    lit(out, ",\"direction\":\"");
    lit(out, m.direction.as_str());
    lit(out, "\",");
    key(out, "error_code");
    nullable(out, m.error_code, |out, c| num(out, u64::from(c)));
    lit(out, ",");
    key(out, "error_message");
    nullable(out, m.error_code, |out, c| string(out, error_message(c)));
    lit(out, ",");
    key(out, "from");
    phone(out, m.from);
    lit(out, ",");
    key(out, "messaging_service_sid");
    nullable(
        out,
        m.service
            .and_then(|i| a.messaging_services.get(usize::from(i))),
        |out, s| sid(out, s.sid),
    );
    lit(out, ",\"num_media\":\"");
    num(out, u64::from(m.num_media));
    lit(out, "\",\"num_segments\":\"");
    num(out, u64::from(m.num_segments));
    lit(out, "\",");
    key(out, "price");
    nullable(out, m.price, money);
    lit(out, ",\"price_unit\":\"USD\",");
    key(out, "sid");
    sid(out, m.sid);
    lit(out, ",\"status\":\"");
    lit(out, m.status.as_str());
    lit(out, "\",\"subresource_uris\":{");
    subresource_uris(
        out,
        a,
        "Messages",
        m.sid,
        &[("media", "Media"), ("feedback", "Feedback")],
    );
    lit(out, "},");
    key(out, "to");
    phone(out, m.to);
    lit(out, ",\"uri\":\"");
    record_path(out, a, "Messages", m.sid);
    lit(out, ".json\"}");
}

pub fn call(out: &mut Vec<u8>, c: &Call, a: &AccountData) {
    out.push(b'{');
    key(out, "account_sid");
    string(out, &a.sid);
    lit(out, ",\"answered_by\":null,\"api_version\":\"");
    lit(out, API_VERSION);
    lit(out, "\",\"caller_name\":null,");
    key(out, "date_created");
    rfc2822(out, c.date_created);
    lit(out, ",");
    key(out, "date_updated");
    rfc2822(out, c.date_updated);
    lit(out, ",\"direction\":\"");
    lit(out, c.direction.as_str());
    lit(out, "\",");
    key(out, "duration");
    match c.duration {
        Some(d) => {
            out.push(b'"');
            num(out, u64::from(d));
            out.push(b'"');
        }
        None => lit(out, "null"),
    }
    lit(out, ",");
    key(out, "end_time");
    nullable(out, c.end_time, rfc2822);
    lit(out, ",\"forwarded_from\":null,");
    key(out, "from");
    phone(out, c.from);
    lit(out, ",");
    key(out, "from_formatted");
    national(out, c.from);
    lit(out, ",\"group_sid\":null,");
    key(out, "parent_call_sid");
    nullable(out, c.parent_call, sid);
    lit(out, ",");
    key(out, "phone_number_sid");
    nullable(
        out,
        a.phone_numbers.get(usize::from(c.phone_number)),
        |out, p| sid(out, p.sid),
    );
    lit(out, ",");
    key(out, "price");
    nullable(out, c.price, money);
    lit(out, ",\"price_unit\":\"USD\",");
    key(out, "sid");
    sid(out, c.sid);
    lit(out, ",");
    key(out, "start_time");
    rfc2822(out, c.start_time);
    lit(out, ",\"status\":\"");
    lit(out, c.status.as_str());
    lit(out, "\",\"subresource_uris\":{");
    subresource_uris(out, a, "Calls", c.sid, &crate::render::CALL_SUBS);
    lit(out, "},");
    key(out, "to");
    phone(out, c.to);
    lit(out, ",");
    key(out, "to_formatted");
    national(out, c.to);
    lit(out, ",\"trunk_sid\":null,\"uri\":\"");
    record_path(out, a, "Calls", c.sid);
    lit(out, ".json\",\"queue_time\":\"");
    num(out, u64::from(c.queue_time_ms));
    lit(out, "\"}");
}

#[cfg(test)]
mod tests {
    use crate::config::{SimConfig, Sizes};
    use crate::render::{CallJson, MessageJson};

    #[test]
    fn fast_records_are_byte_identical_to_the_serde_renderers() {
        let config = SimConfig {
            seed: 3,
            now: "2026-03-15T12:34:56Z".parse().unwrap(),
            sizes: Sizes {
                messages_per_day: 30,
                calls_per_day: 10,
                days: 20,
                ..Sizes::default()
            },
            faults: Default::default(),
            incidents: Vec::new(),
        };
        let data = crate::generate::generate(&config);
        for a in &data.accounts {
            for m in &a.messages {
                let mut out = Vec::new();
                super::message(&mut out, m, a);
                let expected = serde_json::to_vec(&MessageJson { m, a }).unwrap();
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    String::from_utf8(expected).unwrap()
                );
            }
            for c in &a.calls {
                let mut out = Vec::new();
                super::call(&mut out, c, a);
                let expected = serde_json::to_vec(&CallJson { c, a }).unwrap();
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    String::from_utf8(expected).unwrap()
                );
            }
        }
    }
}
