//! The Metric Builder's routes, in-process against the simulator on loopback: the catalog, the
//! live fetch and its refusals, picks → expression → preview checked against `sim dump`, saving
//! and syncing, editing with a recompute from stored pages, roles, and JSONata error spans.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use store::{MetricId, Store as _};
use support::*;
use web::Role;

const MESSAGES: &str = "/2010-04-01/Accounts/{AccountSid}/Messages.json";

/// An app with a connection `prod` to the simulator, and an editor's API token.
async fn editor_app() -> (TestApp, String) {
    let app = spawn_app().await;
    app.user("eddie", Role::Editor).await;
    app.user("ada", Role::Admin).await;
    let admin = app.login("ada").await;
    let sh = shared();
    let saved = app
        .post_form(
            "/connections",
            Some(&admin),
            &[
                ("csrf", &admin.csrf),
                ("label", "prod"),
                ("account_sid", &sh.account_sid),
                ("api_key_sid", &sh.key_sid),
                ("secret", &sh.key_secret),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let s = app.login("eddie").await;
    let token = app.token(&s).await;
    (app, token)
}

/// Every message of the simulated account, as `sim dump` has it.
fn dump_messages() -> Vec<Value> {
    let all = shared().dump["accounts"][0]["messages"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        !all.is_empty() && all.len() < 1000,
        "the tests read every message in one page of 1000; the dump has {}",
        all.len()
    );
    all
}

fn segments(m: &Value) -> f64 {
    m["num_segments"].as_str().unwrap().parse().unwrap()
}

fn messages_request() -> Value {
    json!({
        "host": "api.twilio.com",
        "path": MESSAGES,
        "params": [{"key": "PageSize", "value": "1000"}],
        "pagination": "next_page",
    })
}

fn segments_picks() -> Value {
    json!({
        "records": "messages",
        "value": {"kind": "field", "path": "num_segments"},
        "dimension": "direction",
        "date": {"kind": "field", "path": "date_created"},
    })
}

fn definition(name: &str, expression: &str, picks: Value) -> Value {
    json!({
        "version": 1,
        "connection": "prod",
        "request": messages_request(),
        "extraction": {"picks": picks, "expression": expression},
        "description": {
            "name": name, "aggregation": "sum", "favourable": "up",
            "format": {"unit": "count"}, "interval": "day",
        },
    })
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Reply {
    app.api(Method::POST, path, Some(token), Some(body)).await
}

async fn expression_of(app: &TestApp, token: &str, picks: Value) -> String {
    let r = post(
        app,
        token,
        "/api/v1/builder/expression",
        json!({ "picks": picks }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["expression"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_catalog_suggests_twilio_endpoints_with_their_docs() {
    let (app, token) = editor_app().await;
    let r = app
        .api(
            Method::GET,
            "/api/v1/catalog?q=messages",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let hits = r.json()["endpoints"].as_array().unwrap().clone();
    let messages = hits
        .iter()
        .find(|e| e["path"] == MESSAGES)
        .unwrap_or_else(|| panic!("no Messages.json among {hits:?}"));
    assert_eq!(messages["host"], "api.twilio.com");
    assert_eq!(messages["list_key"], "messages");
    assert!(
        messages["docs"]
            .as_str()
            .unwrap()
            .starts_with("https://www.twilio.com/docs/")
    );
    assert!(
        messages["params"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "DateSent>")
    );
    let r = app
        .api(
            Method::GET,
            "/api/v1/catalog?q=usage+records&host=api.twilio.com",
            Some(&token),
            None,
        )
        .await;
    let hits = r.json()["endpoints"].as_array().unwrap().clone();
    assert!(!hits.is_empty());
    assert!(
        hits.iter().all(|e| e["host"] == "api.twilio.com"),
        "{hits:?}"
    );
    assert!(
        hits.iter()
            .all(|e| e["path"].as_str().unwrap().contains("Usage")),
        "{hits:?}"
    );
}

#[tokio::test]
async fn fetch_returns_the_simulators_first_page() {
    let (app, token) = editor_app().await;
    let r = post(
        &app,
        &token,
        "/api/v1/builder/fetch",
        json!({"connection": "prod", "method": "GET", "request": messages_request()}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let body = r.json();
    let page = &body["pages"][0];
    let got: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["sid"].as_str().unwrap())
        .collect();
    let mut got_sorted = got.clone();
    got_sorted.sort_unstable();
    let dump = dump_messages();
    let mut want: Vec<&str> = dump.iter().map(|m| m["sid"].as_str().unwrap()).collect();
    want.sort_unstable();
    assert_eq!(got_sorted, want);
    assert!(
        body["urls"][0]
            .as_str()
            .unwrap()
            .starts_with("https://api.twilio.com/2010-04-01/Accounts/AC")
    );
    assert!(body["docs"].as_str().unwrap().contains("message-resource"));
    // The key secret never travels back.
    assert!(!r.body.contains(&shared().key_secret));

    let r = post(
        &app,
        &token,
        "/api/v1/builder/fetch",
        json!({"connection": "prod", "request": messages_request(), "hours": 0}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["field"], "hours", "{}", r.body);
    let r = post(
        &app,
        &token,
        "/api/v1/builder/fetch",
        json!({"connection": "nope", "request": messages_request()}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.json()["error"]["field"], "connection", "{}", r.body);
}

#[tokio::test]
async fn other_methods_are_refused_with_the_reason() {
    let (app, token) = editor_app().await;
    for method in ["POST", "PUT", "DELETE"] {
        let r = post(
            &app,
            &token,
            "/api/v1/builder/fetch",
            json!({"connection": "prod", "method": method, "request": messages_request()}),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let e = &r.json()["error"];
        assert_eq!(e["code"], "method_refused", "{}", r.body);
        assert_eq!(e["field"], "method");
        let message = e["message"].as_str().unwrap();
        assert!(
            message.contains(method) && message.contains("only GET"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn a_path_that_leaves_twilio_is_refused_with_its_reason() {
    let (app, token) = editor_app().await;
    let cases = [
        ("api.twilio.com", "//evil.example.com/steal", "'//'"),
        ("api.twilio.com", "/2010-04-01/../../evil", "'..'"),
        ("api.twilio.com", "/a@evil.example.com/x", "'@'"),
        (
            "api.twilio.com",
            "https://evil.example.com/x",
            "must start with '/'",
        ),
        ("evil.example.com", MESSAGES, "not a Twilio product host"),
    ];
    for (host, path, reason) in cases {
        let mut request = messages_request();
        request["host"] = json!(host);
        request["path"] = json!(path);
        let r = post(
            &app,
            &token,
            "/api/v1/builder/fetch",
            json!({"connection": "prod", "method": "GET", "request": request}),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            r.body
        );
        let e = &r.json()["error"];
        assert_eq!(e["code"], "request_refused", "{}", r.body);
        assert!(
            e["message"].as_str().unwrap().contains(reason),
            "{path}: expected {reason:?} in {}",
            r.body
        );
    }
}

#[tokio::test]
async fn twilios_refusal_is_shown_in_words() {
    let (app, token) = editor_app().await;
    let mut request = messages_request();
    request["path"] = json!("/2010-04-01/Accounts/{AccountSid}/NoSuchThing.json");
    let r = post(
        &app,
        &token,
        "/api/v1/builder/fetch",
        json!({"connection": "prod", "request": request}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let e = &r.json()["error"];
    assert_eq!(e["code"], "fetch_failed", "{}", r.body);
    assert!(e["message"].as_str().unwrap().contains("404"), "{}", r.body);
}

#[tokio::test]
async fn picks_make_an_expression_whose_preview_matches_the_dump() {
    let (app, token) = editor_app().await;
    let expression = expression_of(&app, &token, segments_picks()).await;
    assert!(expression.starts_with("messages.{"), "{expression}");
    let r = post(
        &app,
        &token,
        "/api/v1/builder/preview",
        json!({"connection": "prod", "request": messages_request(), "expression": expression}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let body = r.json();

    let dump = dump_messages();
    let total: f64 = dump.iter().map(segments).sum();
    let mut by_direction: BTreeMap<String, f64> = BTreeMap::new();
    let mut by_day: BTreeMap<String, f64> = BTreeMap::new();
    for m in &dump {
        *by_direction
            .entry(m["direction"].as_str().unwrap().to_owned())
            .or_default() += segments(m);
        let at = jiff::fmt::rfc2822::parse(m["date_created"].as_str().unwrap()).unwrap();
        *by_day
            .entry(
                at.timestamp()
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .date()
                    .to_string(),
            )
            .or_default() += segments(m);
    }
    assert_eq!(body["total_rows"], json!(dump.len()));
    assert_eq!(body["total_value"].as_f64().unwrap(), total);
    assert_eq!(body["skipped"], 0);
    assert_eq!(body["bad"], 0);
    let dims: BTreeMap<String, f64> = serde_json::from_value(body["dimensions"].clone()).unwrap();
    assert_eq!(dims, by_direction);
    let series: BTreeMap<String, f64> = body["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["day"].as_str().unwrap().to_owned(),
                p["value"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(series, by_day);
    assert_eq!(
        body["rows"].as_array().unwrap().len(),
        dump.len().min(web::builder::PREVIEW_ROWS)
    );
}

#[tokio::test]
async fn a_jsonata_error_comes_with_the_span_to_underline() {
    let (app, token) = editor_app().await;
    let expression = "messages[direction != ].{\"value\": 1, \"date\": date_created}";
    let r = post(
        &app,
        &token,
        "/api/v1/builder/preview",
        json!({"connection": "prod", "request": messages_request(), "expression": expression}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let e = &r.json()["error"];
    assert_eq!(e["code"], "jsonata", "{}", r.body);
    assert_eq!(e["field"], "expression");
    let start = e["span"]["start"].as_u64().expect("a span") as usize;
    let end = e["span"]["end"].as_u64().unwrap() as usize;
    // The engine blames the ']' that comes where an operand should be.
    let bracket = expression.find(']').unwrap();
    assert!(
        start <= bracket && bracket < end.max(start + 1) && end <= expression.len(),
        "span {start}..{end} should cover the ']' at {bracket}: {}",
        r.body
    );
    // Spans count UTF-16 units, as the browser's editor does.
    let accented = format!("/* é */ {expression}");
    let r = post(
        &app,
        &token,
        "/api/v1/builder/preview",
        json!({"connection": "prod", "request": messages_request(), "expression": accented}),
    )
    .await;
    let e = &r.json()["error"];
    let shifted = e["span"]["start"].as_u64().unwrap() as usize;
    assert_eq!(
        shifted,
        start + "/* é */ ".encode_utf16().count(),
        "{}",
        r.body
    );
}

async fn sync_now(app: &TestApp, id: i64) {
    let syncer = metric_sync::Syncer::new(
        Arc::clone(app.state.store()),
        connector(),
        metric_sync::SyncConfig::default(),
    );
    let report = syncer
        .sync_metric(MetricId(id), jiff::Timestamp::now())
        .await
        .unwrap();
    assert!(report.error().is_none(), "{:?}", report.error());
}

async fn total_of(app: &TestApp, token: &str, id: i64) -> f64 {
    let from = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 30)).to_string();
    let to = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(2)).to_string();
    let r = app
        .api(
            Method::GET,
            &format!("/api/v1/metrics/{id}/data?from={from}&to={to}&interval=day"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["result"]["total"].as_f64().unwrap_or(0.0)
}

#[tokio::test]
async fn saving_makes_a_metric_whose_synced_value_is_the_dumps_and_editing_recomputes() {
    let (app, token) = editor_app().await;
    let expression = expression_of(&app, &token, segments_picks()).await;
    let r = post(
        &app,
        &token,
        "/api/v1/builder/save",
        json!({"definition": definition("Message segments", &expression, segments_picks())}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let body = r.json();
    let id = body["metric"]["id"].as_i64().unwrap();
    assert!(body["backfill_job"].as_i64().is_some(), "{body}");
    let m = app.state.store().metric(MetricId(id)).await.unwrap();
    assert!(m.used_by.iter().any(|u| u == library::METRICS_SCREEN));

    sync_now(&app, id).await;
    let dump = dump_messages();
    let segments_total: f64 = dump.iter().map(segments).sum();
    assert_eq!(total_of(&app, &token, id).await, segments_total);

    // The Metrics screen offers Edit, and the wizard opens prefilled.
    let admin = app.login("ada").await;
    let screen = app.get(web::pages::METRICS_SCREEN, Some(&admin)).await;
    assert!(screen.body.contains(&format!("/metrics/{id}/edit")));
    assert!(screen.body.contains("href=\"/builder\""));
    let page = app.get(&format!("/metrics/{id}/edit"), Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("data-initial=\""));
    assert!(page.body.contains("Message segments"));
    assert!(page.body.contains(&format!("data-metric-id=\"{id}\"")));

    // Only the expression changes: history is rebuilt from the stored pages.
    let count =
        "messages.{\n  \"value\": 1,\n  \"date\": date_created,\n  \"dimension\": direction\n}";
    let r = post(
        &app,
        &token,
        "/api/v1/builder/save",
        json!({"metric_id": id, "definition": definition("Message segments", count, segments_picks())}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["recomputed"], true, "{}", r.body);
    assert!(r.json()["resync_job"].is_null());
    assert_eq!(total_of(&app, &token, id).await, dump.len() as f64);
    let runs = app
        .state
        .store()
        .sync_runs(Some(MetricId(id)), 1)
        .await
        .unwrap();
    assert_eq!(runs[0].ledger["recomputed"], true, "{:?}", runs[0].ledger);

    // A renamed metric is refused with the reason.
    let r = post(
        &app,
        &token,
        "/api/v1/builder/save",
        json!({"metric_id": id, "definition": definition("Another name", count, segments_picks())}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("renaming"), "{}", r.body);
}

#[tokio::test]
async fn an_edit_without_stored_pages_queues_a_resync() {
    let (app, token) = editor_app().await;
    let expression = expression_of(&app, &token, segments_picks()).await;
    let r = post(
        &app,
        &token,
        "/api/v1/builder/save",
        json!({"definition": definition("Never synced", &expression, segments_picks())}),
    )
    .await;
    let id = r.json()["metric"]["id"].as_i64().unwrap();
    let r = post(
        &app,
        &token,
        "/api/v1/builder/save",
        json!({"metric_id": id, "definition": definition("Never synced", "messages.{\"value\": 1, \"date\": date_created}", segments_picks())}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let body = r.json();
    assert_eq!(body["recomputed"], false, "{body}");
    assert!(body["resync_job"].as_i64().is_some(), "{body}");
    assert!(
        body["note"].as_str().unwrap_or("").contains("Never synced"),
        "{body}"
    );
}

#[tokio::test]
async fn a_viewer_is_refused_the_wizard_and_its_routes() {
    let (app, _) = editor_app().await;
    app.user("vera", Role::Viewer).await;
    let s = app.login("vera").await;
    let token = app.token(&s).await;
    assert_eq!(
        app.get("/builder", Some(&s)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/metrics/1/edit", Some(&s)).await.status,
        StatusCode::FORBIDDEN
    );
    let screen = app.get(web::pages::METRICS_SCREEN, Some(&s)).await;
    assert!(!screen.body.contains("href=\"/builder\""));
    for (path, body) in [
        (
            "/api/v1/builder/fetch",
            json!({"connection": "prod", "request": messages_request()}),
        ),
        (
            "/api/v1/builder/expression",
            json!({"picks": segments_picks()}),
        ),
        (
            "/api/v1/builder/preview",
            json!({"connection": "prod", "request": messages_request(), "expression": "1"}),
        ),
        (
            "/api/v1/builder/save",
            json!({"definition": definition("x", "1", segments_picks())}),
        ),
    ] {
        let r = post(&app, &token, path, body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
    }
    let r = app
        .api(
            Method::GET,
            "/api/v1/catalog?q=messages",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_wizard_page_carries_every_control_the_browser_tests_drive() {
    let (app, _) = editor_app().await;
    let s = app.login("eddie").await;
    let page = app.get("/builder", Some(&s)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for id in [
        "builder",
        "b-connection",
        "b-method",
        "b-host",
        "b-path",
        "b-path-suggestions",
        "b-docs",
        "b-params",
        "b-add-param",
        "b-date-picker",
        "b-date-token",
        "b-date-format",
        "b-date-insert",
        "b-headers",
        "b-add-header",
        "b-pagination",
        "b-hours",
        "b-next-1",
        "b-error-1",
        "b-tree",
        "b-counts",
        "b-value-chosen",
        "b-back-2",
        "b-next-2",
        "b-dimension",
        "b-back-3",
        "b-next-3",
        "b-date-field",
        "b-date-field-radio",
        "b-date-sync",
        "b-back-4",
        "b-next-4",
        "b-expression",
        "b-lines",
        "b-mirror",
        "b-expression-error",
        "b-regenerate",
        "b-preview",
        "b-preview-result",
        "b-preview-summary",
        "b-chart",
        "b-rows",
        "b-skipped",
        "b-bad",
        "b-back-5",
        "b-next-5",
        "b-name",
        "b-summary",
        "b-aggregation",
        "b-favourable",
        "b-unit",
        "b-currency",
        "b-decimals",
        "b-interval",
        "b-back-6",
        "b-save",
        "b-error-6",
    ] {
        assert!(page.body.contains(&format!("id=\"{id}\"")), "no #{id}");
    }
    assert!(page.body.contains("src=\"/assets/builder.js\""));
    assert!(page.body.contains(&format!("data-csrf=\"{}\"", s.csrf)));
    // The wizard's script is served as JavaScript, from the binary.
    let js = app.get("/assets/builder.js", None).await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(
        js.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(js.body.contains("/api/v1/builder/fetch"));
}

#[tokio::test]
async fn a_put_of_a_new_expression_through_the_api_recomputes_like_the_wizard() {
    let (app, token) = editor_app().await;
    let expression = expression_of(&app, &token, segments_picks()).await;
    let r = post(
        &app,
        &token,
        "/api/v1/metrics",
        json!({"definition": definition("Segments via API", &expression, segments_picks())}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.json()["metric"]["id"].as_i64().unwrap();
    sync_now(&app, id).await;

    let count = "messages.{\"value\": 1, \"date\": date_created}";
    let r = app
        .api(
            Method::PUT,
            &format!("/api/v1/metrics/{id}"),
            Some(&token),
            Some(json!({"definition": definition("Segments via API", count, segments_picks())})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["recomputed"], true, "{}", r.body);
    assert_eq!(r.json()["metric"]["version"], 2, "{}", r.body);
    assert_eq!(
        total_of(&app, &token, id).await,
        dump_messages().len() as f64
    );
}
