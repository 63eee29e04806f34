//! The OpenAPI 3.1 document of `/api/v1`, written by hand next to the handlers it describes.

use serde_json::{Value, json};

fn op(summary: &str, role: &str, ok: &str, body: Option<&str>, params: &[&str]) -> Value {
    let mut o = json!({
        "summary": summary,
        "description": format!("Needs the {role} role."),
        "responses": {
            ok: { "description": "Success", "content": { "application/json": { "schema": { "type": "object" } } } },
            "401": { "$ref": "#/components/responses/Error" },
            "403": { "$ref": "#/components/responses/Error" },
            "404": { "$ref": "#/components/responses/Error" },
            "422": { "$ref": "#/components/responses/Error" },
        }
    });
    if let Some(schema) = body {
        o["requestBody"] = json!({
            "required": true,
            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
        });
    }
    let mut list: Vec<Value> = Vec::new();
    for p in params {
        if *p == "id" {
            list.push(json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "format": "int64"}}));
        } else if *p == "slug" {
            list.push(json!({"name": "slug", "in": "path", "required": true, "schema": {"type": "string"}}));
        } else {
            list.push(
                json!({"name": p, "in": "query", "required": false, "schema": {"type": "string"}}),
            );
        }
    }
    if !list.is_empty() {
        o["parameters"] = Value::Array(list);
    }
    o
}

pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Switchboard API",
            "version": "1",
            "description": "Twilio connections, metrics, their data, the metric library, people and API tokens. Authenticate with `Authorization: Bearer <token>` (create one on the API tokens page or with `POST /api/v1/tokens`). Errors are `{error: {code, message, field?}}`."
        },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/v1/me": { "get": op("The caller", "Viewer", "200", None, &[]) },
            "/api/v1/connections": {
                "get": op("Twilio connections (never their secrets)", "Editor", "200", None, &[]),
                "post": op("Check with Twilio and save a connection", "Admin", "201", Some("ConnectionIn"), &[])
            },
            "/api/v1/connections/{id}": {
                "patch": op("Rename a connection", "Admin", "200", Some("ConnectionPatch"), &["id"]),
                "delete": op("Remove a connection; its metrics stop syncing", "Admin", "200", None, &["id"])
            },
            "/api/v1/connections/{id}/test": { "post": op("Check a saved connection with Twilio", "Admin", "200", None, &["id"]) },
            "/api/v1/metrics": {
                "get": op("Metrics with their latest value and sync state", "Viewer", "200", None, &[]),
                "post": op("Create a metric from a definition", "Editor", "201", Some("MetricIn"), &[])
            },
            "/api/v1/metrics/{id}": {
                "get": op("One metric", "Viewer", "200", None, &["id"]),
                "put": op("Save a new version of a metric's definition", "Editor", "200", Some("MetricIn"), &["id"]),
                "delete": op("Delete a metric and its history", "Editor", "200", None, &["id"])
            },
            "/api/v1/metrics/preview": { "post": op("Run a definition live without saving it: rows, skipped and bad rows, the fetch ledger", "Editor", "200", Some("PreviewIn"), &[]) },
            "/api/v1/metrics/{id}/sync": { "post": op("Queue a sync now", "Editor", "202", None, &["id"]) },
            "/api/v1/metrics/{id}/runs": { "get": op("Ledgers of the latest syncs", "Viewer", "200", None, &["id"]) },
            "/api/v1/metrics/{id}/data": { "get": op("Values by interval and dimension", "Viewer", "200", None, &["id", "from", "to", "interval", "tz", "dimension", "compare"]) },
            "/api/v1/library": { "get": op("The metric library", "Viewer", "200", None, &["q", "category"]) },
            "/api/v1/library/{slug}/add": { "post": op("Add a library metric for a connection", "Editor", "201", Some("LibraryAddIn"), &["slug"]) },
            "/api/v1/users": {
                "get": op("People", "Admin", "200", None, &[]),
                "post": op("Add a person", "Admin", "201", Some("UserIn"), &[])
            },
            "/api/v1/tokens": {
                "get": op("Your API tokens", "Viewer", "200", None, &[]),
                "post": op("Create an API token (returned once)", "Viewer", "201", Some("TokenIn"), &[])
            },
            "/api/v1/tokens/{id}": { "delete": op("Revoke one of your tokens", "Viewer", "200", None, &["id"]) }
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "responses": {
                "Error": {
                    "description": "An error",
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                }
            },
            "schemas": {
                "Error": {
                    "type": "object", "required": ["error"],
                    "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": {
                        "code": { "type": "string" }, "message": { "type": "string" }, "field": { "type": "string" } } } }
                },
                "ConnectionIn": {
                    "type": "object", "required": ["label", "account_sid", "api_key_sid", "api_key_secret"],
                    "properties": {
                        "label": { "type": "string" }, "account_sid": { "type": "string" },
                        "api_key_sid": { "type": "string" }, "api_key_secret": { "type": "string", "writeOnly": true }
                    }
                },
                "ConnectionPatch": { "type": "object", "required": ["label"], "properties": { "label": { "type": "string", "minLength": 1, "maxLength": 64 } } },
                "MetricIn": {
                    "type": "object", "required": ["definition"],
                    "properties": { "definition": { "type": "object" }, "on_metrics_screen": { "type": "boolean" } }
                },
                "PreviewIn": {
                    "type": "object", "required": ["definition"],
                    "properties": { "definition": { "type": "object" }, "hours": { "type": "integer", "minimum": 1 } }
                },
                "LibraryAddIn": { "type": "object", "required": ["connection"], "properties": { "connection": { "type": "string" } } },
                "UserIn": {
                    "type": "object", "required": ["name", "role", "password"],
                    "properties": { "name": { "type": "string" }, "role": { "enum": ["admin", "editor", "viewer"] }, "password": { "type": "string", "writeOnly": true } }
                },
                "TokenIn": { "type": "object", "required": ["name"], "properties": { "name": { "type": "string" } } }
            }
        }
    })
}
