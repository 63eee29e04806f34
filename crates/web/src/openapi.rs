//! The OpenAPI 3.1 document of `/api/v1`, written by hand next to the handlers it describes.
//!
//! Every operation names its success schema and every error status it can answer, so a
//! client (and Schemathesis in CI) can check each response against it. Request schemas say
//! what can be checked by shape; what needs the store or Twilio (a connection that exists, a
//! path Twilio serves, an expression that parses) answers 422 with the field at fault.

use serde_json::{Value, json};

/// Which error statuses an operation can answer, besides 401 and 403 (every operation).
#[derive(Clone, Copy)]
enum Errors {
    /// No path id, no body: only the caller can be wrong.
    Caller,
    /// Query parameters that can be malformed (422), no id.
    Query,
    /// A path id (400 when it is not a number, 404 when nothing has it).
    Id,
    /// A path id and query parameters.
    IdQuery,
    /// A path id, no body, and an action the thing's state may refuse (422: nothing to undo).
    IdRefusable,
    IdConflict,
    /// A path id, no body, an action that needs the thing's secret (409 when it cannot be
    /// opened) and that Twilio may refuse to answer (422).
    IdRemote,
    /// A JSON body (400 malformed, 415 without `Content-Type: application/json`, 422 invalid).
    Body,
    /// A JSON body that may name something taken (409).
    BodyConflict,
    /// A path id or slug and a JSON body.
    IdBody,
    /// A path id and a JSON body that may name something taken.
    IdBodyConflict,
    /// A JSON body with a password the sign-in limits count (429 after too many wrong ones).
    BodyThrottled,
}

fn error_ref() -> Value {
    json!({ "$ref": "#/components/responses/Error" })
}

fn op(
    summary: &str,
    role: &str,
    ok: (&str, &str),
    body: Option<&str>,
    params: &[&str],
    errors: Errors,
) -> Value {
    let (status, schema) = ok;
    let mut responses = serde_json::Map::new();
    responses.insert(
        status.to_owned(),
        json!({
            "description": "Success",
            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
        }),
    );
    // 503: heavy work (previews, drawing boards, hashing passwords) is refused when as much is
    // already waiting (`crate::heavy`), with Retry-After.
    let mut codes = vec!["401", "403", "503"];
    match errors {
        Errors::Caller => {}
        Errors::Query => codes.extend(["400", "422"]),
        Errors::Id => codes.extend(["400", "404"]),
        Errors::IdQuery | Errors::IdRefusable => codes.extend(["400", "404", "422"]),
        Errors::IdConflict => codes.extend(["400", "404", "409"]),
        Errors::IdRemote => codes.extend(["400", "404", "409", "422"]),
        Errors::Body => codes.extend(["400", "415", "422"]),
        Errors::BodyConflict => codes.extend(["400", "409", "415", "422"]),
        Errors::IdBody => codes.extend(["400", "404", "415", "422"]),
        Errors::IdBodyConflict => codes.extend(["400", "404", "409", "415", "422"]),
        Errors::BodyThrottled => codes.extend(["400", "415", "422", "429"]),
    }
    for code in codes {
        responses.insert(code.to_owned(), error_ref());
    }
    let mut o = json!({
        "summary": summary,
        "description": format!("Needs the {role} role."),
        "responses": responses,
    });
    if let Some(schema) = body {
        o["requestBody"] = json!({
            "required": true,
            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
        });
    }
    let list: Vec<Value> = params.iter().map(|p| parameter(p)).collect();
    if !list.is_empty() {
        o["parameters"] = Value::Array(list);
    }
    o
}

fn parameter(name: &str) -> Value {
    let (place, required, schema) = match name {
        "id" | "bid" => (
            "path",
            true,
            json!({"type": "integer", "format": "int64", "minimum": 1}),
        ),
        "slug" => ("path", true, json!({"type": "string", "minLength": 1})),
        "from" | "to" => (
            "query",
            false,
            json!({"type": "string", "description": "YYYY-MM-DD (UTC midnight) or RFC 3339"}),
        ),
        "interval" => (
            "query",
            false,
            json!({"$ref": "#/components/schemas/Interval"}),
        ),
        "tz" => (
            "query",
            false,
            json!({"type": "string", "description": "an IANA time zone; UTC when absent"}),
        ),
        "compare" => (
            "query",
            false,
            json!({"enum": ["previous_period", "same_period_last_year"]}),
        ),
        "category" => ("query", false, {
            // Empty means every category, as the library page sends it.
            let mut names = vec![""];
            names.extend(library::Category::ALL.iter().map(|c| c.label()));
            json!({ "enum": names })
        }),
        _ => ("query", false, json!({"type": "string"})),
    };
    json!({"name": name, "in": place, "required": required, "schema": schema})
}

fn nullable(kind: &str) -> Value {
    json!({ "type": [kind, "null"] })
}

/// An Account SID as Twilio writes it (the case of its hexadecimal digits is not checked).
fn account_sid() -> Value {
    json!({ "type": "string", "pattern": "^AC[0-9a-fA-F]{32}$" })
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn list_of(key: &str, item: &str) -> Value {
    json!({
        "type": "object", "required": [key],
        "properties": { key: { "type": "array", "items": schema_ref(item) } }
    })
}

fn one(key: &str, item: &str) -> Value {
    json!({ "type": "object", "required": [key], "properties": { key: schema_ref(item) } })
}

fn schemas() -> Value {
    let int = json!({"type": "integer"});
    let text = json!({"type": "string"});
    // The rule of `accounts::check_password`: the pattern asks for one character that is not
    // whitespace.
    let password = json!({
        "type": "string", "minLength": crate::accounts::MIN_PASSWORD_LEN, "pattern": "\\S", "writeOnly": true,
        "description": format!("At least {} characters, not all whitespace.", crate::accounts::MIN_PASSWORD_LEN)
    });
    json!({
        "Error": {
            "type": "object", "required": ["error"],
            "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": {
                "code": text, "message": text, "field": text } } }
        },
        "Interval": { "enum": ["hour", "day", "week", "month", "quarter", "year"] },
        "Aggregation": { "enum": ["sum", "average", "min", "max", "latest", "count"] },
        "Verdict": { "enum": ["good", "bad", "unchanged", "unknown"] },
        "User": {
            "type": "object", "required": ["id", "name", "role", "disabled", "created_ms"],
            "properties": {
                "id": int, "name": text, "role": { "enum": ["admin", "editor", "viewer"] },
                "disabled": { "type": "boolean", "description": "A disabled person cannot sign in and their API tokens are refused." },
                "created_ms": int
            }
        },
        "Connection": {
            "type": "object", "required": ["id", "label", "account_sid", "api_key_sid", "created_ms", "secret"],
            "properties": {
                "id": int, "label": text,
                "account_sid": { "type": "string", "pattern": "^AC[0-9a-f]{32}$" },
                "api_key_sid": { "type": "string", "pattern": "^SK[0-9a-f]{32}$" },
                "created_ms": int,
                "secret": { "type": "string", "enum": ["available", "unavailable"], "description": "Whether the stored API Key Secret can be opened. `unavailable`: the server runs without the master key that sealed it, or it was forgotten by `switchboard key reset --forget-secrets`; re-enter it with `switchboard connection update LABEL --secret-stdin`." }
            },
            "additionalProperties": false
        },
        "ConnectionCheck": {
            "type": "object", "required": ["result"],
            "description": "What Twilio said of the credentials.",
            "properties": { "result": { "enum": ["connected", "refused", "unreachable"] } }
        },
        "ConnectionCreated": {
            "type": "object", "required": ["connection", "check", "accounts", "message"],
            "properties": { "connection": schema_ref("Connection"), "check": schema_ref("ConnectionCheck"), "accounts": schema_ref("AccountsFound"), "message": text }
        },
        "AccountsFound": {
            "type": "object", "required": ["outcome", "message"],
            "description": "What listing the accounts found. `not_listable`: the key may not list accounts (a Standard key), only its own account is kept; `failed`: the listing failed and the connection is kept as it was.",
            "properties": {
                "outcome": { "enum": ["listed", "not_listable", "failed"] },
                "accounts": int, "subaccounts": int, "reason": text, "message": text
            }
        },
        "TwilioAccount": {
            "type": "object",
            "required": ["sid", "friendly_name", "status", "is_parent", "requested", "access_problem", "note", "first_seen_ms", "last_seen_ms", "status_changed_ms"],
            "properties": {
                "sid": { "type": "string", "pattern": "^AC[0-9a-f]{32}$" },
                "friendly_name": text,
                "status": { "enum": ["active", "suspended", "closed", "gone"], "description": "`gone`: Twilio no longer lists it (closed accounts are deleted 30 days after closing); its history stays." },
                "is_parent": { "type": "boolean", "description": "The connection's own account; the others are its subaccounts." },
                "requested": { "type": "boolean", "description": "Whether syncs request it: active and readable." },
                "access_problem": nullable("string"),
                "note": nullable("string"),
                "first_seen_ms": int, "last_seen_ms": int, "status_changed_ms": int
            }
        },
        "AuthTokenIn": {
            "type": "object", "required": ["auth_token"],
            "properties": { "auth_token": { "type": "string", "writeOnly": true, "description": "The account's primary Auth Token: 32 characters, 0-9 and a-f. Never returned." } }
        },
        "Realtime": {
            "type": "object",
            "required": ["connection", "hook", "has_auth_token", "auth_token_set_ms", "callback_urls", "recent_events"],
            "properties": {
                "connection": int,
                "hook": { "type": "boolean", "description": "Whether the connection has callback URLs (made when an Auth Token is first saved)." },
                "has_auth_token": { "type": "boolean", "description": "Whether an Auth Token is stored; without one every callback is refused." },
                "auth_token_set_ms": nullable("integer"),
                "callback_urls": { "type": "array", "items": {
                    "type": "object", "required": ["kind", "label", "url"],
                    "properties": { "kind": { "enum": ["messages", "calls", "events"] }, "label": text, "url": text }
                } },
                "recent_events": { "type": "array", "items": {
                    "type": "object", "required": ["kind", "sid", "status", "source", "outcome", "received_ms"],
                    "properties": {
                        "kind": text, "sid": text, "status": text,
                        "source": { "type": "string", "description": "`callback` or `event_stream`" },
                        "outcome": { "type": "string", "description": "`applied`, `duplicate` or `stale`" },
                        "received_ms": int
                    }
                } }
            }
        },
        "TwilioAccounts": list_of("accounts", "TwilioAccount"),
        "AccountsDiscovered": {
            "type": "object", "required": ["discovery", "joined", "status_changed", "renamed", "accounts"],
            "properties": {
                "discovery": schema_ref("AccountsFound"),
                "joined": { "type": "array", "items": text },
                "status_changed": { "type": "array", "items": { "type": "object", "required": ["sid", "status"], "properties": { "sid": text, "status": text } } },
                "renamed": { "type": "array", "items": text },
                "accounts": { "type": "array", "items": schema_ref("TwilioAccount") }
            }
        },
        "ConnectionTested": {
            "type": "object", "required": ["check", "message"],
            "properties": { "check": schema_ref("ConnectionCheck"), "message": text }
        },
        "ConnectionDeleted": {
            "type": "object", "required": ["deleted", "metrics_stopped"],
            "properties": { "deleted": int, "metrics_stopped": { "type": "array", "items": text } }
        },
        "Connections": list_of("connections", "Connection"),
        "Definition": {
            "type": "object",
            "description": "A metric definition, as exported by `switchboard metric export`.",
            "required": ["version", "connection", "request", "extraction", "description"],
            "properties": {
                "version": { "const": metric::definition::DEFINITION_VERSION },
                "connection": { "type": "string", "minLength": 1 },
                "accounts": schema_ref("AccountScope"),
                "request": {
                    "type": "object", "required": ["host", "path"],
                    "properties": {
                        "host": text, "path": text,
                        "params": { "type": "array", "items": { "type": "object", "required": ["key", "value"], "properties": { "key": text, "value": text } } },
                        "headers": { "type": "array", "items": { "type": "object", "required": ["name", "value"], "properties": { "name": text, "value": text } } },
                        "pagination": { "enum": ["none", "next_page"] }
                    }
                },
                "extraction": { "type": "object", "properties": { "picks": { "type": ["object", "null"] }, "expression": nullable("string") } },
                "description": {
                    "type": "object", "required": ["name", "aggregation", "favourable", "format", "interval"],
                    "properties": {
                        "name": { "type": "string", "minLength": 1 }, "summary": nullable("string"),
                        "aggregation": schema_ref("Aggregation"),
                        "favourable": { "enum": ["up", "down"] },
                        "format": { "type": "object", "required": ["unit"], "properties": {
                            "unit": { "enum": ["count", "currency", "seconds", "percent"] },
                            "currency": nullable("string"), "decimals": { "type": ["integer", "null"], "minimum": 0, "maximum": 255 } } },
                        "interval": schema_ref("Interval")
                    }
                }
            }
        },
        "Metric": {
            "type": "object", "required": ["id", "name", "connection_id", "version", "used_by", "definition", "sync_interval", "sync_interval_seconds", "sync_interval_default", "sync_interval_text"],
            "properties": {
                "id": int, "name": text, "connection_id": nullable("integer"), "version": int,
                "used_by": { "type": "array", "items": text },
                "definition": { "type": ["object", "null"] },
                "sync_interval": { "type": "string", "description": "How often it syncs, in the notation PATCH takes: 15m, 1h, 2h30m, 1d.", "examples": ["1h"] },
                "sync_interval_seconds": { "type": "integer", "minimum": 300 },
                "sync_interval_default": { "type": "boolean", "description": "true when the metric has no interval of its own and syncs on the default, hourly" },
                "sync_interval_text": { "type": "string", "description": "In words: every 15 minutes", "examples": ["every hour"] }
            }
        },
        "MetricPatch": {
            "type": "object", "required": ["sync_interval"],
            "properties": { "sync_interval": {
                "description": "Days, hours and minutes largest first (15m, 1h, 2h30m, 1d), from 5m to 7d; or a whole number of minutes in seconds (900); or \"default\" or null for the default, hourly. The schedulers of every process read it at their next pass.",
                "type": ["string", "integer", "null"] } }
        },
        "SyncState": {
            "type": "object", "required": ["state", "reason", "last_sync_ms"],
            "properties": {
                "state": { "enum": ["never", "syncing", "fresh", "partial", "stale", "failed"] },
                "reason": nullable("string"), "last_sync_ms": nullable("integer")
            }
        },
        "Summary": {
            "type": "object", "required": ["id", "name", "value", "previous", "change_percent", "verdict", "daily", "sync"],
            "properties": {
                "id": int, "name": text, "summary": nullable("string"), "connection_id": nullable("integer"),
                "version": int, "aggregation": { "anyOf": [schema_ref("Aggregation"), { "type": "null" }] },
                "from_ms": int, "to_ms": int,
                "value": nullable("number"), "previous": nullable("number"), "change_percent": nullable("number"),
                "verdict": schema_ref("Verdict"),
                "daily": { "type": "array", "items": nullable("number") },
                "partial": { "type": "array", "description": "Per point of daily: whether its interval is not over or not wholly synced.", "items": { "type": "boolean" } },
                "has_data": { "type": "boolean", "description": "Whether any hour of the range has synced; without, value is null (no data), never zero." },
                "provisional": { "type": "boolean", "description": "Whether the value holds real-time values (status callbacks, Event Streams) that no poll has confirmed yet." },
                "sync": schema_ref("SyncState"),
                "definition_error": nullable("string"),
                "unit": { "enum": ["count", "currency", "seconds", "percent", null] },
                "decimals": nullable("integer"), "currency": nullable("string")
            }
        },
        "MetricWithSummary": {
            "type": "object", "required": ["metric", "summary"],
            "properties": { "metric": schema_ref("Metric"), "summary": schema_ref("Summary") }
        },
        "Metrics": list_of("metrics", "MetricWithSummary"),
        "MetricSaved": one("metric", "Metric"),
        "Deleted": { "type": "object", "required": ["deleted"], "properties": { "deleted": int } },
        "SyncQueued": {
            "type": "object", "required": ["queued", "job"],
            "properties": { "queued": { "const": true }, "job": int }
        },
        "Run": {
            "type": "object", "required": ["id", "from_ms", "to_ms", "status", "ledger", "error", "started_ms", "finished_ms"],
            "properties": {
                "id": int, "from_ms": int, "to_ms": int,
                "status": { "enum": ["running", "succeeded", "partial", "failed"] },
                "ledger": { "description": "The sync's own record: windows, requests, pages, retries, rows." },
                "error": nullable("string"), "started_ms": int, "finished_ms": nullable("integer")
            }
        },
        "Runs": list_of("runs", "Run"),
        "OutlierRow": {
            "type": "object", "required": ["rank", "account_sid", "account", "value", "value_text", "z", "z_text", "out_of_line", "side", "unfavourable", "volume"],
            "properties": {
                "rank": int, "account_sid": text, "account": { "type": "string", "description": "The friendly name, marked \"(closed)\" or \"(suspended)\" when not active" },
                "value": { "type": "number" }, "value_text": { "type": "string", "description": "value in the metric's unit" },
                "z": { "type": "number", "description": "robust z-score: 0.6745 · (value − median) / MAD (mean absolute deviation × 1.2533 when the MAD is 0)" },
                "z_text": text, "out_of_line": { "type": "boolean", "description": "|z| ≥ threshold" },
                "side": { "enum": ["above", "below", null] },
                "unfavourable": { "type": "boolean", "description": "off the median on the side the metric's favourable trend calls bad news" },
                "volume": { "type": "integer", "description": "rows the value rests on" }
            }
        },
        "AccountOutliers": {
            "type": "object", "required": ["range", "from_ms", "to_ms", "unit", "outliers"],
            "properties": {
                "range": text, "from_ms": int, "to_ms": int,
                "unit": { "enum": ["count", "currency", "seconds", "percent"] },
                "outliers": {
                    "type": "object", "required": ["metric_id", "metric", "has_data", "ranked", "not_ranked", "too_few", "min_volume", "threshold"],
                    "properties": {
                        "metric_id": int, "metric": text, "aggregation": schema_ref("Aggregation"),
                        "favourable": { "enum": ["up", "down"] },
                        "range_label": text,
                        "has_data": { "type": "boolean", "description": "false when no hour of the range has synced: nothing is judged" },
                        "ranked": { "type": ["object", "null"], "properties": {
                            "median": { "type": "number" }, "median_text": text,
                            "band": { "type": ["array", "null"], "description": "[lower, upper]: the values that score inside the threshold" },
                            "spread_text": text,
                            "rows": { "type": "array", "description": "Most out of line first", "items": schema_ref("OutlierRow") } } },
                        "not_ranked": { "type": ["string", "null"], "description": "Why there is no ranking, in words (fewer than 3 accounts with enough rows)" },
                        "too_few": { "type": "array", "description": "Accounts below min_volume rows: listed, never ranked", "items": { "type": "object", "properties": { "account_sid": text, "account": text, "value_text": text, "volume": int } } },
                        "min_volume": int, "threshold": { "type": "number" }
                    }
                }
            }
        },
        "MetricVersion": {
            "type": "object", "required": ["id", "data_version", "state", "last_sync_ms"],
            "properties": {
                "id": int,
                "data_version": { "type": "integer", "description": "Grows with every write to the metric's data." },
                "state": { "enum": ["syncing", "queued", "idle"] },
                "last_sync_ms": nullable("integer")
            }
        },
        "Versions": list_of("metrics", "MetricVersion"),
        "Preview": {
            "type": "object", "required": ["expression", "rows", "total_rows", "skipped", "bad", "pages", "ledger"],
            "properties": {
                "expression": text, "rows": { "type": "array" }, "total_rows": int,
                "skipped": int, "skipped_examples": { "type": "array" },
                "bad": int, "bad_examples": { "type": "array" },
                "pages": int, "ledger": { "type": "object" }
            }
        },
        "QueryResult": {
            "type": "object", "required": ["total", "series", "breakdown", "other"],
            "properties": {
                "total": nullable("number"),
                "series": { "type": "array", "items": { "type": "object", "required": ["start", "value"], "properties": { "start": text, "value": nullable("number") } } },
                "breakdown": { "type": "array", "items": { "type": "object", "required": ["dimension", "value"], "properties": { "dimension": nullable("string"), "value": nullable("number") } } },
                "other": nullable("number")
            }
        },
        "Data": {
            "type": "object", "required": ["metric", "name", "aggregation", "interval", "tz", "from", "to", "result"],
            "properties": {
                "metric": int, "name": text, "aggregation": schema_ref("Aggregation"),
                "interval": schema_ref("Interval"), "tz": text, "from": text, "to": text,
                "result": schema_ref("QueryResult"),
                "coverage": { "type": "array", "description": "Per point of result.series: full, partial (not over or not wholly synced) or no_data (nothing synced: no value, never a zero).", "items": { "enum": ["full", "partial", "no_data"] } },
                "previous": { "type": "object", "required": ["from", "to", "result"], "properties": { "from": text, "to": text, "result": schema_ref("QueryResult"), "coverage": { "type": "array", "items": { "enum": ["full", "partial", "no_data"] } } } },
                "change": {
                    "type": "object", "required": ["current", "previous", "absolute", "percent", "ratio", "verdict"],
                    "properties": {
                        "current": nullable("number"), "previous": nullable("number"), "absolute": nullable("number"),
                        "percent": nullable("number"), "ratio": nullable("number"), "verdict": schema_ref("Verdict")
                    }
                }
            }
        },
        "LibraryEntry": {
            "type": "object", "required": ["slug", "name", "summary", "category", "visualization", "source"],
            "properties": { "slug": text, "name": text, "summary": text, "category": text, "visualization": text, "source": text }
        },
        "Library": list_of("metrics", "LibraryEntry"),
        "Board": {
            "type": "object", "required": ["id", "name", "range", "compare", "zone", "created_ms", "updated_ms"],
            "properties": { "id": int, "name": text, "range": text, "compare": text, "zone": text, "created_ms": int, "updated_ms": int }
        },
        "Boards": list_of("boards", "Board"),
        "BoardOne": one("board", "Board"),
        "BoardIn": {
            "type": "object", "required": ["name"],
            "properties": { "name": { "type": "string", "minLength": 1, "maxLength": 200 } }
        },
        "BlockIn": {
            "type": "object", "required": ["kind"],
            "description": "The block editor's fields: `metrics` lists metric ids (at most 12; they must exist), every other field is text, a number or true/false as on the form (`range`, `compare`, `interval`, `dimension`, `by_dimension`, `top`, `cumulative`, `change`, `stacked`, `donut`, `table_rows`, `sort`, `goal`, `goal_id`, `text`, `band` (true draws a Line block's expected band and rings its unusual points), and for a Forecast block `forecast_period` (`week`, `month` or `quarter`) and `budget`, an amount above 0 checked against a spend metric's forecast). A Forecast block takes one metric. An Account outliers block (`outliers`) takes one multi-account metric, the board's range or its own, and `top`: how many accounts it lists, most out of line first.",
            "properties": {
                "kind": { "enum": ["number", "line", "bar", "table", "pie", "progress", "text", "forecast", "outliers"] },
                "title": { "type": "string", "maxLength": 200 },
                "metrics": { "type": "array", "items": int, "maxItems": 12 },
                "band": { "type": "boolean", "default": false, "description": "Line blocks: draw the first metric's expected band (sums, counts and averages) and ring its unusual points." },
                "accounts": { "enum": ["total", "by_account", null], "default": "total", "description": "A metric over several Twilio accounts: `total` adds the accounts together (null or left out: the same); `by_account` shows one series, row or slice per account, named by its friendly name (line, bar, table and pie blocks). Refused (422) for metrics that read one account." },
                "account_filter": { "type": "array", "items": account_sid(), "maxItems": metric::accounts::MAX_LISTED_ACCOUNTS, "description": "Only these accounts (Account SIDs) of a multi-account metric count; empty or left out: every account. A SID listed twice counts once." }
            },
            "additionalProperties": { "type": ["string", "number", "boolean", "null"] }
        },
        "BlockStored": {
            "type": "object", "required": ["id", "board", "kind", "title", "place", "settings"],
            "properties": {
                "id": int, "board": int, "kind": text, "title": text,
                "place": { "type": "object", "required": ["x", "y", "w", "h"], "properties": { "x": int, "y": int, "w": int, "h": int } },
                "settings": {
                    "type": "object",
                    "description": "The block's settings as the editor saved them; `accounts` and `account_filter` are left out when they are the default (every account, added together).",
                    "properties": {
                        "accounts": { "enum": ["by_account"] },
                        "account_filter": { "type": "array", "items": account_sid() }
                    }
                }
            }
        },
        "BlockOne": one("block", "BlockStored"),
        "PlaceOf": {
            "type": "object", "required": ["id", "x", "y", "w", "h"],
            "properties": { "id": int, "x": int, "y": int, "w": int, "h": int }
        },
        "LayoutIn": {
            "type": "object", "required": ["blocks"],
            "description": "Places proposed for some or all blocks of the board, in grid cells (12 columns, 1 to 8 rows tall).",
            "properties": { "blocks": { "type": "array", "items": schema_ref("PlaceOf") } }
        },
        "Layout": {
            "type": "object", "required": ["blocks", "undo"],
            "properties": { "blocks": { "type": "array", "items": schema_ref("PlaceOf") }, "undo": nullable("string") }
        },
        "Undone": {
            "type": "object", "required": ["undone", "blocks"],
            "properties": { "undone": { "enum": ["move", "edit", "delete", "add"] }, "blocks": { "type": "array", "items": schema_ref("PlaceOf") } }
        },
        "Span": { "type": "object", "required": ["from", "to"], "properties": { "from": text, "to": text } },
        "BlockMetric": {
            "type": "object",
            "required": ["id", "name", "current", "previous", "absolute", "percent", "ratio", "verdict", "sync", "reason", "series", "breakdown"],
            "properties": {
                "id": int, "name": text, "current": nullable("number"), "previous": nullable("number"),
                "absolute": nullable("number"), "percent": nullable("number"), "ratio": nullable("number"),
                "verdict": schema_ref("Verdict"), "sync": text, "reason": nullable("string"),
                "series": { "type": "array", "items": { "type": "object", "required": ["start", "value"], "properties": { "start": text, "value": nullable("number") } } },
                "breakdown": { "type": "array", "items": { "type": "object", "required": ["dimension", "value"], "properties": { "dimension": text, "value": nullable("number") } } }
            }
        },
        "Projection": {
            "type": "object", "required": ["so_far", "value", "lower", "upper"],
            "properties": { "so_far": { "type": "number" }, "value": { "type": "number" }, "lower": { "type": "number" }, "upper": { "type": "number" } }
        },
        "Forecast": {
            "type": "object",
            "description": "A Forecast block's period (in the board's zone) projected to its end from the metric's seasonal model. `so_far`: the sum of the period's known whole hours before the current one. `outlook.state` is `learning` (with `hours` of `needed` hours of history, no projection) or `ready` (`total` with its band and one running total per day: `actual` for a day that is over, `projected` for every day).",
            "required": ["metric_id", "period", "start_ms", "end_ms", "at_ms", "so_far", "outlook", "budget"],
            "properties": {
                "metric_id": int, "period": { "enum": ["week", "month", "quarter"] },
                "start_ms": int, "end_ms": int, "at_ms": int, "so_far": nullable("number"),
                "outlook": { "oneOf": [
                    { "type": "object", "required": ["state", "hours", "needed"], "properties": { "state": { "const": "learning" }, "hours": int, "needed": int } },
                    { "type": "object", "required": ["state", "total", "days"], "properties": {
                        "state": { "const": "ready" }, "total": schema_ref("Projection"),
                        "days": { "type": "array", "items": { "type": "object", "required": ["start_ms", "end_ms", "actual", "projected"], "properties": { "start_ms": int, "end_ms": int, "actual": nullable("number"), "projected": schema_ref("Projection") } } }
                    } }
                ] },
                "budget": { "oneOf": [{ "type": "null" }, { "type": "object", "required": ["budget", "reached_ms", "within_band", "trigger"], "properties": {
                    "budget": { "type": "number" }, "reached_ms": nullable("integer"), "within_band": { "type": "boolean" },
                    "trigger": { "type": "object", "description": "The Twilio Usage Trigger that fires at the budget (fields of Twilio's UsageTrigger resource) and the words to paste.", "required": ["usage_category", "usage_category_label", "trigger_by", "trigger_value", "recurring", "friendly_name", "words"], "properties": {
                        "usage_category": text, "usage_category_label": text, "trigger_by": text, "trigger_value": text, "recurring": nullable("string"), "friendly_name": text, "words": text } }
                } }] }
            }
        },
        "Block": {
            "type": "object", "required": ["id", "kind", "title", "place", "error", "range", "previous", "interval", "metrics", "forecast", "provisional"],
            "properties": {
                "provisional": { "type": "boolean", "description": "Whether the block's range shows real-time values no poll has confirmed yet (a metric's provisional hours)." },
                "id": int, "kind": { "enum": ["number", "line", "bar", "table", "pie", "progress", "text", "forecast", "outliers"] }, "title": text,
                "forecast": { "oneOf": [schema_ref("Forecast"), { "type": "null" }] },
                "outliers": { "description": "An Account outliers block: the same judgement as GET /api/v1/metrics/{id}/outliers's `outliers`", "type": "object" },
                "place": { "type": "object", "required": ["x", "y", "w", "h"], "properties": { "x": int, "y": int, "w": int, "h": int } },
                "error": nullable("string"),
                "range": { "oneOf": [schema_ref("Span"), { "type": "null" }] },
                "previous": { "oneOf": [schema_ref("Span"), { "type": "null" }] },
                "interval": { "oneOf": [schema_ref("Interval"), { "type": "null" }] },
                "metrics": { "type": "array", "items": schema_ref("BlockMetric") },
                "expected": { "oneOf": [schema_ref("BlockExpected"), { "type": "null" }], "description": "A Line block with `band` set: its first metric's expected band per point, or why it has none; null otherwise." }
            }
        },
        "BlockExpected": {
            "type": "object", "required": ["missing", "learning", "points"],
            "properties": {
                "missing": { "type": ["string", "null"], "description": "Why the block has no band (by dimension, running totals, an aggregation without one)." },
                "learning": { "type": ["string", "null"], "description": "\"learning: N of 21 days\" while the range's last day has too little history." },
                "points": { "type": "array", "items": { "type": "object", "required": ["start", "expected", "lower", "upper", "unusual"], "properties": {
                    "start": text, "expected": nullable("number"), "lower": nullable("number"), "upper": nullable("number"), "unusual": { "type": "boolean" }
                } } }
            }
        },
        "BoardComputed": {
            "type": "object", "required": ["board", "range", "compare", "blocks"],
            "properties": { "board": schema_ref("Board"), "range": text, "compare": text, "blocks": { "type": "array", "items": schema_ref("Block") } }
        },
        "Users": list_of("users", "User"),
        "UserCreated": one("user", "User"),
        "UserOne": one("user", "User"),
        "UserPatch": {
            "type": "object",
            "description": "The role is applied first, then disabled; a field that is absent or null is left as it is, and at least one must be given (422). The last enabled Admin is neither demoted nor disabled (409).",
            "anyOf": [{ "required": ["role"] }, { "required": ["disabled"] }],
            "properties": { "role": { "enum": ["admin", "editor", "viewer", null] }, "disabled": { "type": ["boolean", "null"] } }
        },
        "PasswordIn": {
            "type": "object", "required": ["password"],
            "properties": { "password": password.clone() }
        },
        "OwnPasswordIn": {
            "type": "object", "required": ["current_password", "new_password"],
            "properties": { "current_password": { "type": "string", "writeOnly": true }, "new_password": password.clone() }
        },
        "PasswordSet": {
            "type": "object", "required": ["user_id", "sessions_ended"],
            "properties": { "user_id": int, "sessions_ended": { "const": true } }
        },
        "Revoked": {
            "type": "object", "required": ["sessions", "tokens"],
            "properties": { "sessions": int, "tokens": int }
        },
        "Token": {
            "type": "object", "required": ["id", "user_id", "name", "created_ms"],
            "properties": { "id": int, "user_id": int, "name": text, "created_ms": int },
            "additionalProperties": false
        },
        "Tokens": list_of("tokens", "Token"),
        "TokenCreated": {
            "type": "object", "required": ["token", "info"],
            "properties": { "token": { "type": "string", "description": "Shown once: keep it." }, "info": schema_ref("Token") }
        },
        "ConnectionIn": {
            "type": "object", "required": ["label", "account_sid", "api_key_sid", "api_key_secret"],
            "properties": {
                "label": { "type": "string", "minLength": 1, "maxLength": 64 },
                "account_sid": { "type": "string", "pattern": "^AC[0-9a-fA-F]{32}$" },
                "api_key_sid": { "type": "string", "pattern": "^SK[0-9a-fA-F]{32}$" },
                "api_key_secret": { "type": "string", "minLength": 1, "writeOnly": true }
            }
        },
        "ConnectionPatch": { "type": "object", "required": ["label"], "properties": { "label": { "type": "string", "minLength": 1, "maxLength": 64 } } },
        "MetricIn": {
            "type": "object", "required": ["definition"],
            "properties": { "definition": schema_ref("Definition"), "on_metrics_screen": { "type": ["boolean", "null"], "description": "true when absent" } }
        },
        "PreviewIn": {
            "type": "object", "required": ["definition"],
            "properties": { "definition": schema_ref("Definition"), "hours": { "type": "integer", "minimum": 1, "maximum": 744 } }
        },
        "LibraryAddIn": { "type": "object", "required": ["connection"], "properties": { "connection": { "type": "string", "minLength": 1 }, "accounts": schema_ref("AccountScope") } },
        "AccountScope": {
            "description": "Which accounts a metric reads: `connection` (its own, the default), `active` (every active account the connection lists, at each sync), or `{\"list\": [Account SIDs]}`.",
            "oneOf": [
                { "type": "string", "enum": ["connection", "active"] },
                { "type": "object", "required": ["list"], "additionalProperties": false, "properties": { "list": { "type": "array", "minItems": 1, "maxItems": 1000, "items": { "type": "string", "pattern": "^AC[0-9a-f]{32}$" } } } }
            ]
        },
        "UserIn": {
            "type": "object", "required": ["name", "role", "password"],
            "properties": {
                "name": { "type": "string", "minLength": 1, "maxLength": 64 },
                "role": { "enum": ["admin", "editor", "viewer"] },
                "password": password
            }
        },
        "TokenIn": { "type": "object", "required": ["name"], "properties": { "name": { "type": "string", "minLength": 1, "maxLength": 100 } } },
        "CatalogEndpoint": {
            "type": "object", "required": ["host", "path", "summary", "product", "list_key", "params", "docs", "placeholders"],
            "properties": {
                "host": text, "path": text, "summary": text, "product": text, "list_key": nullable("string"),
                "params": { "type": "array", "items": { "type": "object", "required": ["name"], "properties": { "name": text, "description": text } } },
                "docs": text, "placeholders": { "type": "array", "items": text }
            }
        },
        "Catalog": list_of("endpoints", "CatalogEndpoint"),
        "BuilderRequest": {
            "type": "object", "required": ["host", "path"],
            "description": "The request part of a definition: only GET, only a Twilio product host.",
            "properties": {
                "host": text, "path": text,
                "params": { "type": "array", "items": { "type": "object", "required": ["key", "value"], "properties": { "key": text, "value": text } } },
                "headers": { "type": "array", "items": { "type": "object", "required": ["name", "value"], "properties": { "name": text, "value": text } } },
                "pagination": { "enum": ["none", "next_page"] }
            }
        },
        "BuilderFetchIn": {
            "type": "object", "required": ["connection", "request"],
            "properties": {
                "connection": { "type": "string", "minLength": 1 }, "method": text,
                "request": schema_ref("BuilderRequest"), "hours": { "type": "integer", "minimum": 1, "maximum": 2208 }
            }
        },
        "BuilderFetched": {
            "type": "object", "required": ["pages", "urls", "ledger", "docs"],
            "properties": { "pages": { "type": "array", "items": { "type": "object" } }, "urls": { "type": "array", "items": text }, "ledger": { "type": "object" }, "docs": nullable("string") }
        },
        "BuilderExpressionIn": { "type": "object", "required": ["picks"], "properties": { "picks": { "type": "object", "description": "records?, value {kind: count | field, path?}, dimension?, date {kind: field | sync_time, path?}, filters?" } } },
        "BuilderExpression": { "type": "object", "required": ["expression"], "properties": { "expression": text } },
        "BuilderPreviewIn": {
            "type": "object", "required": ["connection", "request", "expression"],
            "properties": {
                "connection": { "type": "string", "minLength": 1 }, "request": schema_ref("BuilderRequest"),
                "expression": { "type": "string", "minLength": 1 }, "hours": { "type": "integer", "minimum": 1, "maximum": 2208 }
            }
        },
        "BuilderPreview": {
            "type": "object",
            "required": ["expression", "rows", "total_rows", "total_value", "dimensions", "series", "skipped", "skipped_examples", "bad", "bad_examples", "pages", "ledger"],
            "properties": {
                "expression": text, "rows": { "type": "array" }, "total_rows": int, "total_value": { "type": "number" },
                "dimensions": { "type": "object", "additionalProperties": { "type": "number" } },
                "series": { "type": "array", "items": { "type": "object", "required": ["day", "value"], "properties": { "day": text, "value": { "type": "number" } } } },
                "skipped": int, "skipped_examples": { "type": "array", "items": text },
                "bad": int, "bad_examples": { "type": "array", "items": text },
                "pages": int, "ledger": { "type": "object" }
            }
        },
        "BuilderSaveIn": {
            "type": "object", "required": ["definition"],
            "properties": { "metric_id": { "type": ["integer", "null"], "format": "int64" }, "definition": schema_ref("Definition") }
        },
        "BuilderSaved": {
            "type": "object", "required": ["metric", "redirect"],
            "properties": {
                "metric": { "type": "object", "required": ["id", "name"], "properties": { "id": int, "name": text, "version": int } },
                "backfill_job": int, "recomputed": { "type": "boolean" }, "resync_job": nullable("integer"),
                "note": nullable("string"), "redirect": text
            }
        }
    })
}

/// The builder's save answers 201 when it creates a metric and 200 when it saves a new version.
fn created_or_ok(mut o: Value) -> Value {
    o["responses"]["201"] = o["responses"]["200"].clone();
    o
}

pub fn document() -> Value {
    use Errors::*;
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Switchboard API",
            "version": "1",
            "description": "Twilio connections, metrics, their data, databoards, the metric library, people and API tokens. Authenticate with `Authorization: Bearer <token>` (create one on the API tokens page or with `POST /api/v1/tokens`). Errors are `{error: {code, message, field?}}`."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/v1/me": { "get": op("The caller", "Viewer", ("200", "User"), None, &[], Caller) },
            "/api/v1/connections": {
                "get": op("Twilio connections (never their secrets)", "Editor", ("200", "Connections"), None, &[], Caller),
                "post": op("Check with Twilio and save a connection", "Admin", ("201", "ConnectionCreated"), Some("ConnectionIn"), &[], BodyConflict)
            },
            "/api/v1/connections/{id}": {
                "patch": op("Rename a connection", "Admin", ("200", "Connection"), Some("ConnectionPatch"), &["id"], IdBodyConflict),
                "delete": op("Remove a connection; its metrics stop syncing", "Admin", ("200", "ConnectionDeleted"), None, &["id"], Id)
            },
            "/api/v1/connections/{id}/accounts": { "get": op("The Twilio accounts a connection reaches, as last discovered: its own first, then by name", "Editor", ("200", "TwilioAccounts"), None, &["id"], Id) },
            "/api/v1/connections/{id}/accounts/discover": { "post": op("List a connection's accounts on Twilio now and record them; a key that may not list them (Standard) is told in `discovery`", "Editor", ("200", "AccountsDiscovered"), None, &["id"], IdRemote) },
            "/api/v1/connections/{id}/realtime": { "get": op("A connection's real-time settings: whether an Auth Token is stored (never the token), the callback URLs to paste into the Twilio Console (on the public URL when one is set, else this request's scheme and Host), the last 20 events received", "Editor", ("200", "Realtime"), None, &["id"], Id) },
            "/api/v1/connections/{id}/auth-token": {
                "put": op("Store or replace a connection's Auth Token (32 lowercase hexadecimal characters), which verifies Twilio's signed callbacks; Twilio must accept it with the connection's Account SID first (422 with the reason otherwise)", "Admin", ("200", "Realtime"), Some("AuthTokenIn"), &["id"], IdBodyConflict),
                "delete": op("Remove a connection's Auth Token: its callbacks are refused until one is set again", "Admin", ("200", "Realtime"), None, &["id"], IdConflict)
            },
            "/api/v1/connections/{id}/test": { "post": op("Check a saved connection with Twilio", "Admin", ("200", "ConnectionTested"), None, &["id"], Id) },
            "/api/v1/metrics": {
                "get": op("Metrics with their value over a named range (last_7_days unless range says otherwise) and sync state", "Viewer", ("200", "Metrics"), None, &["range"], Query),
                "post": op("Create a metric from a definition", "Editor", ("201", "MetricSaved"), Some("MetricIn"), &[], BodyConflict)
            },
            "/api/v1/metrics/{id}": {
                "get": op("One metric, its value over a named range (last_7_days unless range says otherwise)", "Viewer", ("200", "MetricWithSummary"), None, &["id", "range"], IdQuery),
                "put": op("Save a new version of a metric's definition", "Editor", ("200", "MetricSaved"), Some("MetricIn"), &["id"], IdBody),
                "patch": op("Change how often a metric syncs (its sync interval)", "Editor", ("200", "MetricSaved"), Some("MetricPatch"), &["id"], IdBody),
                "delete": op("Delete a metric and its history; refused (409) while a goal, alert or scorecard uses it", "Editor", ("200", "Deleted"), None, &["id"], IdConflict)
            },
            "/api/v1/metrics/versions": { "get": op("Each metric's data version and sync state, for pages that refresh themselves", "Viewer", ("200", "Versions"), None, &[], Caller) },
            "/api/v1/metrics/preview": { "post": op("Run a definition live without saving it: rows, skipped and bad rows, the fetch ledger", "Editor", ("200", "Preview"), Some("PreviewIn"), &[], Body) },
            "/api/v1/metrics/{id}/duplicate": { "post": op("Copy a metric under a free name \"NAME (copy)\"; the copy backfills on its own", "Editor", ("201", "MetricSaved"), None, &["id"], Id) },
            "/api/v1/metrics/{id}/sync": { "post": op("Queue a sync now", "Editor", ("202", "SyncQueued"), None, &["id"], Id) },
            "/api/v1/metrics/{id}/runs": { "get": op("Ledgers of the latest syncs", "Viewer", ("200", "Runs"), None, &["id"], Id) },
            "/api/v1/metrics/{id}/outliers": { "get": op("Which account of a multi-account metric is out of line over a named range (last_7_days unless range says otherwise): each account's value against the accounts' median by a robust z-score; a metric of one account is refused (422)", "Viewer", ("200", "AccountOutliers"), None, &["id", "range"], IdQuery) },
            "/api/v1/metrics/{id}/data": { "get": op("Values by interval and dimension", "Viewer", ("200", "Data"), None, &["id", "from", "to", "interval", "tz", "dimension", "compare"], IdQuery) },
            "/api/v1/boards": {
                "get": op("Databoards", "Viewer", ("200", "Boards"), None, &[], Caller),
                "post": op("Create a board over the last 30 days, compared with the period before, in UTC", "Editor", ("201", "BoardOne"), Some("BoardIn"), &[], Body)
            },
            "/api/v1/boards/{id}": {
                "get": op("A board with each block's numbers over the board's range, or the range and comparison given", "Viewer", ("200", "BoardComputed"), None, &["id", "range", "compare", "from", "to"], IdQuery),
                "put": op("Rename a board", "Editor", ("200", "BoardOne"), Some("BoardIn"), &["id"], IdBody),
                "delete": op("Delete a board with its blocks and share links", "Editor", ("200", "Deleted"), None, &["id"], Id)
            },
            "/api/v1/boards/{id}/blocks": { "post": op("Add a block in the first free spot of the grid", "Editor", ("201", "BlockOne"), Some("BlockIn"), &["id"], IdBody) },
            "/api/v1/boards/{id}/blocks/{bid}": {
                "put": op("Change a block's type, title and settings (it keeps its place)", "Editor", ("200", "BlockOne"), Some("BlockIn"), &["id", "bid"], IdBody),
                "delete": op("Delete a block", "Editor", ("200", "Deleted"), None, &["id", "bid"], Id)
            },
            "/api/v1/boards/{id}/blocks/{bid}/duplicate": { "post": op("Copy a block right under it; blocks below move down", "Editor", ("201", "BlockOne"), None, &["id", "bid"], Id) },
            "/api/v1/boards/{id}/layout": { "put": op("Move and resize blocks: the blocks named keep their new place, blocks they would overlap move down; answers every block's place as stored", "Editor", ("200", "Layout"), Some("LayoutIn"), &["id"], IdBody) },
            "/api/v1/boards/{id}/undo": { "post": op("Take back the last change to the board's blocks (a move, an edit, a delete, an add)", "Editor", ("200", "Undone"), None, &["id"], IdRefusable) },
            "/api/v1/library": { "get": op("The metric library", "Viewer", ("200", "Library"), None, &["q", "category"], Query) },
            "/api/v1/library/{slug}/add": { "post": op("Add a library metric for a connection", "Editor", ("201", "MetricSaved"), Some("LibraryAddIn"), &["slug"], IdBodyConflict) },
            "/api/v1/users": {
                "get": op("People", "Admin", ("200", "Users"), None, &[], Caller),
                "post": op("Add a person", "Admin", ("201", "UserCreated"), Some("UserIn"), &[], BodyConflict)
            },
            "/api/v1/users/{id}": {
                "patch": op("Change a person's role, or disable (ending their sessions, suspending their tokens) or enable them; never the last enabled Admin (409)", "Admin", ("200", "UserOne"), Some("UserPatch"), &["id"], IdBodyConflict),
                "delete": op("Delete a person with their sessions and API tokens; never the last enabled Admin (409)", "Admin", ("200", "Deleted"), None, &["id"], IdConflict)
            },
            "/api/v1/users/{id}/password": { "put": op("Set another person's password; their sessions end", "Admin", ("200", "PasswordSet"), Some("PasswordIn"), &["id"], IdBody) },
            "/api/v1/users/{id}/revoke": { "post": op("End every session and delete every API token of a person", "Admin", ("200", "Revoked"), None, &["id"], Id) },
            "/api/v1/me/password": { "put": op("Change your own password, giving the current one (counted by the sign-in limits); all your sessions end, your API tokens keep working", "Viewer", ("200", "PasswordSet"), Some("OwnPasswordIn"), &[], BodyThrottled) },
            "/api/v1/tokens": {
                "get": op("Your API tokens", "Viewer", ("200", "Tokens"), None, &[], Caller),
                "post": op("Create an API token (returned once)", "Viewer", ("201", "TokenCreated"), Some("TokenIn"), &[], Body)
            },
            "/api/v1/tokens/{id}": { "delete": op("Revoke one of your tokens", "Viewer", ("200", "Deleted"), None, &["id"], Id) },
            "/api/v1/catalog": { "get": op("Twilio GET endpoints matching the words of q (the builder's path suggestions), optionally on one host", "Editor", ("200", "Catalog"), None, &["q", "host"], Query) },
            "/api/v1/builder/fetch": { "post": op("Run a request live and return its first pages; a method other than GET, or a request leaving Twilio, is refused with the reason", "Editor", ("200", "BuilderFetched"), Some("BuilderFetchIn"), &[], Body) },
            "/api/v1/builder/expression": { "post": op("The builder's picks as a readable JSONata expression", "Editor", ("200", "BuilderExpression"), Some("BuilderExpressionIn"), &[], Body) },
            "/api/v1/builder/preview": { "post": op("Run an expression on live pages: rows, totals, a daily series, skipped and bad rows; a JSONata error carries its span (UTF-16 units)", "Editor", ("200", "BuilderPreview"), Some("BuilderPreviewIn"), &[], Body) },
            "/api/v1/builder/save": { "post": created_or_ok(op("Create a metric from the builder (201, its backfill queued), or save a new version of metric_id (200): a changed expression recomputes history from stored pages, else resyncs", "Editor", ("200", "BuilderSaved"), Some("BuilderSaveIn"), &[], IdBodyConflict)) }
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "responses": {
                "Error": {
                    "description": "An error: `code` for programs, `message` for people, `field` when one input is at fault",
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                }
            },
            "schemas": schemas()
        }
    });
    if let (Some(paths), Some(more)) = (doc["paths"].as_object_mut(), watch_paths().as_object()) {
        paths.extend(more.clone());
    }
    if let (Some(sch), Some(more)) = (
        doc["components"]["schemas"].as_object_mut(),
        watch_schemas().as_object(),
    ) {
        sch.extend(more.clone());
    }
    doc
}

/// Goals, alerts, channels and scorecards (`features/watch/api.rs`).
fn watch_paths() -> Value {
    use Errors::*;
    json!({
        "/api/v1/goals": {
            "get": op("Goals with the progress of their current period", "Viewer", ("200", "Goals"), None, &[], Caller),
            "post": op("Create a goal", "Editor", ("201", "GoalOne"), Some("GoalIn"), &[], BodyConflict)
        },
        "/api/v1/goals/{id}": {
            "get": op("One goal with its progress", "Viewer", ("200", "GoalOne"), None, &["id"], Id),
            "put": op("Change a goal", "Editor", ("200", "GoalOne"), Some("GoalIn"), &["id"], IdBodyConflict),
            "delete": op("Delete a goal and its history", "Editor", ("200", "Deleted"), None, &["id"], Id)
        },
        "/api/v1/goals/{id}/history": { "get": op("A goal's recorded periods, newest first", "Viewer", ("200", "GoalHistory"), None, &["id"], Id) },
        "/api/v1/alerts": {
            "get": op("Alerts with their state", "Viewer", ("200", "Alerts"), None, &[], Caller),
            "post": op("Create an alert", "Editor", ("201", "AlertOne"), Some("AlertIn"), &[], BodyConflict)
        },
        "/api/v1/alerts/backtest": { "post": op("How often a rule would have fired over stored history, evaluated hourly", "Viewer", ("200", "Backtest"), Some("BacktestIn"), &[], IdBody) },
        "/api/v1/alerts/{id}": {
            "get": op("One alert", "Viewer", ("200", "AlertOne"), None, &["id"], Id),
            "put": op("Change an alert (its state is kept)", "Editor", ("200", "AlertOne"), Some("AlertIn"), &["id"], IdBodyConflict),
            "delete": op("Delete an alert and its history", "Editor", ("200", "Deleted"), None, &["id"], Id)
        },
        "/api/v1/alerts/{id}/history": { "get": op("An alert's firings and resolutions with their values, and its deliveries", "Viewer", ("200", "AlertHistory"), None, &["id"], Id) },
        "/api/v1/channels": {
            "get": op("Channels (never their secrets)", "Viewer", ("200", "Channels"), None, &[], Caller),
            "post": op("Create a channel", "Admin", ("201", "ChannelOne"), Some("ChannelIn"), &[], BodyConflict)
        },
        "/api/v1/channels/{id}": {
            "get": op("One channel", "Viewer", ("200", "ChannelOne"), None, &["id"], Id),
            "put": op("Change a channel; an absent secret keeps the stored one", "Admin", ("200", "ChannelOne"), Some("ChannelIn"), &["id"], IdBodyConflict),
            "delete": op("Delete a channel", "Admin", ("200", "Deleted"), None, &["id"], Id)
        },
        "/api/v1/channels/{id}/test": { "post": op("Send a test message now", "Admin", ("200", "ChannelTested"), None, &["id"], Id) },
        "/api/v1/scorecards": {
            "get": op("Scorecards", "Viewer", ("200", "Scorecards"), None, &[], Caller),
            "post": op("Create a scorecard", "Editor", ("201", "ScorecardOne"), Some("ScorecardIn"), &[], BodyConflict)
        },
        "/api/v1/scorecards/{id}": {
            "get": op("One scorecard", "Viewer", ("200", "ScorecardOne"), None, &["id"], Id),
            "put": op("Change a scorecard (its next run is recomputed)", "Editor", ("200", "ScorecardOne"), Some("ScorecardIn"), &["id"], IdBodyConflict),
            "delete": op("Delete a scorecard", "Editor", ("200", "Deleted"), None, &["id"], Id)
        },
        "/api/v1/scorecards/{id}/preview": { "get": op("The rows a run at `at` (default now) would send, and past deliveries", "Viewer", ("200", "ScorecardPreview"), None, &["id", "at"], IdQuery) }
    })
}

fn watch_schemas() -> Value {
    let int = json!({"type": "integer"});
    let text = json!({"type": "string"});
    let num = json!({"type": ["number", "null"]});
    let int_or_null = json!({"type": ["integer", "null"]});
    let ids = json!({"type": "array", "items": {"type": "integer"}});
    let accounts = json!({"type": ["array", "null"], "items": account_sid(), "minItems": 1,
        "maxItems": metric::accounts::MAX_LISTED_ACCOUNTS, "uniqueItems": true,
        "description": "a metric over several accounts: only these accounts (Account SIDs, each once) count; null or left out: every account"});
    let period = json!({"oneOf": [
        {"type": "object", "required": ["kind", "unit", "start", "repeat"], "properties": {
            "kind": {"const": "calendar"}, "unit": {"enum": ["week", "month", "quarter", "year"]},
            "start": {"type": "string", "format": "date"}, "repeat": {"type": "boolean"}}},
        {"type": "object", "required": ["kind", "start", "end", "repeat"], "properties": {
            "kind": {"const": "custom"}, "start": {"type": "string", "format": "date"},
            "end": {"type": "string", "format": "date"}, "repeat": {"type": "boolean"}}}
    ]});
    let condition = json!({"oneOf": [
        {"type": "object", "required": ["kind", "threshold"], "properties": {"kind": {"enum": ["above", "below"]}, "threshold": {"type": "number"}}},
        {"type": "object", "required": ["kind", "percent"], "properties": {"kind": {"const": "changed_by_percent"}, "percent": {"type": "number", "minimum": 0}}},
        {"type": "object", "required": ["kind", "amount"], "properties": {"kind": {"const": "changed_by"}, "amount": {"type": "number", "minimum": 0}}}
    ]});
    let rule = json!({"type": "object", "required": ["aggregation", "condition", "range", "cooldown"], "properties": {
        "aggregation": {"$ref": "#/components/schemas/Aggregation"}, "dimension": {"type": ["string", "null"]},
        "condition": condition,
        "range": {"enum": ["last_hour", "last24_hours", "today", "yesterday", "last7_days", "last30_days", "this_week", "this_month"]},
        "cooldown": {"type": "string", "description": "an ISO 8601 duration such as PT6H"},
        "per_account": {"type": "boolean", "default": false, "description": "a metric over several accounts: the condition is judged for each account and breached when any account breaches (\"any account's delivery rate below 90 %\"); each firing names the accounts breaching"},
        "accounts": accounts.clone()}});
    let unusual = json!({"type": "object", "required": ["aggregation", "sensitivity", "direction", "cooldown"], "properties": {
        "aggregation": {"$ref": "#/components/schemas/Aggregation"},
        "dimension": {"type": ["string", "null"], "description": "only rows of this dimension value; none: all rows, and each firing names the dimension values behind it"},
        "sensitivity": {"enum": ["low", "medium", "high"]},
        "direction": {"enum": ["either", "up", "down", "unfavourable"], "description": "unfavourable: down for a metric where more is better, up where less is better"},
        "cooldown": {"type": "string", "description": "an ISO 8601 duration such as PT6H"}}});
    let status = json!({"enum": ["not_started", "on_track", "at_risk", "off_track", "achieved", "missed", "no_data"]});
    let delivery = json!({"type": "object", "required": ["id", "channel_id", "state", "attempts", "next_attempt_ms", "last_error", "title", "created_ms", "updated_ms"], "properties": {
        "id": int, "channel_id": int, "state": {"enum": ["pending", "sent", "failed"]}, "attempts": int,
        "next_attempt_ms": int, "last_error": {"type": ["string", "null"]}, "title": {"type": ["string", "null"]},
        "created_ms": int, "updated_ms": int}});
    json!({
        "GoalSpec": {"type": "object", "required": ["goal", "aggregation", "zone"], "properties": {
            "goal": {"type": "object", "required": ["target", "criterion", "trend", "period"], "properties": {
                "target": {"type": "number"}, "criterion": {"enum": ["reach", "stay_above", "stay_below"]},
                "trend": {"enum": ["up", "down"]}, "period": period}},
            "aggregation": {"$ref": "#/components/schemas/Aggregation"},
            "dimension": {"type": ["string", "null"]}, "zone": {"type": "string", "description": "an IANA time zone"},
            "accounts": accounts}},
        "GoalIn": {"type": "object", "required": ["name", "metric_id", "spec"], "additionalProperties": false, "properties": {
            "name": text, "metric_id": int, "spec": {"$ref": "#/components/schemas/GoalSpec"}}},
        "Progress": {"type": "object", "required": ["period", "current", "target", "progress", "elapsed", "expected", "projection", "basis", "projection_band", "status", "verdict"], "properties": {
            "period": {"type": "object", "required": ["index", "start", "end"], "properties": {"index": int, "start": text, "end": text}},
            "current": num, "target": {"type": "number"}, "progress": num, "elapsed": {"type": "number"},
            "expected": {"type": "number"}, "projection": num,
            "basis": {"type": "string", "enum": ["pace", "forecast", "current"], "description": "what projection is: the straight-line pace, the seasonal forecast (a sum or count goal to reach whose series has three weeks of history), or the current value (stay above/below)"},
            "projection_band": {"oneOf": [{"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}, {"type": "null"}], "description": "the forecast's band [low, high] around projection, when basis is forecast"},
            "status": status.clone(),
            "verdict": {"$ref": "#/components/schemas/Verdict"}}},
        "Goal": {"type": "object", "required": ["id", "name", "metric_id", "spec", "progress", "broken", "created_ms", "updated_ms"], "properties": {
            "id": int, "name": text, "metric_id": int, "spec": {"$ref": "#/components/schemas/GoalSpec"},
            "progress": {"oneOf": [{"$ref": "#/components/schemas/Progress"}, {"type": "null"}]},
            "broken": {"type": ["string", "null"], "description": "why the goal's progress cannot be computed (then progress is null)"},
            "created_ms": int, "updated_ms": int}},
        "Goals": list_of("goals", "Goal"),
        "GoalOne": one("goal", "Goal"),
        "GoalHistory": {"type": "object", "required": ["goal", "periods"], "properties": {
            "goal": {"$ref": "#/components/schemas/Goal"},
            "periods": {"type": "array", "items": {"type": "object", "required": ["index", "start_ms", "end_ms", "value", "target", "status", "recorded_ms"], "properties": {
                "index": int, "start_ms": int, "end_ms": int, "value": num, "target": {"type": "number"}, "status": status, "recorded_ms": int}}}}},
        "AlertSpec": {"oneOf": [
            {"type": "object", "required": ["watch", "rule", "zone"], "properties": {"watch": {"const": "value"}, "rule": rule.clone(), "zone": text}},
            {"type": "object", "required": ["watch", "rule"], "properties": {"watch": {"const": "unusual"}, "rule": unusual.clone(), "zone": text}},
            {"type": "object", "required": ["watch", "builtin"], "properties": {"watch": {"const": "sync"}, "builtin": {"oneOf": [
                {"type": "object", "required": ["kind"], "properties": {"kind": {"enum": ["sync_failed", "page_cap"]}}},
                {"type": "object", "required": ["kind", "after_ms"], "properties": {"kind": {"const": "stale"}, "after_ms": {"type": "integer", "minimum": 1}}}]}}}
        ]},
        "AlertIn": {"type": "object", "required": ["name", "metric_id", "spec"], "additionalProperties": false, "properties": {
            "name": text, "metric_id": int, "spec": {"$ref": "#/components/schemas/AlertSpec"},
            "enabled": {"type": "boolean"}, "channels": ids.clone(),
            "silent": {"type": "boolean", "description": "true: saved with no channel on purpose, no one is told when it fires; without it an alert with no channel is refused (422 on channels)"}}},
        "Alert": {"type": "object", "required": ["id", "name", "metric_id", "spec", "enabled", "channels", "state", "last_evaluated_ms", "created_ms", "updated_ms"], "properties": {
            "id": int, "name": text, "metric_id": int, "spec": {"$ref": "#/components/schemas/AlertSpec"}, "enabled": {"type": "boolean"},
            "channels": ids.clone(),
            "state": {"type": "object", "required": ["phase", "last_fired_ms"], "properties": {"phase": {"enum": ["ok", "firing", "suppressed"]}, "last_fired_ms": int_or_null.clone()}},
            "last_evaluated_ms": int_or_null.clone(), "created_ms": int, "updated_ms": int,
            "learning": {"description": "an unusual alert whose metric has too little history to judge (it never fires meanwhile); null otherwise",
                "oneOf": [{"type": "null"}, {"type": "object", "required": ["hours", "needed", "text"], "properties": {
                    "hours": int, "needed": int, "text": text}}]}}},
        "Alerts": list_of("alerts", "Alert"),
        "AlertOne": one("alert", "Alert"),
        "AlertHistory": {"type": "object", "required": ["alert", "events", "deliveries"], "properties": {
            "alert": {"$ref": "#/components/schemas/Alert"},
            "events": {"type": "array", "items": {"type": "object", "required": ["id", "kind", "at_ms", "current", "previous", "range_start_ms", "range_end_ms", "message"], "properties": {
                "id": int, "kind": {"enum": ["fired", "resolved"]}, "at_ms": int, "current": num, "previous": num,
                "range_start_ms": int_or_null.clone(), "range_end_ms": int_or_null.clone(), "message": text}}},
            "deliveries": {"type": "array", "items": delivery.clone()}}},
        "BacktestIn": {"type": "object", "required": ["metric_id"], "additionalProperties": false,
            "description": "exactly one of rule (a value rule) and unusual (an unusual rule)", "properties": {
            "metric_id": int, "rule": rule, "unusual": unusual, "zone": text,
            "from": {"type": "string", "format": "date-time"}, "to": {"type": "string", "format": "date-time"}}},
        "Backtest": {"type": "object", "required": ["backtest"], "properties": {"backtest": {"oneOf": [
            {"type": "object", "required": ["from", "to", "evaluations", "suppressed", "firings"], "not": {"required": ["learning"]}, "properties": {
                "from": text, "to": text, "evaluations": int, "suppressed": int,
                "firings": {"type": "array", "items": {"type": "object", "required": ["at", "current", "previous", "resolved_at"], "properties": {
                    "at": text, "current": num, "previous": num, "resolved_at": {"type": ["string", "null"]},
                    "breaching": {"type": "array", "description": "a per-account rule: the accounts breaching when it fired (left out otherwise)", "items": {"type": "object", "required": ["account", "current", "previous"], "properties": {
                        "account": {"type": "string", "description": "the account's SID"}, "current": num, "previous": num}}}}}}}},
            {"type": "object", "required": ["from", "to", "evaluations", "learning", "suppressed", "firings"], "properties": {
                "from": text, "to": text, "evaluations": int,
                "learning": {"type": "integer", "description": "evaluations at which the series had too little history to judge"},
                "suppressed": int,
                "firings": {"type": "array", "items": {"type": "object", "required": ["at", "hour_start", "observed", "expected", "lower", "upper", "why", "resolved_at"], "properties": {
                    "at": text, "hour_start": text, "observed": {"type": "number"}, "expected": {"type": "number"},
                    "lower": {"type": "number"}, "upper": {"type": "number"},
                    "why": {"type": "array", "items": {"type": "object", "required": ["dimension", "observed", "expected", "share"], "properties": {
                        "dimension": text, "observed": {"type": "number"}, "expected": {"type": "number"}, "share": {"type": "number"}}}},
                    "resolved_at": {"type": ["string", "null"]}}}}}}]}}},
        "ChannelConfig": {"oneOf": [
            {"type": "object", "required": ["kind", "host", "port", "tls", "from", "to"], "properties": {
                "kind": {"const": "email"}, "host": text, "port": {"type": "integer", "minimum": 0, "maximum": 65535},
                "tls": {"enum": ["implicit", "start_tls", "none"]}, "username": {"type": ["string", "null"]},
                "from": text, "to": {"type": "array", "items": text}}},
            {"type": "object", "required": ["kind"], "properties": {"kind": {"const": "slack"}}},
            {"type": "object", "required": ["kind", "url"], "properties": {"kind": {"const": "webhook"}, "url": {"type": "string", "description": "the receiver's https URL; read below Admin, its scheme and host only (the path and query often carry a secret)"}}}
        ]},
        "ChannelIn": {"type": "object", "required": ["name", "config"], "additionalProperties": false, "properties": {
            "name": text, "config": {"$ref": "#/components/schemas/ChannelConfig"},
            "secret": {"type": ["string", "null"], "description": "the SMTP password, the Slack webhook URL or the webhook signing key"},
            "clear_secret": {"type": "boolean"}}},
        "Channel": {"type": "object", "required": ["id", "name", "kind", "config", "has_secret", "created_ms", "updated_ms"], "properties": {
            "id": int, "name": text, "kind": {"enum": ["email", "slack", "webhook"]},
            "config": {"$ref": "#/components/schemas/ChannelConfig"}, "has_secret": {"type": "boolean"}, "created_ms": int, "updated_ms": int}},
        "Channels": list_of("channels", "Channel"),
        "ChannelOne": one("channel", "Channel"),
        "ChannelTested": {"type": "object", "required": ["delivery_id", "sent", "state", "error"], "properties": {
            "delivery_id": int, "sent": {"type": "boolean"}, "state": {"enum": ["pending", "sent", "failed"]}, "error": {"type": ["string", "null"]}}},
        "ScorecardSpec": {"type": "object", "required": ["schedule", "zone", "metrics"], "properties": {
            "schedule": {"type": "object", "required": ["frequency", "at"], "properties": {
                "frequency": {"oneOf": [
                    {"type": "object", "required": ["kind"], "properties": {"kind": {"const": "daily"}}},
                    {"type": "object", "required": ["kind", "day"], "properties": {"kind": {"const": "weekly"}, "day": {"enum": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]}}},
                    {"type": "object", "required": ["kind", "day"], "properties": {"kind": {"const": "monthly"}, "day": {"type": "integer", "minimum": 1, "maximum": 31}}}]},
                "at": {"type": "string", "description": "local time of day, HH:MM:SS"}}},
            "zone": text,
            "metrics": {"type": "array", "minItems": 1, "maxItems": 15, "items": {"type": "object", "required": ["metric_id", "aggregation", "baseline", "trend"], "properties": {
                "metric_id": int, "aggregation": {"$ref": "#/components/schemas/Aggregation"},
                "baseline": {"oneOf": [
                    {"type": "object", "required": ["kind"], "properties": {"kind": {"enum": ["previous_period", "same_period_last_year"]}}},
                    {"type": "object", "required": ["kind", "target"], "properties": {"kind": {"const": "goal"}, "target": {"type": "number"}}},
                    {"type": "object", "required": ["kind", "goal_id"], "description": "the target of a stored goal of the same metric", "properties": {"kind": {"const": "stored_goal"}, "goal_id": int}}]},
                "trend": {"enum": ["up", "down"]}}}}}},
        "ScorecardIn": {"type": "object", "required": ["name", "spec"], "additionalProperties": false, "properties": {
            "name": text, "spec": {"$ref": "#/components/schemas/ScorecardSpec"}, "channels": ids.clone()}},
        "Scorecard": {"type": "object", "required": ["id", "name", "spec", "channels", "next_run_ms", "last_run_ms", "created_ms", "updated_ms"], "properties": {
            "id": int, "name": text, "spec": {"$ref": "#/components/schemas/ScorecardSpec"}, "channels": ids,
            "next_run_ms": int, "last_run_ms": int_or_null, "created_ms": int, "updated_ms": int}},
        "Scorecards": list_of("scorecards", "Scorecard"),
        "ScorecardOne": one("scorecard", "Scorecard"),
        "ScorecardPreview": {"type": "object", "required": ["scorecard", "period", "rows", "deliveries"], "properties": {
            "scorecard": {"$ref": "#/components/schemas/Scorecard"},
            "period": {"type": "object", "required": ["start", "end"], "properties": {"start": text, "end": text}},
            "rows": {"type": "array", "items": {"type": "object", "required": ["metric_id", "metric", "row"], "properties": {
                "metric_id": int, "metric": text, "row": {"type": "object"}}}},
            "deliveries": {"type": "array", "items": delivery}}}
    })
}
