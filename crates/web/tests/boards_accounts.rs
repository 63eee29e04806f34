//! Board blocks over a metric of several Twilio accounts: buckets written under composite
//! dimensions (account and own dimension) for three accounts, then blocks added through the API
//! and the designer's form showing them added together, by account (by friendly name, a closed
//! account marked), and filtered to chosen accounts, on SQLite and on PostgreSQL. Expected
//! values are summed here from the buckets the test wrote.

mod support;

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use metric::accounts::{AccountScope, compose};
use serde_json::{Value, json};
use store::{BoardStore as _, BucketRow, NewMetric, Store as _};
use support::{Session, TestApp, good_run, spawn_app, spawn_app_pg};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
use support::brands::{BRAND_B, BRAND_C, NAMES, PARENT};

/// What the test wrote: per account, the sum of its buckets.
struct Seeded {
    multi: i64,
    single: i64,
    per_account: BTreeMap<&'static str, f64>,
}

async fn seed(app: &TestApp) -> Seeded {
    support::brands::parent_with_brands(app).await;
    let store = app.state.store();
    let now = jiff::Timestamp::now().as_millisecond();
    let mut def = library::find("messages-sent").unwrap().definition.clone();
    let single = metric(app, "One account", &def).await;
    def.accounts = AccountScope::Active;
    let multi = metric(app, "Every account", &def).await;
    // Two whole days ending at yesterday's start: inside the last 30 days whatever they end at.
    let end = now.div_euclid(DAY_MS) * DAY_MS - DAY_MS;
    let start = end - 2 * DAY_MS;
    let mut rows = Vec::new();
    let mut per_account = BTreeMap::new();
    for (a, (sid, _)) in NAMES.iter().enumerate() {
        for h in 0..48i64 {
            for (d, own) in ["delivered", "failed"].iter().enumerate() {
                let v = ((h * 7 + a as i64 * 13 + d as i64 * 5) % 11) as f64;
                let hour_ms = start + h * HOUR_MS;
                rows.push(bucket(compose(sid, Some(own)), hour_ms, v));
                *per_account.entry(*sid).or_insert(0.0) += v;
            }
        }
    }
    store
        .replace_window(store::MetricId(multi), start, end, &rows)
        .await
        .unwrap();
    good_run(store, store::MetricId(multi), start, end).await;
    good_run(store, store::MetricId(single), start, end).await;
    Seeded {
        multi,
        single,
        per_account,
    }
}

async fn metric(app: &TestApp, name: &str, def: &metric::MetricDefinition) -> i64 {
    let m = app
        .state
        .store()
        .create_metric(
            &NewMetric {
                name: name.into(),
                connection_id: None,
                definition: def.to_json_pretty(),
            },
            0,
        )
        .await
        .unwrap();
    m.id.0
}

fn bucket(dimension: String, hour_ms: i64, v: f64) -> BucketRow {
    BucketRow {
        dimension,
        hour_ms,
        sum: v,
        count: 1,
        min: v,
        max: v,
        latest: v,
        latest_at_ms: hour_ms,
    }
}

/// A board (the last 30 days in UTC), made through the API.
async fn board(app: &TestApp, token: &str) -> i64 {
    let r = app
        .api(
            Method::POST,
            "/api/v1/boards",
            Some(token),
            Some(json!({ "name": "Accounts" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["board"]["id"].as_i64().unwrap()
}

async fn add_block(app: &TestApp, token: &str, board: i64, body: Value) -> (StatusCode, Value) {
    let r = app
        .api(
            Method::POST,
            &format!("/api/v1/boards/{board}/blocks"),
            Some(token),
            Some(body),
        )
        .await;
    (
        r.status,
        serde_json::from_str(&r.body).unwrap_or(Value::Null),
    )
}

/// The block's CSV: (dimension, value) of its breakdown and total lines.
async fn csv(app: &TestApp, admin: &Session, board: i64, block: i64) -> BTreeMap<String, f64> {
    let r = app
        .get(&format!("/boards/{board}/blocks/{block}.csv"), Some(admin))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            let dim = cells.get(2)?.trim_matches('"');
            let value: f64 = cells.last()?.parse().ok()?;
            (!dim.is_empty()).then(|| (dim.to_owned(), value))
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

async fn blocks_show_accounts_added_by_account_and_filtered(app: TestApp) {
    let admin = app.admin().await;
    let token = app.token(&admin).await;
    let seeded = seed(&app).await;
    let board = board(&app, &token).await;
    let table = json!({ "kind": "table", "metrics": [seeded.multi], "accounts": "by_account" });
    let (status, table) = add_block(&app, &token, board, table).await;
    assert_eq!(status, StatusCode::CREATED, "{table}");
    let table = table["block"]["id"].as_i64().unwrap();
    let (_, total) = add_block(
        &app,
        &token,
        board,
        json!({ "kind": "number", "metrics": [seeded.multi] }),
    )
    .await;
    let total = total["block"]["id"].as_i64().unwrap();
    let (_, only_b) = add_block(
        &app,
        &token,
        board,
        json!({ "kind": "number", "metrics": [seeded.multi], "account_filter": [BRAND_B] }),
    )
    .await;
    assert_eq!(
        only_b["block"]["settings"]["account_filter"],
        json!([BRAND_B])
    );
    let only_b = only_b["block"]["id"].as_i64().unwrap();

    let rows = csv(&app, &admin, board, table).await;
    for (sid, name) in NAMES {
        let shown = rows.get(name).copied();
        assert!(
            shown.is_some_and(|v| close(v, seeded.per_account[sid])),
            "{name}: {shown:?} against {}: {rows:?}",
            seeded.per_account[sid]
        );
    }
    let sum: f64 = seeded.per_account.values().sum();
    let shown = csv(&app, &admin, board, total).await["(total)"];
    assert!(close(shown, sum), "total {shown} against {sum}");
    let shown = csv(&app, &admin, board, only_b).await["(total)"];
    assert!(close(shown, seeded.per_account[BRAND_B]), "Brand B {shown}");

    let page = app.get(&format!("/boards/{board}"), Some(&admin)).await;
    assert!(page.body.contains("Brand C (closed)"), "{}", page.body);
    assert!(!page.body.contains(BRAND_C), "a SID shown: {}", page.body);

    // A metric of one account has no accounts to show: refused, naming the field.
    let (status, refused) = add_block(
        &app,
        &token,
        board,
        json!({ "kind": "table", "metrics": [seeded.single], "accounts": "by_account" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "accounts", "{refused}");
}

async fn the_designer_offers_accounts_and_saves_them(app: TestApp) {
    let admin = app.admin().await;
    let token = app.token(&admin).await;
    let seeded = seed(&app).await;
    let board = board(&app, &token).await;
    let panel = app
        .get(&format!("/boards/{board}?edit=1&add=line"), Some(&admin))
        .await;
    assert!(panel.body.contains("name=\"accounts\""), "{}", panel.body);
    for (sid, name) in NAMES {
        assert!(panel.body.contains(&format!("value=\"{sid}\"")), "{sid}");
        assert!(panel.body.contains(name), "{name}");
    }
    // A Text block reads no metric: no account fields.
    let text = app
        .get(&format!("/boards/{board}?edit=1&add=text"), Some(&admin))
        .await;
    assert!(!text.body.contains("name=\"accounts\""));

    let multi = seeded.multi.to_string();
    let sent = app
        .post_form(
            &format!("/boards/{board}/blocks"),
            Some(&admin),
            &[
                ("csrf", &admin.csrf),
                ("kind", "line"),
                ("metric", &multi),
                ("accounts", "by_account"),
                ("account", PARENT),
                ("account", BRAND_C),
            ],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let blocks = app
        .state
        .store()
        .blocks(store::BoardId(board))
        .await
        .unwrap();
    let settings: Value = serde_json::from_str(&blocks[0].block.settings).unwrap();
    assert_eq!(settings["accounts"], "by_account", "{settings}");
    assert_eq!(settings["account_filter"], json!([PARENT, BRAND_C]));
    let id = blocks[0].id.0;
    let edit = app
        .get(&format!("/boards/{board}?edit=1&block={id}"), Some(&admin))
        .await;
    assert!(
        edit.body.contains(&format!("value=\"{BRAND_C}\" checked")),
        "{}",
        edit.body
    );
}

#[tokio::test]
async fn blocks_show_accounts_added_by_account_and_filtered_on_sqlite() {
    blocks_show_accounts_added_by_account_and_filtered(spawn_app().await).await;
}

#[tokio::test]
async fn blocks_show_accounts_added_by_account_and_filtered_on_postgres() {
    let Some((app, _schema)) = spawn_app_pg().await else {
        return;
    };
    blocks_show_accounts_added_by_account_and_filtered(app).await;
}

#[tokio::test]
async fn the_designer_offers_accounts_and_saves_them_on_sqlite() {
    the_designer_offers_accounts_and_saves_them(spawn_app().await).await;
}

/// The API's JSON names what an HTML form cannot send: an empty or boolean view, a filter that
/// is not a list. The document (`openapi.rs`) allows neither, so neither is taken silently.
#[tokio::test]
async fn the_api_refuses_an_account_view_or_filter_of_the_wrong_kind() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let token = app.token(&admin).await;
    let seeded = seed(&app).await;
    let board = board(&app, &token).await;
    for (body, field) in [
        (json!({ "accounts": "" }), "accounts"),
        (json!({ "accounts": false }), "accounts"),
        (json!({ "account_filter": BRAND_B }), "account_filter"),
        (json!({ "account_filter": [BRAND_B, 7] }), "account_filter"),
    ] {
        let mut block = json!({ "kind": "table", "metrics": [seeded.multi] });
        block
            .as_object_mut()
            .unwrap()
            .extend(body.as_object().unwrap().clone());
        let (status, refused) = add_block(&app, &token, board, block).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {refused}"
        );
        assert_eq!(refused["error"]["field"], field, "{body}: {refused}");
    }
    let (status, kept) = add_block(
        &app,
        &token,
        board,
        json!({ "kind": "table", "metrics": [seeded.multi], "accounts": null, "account_filter": null }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "null is left out: {kept}");
}
