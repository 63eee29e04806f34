//! A board over eight named Twilio accounts in headless Chromium (a Line and a Table block by
//! account, an Account outliers block) and a metric's "Which account is out of line" page, at a
//! desktop's width, a phone's (390 px, nothing past the right edge) and in dark mode:
//! screenshots (`target/screenshots/subaccounts-*.png`), the accounts by friendly name, never a
//! SID or a stored composite dimension. The buckets are written here under composite
//! dimensions, as the per-account sync writes them.

mod support;

use metric::accounts::{AccountScope, compose};
use metric::definition::Unit;
use metric::{Aggregation, Trend};
use serde_json::json;
use store::{
    AccountStatus, BoardStore as _, BucketRow, ListedAccount, NewMetric, Store as _,
    TwilioAccountStore as _,
};
use support::browser::{Browser, Size, WebApp, no_overflow};
use web::Role;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// Days of hours written, ending at the start of today: inside the board's last 7 days.
const DAYS: i64 = 6;
/// The accounts (friendly names as Twilio lists them), long names among them; the sixth is
/// closed and the third is planted far below the others' delivery rate.
const BRANDS: [&str; 8] = [
    "Main account",
    "Acme Retail",
    "Northwind Logistics — Customer Care (EU)",
    "Globex",
    "Initech Support Line",
    "Umbrella Clinics",
    "Stark Industries Notifications",
    "Wayne Foundation",
];
const CLOSED: usize = 5;
const PLANTED: usize = 2;

fn sid(i: usize) -> String {
    format!("AC{:032x}", 0xb0 + i)
}

/// How each account is named on the screens: its friendly name, marked when closed.
fn name_of(i: usize) -> String {
    if i == CLOSED {
        format!("{} (closed)", BRANDS[i])
    } else {
        BRANDS[i].to_owned()
    }
}

fn rate(i: usize) -> f64 {
    if i == PLANTED {
        71.0
    } else {
        95.0 + ((i * 37 % 11) as f64 - 5.0) * 0.3
    }
}

fn start() -> i64 {
    jiff::Timestamp::now().as_millisecond().div_euclid(DAY) * DAY - DAYS * DAY
}

async fn record_accounts(app: &WebApp) {
    let store = app.state.store();
    let conn = store.connection_by_label("sim").await.unwrap().unwrap();
    let listed: Vec<ListedAccount> = BRANDS
        .iter()
        .enumerate()
        .map(|(i, name)| ListedAccount {
            sid: sid(i).parse().unwrap(),
            friendly_name: (*name).to_owned(),
            status: if i == CLOSED {
                AccountStatus::Closed
            } else {
                AccountStatus::Active
            },
            is_parent: i == 0,
        })
        .collect();
    store
        .record_account_listing(conn.id, &listed, app.state.clock().now_ms())
        .await
        .unwrap();
}

/// A metric over every active account whose hours `value(account, hour)` gives, each hour of
/// each account one composite bucket of three rows.
async fn metric(
    app: &WebApp,
    name: &str,
    aggregation: Aggregation,
    unit: Unit,
    value: &dyn Fn(usize, i64) -> f64,
) -> i64 {
    let store = app.state.store();
    let mut def = library::find("messages-sent-per-hour")
        .unwrap()
        .definition
        .clone();
    def.description.name = name.into();
    def.description.aggregation = aggregation;
    def.description.favourable = Trend::Up;
    def.description.format.unit = unit;
    def.description.format.currency = None;
    def.accounts = AccountScope::Active;
    let (from, to) = (start(), start() + DAYS * DAY);
    let m = store
        .create_metric(
            &NewMetric {
                name: name.into(),
                connection_id: None,
                definition: def.to_json_pretty(),
            },
            from,
        )
        .await
        .unwrap();
    let mut rows = Vec::new();
    for i in 0..BRANDS.len() {
        for h in 0..DAYS * 24 {
            let v = value(i, h);
            let hour_ms = from + h * HOUR;
            rows.push(BucketRow {
                dimension: compose(&sid(i), Some("sms")),
                hour_ms,
                sum: v * 3.0,
                count: 3,
                min: v,
                max: v,
                latest: v,
                latest_at_ms: hour_ms,
            });
        }
    }
    store.replace_window(m.id, from, to, &rows).await.unwrap();
    support::good_run(store, m.id, from, to).await;
    m.id.0
}

async fn board(app: &WebApp, messages: i64, rate: i64) -> i64 {
    let store = app.state.store();
    let now_ms = app.state.clock().now_ms();
    let board = store
        .create_board(
            &store::BoardSettings {
                name: "Every brand".to_owned(),
                date_range: "last_7_days".to_owned(),
                comparison: "previous_period".to_owned(),
                zone: "UTC".to_owned(),
            },
            now_ms,
        )
        .await
        .unwrap();
    let blocks = [
        (
            "line",
            "Messages by account",
            (0, 0, 8, 3),
            json!({ "metrics": [messages], "accounts": "by_account", "top": 10, "interval": "day" }),
        ),
        (
            "outliers",
            "Delivery rate: out of line",
            (8, 0, 4, 3),
            json!({ "metrics": [rate], "top": 8 }),
        ),
        (
            "table",
            "Delivery rate by account",
            (0, 3, 6, 4),
            json!({ "metrics": [rate], "accounts": "by_account", "top": 10 }),
        ),
    ];
    for (kind, title, (x, y, w, h), settings) in blocks {
        store
            .add_block(
                board.id,
                &store::NewBlock {
                    kind: kind.to_owned(),
                    title: title.to_owned(),
                    place: store::Place { x, y, w, h },
                    settings: settings.to_string(),
                },
                now_ms,
            )
            .await
            .unwrap();
    }
    board.id.0
}

/// What a reader sees: the page's text, the charts' labels and their tooltips.
async fn seen(b: &Browser) -> String {
    let charts = b
        .execute(
            "return [...document.querySelectorAll('svg text, svg title')].map(t => t.textContent).join('\\n')",
            vec![],
        )
        .await;
    format!("{}\n{}", b.body_text().await, charts.as_str().unwrap_or(""))
}

/// Every account by its name, no SID and no stored composite ("AC…|sms") anywhere a reader
/// looks.
fn names_not_sids(what: &str, text: &str, names: &[String]) {
    for name in names {
        assert!(
            text.contains(name.as_str()),
            "{what}: {name} missing: {text}"
        );
    }
    for i in 0..BRANDS.len() {
        let sid = sid(i);
        assert!(!text.contains(&sid), "{what}: {sid} shown: {text}");
    }
    assert!(!text.contains("|sms"), "{what}: a composite shown: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_and_the_outliers_page_over_named_accounts_at_every_width_and_in_dark() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Editor).await;
    app.connection("sim").await;
    record_accounts(&app).await;
    let messages = metric(
        &app,
        "Messages sent",
        Aggregation::Sum,
        Unit::Count,
        &|i, h| ((h * 7 + i as i64 * 13) % 17 + 3 * i as i64 + 5) as f64,
    )
    .await;
    let rates = metric(
        &app,
        "Delivery rate",
        Aggregation::Average,
        Unit::Percent,
        &|i, _| rate(i),
    )
    .await;
    let id = board(&app, messages, rates).await;
    let all: Vec<String> = (0..BRANDS.len()).map(name_of).collect();
    for (size, dark) in [
        (Size::Desktop, false),
        (Size::Phone, false),
        (Size::Desktop, true),
        (Size::Phone, true),
    ] {
        let Some(b) = Browser::open_with(&app, size, dark).await else {
            return;
        };
        let suffix = if dark { "-dark" } else { "" };
        b.login("ada").await;
        b.goto(&format!("/boards/{id}")).await;
        b.wait_for(".block-table td.num").await;
        b.wait_for("section[data-block] svg").await;
        names_not_sids("the board", &seen(&b).await, &all);
        no_overflow(&b, &format!("subaccounts-board{suffix}"), size).await;

        b.goto(&format!("/metrics/{rates}/outliers?range=last_7_days"))
            .await;
        b.wait_for("#outliers-table").await;
        let text = seen(&b).await;
        names_not_sids("the outliers page", &text, &all);
        let first = b.text("#outliers-table tbody tr td:nth-child(2)").await;
        assert_eq!(first, BRANDS[PLANTED], "the planted account ranks first");
        no_overflow(&b, &format!("subaccounts-outliers{suffix}"), size).await;
    }
}

/// Whether the form's accounts are shown, and the names of the boxes a reader can tick.
async fn offered(b: &Browser, fieldset: &str) -> (bool, Vec<String>) {
    let v = b
        .execute(
            &format!(
                r#"const f = document.getElementById('{fieldset}');
                   const boxes = [...f.querySelectorAll('label.account-option')]
                     .filter(l => !l.hidden && !l.querySelector('input').disabled)
                     .map(l => l.textContent.trim());
                   return [!f.hidden && !f.disabled && f.getClientRects().length > 0, boxes];"#
            ),
            vec![],
        )
        .await;
    let names = v[1]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect();
    (v[0].as_bool().unwrap(), names)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alert_and_goal_forms_offer_accounts_by_name_only_for_a_multi_account_metric() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Editor).await;
    app.connection("sim").await;
    record_accounts(&app).await;
    metric(
        &app,
        "Delivery rate",
        Aggregation::Average,
        Unit::Percent,
        &|i, _| rate(i),
    )
    .await;
    let mut single = library::find("messages-sent").unwrap().definition.clone();
    single.description.name = "Own account only".into();
    app.state
        .store()
        .create_metric(
            &NewMetric {
                name: "Own account only".into(),
                connection_id: None,
                definition: single.to_json_pretty(),
            },
            0,
        )
        .await
        .unwrap();
    for size in [Size::Desktop, Size::Phone] {
        let Some(b) = Browser::open(&app, size).await else {
            return;
        };
        b.login("ada").await;
        for (screen, form, fieldset) in [
            ("/alerts", "#alert-form", "alert-accounts"),
            ("/goals", "#goal-form", "goal-accounts"),
        ] {
            b.goto(screen).await;
            b.wait_for(form).await;
            let select = format!("{form} select[name=metric]");
            b.select(&select, "Delivery rate").await;
            let (visible, names) = offered(&b, fieldset).await;
            assert!(
                visible,
                "{screen}: the accounts of a multi-account metric show"
            );
            for i in 0..BRANDS.len() {
                assert!(names.contains(&name_of(i)), "{screen}: {names:?}");
            }
            assert!(
                names.iter().all(|n| !n.starts_with("AC")),
                "{screen}: a SID offered: {names:?}"
            );
            no_overflow(
                &b,
                &format!("subaccounts-form{}", screen.replace('/', "-")),
                size,
            )
            .await;
            b.select(&select, "Own account only").await;
            let (visible, _) = offered(&b, fieldset).await;
            assert!(!visible, "{screen}: a one-account metric shows no accounts");
        }
    }
}
