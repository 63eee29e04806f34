//! A connection's Twilio accounts on the Data Manager, its accounts page and the API, the
//! builder's and the library's account scope, and a multi-account metric's page, against a
//! simulator with three subaccounts over loopback, on SQLite and PostgreSQL.

mod support;

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use connector::{BaseUrl, Connector, ConnectorConfig};
use serde_json::{Value, json};
use store::{AnyStore, Store as _};
use support::{TestApp, flash, spawn_app_with_connector};
use twilio_sim::{SimConfig, SimHandle, Sizes};
use web::state::AppState;

async fn sim() -> SimHandle {
    twilio_sim::spawn(SimConfig {
        seed: 21,
        now: jiff::Timestamp::now(),
        sizes: Sizes {
            messages_per_day: 2,
            calls_per_day: 1,
            days: 2,
            subaccounts: 3,
            ..Sizes::default()
        },
        faults: Default::default(),
        incidents: Vec::new(),
    })
    .await
    .unwrap()
}

fn connector_to(sim: &SimHandle) -> Connector {
    Connector::new(ConnectorConfig {
        base_url: Some(BaseUrl::parse(&sim.base_url()).unwrap()),
        ..ConnectorConfig::default()
    })
    .unwrap()
}

/// The app on each backend, reaching `sim`; PostgreSQL skipped loudly when unreachable.
async fn apps(sim: &SimHandle) -> Vec<(TestApp, Option<test_support::PgSchema>)> {
    let mut out = vec![(spawn_app_with_connector(connector_to(sim)).await, None)];
    if let Some(schema) = test_support::PgSchema::create("web_accts").await {
        let store = Arc::new(AnyStore::Postgres(
            store::PostgresStore::connect_with(schema.options(), 5, support::key())
                .await
                .unwrap(),
        ));
        let dir = std::env::temp_dir().join(format!(
            "sb-web-accts-{}-{}",
            std::process::id(),
            web::accounts::random_token()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let state = AppState::new(
            Arc::clone(&store),
            connector_to(sim),
            Arc::new(web::accounts::StoreAccounts::new(store)),
            web::WebConfig::default(),
        );
        let app = TestApp {
            dir,
            router: web::App::build(state.clone()),
            state,
        };
        out.push((app, Some(schema)));
    }
    out
}

/// Saves the simulator's parent account through the Data Manager form; answers the flash.
async fn save_parent(
    app: &TestApp,
    admin: &support::Session,
    sim: &SimHandle,
    standard: bool,
) -> (bool, String) {
    let account = sim.dataset().main_account();
    let key = if standard {
        account.standard_key()
    } else {
        account.main_key()
    }
    .unwrap();
    let reply = app
        .post_form(
            "/connections",
            Some(admin),
            &[
                ("csrf", &admin.csrf),
                ("label", "parent"),
                ("account_sid", &account.sid),
                ("api_key_sid", &key.sid),
                ("secret", &key.secret),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    flash(&reply).expect("a message beside the check")
}

async fn parent_id(app: &TestApp) -> i64 {
    app.state
        .store()
        .connection_by_label("parent")
        .await
        .unwrap()
        .unwrap()
        .id
        .0
}

/// The "parent" connection's accounts as `GET /api/v1/connections/{id}/accounts` lists them.
async fn api_accounts(app: &TestApp, token: &str) -> Vec<serde_json::Value> {
    let id = parent_id(app).await;
    let listed = app
        .api(
            Method::GET,
            &format!("/api/v1/connections/{id}/accounts"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    listed.json()["accounts"].as_array().unwrap().clone()
}

#[tokio::test]
async fn saving_a_connection_reports_its_subaccounts_and_the_data_manager_counts_them() {
    let sim = sim().await;
    for (app, _schema) in apps(&sim).await {
        let admin = app.admin().await;
        let (ok, text) = save_parent(&app, &admin, &sim, false).await;
        assert!(ok, "{text}");
        assert!(text.contains("connected with a Main key"), "{text}");
        assert!(text.contains("3 subaccounts found"), "{text}");
        let page = app.get("/connections", Some(&admin)).await;
        let id = parent_id(&app).await;
        assert!(
            page.body
                .contains(&format!("href=\"/connections/{id}/accounts\"")),
            "{}",
            page.body
        );
        assert!(page.body.contains("4 accounts"), "{}", page.body);
    }
}

#[tokio::test]
async fn the_accounts_page_lists_every_account_by_name_sid_and_status() {
    let sim = sim().await;
    let data = sim.dataset();
    for (app, _schema) in apps(&sim).await {
        let admin = app.admin().await;
        save_parent(&app, &admin, &sim, false).await;
        let id = parent_id(&app).await;
        let page = app
            .get(&format!("/connections/{id}/accounts"), Some(&admin))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        for a in &data.accounts {
            assert!(page.body.contains(&a.sid), "{} missing", a.sid);
            assert!(
                page.body.contains(&a.friendly_name),
                "{} missing",
                a.friendly_name
            );
        }
        assert_eq!(
            page.body.matches("data-status=\"active\"").count(),
            data.accounts.len()
        );
        assert!(page.body.contains("Discover now"));
    }
}

#[tokio::test]
async fn a_standard_key_is_saved_with_its_own_account_and_the_reason_in_words() {
    let sim = sim().await;
    let data = sim.dataset();
    for (app, _schema) in apps(&sim).await {
        let admin = app.admin().await;
        let (_, text) = save_parent(&app, &admin, &sim, true).await;
        assert!(
            text.contains("a Standard API key cannot list subaccounts"),
            "{text}"
        );
        let token = app.token(&admin).await;
        let accounts = api_accounts(&app, &token).await;
        assert_eq!(accounts.len(), 1);
        assert_eq!(accounts[0]["sid"], data.main_account().sid);
        assert_eq!(accounts[0]["is_parent"], true);
    }
}

#[tokio::test]
async fn the_api_lists_and_discovers_a_connections_accounts() {
    let sim = sim().await;
    let data = sim.dataset();
    for (app, _schema) in apps(&sim).await {
        let admin = app.admin().await;
        save_parent(&app, &admin, &sim, false).await;
        let token = app.token(&admin).await;
        let id = parent_id(&app).await;
        let mut sids: Vec<String> = api_accounts(&app, &token)
            .await
            .iter()
            .map(|a| a["sid"].as_str().unwrap().to_owned())
            .collect();
        let mut want: Vec<String> = data.accounts.iter().map(|a| a.sid.clone()).collect();
        sids.sort();
        want.sort();
        assert_eq!(sids, want);
        let again = app
            .api(
                Method::POST,
                &format!("/api/v1/connections/{id}/accounts/discover"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
        let body = again.json();
        assert_eq!(body["discovery"]["outcome"], "listed");
        assert_eq!(body["discovery"]["subaccounts"], 3);
        assert_eq!(body["joined"], json!([]), "nothing new since the save");
        assert_eq!(
            body["accounts"].as_array().unwrap().len(),
            data.accounts.len()
        );
    }
}

#[tokio::test]
async fn discover_now_on_the_accounts_page_says_what_it_found() {
    let sim = sim().await;
    for (app, _schema) in apps(&sim).await {
        let admin = app.admin().await;
        save_parent(&app, &admin, &sim, false).await;
        app.user("ed", app::Role::Editor).await;
        let editor = app.login("ed").await;
        let id = parent_id(&app).await;
        let reply = app
            .post_form(
                &format!("/connections/{id}/accounts/discover"),
                Some(&editor),
                &[("csrf", &editor.csrf)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        assert_eq!(
            reply.location(),
            Some(format!("/connections/{id}/accounts").as_str())
        );
        let (ok, text) = flash(&reply).unwrap();
        assert!(ok && text.contains("3 subaccounts found"), "{text}");
    }
}

#[tokio::test]
async fn the_library_adds_a_metric_for_every_active_account() {
    let sim = sim().await;
    for (app, _schema) in apps(&sim).await {
        let admin = app.admin().await;
        save_parent(&app, &admin, &sim, false).await;
        let page = app.get("/library", Some(&admin)).await;
        assert!(page.body.contains("Every active account"));
        let reply = app
            .post_form(
                "/library/add",
                Some(&admin),
                &[
                    ("csrf", &admin.csrf),
                    ("slug", "messages-sent"),
                    ("connection", "parent"),
                    ("accounts", "active"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert!(
            flash(&reply).is_some_and(|(ok, _)| ok),
            "{:?}",
            flash(&reply)
        );
        let m = app
            .state
            .store()
            .metric_by_name("Messages sent")
            .await
            .unwrap()
            .unwrap();
        let def: Value = serde_json::from_str(&m.definition).unwrap();
        assert_eq!(def["accounts"], "active");
        let token = app.token(&admin).await;
        let api = app
            .api(
                Method::POST,
                "/api/v1/library/messages-received/add",
                Some(&token),
                Some(json!({"connection": "parent", "accounts": "active"})),
            )
            .await;
        assert_eq!(api.status, StatusCode::CREATED, "{}", api.body);
        assert_eq!(
            api.json()["metric"]["definition"]["accounts"],
            "active",
            "{}",
            api.body
        );
    }
}

#[tokio::test]
async fn the_builder_offers_the_connections_accounts_and_saves_the_chosen_ones() {
    let sim = sim().await;
    let data = sim.dataset();
    for (app, _schema) in apps(&sim).await {
        let admin = app.admin().await;
        save_parent(&app, &admin, &sim, false).await;
        let page = app.get("/builder", Some(&admin)).await;
        assert!(page.body.contains("Chosen accounts"));
        assert!(
            page.body
                .contains("The preview read the connection&#x27;s own account only")
                || page
                    .body
                    .contains("The preview read the connection's own account only"),
            "{}",
            page.body
        );
        for a in &data.accounts {
            assert!(
                page.body.contains(&a.sid),
                "the builder's data lacks {}",
                a.sid
            );
        }
        let chosen = vec![data.accounts[1].sid.clone(), data.accounts[2].sid.clone()];
        let def = json!({
            "version": 1, "connection": "parent", "accounts": { "list": chosen },
            "request": { "host": "api.twilio.com", "path": "/2010-04-01/Accounts/{AccountSid}/Messages.json" },
            "extraction": { "expression": "messages.{ 'value': 1, 'date': date_sent }" },
            "description": { "name": "Chosen messages", "aggregation": "sum", "favourable": "up", "format": { "unit": "count" }, "interval": "day" }
        });
        let saved = app
            .api_session(
                Method::POST,
                "/api/v1/builder/save",
                &admin,
                Some(json!({ "definition": def })),
            )
            .await;
        assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.body);
        let id = saved.json()["metric"]["id"].as_i64().unwrap();
        let stored = app.state.store().metric(store::MetricId(id)).await.unwrap();
        let stored: Value = serde_json::from_str(&stored.definition).unwrap();
        assert_eq!(stored["accounts"]["list"], json!(chosen));
        let metric_page = app.get(&format!("/metrics/{id}"), Some(&admin)).await;
        assert!(
            metric_page
                .body
                .contains("2 chosen accounts of connection &#39;parent&#39;")
                || metric_page
                    .body
                    .contains("2 chosen accounts of connection 'parent'"),
            "{}",
            metric_page.body
        );
    }
}

/// Stores hourly rows under composite dimensions for two of the accounts, as a sync of a
/// multi-account metric writes them.
async fn multi_account_metric(
    app: &TestApp,
    admin: &support::Session,
    sim: &SimHandle,
) -> (i64, Vec<(String, f64)>) {
    let data = sim.dataset();
    let def = json!({
        "version": 1, "connection": "parent", "accounts": "active",
        "request": { "host": "api.twilio.com", "path": "/2010-04-01/Accounts/{AccountSid}/Messages.json" },
        "extraction": { "expression": "messages.{ 'value': 1, 'date': date_sent, 'dimension': status }" },
        "description": { "name": "Messages by account", "aggregation": "sum", "favourable": "up", "format": { "unit": "count" }, "interval": "day" }
    });
    let saved = app
        .api_session(
            Method::POST,
            "/api/v1/builder/save",
            admin,
            Some(json!({ "definition": def })),
        )
        .await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.body);
    let id = store::MetricId(saved.json()["metric"]["id"].as_i64().unwrap());
    let now = app.state.clock().now_ms();
    // Two days back: inside the page's default range (the last 30 whole days).
    let hour = now - now.rem_euclid(3_600_000) - 48 * 3_600_000;
    let parts = [
        (data.accounts[1].sid.clone(), 7.0),
        (data.accounts[2].sid.clone(), 5.0),
    ];
    let rows: Vec<store::BucketRow> = parts
        .iter()
        .map(|(sid, v)| store::BucketRow {
            dimension: metric::accounts::compose(sid, Some("delivered")),
            hour_ms: hour,
            sum: *v,
            count: *v as i64,
            min: 1.0,
            max: 1.0,
            latest: 1.0,
            latest_at_ms: hour,
        })
        .collect();
    let from = hour - 24 * 3_600_000;
    app.state
        .store()
        .replace_window(id, from, hour + 3_600_000, &rows)
        .await
        .unwrap();
    support::good_run(app.state.store(), id, from, hour + 3_600_000).await;
    (id.0, parts.to_vec())
}

#[tokio::test]
async fn a_multi_account_metrics_page_breaks_it_down_by_account_name() {
    let sim = sim().await;
    let data = sim.dataset();
    for (app, _schema) in apps(&sim).await {
        let admin = app.admin().await;
        save_parent(&app, &admin, &sim, false).await;
        let (id, parts) = multi_account_metric(&app, &admin, &sim).await;
        let page = app.get(&format!("/metrics/{id}"), Some(&admin)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let total: f64 = parts.iter().map(|p| p.1).sum();
        assert!(
            page.body.contains(&format!("data-value=\"{total}\"")),
            "the total is the sum of the parts"
        );
        let section = &page.body[page
            .body
            .find("id=\"metric-accounts\"")
            .expect("a By account section")..];
        for (i, (sid, v)) in parts.iter().enumerate() {
            let name = &data.accounts[i + 1].friendly_name;
            assert!(
                section.contains(&format!("?account={sid}\">{name}</a>")),
                "{name}: {section}"
            );
            assert!(
                section.contains(&format!(">{v}<"))
                    || section.contains(&format!(">{}<", *v as i64)),
                "{v}"
            );
        }
        // The third subaccount is read but has no rows: said so, not drawn as 0.
        let silent = &data.accounts[3];
        let row = &section[section
            .find(&format!("data-sid=\"{}\"", silent.sid))
            .expect("the silent account's row")..];
        assert!(
            row[..row.find("</tr>").unwrap()].contains("no data"),
            "{row}"
        );
    }
}

#[tokio::test]
async fn account_in_the_query_shows_that_accounts_chart_alone() {
    let sim = sim().await;
    let data = sim.dataset();
    for (app, _schema) in apps(&sim).await {
        let admin = app.admin().await;
        save_parent(&app, &admin, &sim, false).await;
        let (id, parts) = multi_account_metric(&app, &admin, &sim).await;
        let (sid, value) = &parts[1];
        let page = app
            .get(&format!("/metrics/{id}?account={sid}"), Some(&admin))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            page.body.contains(&format!("data-value=\"{value}\"")),
            "one account's total"
        );
        assert!(page.body.contains(&data.accounts[2].friendly_name));
        assert!(page.body.contains("Show every account"));
    }
}
