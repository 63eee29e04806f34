//! Twilio paging: `PageSize` (default 50, at most 1000), `Page` (client state), `PageToken`
//! (`PA<key>` = the page after the record with that key, `PB<key>` = the page before it), and
//! the two envelopes that carry the links.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use url::form_urlencoded;

use super::error::ApiError;
use super::query::Query;

pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// A response body as JSON; a failure to render is a 500 naming why.
pub fn json<T: Serialize>(v: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(v).map_err(|e| ApiError::new(500, 20500, format!("could not render: {e}")))
}

/// A newest-first list small enough that a page token is found by a linear scan, and how its
/// records are keyed, dated, filtered and rendered.
pub struct Listing<'a, T, R> {
    /// The envelope key of the records (`"recordings"`, `"alerts"`).
    pub key: &'a str,
    pub list: &'a [T],
    pub sid_of: &'a dyn Fn(&T) -> crate::sid::Sid,
    pub time_of: &'a dyn Fn(&T) -> i64,
    /// Only records whose `time_of` falls inside are listed.
    pub window: (Option<i64>, Option<i64>),
    pub matches: &'a dyn Fn(&T) -> bool,
    /// The echoed filters, already encoded, for the page links.
    pub filters: &'a str,
    pub render: &'a dyn Fn(&T) -> R,
}

impl<T, R> Listing<'_, T, R> {
    /// The request's paging parameters and the page of records they select.
    pub fn select(&self, q: &Query) -> Result<(PageParams, Selection), ApiError> {
        let list = self.list;
        let params = page_params(q)?;
        let (lo, hi) = window(
            list.len(),
            |i| (self.time_of)(&list[i]),
            self.window.0,
            self.window.1,
        );
        let sel = select(
            lo,
            hi,
            |i| (self.matches)(&list[i]),
            &params,
            |k| {
                crate::sid::Sid::parse(k)
                    .and_then(|s| list.iter().position(|x| (self.sid_of)(x) == s))
            },
        )?;
        Ok((params, sel))
    }
}
pub const MAX_PAGE_SIZE: u32 = 1000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    After(String),
    Before(String),
}

#[derive(Clone, Debug)]
pub struct PageParams {
    pub page: u32,
    pub page_size: u32,
    pub token: Option<Token>,
    /// The token exactly as received, echoed in `uri`.
    pub raw_token: Option<String>,
}

/// Reads `PageSize`, `Page` and `PageToken`. `PageSize` above 1000 is clamped to 1000 (the
/// spec's maximum); zero, negative or non-numeric is 400 / 20001. `Page` above 0 without a
/// token is 400 / 20001, as Twilio answers it; a token not of the `PA`/`PB` form is 400 / 21481.
pub fn page_params(q: &Query) -> Result<PageParams, ApiError> {
    let page_size = match q.get("PageSize") {
        None => DEFAULT_PAGE_SIZE,
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if n >= 1 => n.min(u64::from(MAX_PAGE_SIZE)) as u32,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "Invalid PageSize '{v}': use a whole number from 1 to 1000"
                )));
            }
        },
    };
    let page = match q.get("Page") {
        None => 0,
        Some(v) => v.trim().parse::<u32>().map_err(|_| {
            ApiError::bad_request(format!("Invalid Page '{v}': use a whole number from 0"))
        })?,
    };
    let raw_token = q.get("PageToken").map(str::to_string);
    let token = match raw_token.as_deref() {
        None | Some("") => None,
        Some(t) => {
            let key = t.get(2..).filter(|k| !k.is_empty());
            match (t.get(..2), key) {
                (Some("PA"), Some(k)) => Some(Token::After(k.to_string())),
                (Some("PB"), Some(k)) => Some(Token::Before(k.to_string())),
                _ => return Err(ApiError::bad_token()),
            }
        }
    };
    if page > 0 && token.is_none() {
        return Err(ApiError::bad_request("PageToken is required for paging."));
    }
    Ok(PageParams {
        page,
        page_size,
        token,
        raw_token: raw_token.filter(|t| !t.is_empty()),
    })
}

/// The records of one page: indexes into the full list, in list order.
pub struct Selection {
    pub indices: Vec<usize>,
    pub has_next: bool,
}

/// Picks the page from the list positions `lo..hi` (already narrowed by binary search on the
/// date window) whose records satisfy `matches`. `position` finds a token's record in the full
/// list. Cost: O(page size) plus the records skipped by `matches`.
pub fn select(
    lo: usize,
    hi: usize,
    matches: impl Fn(usize) -> bool,
    params: &PageParams,
    position: impl Fn(&str) -> Option<usize>,
) -> Result<Selection, ApiError> {
    let n = params.page_size as usize;
    let forward = |start: usize| {
        let mut out = Vec::with_capacity(n.min(hi.saturating_sub(start)));
        let mut i = start;
        while i < hi && out.len() < n {
            if matches(i) {
                out.push(i);
            }
            i += 1;
        }
        let has_next = (i..hi).any(&matches);
        Selection {
            indices: out,
            has_next,
        }
    };
    match &params.token {
        None => Ok(forward(lo)),
        Some(Token::After(key)) => {
            let pos = position(key).ok_or_else(ApiError::bad_token)?;
            Ok(forward((pos + 1).max(lo)))
        }
        Some(Token::Before(key)) => {
            let pos = position(key).ok_or_else(ApiError::bad_token)?;
            let end = pos.min(hi);
            let mut out = Vec::with_capacity(n);
            let mut i = end;
            while i > lo && out.len() < n {
                i -= 1;
                if matches(i) {
                    out.push(i);
                }
            }
            out.reverse();
            let has_next = (end..hi).any(&matches);
            Ok(Selection {
                indices: out,
                has_next,
            })
        }
    }
}

fn encode(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// `{path}?{filters}&PageSize=n&Page=p[&PageToken=t]`
pub fn link(path: &str, filters: &str, size: u32, page: u32, token: Option<&str>) -> String {
    let mut s = String::with_capacity(path.len() + filters.len() + 64);
    s.push_str(path);
    s.push('?');
    if !filters.is_empty() {
        s.push_str(filters);
        s.push('&');
    }
    s.push_str(&format!("PageSize={size}&Page={page}"));
    if let Some(t) = token {
        s.push_str("&PageToken=");
        s.push_str(&encode(t));
    }
    s
}

/// The links of one page. `prefix` is empty for the 2010 API (relative URIs) and
/// `https://{host}` for product APIs (absolute URLs).
pub struct Links {
    pub first: String,
    pub current: String,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub page: u32,
    pub page_size: u32,
    pub start: usize,
    pub end: usize,
}

pub fn links(
    prefix_and_path: &str,
    filters: &str,
    params: &PageParams,
    count: usize,
    has_next: bool,
    first_key: Option<&str>,
    last_key: Option<&str>,
) -> Links {
    let (size, page) = (params.page_size, params.page);
    let next = match (has_next, last_key) {
        (true, Some(k)) => Some(link(
            prefix_and_path,
            filters,
            size,
            page.saturating_add(1),
            Some(&format!("PA{k}")),
        )),
        _ => None,
    };
    let previous = match (page, first_key) {
        (0, _) | (_, None) => None,
        (p, Some(k)) => Some(link(
            prefix_and_path,
            filters,
            size,
            p - 1,
            Some(&format!("PB{k}")),
        )),
    };
    let start = if count == 0 {
        0
    } else {
        page as usize * size as usize
    };
    Links {
        first: link(prefix_and_path, filters, size, 0, None),
        current: link(
            prefix_and_path,
            filters,
            size,
            page,
            params.raw_token.as_deref(),
        ),
        next,
        previous,
        page,
        page_size: size,
        start,
        end: if count == 0 { 0 } else { start + count - 1 },
    }
}

/// The 2010 envelope: the list under `key` beside `*_uri` links, `page`, `page_size`, `start`, `end`.
pub struct Page2010<'a, I> {
    pub key: &'a str,
    pub items: I,
    pub links: &'a Links,
}

impl<I: Serialize> Serialize for Page2010<'_, I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let l = self.links;
        let mut map = s.serialize_map(Some(9))?;
        map.serialize_entry("end", &l.end)?;
        map.serialize_entry("first_page_uri", &l.first)?;
        map.serialize_entry("next_page_uri", &l.next)?;
        map.serialize_entry("page", &l.page)?;
        map.serialize_entry("page_size", &l.page_size)?;
        map.serialize_entry("previous_page_uri", &l.previous)?;
        map.serialize_entry(self.key, &self.items)?;
        map.serialize_entry("start", &l.start)?;
        map.serialize_entry("uri", &l.current)?;
        map.end()
    }
}

/// The product-API envelope: the list under `key` and a `meta` object with absolute URLs.
pub struct PageMeta<'a, I> {
    pub key: &'a str,
    pub items: I,
    pub links: &'a Links,
}

struct Meta<'a> {
    key: &'a str,
    l: &'a Links,
}

impl Serialize for Meta<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let l = self.l;
        let mut map = s.serialize_map(Some(7))?;
        map.serialize_entry("first_page_url", &l.first)?;
        map.serialize_entry("key", self.key)?;
        map.serialize_entry("next_page_url", &l.next)?;
        map.serialize_entry("page", &l.page)?;
        map.serialize_entry("page_size", &l.page_size)?;
        map.serialize_entry("previous_page_url", &l.previous)?;
        map.serialize_entry("url", &l.current)?;
        map.end()
    }
}

impl<I: Serialize> Serialize for PageMeta<'_, I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry(self.key, &self.items)?;
        map.serialize_entry(
            "meta",
            &Meta {
                key: self.key,
                l: self.links,
            },
        )?;
        map.end()
    }
}

/// Serializes the records at `indices` of `items` through `render`, as a JSON array.
pub struct Items<'a, T, F> {
    pub items: &'a [T],
    pub indices: &'a [usize],
    pub render: F,
}

impl<'a, T, R: Serialize, F: Fn(&'a T) -> R> Serialize for Items<'a, T, F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.indices.len()))?;
        for &i in self.indices {
            if let Some(item) = self.items.get(i) {
                seq.serialize_element(&(self.render)(item))?;
            }
        }
        seq.end()
    }
}

/// First index in a newest-first list whose key is `< bound` (i.e. the start of `key < bound`).
pub fn first_below(len: usize, key_at: impl Fn(usize) -> i64, bound: i64) -> usize {
    partition(len, |i| key_at(i) >= bound)
}

fn partition(len: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The positions `lo..hi` of a newest-first list whose keys fall in the window `[from, until)`.
pub fn window(
    len: usize,
    key_at: impl Fn(usize) -> i64,
    from: Option<i64>,
    until: Option<i64>,
) -> (usize, usize) {
    let lo = until.map_or(0, |u| first_below(len, &key_at, u));
    let hi = from.map_or(len, |f| first_below(len, &key_at, f));
    (lo, hi.max(lo))
}

/// The 2010 envelope written by hand around records written by `write_items` (comma-separated
/// JSON objects); byte-identical to serializing `Page2010`.
pub fn raw_2010(
    key: &str,
    links: &Links,
    capacity: usize,
    write_items: impl FnOnce(&mut Vec<u8>),
) -> Vec<u8> {
    fn put<T: Serialize>(out: &mut Vec<u8>, v: &T) {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, v);
    }
    let mut out = Vec::with_capacity(capacity + 1024);
    out.extend_from_slice(b"{\"end\":");
    put(&mut out, &links.end);
    out.extend_from_slice(b",\"first_page_uri\":");
    put(&mut out, &links.first);
    out.extend_from_slice(b",\"next_page_uri\":");
    put(&mut out, &links.next);
    out.extend_from_slice(b",\"page\":");
    put(&mut out, &links.page);
    out.extend_from_slice(b",\"page_size\":");
    put(&mut out, &links.page_size);
    out.extend_from_slice(b",\"previous_page_uri\":");
    put(&mut out, &links.previous);
    out.push(b',');
    put(&mut out, &key);
    out.extend_from_slice(b":[");
    write_items(&mut out);
    out.extend_from_slice(b"],\"start\":");
    put(&mut out, &links.start);
    out.extend_from_slice(b",\"uri\":");
    put(&mut out, &links.current);
    out.push(b'}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_envelope_matches_the_serde_envelope() {
        let q = Query::parse(Some("To=%2B1&PageSize=2&Page=1&PageToken=PASMx"));
        let params = page_params(&q).unwrap();
        for (next, first) in [(true, Some("SMa")), (false, None)] {
            let links = links(
                "/2010-04-01/Accounts/AC1/Messages.json",
                "To=%2B1",
                &params,
                2,
                next,
                first,
                Some("SMb"),
            );
            let items = vec![serde_json::json!({"a": 1}), serde_json::json!({"b": "x"})];
            let expected = serde_json::to_vec(&Page2010 {
                key: "messages",
                items: &items,
                links: &links,
            })
            .unwrap();
            let raw = raw_2010("messages", &links, 0, |out| {
                for (i, it) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    serde_json::to_writer(&mut *out, it).unwrap();
                }
            });
            assert_eq!(
                String::from_utf8(raw).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
    }
}
