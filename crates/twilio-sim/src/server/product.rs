//! The product APIs (meta envelope, absolute URLs, the account taken from the credentials):
//! messaging v1 Services, monitor v1 Alerts, verify v2 Attempts (+ Summary) and insights v1
//! Voice Summaries (its filters in `voice_summaries`). Each list echoes every filter its spec
//! lists in its links and applies it; Services takes none.

use serde::Serialize;

use super::error::ApiError;
use super::paging::json;
use super::paging::{self, Items, PageMeta};
use super::query::{DateValue, parse_date_value, parse_product_instant};
use super::{ALERT_RETENTION_DAYS, Answer, Ctx};
use crate::dataset::AccountData;
use crate::model::*;
use crate::render;
use crate::sid::Sid;
use crate::time::{Iso, MS_PER_DAY};

pub(crate) fn route(ctx: &Ctx<'_>) -> Answer {
    Answer {
        body: route_inner(ctx),
    }
}

fn route_inner(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    let a = ctx
        .data()
        .accounts
        .get(ctx.principal.account)
        .ok_or_else(ApiError::unauthenticated)?;
    // Product 404s name the path without the version, as Twilio's do.
    let not_found = || {
        let shown = ctx
            .path
            .splitn(3, '/')
            .nth(2)
            .map_or(ctx.path.to_string(), |p| format!("/{p}"));
        ApiError::not_found(&shown)
    };
    // Exactly one leading slash and no empty segment, like the 2010 API (`//2010-04-01/...` is
    // a 404 there): a doubled slash would otherwise be served and leak into every absolute
    // `meta` link, which clients follow as they are.
    let segs: Vec<&str> = ctx
        .path
        .strip_prefix('/')
        .ok_or_else(not_found)?
        .split('/')
        .collect();
    if segs.iter().any(|s| s.is_empty()) {
        return Err(not_found());
    }
    let sid_of = |s: &str, prefix: &[u8; 2]| Sid::parse(s).filter(|x| x.prefix == *prefix);
    match (ctx.product, segs.as_slice()) {
        ("messaging", ["v1", "Services"]) => services(ctx, a),
        ("messaging", ["v1", "Services", sid]) => {
            let sid = sid_of(sid, b"MG").ok_or_else(not_found)?;
            let s = a
                .messaging_services
                .iter()
                .find(|s| s.sid == sid)
                .ok_or_else(not_found)?;
            json(&render::messaging_service(s, a))
        }
        ("monitor", ["v1", "Alerts"]) => alerts(ctx, a),
        ("monitor", ["v1", "Alerts", sid]) => {
            let sid = sid_of(sid, b"NO").ok_or_else(not_found)?;
            let x = a
                .alerts
                .iter()
                .find(|x| x.sid == sid)
                .ok_or_else(not_found)?;
            json(&render::alert(x, a))
        }
        ("verify", ["v2", "Attempts"]) => attempts(ctx, a),
        ("verify", ["v2", "Attempts", "Summary"]) => attempts_summary(ctx, a),
        ("verify", ["v2", "Attempts", sid]) => {
            let sid = sid_of(sid, b"VL").ok_or_else(not_found)?;
            let v = a
                .verify_attempts
                .iter()
                .find(|v| v.sid == sid)
                .ok_or_else(not_found)?;
            json(&render::verify_attempt(v, a))
        }
        ("insights", ["v1", "Voice", "Summaries"]) => super::voice_summaries::list(ctx, a),
        ("insights", ["v1", "Voice", sid, "Summary"]) => {
            let sid = sid_of(sid, b"CA").ok_or_else(not_found)?;
            let c = a
                .call_index
                .get(&sid)
                .and_then(|&i| a.calls.get(i as usize))
                .ok_or_else(not_found)?;
            json(&render::call_summary(c, a))
        }
        _ => Err(not_found()),
    }
}

/// Renders one page of `listing` in the meta envelope.
pub(super) fn meta_list<T, R: Serialize>(
    ctx: &Ctx<'_>,
    listing: paging::Listing<'_, T, R>,
) -> Result<Vec<u8>, ApiError> {
    let (params, sel) = listing.select(&ctx.query)?;
    let paging::Listing {
        key,
        list,
        sid_of,
        filters,
        render,
        ..
    } = listing;
    let base = format!("https://{}.twilio.com{}", ctx.product, ctx.path);
    // Product APIs leave `:` unescaped in echoed instants (`StartDate=2016-01-01T00:00:00Z`).
    let filters = filters.replace("%3A", ":");
    let filters = filters.as_str();
    let first = sel.indices.first().map(|&i| sid_of(&list[i]).to_string());
    let last = sel.indices.last().map(|&i| sid_of(&list[i]).to_string());
    let links = paging::links(
        &base,
        filters,
        &params,
        sel.indices.len(),
        sel.has_next,
        first.as_deref(),
        last.as_deref(),
    );
    json(&PageMeta {
        key,
        items: Items {
            items: list,
            indices: &sel.indices,
            render,
        },
        links: &links,
    })
}

fn services(ctx: &Ctx<'_>, a: &AccountData) -> Result<Vec<u8>, ApiError> {
    meta_list(
        ctx,
        paging::Listing {
            key: "services",
            list: &a.messaging_services,
            sid_of: &|s| s.sid,
            time_of: &|_| 0,
            window: (None, None),
            matches: &|_| true,
            filters: "",
            render: &|s| render::messaging_service(s, a),
        },
    )
}

pub(super) fn bad_date(name: &str, v: &str) -> ApiError {
    ApiError::bad_request(format!(
        "Invalid value '{v}' for {name}: use an ISO 8601 instant like 2026-01-31T00:00:00Z"
    ))
}

/// Alerts: `StartDate` is "on or after", `EndDate` "on or before" (a date-only `EndDate` covers
/// its whole day); both echo back as full instants like Twilio's `2016-01-01T00:00:00Z`.
fn alerts(ctx: &Ctx<'_>, a: &AccountData) -> Result<Vec<u8>, ApiError> {
    let q = &ctx.query;
    let cutoff = ctx.data().now_ms - ALERT_RETENTION_DAYS * MS_PER_DAY;
    let mut from = cutoff;
    let mut until = None;
    if let Some(v) = q.get("StartDate") {
        from = from.max(parse_product_instant(v).ok_or_else(|| bad_date("StartDate", v))?);
    }
    if let Some(v) = q.get("EndDate") {
        until = Some(
            match parse_date_value(v).ok_or_else(|| bad_date("EndDate", v))? {
                DateValue::Day(d) => (d + 1) * MS_PER_DAY,
                DateValue::Instant(t) => t + 1,
            },
        );
    }
    let level = q.get("LogLevel");
    let filters = q.echo(&["LogLevel", "StartDate", "EndDate"], |k, v| {
        (k != "LogLevel")
            .then(|| parse_product_instant(v).map(|t| Iso(t).to_string()))
            .flatten()
    });
    meta_list(
        ctx,
        paging::Listing {
            key: "alerts",
            list: &a.alerts,
            sid_of: &|x| x.sid,
            time_of: &|x| x.date_generated,
            window: (Some(from), until),
            matches: &|x| level.is_none_or(|l| l == x.log_level),
            filters: &filters,
            render: &|x| render::alert(x, a),
        },
    )
}

/// The list filters of the spec's `GET /v2/Attempts`, in the spec's order.
const ATTEMPTS_FILTERS: &[&str] = &[
    "DateCreatedAfter",
    "DateCreatedBefore",
    "ChannelData.To",
    "Country",
    "Channel",
    "VerifyServiceSid",
    "VerificationSid",
    "Status",
];

/// The filters of the spec's `GET /v2/Attempts/Summary`: no `ChannelData.To`,
/// `VerificationSid` or `Status` there, and `DestinationPrefix` only there.
const SUMMARY_FILTERS: &[&str] = &[
    "VerifyServiceSid",
    "DateCreatedAfter",
    "DateCreatedBefore",
    "Country",
    "Channel",
    "DestinationPrefix",
];

struct AttemptFilter<'a> {
    from: Option<i64>,
    until: Option<i64>,
    to: Option<&'a str>,
    country: Option<&'a str>,
    channel: Option<&'a str>,
    service: Option<&'a str>,
    verification: Option<&'a str>,
    status: Option<&'a str>,
    prefix: Option<&'a str>,
}

impl AttemptFilter<'_> {
    fn matches(&self, v: &VerifyAttempt) -> bool {
        let to = render::E164(v.to).to_string();
        self.to.is_none_or(|t| t == to)
            && self.prefix.is_none_or(|p| to.starts_with(p))
            && self
                .country
                .is_none_or(|c| c.eq_ignore_ascii_case(v.country))
            && self.channel.is_none_or(|c| c == v.channel)
            && self.service.is_none_or(|s| s == v.service_sid.to_string())
            && self
                .verification
                .is_none_or(|s| s == v.verification_sid.to_string())
            // The spec's description spells the values `CONVERTED`/`UNCONVERTED`, its enum in
            // lower case: take either.
            && self.status.is_none_or(|s| {
                s.eq_ignore_ascii_case(if v.converted {
                    "converted"
                } else {
                    "unconverted"
                })
            })
    }
}

/// Reads only the filters `spec` lists for the endpoint: another endpoint's filter is ignored,
/// as Twilio ignores parameters an endpoint does not take (a list applying a filter it does
/// not echo would lose it on the next page).
fn attempt_filter<'a>(ctx: &'a Ctx<'_>, spec: &[&str]) -> Result<AttemptFilter<'a>, ApiError> {
    let q = &ctx.query;
    let get = |name: &str| spec.contains(&name).then(|| q.get(name)).flatten();
    let instant = |name: &str| -> Result<Option<i64>, ApiError> {
        get(name)
            .map(|v| parse_product_instant(v).ok_or_else(|| bad_date(name, v)))
            .transpose()
    };
    Ok(AttemptFilter {
        from: instant("DateCreatedAfter")?,
        // "Before" is inclusive of the instant given, like the other `<` filters.
        until: instant("DateCreatedBefore")?.map(|t| t + 1),
        to: get("ChannelData.To"),
        country: get("Country"),
        channel: get("Channel"),
        service: get("VerifyServiceSid"),
        verification: get("VerificationSid"),
        status: get("Status"),
        prefix: get("DestinationPrefix"),
    })
}

fn attempts(ctx: &Ctx<'_>, a: &AccountData) -> Result<Vec<u8>, ApiError> {
    let f = attempt_filter(ctx, ATTEMPTS_FILTERS)?;
    let filters = ctx.query.echo(ATTEMPTS_FILTERS, |_, _| None);
    meta_list(
        ctx,
        paging::Listing {
            key: "attempts",
            list: &a.verify_attempts,
            sid_of: &|v| v.sid,
            time_of: &|v| v.date_created,
            window: (f.from, f.until),
            matches: &|v| f.matches(v),
            filters: &filters,
            render: &|v| render::verify_attempt(v, a),
        },
    )
}

fn attempts_summary(ctx: &Ctx<'_>, a: &AccountData) -> Result<Vec<u8>, ApiError> {
    let f = attempt_filter(ctx, SUMMARY_FILTERS)?;
    let list = &a.verify_attempts;
    let (lo, hi) = paging::window(list.len(), |i| list[i].date_created, f.from, f.until);
    let (mut total, mut converted) = (0u64, 0u64);
    for v in list[lo..hi].iter().filter(|v| f.matches(v)) {
        total += 1;
        converted += u64::from(v.converted);
    }
    let rate = if total == 0 {
        "0".to_string()
    } else {
        format!("{:.9}", converted as f64 * 100.0 / total as f64)
    };
    json(&serde_json::json!({
        "total_attempts": total,
        "total_converted": converted,
        "total_unconverted": total - converted,
        "conversion_rate_percentage": rate,
        "url": "https://verify.twilio.com/v2/Attempts/Summary",
    }))
}

/// `StartTime`/`EndTime` of Voice Summaries: an ISO instant or date, or a relative age such as
/// `4h`, `30m` or `7d` before now.
pub(super) fn relative_or_instant(v: &str, now: i64) -> Option<i64> {
    let t = v.trim();
    let unit = t.chars().last()?;
    let mult = match unit {
        'm' => 60_000,
        'h' => 3_600_000,
        'd' => MS_PER_DAY,
        _ => 0,
    };
    if mult > 0
        && let Ok(n) = t[..t.len() - 1].parse::<i64>()
        && (0..=100_000).contains(&n)
    {
        return Some(now - n * mult);
    }
    parse_product_instant(t)
}
