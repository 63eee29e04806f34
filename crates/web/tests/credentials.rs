//! Finding 1 of issue 15: the Accounts list carries each account's Auth Token, which can send
//! messages and create keys. Nobody may read it through Switchboard: not an Editor in the
//! builder, not a Viewer through a metric's data, not an anonymous share link or its CSV, and it
//! must not be stored. The tokens to look for come from the simulator's dump, not from the app.

mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use connector::{BaseUrl, Connector, ConnectorConfig, RetryPolicy};
use serde_json::{Value, json};
use store::{BoardStore as _, MetricId, Store as _};
use support::*;
use web::Role;

const ACCOUNTS: &str = "/2010-04-01/Accounts.json";

/// What Switchboard shows instead of a credential's value (documented in
/// `docs/metric-definition.md`), written here rather than taken from the code under test.
const MARKER: &str = "[redacted]";

/// A simulator of its own with subaccounts (the shared one has none), so the Accounts list
/// holds several Auth Tokens.
struct Sim {
    handle: twilio_sim::SimHandle,
    dump: Value,
}

impl Sim {
    async fn start() -> Self {
        let handle = twilio_sim::spawn(twilio_sim::SimConfig {
            seed: 15,
            now: jiff::Timestamp::now(),
            sizes: twilio_sim::Sizes {
                messages_per_day: 2,
                calls_per_day: 1,
                days: 2,
                subaccounts: 2,
                ..twilio_sim::Sizes::default()
            },
            faults: Default::default(),
            incidents: Vec::new(),
        })
        .await
        .expect("spawn the simulator");
        let dump = serde_json::to_value(handle.dataset()).expect("the dataset as JSON");
        Sim { handle, dump }
    }

    /// Every account's and subaccount's Auth Token, as the simulator's dump has them.
    fn auth_tokens(&self) -> Vec<String> {
        let tokens: Vec<String> = self.dump["accounts"]
            .as_array()
            .expect("accounts in the dump")
            .iter()
            .map(|a| a["auth_token"].as_str().expect("an auth_token").to_owned())
            .collect();
        assert_eq!(tokens.len(), 3, "the main account and two subaccounts");
        tokens
    }

    fn connector(&self) -> Connector {
        Connector::new(ConnectorConfig {
            base_url: Some(BaseUrl::parse(&self.handle.base_url()).unwrap()),
            retry: RetryPolicy {
                max_attempts: 2,
                base_delay: Duration::from_millis(2),
                max_delay: Duration::from_millis(20),
                max_total_wait: Duration::from_secs(2),
            },
            ..ConnectorConfig::default()
        })
        .unwrap()
    }
}

/// Fails naming where a token showed up, without printing the token itself.
fn assert_no_token(tokens: &[String], what: &str, text: &str) {
    for (i, token) in tokens.iter().enumerate() {
        assert!(
            !text.contains(token.as_str()),
            "{what} holds the Auth Token of account {i} of the dump"
        );
    }
}

/// An app on `sim` with a connection `prod` to its main account (saved by an admin), and an
/// Editor's API token.
async fn app_on(sim: &Sim) -> (TestApp, Session, String) {
    let app = spawn_app_with_connector(sim.connector()).await;
    app.user("ada", Role::Admin).await;
    app.user("eddie", Role::Editor).await;
    let admin = app.login("ada").await;
    let account = sim.handle.dataset().main_account();
    let key = account.main_key().expect("the main account has a Main key");
    let saved = app
        .post_form(
            "/connections",
            Some(&admin),
            &[
                ("csrf", &admin.csrf),
                ("label", "prod"),
                ("account_sid", &account.sid),
                ("api_key_sid", &key.sid),
                ("secret", &key.secret),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let editor = app.login("eddie").await;
    let token = app.token(&editor).await;
    (app, admin, token)
}

fn accounts_request() -> Value {
    json!({
        "host": "api.twilio.com",
        "path": ACCOUNTS,
        "params": [{"key": "PageSize", "value": "1000"}],
        "pagination": "next_page",
    })
}

/// Accounts counted by their `auth_token`: the worst a metric can do with the field.
fn by_token_picks() -> Value {
    json!({
        "records": "accounts",
        "value": {"kind": "count"},
        "dimension": "auth_token",
        "date": {"kind": "sync_time"},
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_editor_cannot_read_the_accounts_auth_token() {
    let sim = Sim::start().await;
    let tokens = sim.auth_tokens();
    let (app, _, editor) = app_on(&sim).await;

    let fetched = app
        .api(
            Method::POST,
            "/api/v1/builder/fetch",
            Some(&editor),
            Some(json!({"connection": "prod", "method": "GET", "request": accounts_request()})),
        )
        .await;
    assert_eq!(fetched.status, StatusCode::OK, "{}", fetched.body);
    let accounts = fetched.json()["pages"][0]["accounts"].clone();
    assert_eq!(
        accounts.as_array().map(Vec::len),
        Some(3),
        "the builder shows every account: {}",
        fetched.body
    );
    // The field stays, so the Editor sees it exists, with the marker instead of the value.
    for account in accounts.as_array().unwrap() {
        assert_eq!(account["auth_token"], MARKER, "account {}", account["sid"]);
    }
    assert_no_token(&tokens, "the builder's fetch", &fetched.body);

    let previewed = app
        .api(
            Method::POST,
            "/api/v1/builder/preview",
            Some(&editor),
            Some(json!({
                "connection": "prod",
                "request": accounts_request(),
                "expression": "accounts.{\"value\": 1, \"dimension\": auth_token & ' ' & $string($), \"date\": date_created}",
            })),
        )
        .await;
    assert_no_token(&tokens, "the builder's preview", &previewed.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_viewer_share_link_or_stored_row_sees_an_auth_token_after_a_sync_of_the_accounts_list() {
    let sim = Sim::start().await;
    let tokens = sim.auth_tokens();
    let (app, admin, editor) = app_on(&sim).await;

    let expression = app
        .api(
            Method::POST,
            "/api/v1/builder/expression",
            Some(&editor),
            Some(json!({"picks": by_token_picks()})),
        )
        .await;
    assert_eq!(expression.status, StatusCode::OK, "{}", expression.body);
    let expression = expression.json()["expression"].as_str().unwrap().to_owned();
    let created = app
        .api(
            Method::POST,
            "/api/v1/metrics",
            Some(&editor),
            Some(json!({"definition": {
                "version": 1,
                "connection": "prod",
                "request": accounts_request(),
                "extraction": {"picks": by_token_picks(), "expression": expression},
                "description": {
                    "name": "Accounts by token", "aggregation": "sum", "favourable": "up",
                    "format": {"unit": "count"}, "interval": "day",
                },
            }})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.json()["metric"]["id"].as_i64().unwrap();
    let report = metric_sync::Syncer::new(
        Arc::clone(app.state.store()),
        sim.connector(),
        metric_sync::SyncConfig::default(),
    )
    .sync_metric(MetricId(id), jiff::Timestamp::now())
    .await
    .unwrap();
    assert!(report.error().is_none(), "{:?}", report.error());

    // A Viewer reads the metric's data: three accounts, none named by its token.
    app.user("vera", Role::Viewer).await;
    let viewer = app.login("vera").await;
    let viewer_token = app.token(&viewer).await;
    let from = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(48)).to_string();
    let to = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(2)).to_string();
    let data = app
        .api(
            Method::GET,
            &format!("/api/v1/metrics/{id}/data?from={from}&to={to}&interval=day"),
            Some(&viewer_token),
            None,
        )
        .await;
    assert_eq!(data.status, StatusCode::OK, "{}", data.body);
    assert_eq!(
        data.json()["result"]["total"].as_f64(),
        Some(3.0),
        "{}",
        data.body
    );
    assert!(
        data.body.contains(MARKER),
        "the accounts are counted under the marker: {}",
        data.body
    );
    assert_no_token(&tokens, "a Viewer's metric data", &data.body);
    let runs = app
        .api(
            Method::GET,
            &format!("/api/v1/metrics/{id}/runs"),
            Some(&viewer_token),
            None,
        )
        .await;
    assert_eq!(runs.status, StatusCode::OK, "{}", runs.body);
    assert_no_token(&tokens, "a Viewer's sync runs", &runs.body);

    // A board with a table of the metric by dimension, shared through an anonymous link.
    let board = app
        .post_form(
            "/boards",
            Some(&admin),
            &[("csrf", &admin.csrf), ("name", "Accounts")],
        )
        .await;
    assert_eq!(board.status, StatusCode::SEE_OTHER, "{}", board.body);
    let board_id: i64 = board
        .location()
        .unwrap()
        .trim_start_matches("/boards/")
        .split(['?', '/'])
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let block = app
        .post_form(
            &format!("/boards/{board_id}/blocks"),
            Some(&admin),
            &[
                ("csrf", &admin.csrf),
                ("kind", "table"),
                ("title", "by token"),
                ("metric", &id.to_string()),
                ("table_rows", "by_dimension"),
                ("top", "10"),
            ],
        )
        .await;
    assert!(
        flash(&block).is_some_and(|f| f.0),
        "{:?} {}",
        block.location(),
        block.body
    );
    let block_id = app
        .state
        .store()
        .blocks(store::BoardId(board_id))
        .await
        .unwrap()[0]
        .id
        .0;
    let shared = app
        .post_form(
            &format!("/boards/{board_id}/shares"),
            Some(&admin),
            &[("csrf", &admin.csrf), ("label", "wall"), ("days", "7")],
        )
        .await;
    let flash: String = flash(&shared).expect("a message with the link").1;
    let link = format!("/shared/{}", flash.rsplit("/shared/").next().unwrap());
    let page = app.get(&format!("{link}?range=today"), None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(MARKER),
        "the table shows the marker as the dimension: {}",
        page.body
    );
    assert_no_token(&tokens, "the share link's page", &page.body);
    let csv = app
        .get(&format!("{link}/blocks/{block_id}.csv?range=today"), None)
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert_no_token(&tokens, "the share link's CSV", &csv.body);

    // Nothing stored holds a token: every column of the database, and the raw pages inside
    // their compression.
    let raw = app
        .state
        .store()
        .raw_pages(MetricId(id))
        .await
        .unwrap()
        .expect("the sync kept its raw pages");
    let store::RawPageContent::Open(pages) = &raw.pages else {
        panic!("the store's own key opens its raw pages");
    };
    for bytes in pages {
        let page = metric_sync::decode_raw_page(bytes).unwrap();
        assert_no_token(&tokens, "a stored raw page", &page.page.to_string());
    }
    for line in test_support::sqlite_text_dump(&app.dir.join(store::DATABASE_FILE)).await {
        let column = line.split(':').next().unwrap_or_default();
        assert_no_token(&tokens, &format!("the database column {column}"), &line);
    }
}
