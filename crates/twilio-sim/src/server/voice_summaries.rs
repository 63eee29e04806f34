//! insights v1 `Voice/Summaries`: calls newest first by start time; without `StartTime` only the
//! last 4 hours are listed, as on Twilio.
//!
//! Every list filter the spec gives for this endpoint is echoed in `url`, `first_page_url` and
//! `next_page_url`, in the order the client sent them (as in the spec's examples), so a client
//! following the links keeps its filters. Each is applied against what the rendered summaries
//! say, so every listed summary satisfies the filters as it reads:
//!
//! - `From`, `To`: the exact party; `FromCarrier`/`ToCarrier`, `FromCountryCode`/`ToCountryCode`:
//!   the party's carrier and country (case-insensitive; every generated party is a US number on
//!   `Generic Carrier`).
//! - `StartTime`, `EndTime`: an ISO instant or date, or an age such as `4h`, `30m`, `7d`.
//! - `CallType`, `CallState`, `Direction`, `AnsweredBy`: comma-separated lists, any may match
//!   (every generated call is a `carrier` call answered by `unknown`).
//! - `ProcessingState`: `completed`, `partial`/`started` or `all`.
//! - `Subaccount`: the calls of that subaccount of the caller (the caller's own SID lists its
//!   own calls); any other SID lists nothing, since the caller cannot see those calls.
//!
//! The generated data has no tags, no SHAKEN/STIR trust, branding, voice integrity or business
//! profile data, no SIP sessions and no annotations (the summaries render `tags: []`,
//! `trust: null`, `annotation: null`). The simulator reads that as a definite answer rather
//! than ignoring the filters, so a metric counting e.g. spam calls sees none instead of every
//! call: `HasTag`, `VerifiedCaller`, `BrandedEnabled`, `VoiceIntegrityEnabled` and
//! `AbnormalSession` select nothing when `true` and everything when `false`; `BrandedLogo`, the
//! other `Branded*`, `VoiceIntegrity*` and `BusinessProfile*` filters and every `*Annotation`
//! filter select nothing whatever their value. Boolean filters other than `true`/`false` are
//! refused with a 400.
//!
//! `SortBy` (`start_time` or `end_time`) is checked and echoed but not applied: the list and its
//! page tokens are built on start-time order, so it always comes back newest start first.

use super::Ctx;
use super::error::ApiError;
use super::paging;
use super::product::{bad_date, meta_list, relative_or_instant};
use super::query::Query;
use crate::dataset::AccountData;
use crate::model::Call;
use crate::render::{self, E164};

/// How the simulator reads a filter of the spec, given what the generated calls carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Applied against the rendered summaries.
    Applied,
    /// A yes/no property that is "no" for every generated call.
    NoForEveryCall,
    /// A property no generated call carries: any value selects nothing.
    Absent,
    /// As [`Reading::Absent`], and a yes/no filter, so a value other than `true`/`false` is
    /// refused first.
    AbsentFlag,
}

use Reading::{Absent, AbsentFlag, Applied, NoForEveryCall};

/// Every list filter of the spec's `GET /v1/Voice/Summaries`, in the spec's order, with how it
/// is read: one table, so a filter's name is written once.
const FILTERS: &[(&str, Reading)] = &[
    ("From", Applied),
    ("To", Applied),
    ("FromCarrier", Applied),
    ("ToCarrier", Applied),
    ("FromCountryCode", Applied),
    ("ToCountryCode", Applied),
    ("VerifiedCaller", NoForEveryCall),
    ("HasTag", NoForEveryCall),
    ("StartTime", Applied),
    ("EndTime", Applied),
    ("CallType", Applied),
    ("CallState", Applied),
    ("Direction", Applied),
    ("ProcessingState", Applied),
    ("SortBy", Applied),
    ("Subaccount", Applied),
    ("AbnormalSession", NoForEveryCall),
    ("AnsweredBy", Applied),
    ("AnsweredByAnnotation", Absent),
    ("ConnectivityIssueAnnotation", Absent),
    ("QualityIssueAnnotation", Absent),
    ("SpamAnnotation", AbsentFlag),
    ("CallScoreAnnotation", Absent),
    ("BrandedEnabled", NoForEveryCall),
    ("VoiceIntegrityEnabled", NoForEveryCall),
    ("BrandedBundleSid", Absent),
    ("BrandedLogo", AbsentFlag),
    ("BrandedType", Absent),
    ("BrandedUseCase", Absent),
    ("BrandedCallReason", Absent),
    ("VoiceIntegrityBundleSid", Absent),
    ("VoiceIntegrityUseCase", Absent),
    ("BusinessProfileIdentity", Absent),
    ("BusinessProfileIndustry", Absent),
    ("BusinessProfileBundleSid", Absent),
    ("BusinessProfileType", Absent),
];

fn flag(q: &Query, name: &str) -> Result<Option<bool>, ApiError> {
    let Some(v) = q.get(name) else {
        return Ok(None);
    };
    if v.eq_ignore_ascii_case("true") {
        Ok(Some(true))
    } else if v.eq_ignore_ascii_case("false") {
        Ok(Some(false))
    } else {
        Err(ApiError::bad_request(format!(
            "Invalid value '{v}' for {name}: use true or false"
        )))
    }
}

fn any_of(list: Option<&str>, value: &str) -> bool {
    list.is_none_or(|l| l.split(',').any(|x| x.trim() == value))
}

fn same_text(wanted: Option<&str>, value: &str) -> bool {
    wanted.is_none_or(|w| w.trim().eq_ignore_ascii_case(value))
}

/// The per-call filters; `none` is set when a filter no generated call can satisfy was given.
struct Filter<'q> {
    none: bool,
    from: Option<&'q str>,
    to: Option<&'q str>,
    from_carrier: Option<&'q str>,
    to_carrier: Option<&'q str>,
    from_country: Option<&'q str>,
    to_country: Option<&'q str>,
    call_type: Option<&'q str>,
    call_state: Option<&'q str>,
    direction: Option<&'q str>,
    answered_by: Option<&'q str>,
    processing: Option<&'q str>,
}

impl<'q> Filter<'q> {
    fn parse(q: &'q Query) -> Result<Filter<'q>, ApiError> {
        let mut none = false;
        for &(name, reading) in FILTERS {
            if matches!(reading, NoForEveryCall | AbsentFlag) {
                let v = flag(q, name)?;
                none |= v == Some(true) && reading == NoForEveryCall;
            }
        }
        none |= FILTERS
            .iter()
            .any(|&(n, reading)| matches!(reading, Absent | AbsentFlag) && q.get(n).is_some());
        if let Some(v) = q.get("SortBy")
            && v != "start_time"
            && v != "end_time"
        {
            return Err(ApiError::bad_request(format!(
                "Invalid value '{v}' for SortBy: use start_time or end_time"
            )));
        }
        Ok(Filter {
            none,
            from: q.get("From"),
            to: q.get("To"),
            from_carrier: q.get("FromCarrier"),
            to_carrier: q.get("ToCarrier"),
            from_country: q.get("FromCountryCode"),
            to_country: q.get("ToCountryCode"),
            call_type: q.get("CallType"),
            call_state: q.get("CallState"),
            direction: q.get("Direction"),
            answered_by: q.get("AnsweredBy"),
            processing: q.get("ProcessingState"),
        })
    }

    fn matches(&self, c: &Call) -> bool {
        let complete = c.end_time.is_some();
        !self.none
            && self.to.is_none_or(|t| t == E164(c.to).to_string())
            && self.from.is_none_or(|f| f == E164(c.from).to_string())
            && same_text(self.from_carrier, render::SUMMARY_CARRIER)
            && same_text(self.to_carrier, render::SUMMARY_CARRIER)
            && same_text(self.from_country, render::SUMMARY_COUNTRY_CODE)
            && same_text(self.to_country, render::SUMMARY_COUNTRY_CODE)
            && any_of(self.call_type, render::SUMMARY_CALL_TYPE)
            && any_of(self.call_state, render::summary_call_state(c))
            && any_of(self.direction, render::summary_direction(c))
            && any_of(self.answered_by, render::SUMMARY_ANSWERED_BY)
            && self.processing.is_none_or(|p| match p {
                "completed" => complete,
                "partial" | "started" => !complete,
                _ => true,
            })
    }
}

pub(super) fn list(ctx: &Ctx<'_>, a: &AccountData) -> Result<Vec<u8>, ApiError> {
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
    let filter = Filter::parse(q)?;
    let listed = match q.get("Subaccount") {
        None => Some(a),
        Some(s) if s == a.sid => Some(a),
        Some(s) => ctx
            .data()
            .account(s)
            .filter(|sub| sub.is_subaccount && sub.owner_account_sid == a.sid),
    };
    let calls: &[Call] = listed.map_or(&[], |x| &x.calls);
    let owner = listed.unwrap_or(a);
    let names: Vec<&str> = FILTERS.iter().map(|&(n, _)| n).collect();
    let filters = q.echo(&names, |_, _| None);
    meta_list(
        ctx,
        paging::Listing {
            key: "call_summaries",
            list: calls,
            sid_of: &|c| c.sid,
            time_of: &|c| c.start_time,
            window: (Some(from), until),
            matches: &|c| filter.matches(c),
            filters: &filters,
            render: &|c| render::call_summary(c, owner),
        },
    )
}
