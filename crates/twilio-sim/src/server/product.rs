//! The product APIs (meta envelope, absolute URLs, the account taken from the credentials):
//! messaging v1 Services, monitor v1 Alerts, verify v2 Attempts (+ Summary) and insights v1
//! Voice Summaries.

use serde::Serialize;

use super::error::ApiError;
use super::paging::{self, Items, PageMeta};
use super::query::{DateValue, parse_date_value, parse_product_instant};
use super::{ALERT_RETENTION_DAYS, Answer, Ctx};
use crate::dataset::AccountData;
use crate::model::*;
use crate::render;
use crate::sid::Sid;
use crate::time::{Iso, MS_PER_DAY};

fn json<T: Serialize>(v: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(v).map_err(|e| ApiError::new(500, 20500, format!("could not render: {e}")))
}

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
    let segs: Vec<&str> = ctx.path.trim_start_matches('/').split('/').collect();
    // Product 404s name the path without the version, as Twilio's do.
    let not_found = || {
        let shown = ctx
            .path
            .splitn(3, '/')
            .nth(2)
            .map_or(ctx.path.to_string(), |p| format!("/{p}"));
        ApiError::not_found(&shown)
    };
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
        ("insights", ["v1", "Voice", "Summaries"]) => summaries(ctx, a),
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

/// Renders one page of a newest-first list in the meta envelope.
#[allow(clippy::too_many_arguments)]
fn meta_list<T, R: Serialize>(
    ctx: &Ctx<'_>,
    key: &str,
    list: &[T],
    sid_of: impl Fn(&T) -> Sid,
    time_of: impl Fn(&T) -> i64,
    window: (Option<i64>, Option<i64>),
    matches: impl Fn(&T) -> bool,
    filters: &str,
    render: impl Fn(&T) -> R,
) -> Result<Vec<u8>, ApiError> {
    let params = paging::page_params(&ctx.query)?;
    let (lo, hi) = paging::window(list.len(), |i| time_of(&list[i]), window.0, window.1);
    let sel = paging::select(
        lo,
        hi,
        |i| matches(&list[i]),
        &params,
        |k| Sid::parse(k).and_then(|s| list.iter().position(|x| sid_of(x) == s)),
    )?;
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
        "services",
        &a.messaging_services,
        |s| s.sid,
        |_| 0,
        (None, None),
        |_| true,
        "",
        |s| render::messaging_service(s, a),
    )
}

fn bad_date(name: &str, v: &str) -> ApiError {
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
        "alerts",
        &a.alerts,
        |x| x.sid,
        |x| x.date_generated,
        (Some(from), until),
        |x| level.is_none_or(|l| l == x.log_level),
        &filters,
        |x| render::alert(x, a),
    )
}

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
            && self.status.is_none_or(|s| {
                s == if v.converted {
                    "converted"
                } else {
                    "unconverted"
                }
            })
    }
}

fn attempt_filter<'a>(ctx: &'a Ctx<'_>) -> Result<AttemptFilter<'a>, ApiError> {
    let q = &ctx.query;
    let instant = |name: &str| -> Result<Option<i64>, ApiError> {
        q.get(name)
            .map(|v| parse_product_instant(v).ok_or_else(|| bad_date(name, v)))
            .transpose()
    };
    Ok(AttemptFilter {
        from: instant("DateCreatedAfter")?,
        // "Before" is inclusive of the instant given, like the other `<` filters.
        until: instant("DateCreatedBefore")?.map(|t| t + 1),
        to: q.get("ChannelData.To"),
        country: q.get("Country"),
        channel: q.get("Channel"),
        service: q.get("VerifyServiceSid"),
        verification: q.get("VerificationSid"),
        status: q.get("Status"),
        prefix: q.get("DestinationPrefix"),
    })
}

fn attempts(ctx: &Ctx<'_>, a: &AccountData) -> Result<Vec<u8>, ApiError> {
    let f = attempt_filter(ctx)?;
    let filters = ctx.query.echo(
        &[
            "DateCreatedAfter",
            "DateCreatedBefore",
            "ChannelData.To",
            "Country",
            "Channel",
            "VerifyServiceSid",
            "VerificationSid",
            "Status",
        ],
        |_, _| None,
    );
    meta_list(
        ctx,
        "attempts",
        &a.verify_attempts,
        |v| v.sid,
        |v| v.date_created,
        (f.from, f.until),
        |v| f.matches(v),
        &filters,
        |v| render::verify_attempt(v, a),
    )
}

fn attempts_summary(ctx: &Ctx<'_>, a: &AccountData) -> Result<Vec<u8>, ApiError> {
    let f = attempt_filter(ctx)?;
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
fn relative_or_instant(v: &str, now: i64) -> Option<i64> {
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

/// Voice Summaries: calls newest first by start time; without `StartTime` only the last 4 hours
/// are listed, as on Twilio.
fn summaries(ctx: &Ctx<'_>, a: &AccountData) -> Result<Vec<u8>, ApiError> {
    let q = &ctx.query;
    let now = ctx.data().now_ms;
    let from = match q.get("StartTime") {
        Some(v) => relative_or_instant(v, now).ok_or_else(|| bad_date("StartTime", v))?,
        None => now - 4 * 3_600_000,
    };
    let until = q
        .get("EndTime")
        .map(|v| {
            relative_or_instant(v, now)
                .map(|t| t + 1)
                .ok_or_else(|| bad_date("EndTime", v))
        })
        .transpose()?;
    let to = q.get("To");
    let from_num = q.get("From");
    let state = q.get("CallState");
    let call_type = q.get("CallType");
    let direction = q.get("Direction");
    let processing = q.get("ProcessingState");
    let filters = q.echo(
        &[
            "From",
            "To",
            "StartTime",
            "EndTime",
            "CallType",
            "CallState",
            "Direction",
            "ProcessingState",
        ],
        |_, _| None,
    );
    meta_list(
        ctx,
        "call_summaries",
        &a.calls,
        |c| c.sid,
        |c| c.start_time,
        (Some(from), until),
        |c| {
            let summary_state = match c.status {
                CallStatus::Completed => "completed",
                CallStatus::Busy => "busy",
                CallStatus::Failed => "fail",
                CallStatus::NoAnswer => "noanswer",
                CallStatus::Canceled => "canceled",
                CallStatus::InProgress => "answered",
                CallStatus::Ringing | CallStatus::Queued => "ringing",
            };
            let dir = if c.direction == CallDirection::Inbound {
                "inbound"
            } else {
                "outbound_api"
            };
            let complete = c.end_time.is_some();
            to.is_none_or(|t| t == render::E164(c.to).to_string())
                && from_num.is_none_or(|f| f == render::E164(c.from).to_string())
                && state.is_none_or(|s| s.split(',').any(|x| x == summary_state))
                && call_type.is_none_or(|t| t.split(',').any(|x| x == "carrier"))
                && direction.is_none_or(|d| d.split(',').any(|x| x == dir))
                && processing.is_none_or(|p| match p {
                    "completed" => complete,
                    "partial" | "started" => !complete,
                    _ => true,
                })
        },
        &filters,
        |c| render::call_summary(c, a),
    )
}
