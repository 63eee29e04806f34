//! A connection's accounts page and the builder's Accounts choice in headless Chromium, at a
//! desktop's and a phone's width: screenshots (`target/screenshots/accounts-*.png`,
//! `builder-accounts-*.png`), no horizontal overflow on the phone, the filters, and the choice
//! saved into the definition. Without Chromium they SKIP loudly (or fail under
//! `SWITCHBOARD_REQUIRE_ALL=1`), as `browser.rs` does.

mod support;

use serde_json::{Value, json};
use store::{AccountStatus, ListedAccount, Store as _, TwilioAccountStore as _};
use support::browser::{Browser, Size, WebApp, no_overflow};
use web::Role;

const CONNECTION: &str = "sim";

/// Forty subaccounts beside the simulator's account, one suspended, one closed and one the key
/// cannot read, recorded as a discovery records them: a long list with every kind of row.
async fn many_accounts(app: &WebApp) -> (store::ConnectionId, Vec<String>) {
    let store = app.state.store();
    let conn = store
        .connection_by_label(CONNECTION)
        .await
        .unwrap()
        .unwrap();
    let mut listed = vec![ListedAccount {
        sid: conn.account_sid.clone(),
        friendly_name: "Main account".into(),
        status: AccountStatus::Active,
        is_parent: true,
    }];
    for i in 1..=40u32 {
        listed.push(ListedAccount {
            sid: domain::AccountSid::parse(&format!("AC{i:032x}")).unwrap(),
            friendly_name: format!("Brand {i:02}"),
            status: match i {
                7 => AccountStatus::Suspended,
                9 => AccountStatus::Closed,
                _ => AccountStatus::Active,
            },
            is_parent: false,
        });
    }
    let now = app.state.clock().now_ms();
    store
        .record_account_listing(conn.id, &listed, now)
        .await
        .unwrap();
    store
        .set_account_access(
            conn.id,
            &listed[3].sid,
            Some("Twilio refused this key for the account (HTTP 401)"),
        )
        .await
        .unwrap();
    (conn.id, listed.iter().map(|a| a.sid.to_string()).collect())
}

async fn visible_rows(b: &Browser, css: &str) -> u64 {
    b.execute(
        &format!("return [...document.querySelectorAll('{css}')].filter(r => !r.hidden).length"),
        vec![],
    )
    .await
    .as_u64()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_accounts_page_at_both_widths_filters_its_rows() {
    for size in [Size::Phone, Size::Desktop] {
        let app = WebApp::spawn().await;
        app.user("ada", Role::Admin).await;
        app.connection(CONNECTION).await;
        let (id, _) = many_accounts(&app).await;
        let Some(b) = Browser::open(&app, size).await else {
            return;
        };
        b.login("ada").await;
        b.goto(&format!("/connections/{}/accounts", id.0)).await;
        b.wait_for("#accounts-table").await;
        assert_eq!(visible_rows(&b, "#accounts-table tbody tr").await, 41);
        let text = b.body_text().await;
        assert!(
            text.contains("kept: its history stays, no longer requested"),
            "{text}"
        );
        assert!(
            text.contains("Twilio refused this key for the account (HTTP 401)"),
            "{text}"
        );
        no_overflow(&b, "accounts", size).await;
        b.fill("account-filter", "brand 1").await;
        b.wait_until("the filter", "return [...document.querySelectorAll('#accounts-table tbody tr')].filter(r => !r.hidden).length === 10").await;
        b.goto("/connections").await;
        b.wait_for(".accounts-link").await;
        assert_eq!(b.text(".accounts-link").await, "41 accounts");
        no_overflow(&b, "connections-accounts", size).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_builders_accounts_choice_at_both_widths_saves_what_is_chosen() {
    for size in [Size::Phone, Size::Desktop] {
        let app = WebApp::spawn().await;
        app.user("eddie", Role::Editor).await;
        app.connection(CONNECTION).await;
        let (_, sids) = many_accounts(&app).await;
        let def = json!({
            "version": 1, "connection": CONNECTION, "accounts": { "list": [sids[1], sids[2]] },
            "request": { "host": "api.twilio.com", "path": "/2010-04-01/Accounts/{AccountSid}/Messages.json" },
            "extraction": { "expression": "messages.{ 'value': 1, 'date': date_sent }" },
            "description": { "name": "Brand messages", "aggregation": "sum", "favourable": "up", "format": { "unit": "count" }, "interval": "day" }
        });
        let (m, _) = app
            .state
            .app()
            .create_metric(&metric::MetricDefinition::from_value(def).unwrap(), true)
            .await
            .unwrap();
        let Some(b) = Browser::open(&app, size).await else {
            return;
        };
        b.login("eddie").await;
        b.goto(&format!("/metrics/{}/edit", m.id.0)).await;
        b.wait_for("#b-tab-6").await;
        b.click("#b-tab-6").await;
        b.wait_until(
            "step 6",
            "return document.getElementById('builder').dataset.step === '6'",
        )
        .await;
        b.wait_until(
            "the chosen list shown",
            "return !document.getElementById('b-account-list').hidden",
        )
        .await;
        let checked = b
            .execute("return [...document.querySelectorAll('[data-test=account-box]:checked')].map(b => b.value)", vec![])
            .await;
        assert_eq!(checked, json!([sids[1], sids[2]]));
        assert_eq!(b.text("#b-account-chosen").await, "2 accounts chosen.");
        no_overflow(&b, "builder-accounts", size).await;
        b.fill("b-account-filter", "brand 2").await;
        b.wait_until("the filter", "return [...document.querySelectorAll('#b-account-boxes li')].filter(r => !r.hidden).length === 10").await;
        b.click("input[name=b-accounts][value=active]").await;
        b.wait_until(
            "the list hidden",
            "return document.getElementById('b-account-list').hidden",
        )
        .await;
        b.click("#b-save").await;
        b.wait_until("the save", "return !location.pathname.endsWith('/edit')")
            .await;
        let stored = app.state.store().metric(m.id).await.unwrap();
        let stored: Value = serde_json::from_str(&stored.definition).unwrap();
        assert_eq!(stored["accounts"], "active", "{stored}");
    }
}
