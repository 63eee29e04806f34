//! `api.twilio.com/2010-04-01/...`: Accounts, Balance, Messages, Calls, Conferences,
//! Recordings, IncomingPhoneNumbers, Keys and Usage Records.
//!
//! Only the `.json` representation is served. The same path without a suffix, or with `.xml` or
//! `.csv` (Twilio would answer XML or CSV there), gets 404 / 20404 in JSON: a client that forgot
//! the suffix learns at once instead of parsing a document it did not ask for.

use serde::Serialize;

use super::auth;
use super::error::ApiError;
use super::paging::{self, Items, Page2010, PageParams, Selection, json};
use super::query::{date_window, parse_usage_day};
use super::{Answer, Ctx, MESSAGE_RETENTION_DAYS};
use crate::config::Faults;
use crate::dataset::AccountData;
use crate::live::records::Merged;
use crate::model::*;
use crate::render::{self, CallJson, MessageJson};
use crate::sid::Sid;
use crate::time::MS_PER_DAY;

const PREFIX: &str = "/2010-04-01/";

pub(crate) fn route(ctx: &Ctx<'_>, faults: &Faults) -> Answer {
    Answer {
        body: route_inner(ctx, faults),
    }
}

fn route_inner(ctx: &Ctx<'_>, faults: &Faults) -> Result<Vec<u8>, ApiError> {
    let path = ctx.path;
    let not_found = || ApiError::not_found(path);
    let rest = path.strip_prefix(PREFIX).ok_or_else(not_found)?;
    let segs: Vec<&str> = rest.split('/').collect();
    let data = ctx.data();
    let p = ctx.principal;
    match segs.as_slice() {
        ["Accounts.json"] => {
            if !p.full_access {
                return Err(ApiError::unauthenticated());
            }
            accounts_list(ctx)
        }
        ["Accounts", last] if last.ends_with(".json") => {
            let sid = last.trim_end_matches(".json");
            let idx = data
                .accounts
                .iter()
                .position(|a| a.sid == sid)
                .ok_or_else(not_found)?;
            if !p.full_access || !auth::may_access(data, p, idx) {
                return Err(ApiError::unauthenticated());
            }
            let state = ctx.accounts.state(idx);
            let status = state.twilio_status().ok_or_else(not_found)?;
            if auth::denied(data, faults, p, idx) {
                return Err(ApiError::unauthenticated());
            }
            let name = ctx.accounts.name(idx);
            json(&render::account(&data.accounts[idx], status, name))
        }
        ["Accounts", sid, tail @ ..] if !tail.is_empty() => {
            let Some(idx) = data.accounts.iter().position(|a| a.sid == *sid) else {
                return Err(if Sid::parse(sid).is_some_and(|s| s.prefix == *b"AC") {
                    ApiError::unauthenticated()
                } else {
                    not_found()
                });
            };
            if !auth::may_access(data, p, idx) {
                return Err(ApiError::unauthenticated());
            }
            if let Some(refusal) = auth::state_refusal(ctx.accounts.state(idx), path) {
                return Err(refusal);
            }
            if auth::denied(data, faults, p, idx) {
                return Err(ApiError::unauthenticated());
            }
            let Some(last) = tail.last() else {
                return Err(not_found());
            };
            if !last.ends_with(".json") {
                return Err(not_found());
            }
            let a = &data.accounts[idx];
            account_resource(ctx, a, tail, faults)
        }
        _ => Err(not_found()),
    }
}

fn account_resource(
    ctx: &Ctx<'_>,
    a: &AccountData,
    tail: &[&str],
    faults: &Faults,
) -> Result<Vec<u8>, ApiError> {
    let not_found = || ApiError::not_found(ctx.path);
    let list_path = ctx.path;
    let q = &ctx.query;
    let fetch = |name: &str| name.strip_suffix(".json").and_then(Sid::parse);
    match tail {
        ["Messages.json"] => messages(ctx, a, list_path),
        ["Messages", x] => {
            let sid = fetch(x).ok_or_else(not_found)?;
            let cutoff = retention_cutoff(ctx);
            let records = ctx.sim.live().read_records();
            let live = records.account(&a.sid).map(|l| &l.messages);
            let m = Merged::new(live, &a.messages, &a.message_index)
                .get(sid)
                .filter(|m| m.sort_ms() >= cutoff)
                .ok_or_else(not_found)?;
            json(&MessageJson { m, a })
        }
        ["Calls.json"] => calls(ctx, a, list_path),
        ["Calls", x] => {
            let sid = fetch(x).ok_or_else(not_found)?;
            let records = ctx.sim.live().read_records();
            let live = records.account(&a.sid).map(|l| &l.calls);
            let c = Merged::new(live, &a.calls, &a.call_index)
                .get(sid)
                .ok_or_else(not_found)?;
            json(&CallJson { c, a })
        }
        ["Conferences.json"] => {
            let (from, until) = date_window(q, "DateCreated")?;
            let (ufrom, uuntil) = date_window(q, "DateUpdated")?;
            let name = q.get("FriendlyName");
            let status = q.get("Status");
            let filters = q.echo(
                &[
                    "DateCreated",
                    "DateCreated<",
                    "DateCreated>",
                    "DateUpdated",
                    "DateUpdated<",
                    "DateUpdated>",
                    "FriendlyName",
                    "Status",
                ],
                |_, _| None,
            );
            simple_list(
                ctx,
                list_path,
                paging::Listing {
                    key: "conferences",
                    list: &a.conferences,
                    sid_of: &|c| c.sid,
                    time_of: &|c| c.date_created,
                    window: (from, until),
                    matches: &|c| {
                        in_window(c.date_updated, ufrom, uuntil)
                            && name.is_none_or(|n| n == c.friendly_name)
                            && status.is_none_or(|s| {
                                s == match c.status {
                                    ConferenceStatus::InProgress => "in-progress",
                                    ConferenceStatus::Completed => "completed",
                                }
                            })
                    },
                    filters: &filters,
                    render: &|c| render::conference(c, a),
                },
            )
        }
        ["Conferences", x] => record(
            ctx,
            x,
            &a.conferences,
            |c| c.sid,
            |c| render::conference(c, a),
        ),
        ["Recordings.json"] => {
            let (from, until) = date_window(q, "DateCreated")?;
            let call = q.get("CallSid");
            let conference = q.get("ConferenceSid");
            let filters = q.echo(
                &[
                    "DateCreated",
                    "DateCreated<",
                    "DateCreated>",
                    "CallSid",
                    "ConferenceSid",
                    "IncludeSoftDeleted",
                ],
                |_, _| None,
            );
            simple_list(
                ctx,
                list_path,
                paging::Listing {
                    key: "recordings",
                    list: &a.recordings,
                    sid_of: &|r| r.sid,
                    time_of: &|r| r.date_created,
                    window: (from, until),
                    matches: &|r| {
                        call.is_none_or(|c| r.call_sid.to_string() == c) && conference.is_none()
                    },
                    filters: &filters,
                    render: &|r| render::recording(r, a),
                },
            )
        }
        ["Recordings", x] => record(
            ctx,
            x,
            &a.recordings,
            |r| r.sid,
            |r| render::recording(r, a),
        ),
        ["IncomingPhoneNumbers.json"] => {
            let number = q.get("PhoneNumber");
            let name = q.get("FriendlyName");
            let filters = q.echo(
                &["Beta", "FriendlyName", "PhoneNumber", "Origin"],
                |_, _| None,
            );
            simple_list(
                ctx,
                list_path,
                paging::Listing {
                    key: "incoming_phone_numbers",
                    list: &a.phone_numbers,
                    sid_of: &|p| p.sid,
                    time_of: &|p| p.date_created,
                    window: (None, None),
                    matches: &|p| {
                        // Twilio matches PhoneNumber on any part of the number.
                        number.is_none_or(|n| {
                            render::E164(p.number)
                                .to_string()
                                .contains(n.trim_start_matches('+'))
                        }) && name.is_none_or(|n| p.friendly_name.contains(n))
                    },
                    filters: &filters,
                    render: &|p| render::phone_number(p, a),
                },
            )
        }
        ["IncomingPhoneNumbers", x] => record(
            ctx,
            x,
            &a.phone_numbers,
            |p| p.sid,
            |p| render::phone_number(p, a),
        ),
        ["Balance.json"] => json(&render::balance(a)),
        ["Keys.json"] => {
            if !ctx.principal.full_access {
                return Err(ApiError::unauthenticated());
            }
            let keys: Vec<serde_json::Value> = a
                .keys
                .iter()
                .map(|k| {
                    serde_json::json!({
                        "sid": k.sid,
                        "friendly_name": k.friendly_name,
                        "date_created": crate::time::Rfc2822(a.date_created).to_string(),
                        "date_updated": crate::time::Rfc2822(a.date_created).to_string(),
                    })
                })
                .collect();
            let params = paging::page_params(q)?;
            let sel = paging::select(
                0,
                keys.len(),
                |_| true,
                &params,
                |k| a.keys.iter().position(|x| x.sid == k),
            )?;
            let first = sel
                .indices
                .first()
                .and_then(|&i| a.keys.get(i))
                .map(|k| k.sid.clone());
            let last = sel
                .indices
                .last()
                .and_then(|&i| a.keys.get(i))
                .map(|k| k.sid.clone());
            let links = paging::links(
                list_path,
                "",
                &params,
                sel.indices.len(),
                sel.has_next,
                first.as_deref(),
                last.as_deref(),
            );
            json(&Page2010 {
                key: "keys",
                items: Items {
                    items: &keys,
                    indices: &sel.indices,
                    render: &|k: &serde_json::Value| k.clone(),
                },
                links: &links,
            })
        }
        ["Usage", "Records.json"] => usage(ctx, a, "", faults),
        ["Usage", "Records", x] => {
            let name = x.strip_suffix(".json").ok_or_else(not_found)?;
            match name {
                "Daily" | "Monthly" | "Yearly" | "AllTime" | "Today" | "Yesterday"
                | "ThisMonth" | "LastMonth" => usage(ctx, a, name, faults),
                _ => Err(not_found()),
            }
        }
        _ => Err(not_found()),
    }
}

/// The record of `list` that the last path segment (`<sid>.json`) names, rendered; 404 when
/// the segment is no SID or no record has it.
fn record<T, R: Serialize>(
    ctx: &Ctx<'_>,
    segment: &str,
    list: &[T],
    sid_of: impl Fn(&T) -> Sid,
    render: impl Fn(&T) -> R,
) -> Result<Vec<u8>, ApiError> {
    let sid = segment.strip_suffix(".json").and_then(Sid::parse);
    match sid.and_then(|sid| list.iter().find(|r| sid_of(r) == sid)) {
        Some(r) => json(&render(r)),
        None => Err(ApiError::not_found(ctx.path)),
    }
}

fn in_window(t: i64, from: Option<i64>, until: Option<i64>) -> bool {
    from.is_none_or(|f| t >= f) && until.is_none_or(|u| t < u)
}

fn retention_cutoff(ctx: &Ctx<'_>) -> i64 {
    ctx.data().now_ms - MESSAGE_RETENTION_DAYS * MS_PER_DAY
}

/// A phone filter value as digits; `None` when it cannot be a number (then nothing matches).
fn phone_filter(v: Option<&str>) -> Result<Option<Option<u64>>, ApiError> {
    Ok(v.map(|s| {
        let digits: String = s
            .trim()
            .trim_start_matches('+')
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        digits.parse::<u64>().ok()
    }))
}

fn phone_matches(filter: Option<Option<u64>>, number: u64) -> bool {
    match filter {
        None => true,
        Some(Some(n)) => n == number,
        Some(None) => false,
    }
}

fn page_of<T: Serialize>(key: &str, items: T, links: &paging::Links) -> Result<Vec<u8>, ApiError> {
    json(&Page2010 { key, items, links })
}

fn messages(ctx: &Ctx<'_>, a: &AccountData, path: &str) -> Result<Vec<u8>, ApiError> {
    let q = &ctx.query;
    let params = paging::page_params(q)?;
    let (from, until) = date_window(q, "DateSent")?;
    let cutoff = retention_cutoff(ctx);
    let from = Some(from.map_or(cutoff, |f| f.max(cutoff)));
    let to = phone_filter(q.get("To"))?;
    let sender = phone_filter(q.get("From"))?;
    // Live records (live mode) come first, all newer than the generated ones.
    let records = ctx.sim.live().read_records();
    let live = records.account(&a.sid).map(|l| &l.messages);
    let list = Merged::new(live, &a.messages, &a.message_index);
    let (lo, hi) = paging::window(list.len(), |i| list.at(i).sort_ms(), from, until);
    let sel = paging::select(
        lo,
        hi,
        |i| phone_matches(to, list.at(i).to) && phone_matches(sender, list.at(i).from),
        &params,
        |k| list.position(k),
    )?;
    let filters = q.echo(
        &["To", "From", "DateSent", "DateSent<", "DateSent>"],
        |_, _| None,
    );
    let links = links_for(path, &filters, &params, &sel, |i| list.at(i).sid);
    Ok(fast_page("messages", &links, &sel, 1000, |out, i| {
        crate::fast::message(out, list.at(i), a)
    }))
}

/// A page of the two big lists, its records written by `crate::fast` (`write` puts the record
/// at a list position), about `bytes_each` bytes a record.
fn fast_page(
    key: &str,
    links: &paging::Links,
    sel: &Selection,
    bytes_each: usize,
    write: impl Fn(&mut Vec<u8>, usize),
) -> Vec<u8> {
    paging::raw_2010(key, links, sel.indices.len() * bytes_each, |out| {
        for (n, &i) in sel.indices.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write(out, i);
        }
    })
}

fn calls(ctx: &Ctx<'_>, a: &AccountData, path: &str) -> Result<Vec<u8>, ApiError> {
    let q = &ctx.query;
    let params = paging::page_params(q)?;
    let (from, until) = date_window(q, "StartTime")?;
    let (efrom, euntil) = date_window(q, "EndTime")?;
    let to = phone_filter(q.get("To"))?;
    let sender = phone_filter(q.get("From"))?;
    let parent = q.get("ParentCallSid");
    let status = q.get("Status");
    let records = ctx.sim.live().read_records();
    let live = records.account(&a.sid).map(|l| &l.calls);
    let list = Merged::new(live, &a.calls, &a.call_index);
    let (lo, hi) = paging::window(list.len(), |i| list.at(i).start_time, from, until);
    let ends_filtered = efrom.is_some() || euntil.is_some();
    let sel = paging::select(
        lo,
        hi,
        |i| {
            let c = list.at(i);
            phone_matches(to, c.to)
                && phone_matches(sender, c.from)
                && status.is_none_or(|s| s == c.status.as_str())
                && parent.is_none_or(|p| c.parent_call.is_some_and(|x| x.to_string() == p))
                && (!ends_filtered || c.end_time.is_some_and(|e| in_window(e, efrom, euntil)))
        },
        &params,
        |k| list.position(k),
    )?;
    let filters = q.echo(
        &[
            "To",
            "From",
            "ParentCallSid",
            "Status",
            "StartTime",
            "StartTime<",
            "StartTime>",
            "EndTime",
            "EndTime<",
            "EndTime>",
        ],
        |_, _| None,
    );
    let links = links_for(path, &filters, &params, &sel, |i| list.at(i).sid);
    Ok(fast_page("calls", &links, &sel, 1600, |out, i| {
        crate::fast::call(out, list.at(i), a)
    }))
}

fn links_for(
    path: &str,
    filters: &str,
    params: &PageParams,
    sel: &Selection,
    sid_at: impl Fn(usize) -> Sid,
) -> paging::Links {
    let first = sel.indices.first().map(|&i| sid_at(i).to_string());
    let last = sel.indices.last().map(|&i| sid_at(i).to_string());
    paging::links(
        path,
        filters,
        params,
        sel.indices.len(),
        sel.has_next,
        first.as_deref(),
        last.as_deref(),
    )
}

/// One page of `listing` in the 2010 envelope.
fn simple_list<T, R: Serialize>(
    ctx: &Ctx<'_>,
    path: &str,
    listing: paging::Listing<'_, T, R>,
) -> Result<Vec<u8>, ApiError> {
    let (params, sel) = listing.select(&ctx.query)?;
    let list = listing.list;
    let links = links_for(path, listing.filters, &params, &sel, |i| {
        (listing.sid_of)(&list[i])
    });
    page_of(
        listing.key,
        Items {
            items: list,
            indices: &sel.indices,
            render: listing.render,
        },
        &links,
    )
}

/// The accounts the credentials may read that exist, main account first, with their live
/// statuses and names; `Status` and `FriendlyName` filter on those.
fn accounts_list(ctx: &Ctx<'_>) -> Result<Vec<u8>, ApiError> {
    let data = ctx.data();
    let q = &ctx.query;
    let name = q.get("FriendlyName");
    let status = q.get("Status");
    let states = ctx.accounts;
    let visible: Vec<usize> = (0..data.accounts.len())
        .filter(|&i| auth::may_access(data, ctx.principal, i))
        .filter(|&i| states.state(i).twilio_status().is_some())
        .collect();
    let params = paging::page_params(q)?;
    let sel = paging::select(
        0,
        visible.len(),
        |i| {
            let at = visible[i];
            name.is_none_or(|n| states.name(at) == n)
                && status.is_none_or(|s| states.state(at).twilio_status() == Some(s))
        },
        &params,
        |k| visible.iter().position(|&i| data.accounts[i].sid == k),
    )?;
    let filters = q.echo(&["FriendlyName", "Status"], |_, _| None);
    let sid_at = |i: usize| data.accounts[visible[i]].sid.clone();
    let first = sel.indices.first().map(|&i| sid_at(i));
    let last = sel.indices.last().map(|&i| sid_at(i));
    let links = paging::links(
        ctx.path,
        &filters,
        &params,
        sel.indices.len(),
        sel.has_next,
        first.as_deref(),
        last.as_deref(),
    );
    let render = |&i: &usize| {
        let state = states.state(i).twilio_status().unwrap_or("active");
        render::account(&data.accounts[i], state, states.name(i))
    };
    page_of(
        "accounts",
        Items {
            items: &visible,
            indices: &sel.indices,
            render: &render,
        },
        &links,
    )
}

struct UsageEntry {
    cat: usize,
    start: i64,
    end: i64,
    value: UsageValue,
}

fn usage_token(e: &UsageEntry) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{}:{}:{}", e.start, e.end, e.cat))
}

fn usage(
    ctx: &Ctx<'_>,
    a: &AccountData,
    resource: &str,
    faults: &Faults,
) -> Result<Vec<u8>, ApiError> {
    let q = &ctx.query;
    let data = ctx.data();
    let today = data.today();
    let first = data.first_day;
    let day_param = |name: &str| -> Result<Option<i64>, ApiError> {
        match q.get(name) {
            None => Ok(None),
            Some(v) => parse_usage_day(v, today).map(Some).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "Invalid value '{v}' for {name}: use YYYY-MM-DD or an offset such as -30days"
                ))
            }),
        }
    };
    let start = day_param("StartDate")?.unwrap_or(first);
    let end = day_param("EndDate")?.unwrap_or(today);
    if resource == "Daily" {
        let hit = faults.usage_daily_404.iter().any(|r| {
            let rs = crate::time::days_from_civil(
                i64::from(r.start.year()),
                r.start.month() as u32,
                r.start.day() as u32,
            );
            let re = crate::time::days_from_civil(
                i64::from(r.end.year()),
                r.end.month() as u32,
                r.end.day() as u32,
            );
            rs <= end && start <= re
        });
        if hit {
            return Err(ApiError::new(
                404,
                20404,
                "The requested resource was not found",
            ));
        }
    }
    let ms = crate::generate::month_start;
    let periods: Vec<(i64, i64)> = match resource {
        "" => vec![(start, end)],
        "Daily" => {
            let (s, e) = (start.max(first), end.min(today));
            (s..=e).rev().map(|d| (d, d)).collect()
        }
        "Monthly" => {
            if start <= end {
                crate::usage::months(start.max(first), end.min(today))
            } else {
                vec![]
            }
        }
        "Yearly" => {
            if start <= end {
                crate::usage::years(start.max(first), end.min(today))
            } else {
                vec![]
            }
        }
        "AllTime" => vec![(first, today)],
        "Today" => vec![(today, today)],
        "Yesterday" => vec![(today - 1, today - 1)],
        "ThisMonth" => vec![(ms(today), today)],
        _ => {
            let this = ms(today);
            vec![(ms(this - 1), this - 1)]
        }
    };
    let category = q.get("Category");
    // Twilio's default is `IncludeSubaccounts=true`.
    let own_only = q
        .get("IncludeSubaccounts")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"));
    let days = if own_only {
        &a.usage_days
    } else {
        &a.usage_days_total
    };
    let mut entries = Vec::new();
    for (s, e) in periods {
        if s > e {
            continue;
        }
        let sums = crate::usage::sum(days, s, e);
        for (ci, cat) in CATEGORIES.iter().enumerate() {
            if category.is_some_and(|c| c != cat.name) {
                continue;
            }
            entries.push(UsageEntry {
                cat: ci,
                start: s,
                end: e,
                value: sums[ci],
            });
        }
    }
    let params = paging::page_params(q)?;
    let sel = paging::select(
        0,
        entries.len(),
        |_| true,
        &params,
        |k| entries.iter().position(|e| usage_token(e) == k),
    )?;
    let filters = q.echo(
        &["Category", "StartDate", "EndDate", "IncludeSubaccounts"],
        |_, _| None,
    );
    let first_key = sel.indices.first().map(|&i| usage_token(&entries[i]));
    let last_key = sel.indices.last().map(|&i| usage_token(&entries[i]));
    let links = paging::links(
        ctx.path,
        &filters,
        &params,
        sel.indices.len(),
        sel.has_next,
        first_key.as_deref(),
        last_key.as_deref(),
    );
    let sub = if resource.is_empty() {
        String::new()
    } else {
        format!("/{resource}")
    };
    let now = data.now_ms;
    page_of(
        "usage_records",
        Items {
            items: &entries,
            indices: &sel.indices,
            render: &|e: &UsageEntry| {
                render::usage_record(a, now, &CATEGORIES[e.cat], &e.value, e.start, e.end, &sub)
            },
        },
        &links,
    )
}
