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
    /// A JSON body (400 malformed, 415 without `Content-Type: application/json`, 422 invalid).
    Body,
    /// A JSON body that may name something taken (409).
    BodyConflict,
    /// A path id or slug and a JSON body.
    IdBody,
    /// A path id and a JSON body that may name something taken.
    IdBodyConflict,
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
    let mut codes = vec!["401", "403"];
    match errors {
        Errors::Caller => {}
        Errors::Query => codes.extend(["400", "422"]),
        Errors::Id => codes.extend(["400", "404"]),
        Errors::IdQuery => codes.extend(["400", "404", "422"]),
        Errors::Body => codes.extend(["400", "415", "422"]),
        Errors::BodyConflict => codes.extend(["400", "409", "415", "422"]),
        Errors::IdBody => codes.extend(["400", "404", "415", "422"]),
        Errors::IdBodyConflict => codes.extend(["400", "404", "409", "415", "422"]),
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
        "id" => (
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
            "type": "object", "required": ["id", "name", "role", "created_ms"],
            "properties": { "id": int, "name": text, "role": { "enum": ["admin", "editor", "viewer"] }, "created_ms": int }
        },
        "Connection": {
            "type": "object", "required": ["id", "label", "account_sid", "api_key_sid", "created_ms"],
            "properties": {
                "id": int, "label": text,
                "account_sid": { "type": "string", "pattern": "^AC[0-9a-f]{32}$" },
                "api_key_sid": { "type": "string", "pattern": "^SK[0-9a-f]{32}$" },
                "created_ms": int
            },
            "additionalProperties": false
        },
        "ConnectionCheck": {
            "type": "object", "required": ["result"],
            "description": "What Twilio said of the credentials.",
            "properties": { "result": { "enum": ["connected", "refused", "unreachable"] } }
        },
        "ConnectionCreated": {
            "type": "object", "required": ["connection", "check", "message"],
            "properties": { "connection": schema_ref("Connection"), "check": schema_ref("ConnectionCheck"), "message": text }
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
            "type": "object", "required": ["id", "name", "connection_id", "version", "used_by", "definition"],
            "properties": {
                "id": int, "name": text, "connection_id": nullable("integer"), "version": int,
                "used_by": { "type": "array", "items": text },
                "definition": { "type": ["object", "null"] }
            }
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
                "previous": { "type": "object", "required": ["from", "to", "result"], "properties": { "from": text, "to": text, "result": schema_ref("QueryResult") } },
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
        "Block": {
            "type": "object", "required": ["id", "kind", "title", "place", "error", "range", "previous", "interval", "metrics"],
            "properties": {
                "id": int, "kind": { "enum": ["number", "line", "bar", "table", "pie", "progress", "text"] }, "title": text,
                "place": { "type": "object", "required": ["x", "y", "w", "h"], "properties": { "x": int, "y": int, "w": int, "h": int } },
                "error": nullable("string"),
                "range": { "oneOf": [schema_ref("Span"), { "type": "null" }] },
                "previous": { "oneOf": [schema_ref("Span"), { "type": "null" }] },
                "interval": { "oneOf": [schema_ref("Interval"), { "type": "null" }] },
                "metrics": { "type": "array", "items": schema_ref("BlockMetric") }
            }
        },
        "BoardComputed": {
            "type": "object", "required": ["board", "range", "compare", "blocks"],
            "properties": { "board": schema_ref("Board"), "range": text, "compare": text, "blocks": { "type": "array", "items": schema_ref("Block") } }
        },
        "Users": list_of("users", "User"),
        "UserCreated": one("user", "User"),
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
        "LibraryAddIn": { "type": "object", "required": ["connection"], "properties": { "connection": { "type": "string", "minLength": 1 } } },
        "UserIn": {
            "type": "object", "required": ["name", "role", "password"],
            "properties": {
                "name": { "type": "string", "minLength": 1, "maxLength": 64 },
                "role": { "enum": ["admin", "editor", "viewer"] },
                "password": { "type": "string", "minLength": 10, "writeOnly": true }
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
    json!({
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
            "/api/v1/connections/{id}/test": { "post": op("Check a saved connection with Twilio", "Admin", ("200", "ConnectionTested"), None, &["id"], Id) },
            "/api/v1/metrics": {
                "get": op("Metrics with their latest value and sync state", "Viewer", ("200", "Metrics"), None, &[], Caller),
                "post": op("Create a metric from a definition", "Editor", ("201", "MetricSaved"), Some("MetricIn"), &[], BodyConflict)
            },
            "/api/v1/metrics/{id}": {
                "get": op("One metric", "Viewer", ("200", "MetricWithSummary"), None, &["id"], Id),
                "put": op("Save a new version of a metric's definition", "Editor", ("200", "MetricSaved"), Some("MetricIn"), &["id"], IdBody),
                "delete": op("Delete a metric and its history", "Editor", ("200", "Deleted"), None, &["id"], Id)
            },
            "/api/v1/metrics/preview": { "post": op("Run a definition live without saving it: rows, skipped and bad rows, the fetch ledger", "Editor", ("200", "Preview"), Some("PreviewIn"), &[], Body) },
            "/api/v1/metrics/{id}/duplicate": { "post": op("Copy a metric under a free name \"NAME (copy)\"; the copy backfills on its own", "Editor", ("201", "MetricSaved"), None, &["id"], Id) },
            "/api/v1/metrics/{id}/sync": { "post": op("Queue a sync now", "Editor", ("202", "SyncQueued"), None, &["id"], Id) },
            "/api/v1/metrics/{id}/runs": { "get": op("Ledgers of the latest syncs", "Viewer", ("200", "Runs"), None, &["id"], Id) },
            "/api/v1/metrics/{id}/data": { "get": op("Values by interval and dimension", "Viewer", ("200", "Data"), None, &["id", "from", "to", "interval", "tz", "dimension", "compare"], IdQuery) },
            "/api/v1/boards": { "get": op("Databoards", "Viewer", ("200", "Boards"), None, &[], Caller) },
            "/api/v1/boards/{id}": { "get": op("A board with each block's numbers over the board's range, or the range and comparison given", "Viewer", ("200", "BoardComputed"), None, &["id", "range", "compare", "from", "to"], IdQuery) },
            "/api/v1/library": { "get": op("The metric library", "Viewer", ("200", "Library"), None, &["q", "category"], Query) },
            "/api/v1/library/{slug}/add": { "post": op("Add a library metric for a connection", "Editor", ("201", "MetricSaved"), Some("LibraryAddIn"), &["slug"], IdBodyConflict) },
            "/api/v1/users": {
                "get": op("People", "Admin", ("200", "Users"), None, &[], Caller),
                "post": op("Add a person", "Admin", ("201", "UserCreated"), Some("UserIn"), &[], BodyConflict)
            },
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
    })
}
