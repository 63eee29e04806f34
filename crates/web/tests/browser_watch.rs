//! Goals, alerts (with a back-test) and scorecards created through the real screens in headless
//! Chromium, and their history pages. Skips loudly without Chromium, like `browser.rs`.

mod support;

use std::sync::Arc;

use jiff::Timestamp;
use serde_json::json;
use store::{Store, WatchStore};
use support::browser::{Browser, Size, WebApp};
use watch::{AlertSpec, ChannelConfig, GoalSpec};
use web::Role;

/// Sets a form field by CSS selector, as typing would (date and time inputs take their value
/// in the page's locale when typed; the value property is the same everywhere).
async fn set(b: &Browser, css: &str, value: &str) {
    b.execute(
        "const f = document.querySelector(arguments[0]); f.value = arguments[1]; f.dispatchEvent(new Event('input', {bubbles: true}));",
        vec![json!(css), json!(value)],
    )
    .await;
}

async fn typed(b: &Browser, css: &str, text: &str) {
    let field = b.find(css).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn app_with_synced_metric() -> (WebApp, store::StoredMetric) {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Admin).await;
    app.connection("sim").await;
    let m = app
        .state
        .app()
        .add_library_metric("messages-sent", "sim")
        .await
        .unwrap();
    let syncer = metric_sync::Syncer::new(
        Arc::clone(app.state.store()),
        support::connector(),
        metric_sync::SyncConfig::default(),
    );
    syncer.sync_metric(m.id, Timestamp::now()).await.unwrap();
    (app, m)
}

async fn tick(app: &WebApp, at_ms: i64) {
    let sender = notify::Sender::new(notify::Policy::default()).unwrap();
    app::evaluate::tick(
        app.state.store().as_ref(),
        &sender,
        notify::Backoff::default(),
        at_ms,
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_goal_created_on_the_goals_screen_shows_progress_and_history() {
    let (app, m) = app_with_synced_metric().await;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto("/goals").await;
    typed(&b, "#goal-form [name=name]", "Monthly sends").await;
    b.select("#goal-form [name=metric]", &m.name).await;
    typed(&b, "#goal-form [name=target]", "900").await;
    b.select("#goal-form [name=unit]", "Month").await;
    set(
        &b,
        "#goal-form [name=start]",
        &Timestamp::now().strftime("%Y-%m-%d").to_string(),
    )
    .await;
    b.submit("#goal-form button.primary").await;
    b.wait_for_text("Saved the goal Monthly sends").await;
    assert!(b.has("#goals .badge").await, "{}", b.body_text().await);
    b.screenshot("goals").await;

    tick(&app, Timestamp::now().as_millisecond()).await;
    let g = app.state.store().list_goals().await.unwrap().remove(0);
    b.goto(&format!("/goals/{}", g.id.0)).await;
    b.wait_for("#goal-history").await;
    b.screenshot("goal-history").await;
}

/// An "unusual" alert: picked as the condition, back-tested over stored hours with an incident
/// the test placed (`support::unusual`), whose firing and why show; then saved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusual_alert_is_back_tested_with_its_why_then_saved() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Admin).await;
    let m = support::unusual::undelivered(app.state.store()).await;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto("/alerts").await;
    typed(&b, "#alert-form [name=name]", "Undelivered unusual").await;
    b.select("#alert-form [name=metric]", &m.name).await;
    b.select(
        "#alert-form [name=condition]",
        "is unusual for its daily and weekly rhythm",
    )
    .await;
    b.select("#alert-form [name=direction]", "up only").await;
    b.click("#alert-form [name=silent]").await;
    b.submit("#backtest-button").await;
    b.wait_for("#backtest-firings").await;
    let fired = Timestamp::from_millisecond(
        support::unusual::start() + (support::unusual::INCIDENT + 1) * support::unusual::HOUR,
    )
    .unwrap()
    .strftime("%Y-%m-%d %H:%M")
    .to_string();
    let table = b.text("#backtest-firings").await;
    assert!(table.contains(&fired), "{table}");
    assert!(table.contains("“30007” explains"), "{table}");
    b.screenshot("alert-unusual-backtest").await;
    b.submit("#alert-form button.primary").await;
    b.wait_for_text("Saved the alert Undelivered unusual").await;
    let a = app.state.store().list_alerts().await.unwrap().remove(0);
    assert!(matches!(a.spec, AlertSpec::Unusual { .. }), "{:?}", a.spec);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_is_back_tested_then_saved_and_its_firing_shows_in_history() {
    let (app, m) = app_with_synced_metric().await;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto("/alerts").await;
    typed(&b, "#alert-form [name=name]", "Any message sent").await;
    b.select("#alert-form [name=metric]", &m.name).await;
    typed(&b, "#alert-form [name=value]", "0.5").await;
    // No channel exists: saying so on purpose is what lets it save.
    b.click("#alert-form [name=silent]").await;
    b.submit("#backtest-button").await;
    b.wait_for_text("would have fired").await;
    b.wait_for("#backtest").await;
    b.screenshot("alert-backtest").await;
    // The form kept its values: save it as back-tested.
    b.submit("#alert-form button.primary").await;
    b.wait_for_text("Saved the alert Any message sent").await;

    let alert = app.state.store().list_alerts().await.unwrap().remove(0);
    let latest = app
        .state
        .store()
        .buckets(&store::BucketQuery {
            metric: m.id,
            dimension: None,
            from_ms: 0,
            to_ms: i64::MAX / 2,
        })
        .await
        .unwrap()
        .iter()
        .map(|b| b.hour_ms)
        .max()
        .unwrap();
    tick(&app, latest + 3_600_000 + 60_000).await;
    b.goto(&format!("/alerts/{}", alert.id.0)).await;
    b.wait_for("#alert-events .badge.fired").await;
    b.screenshot("alert-history").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scorecard_and_a_channel_are_created_on_their_screens() {
    let (app, m) = app_with_synced_metric().await;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto("/channels").await;
    typed(&b, "#channel-form [name=name]", "Ops hook").await;
    b.select("#channel-form [name=kind]", "Webhook (signed JSON)")
        .await;
    typed(
        &b,
        "#channel-form [name=url]",
        "https://hooks.example.com/switchboard",
    )
    .await;
    typed(&b, "#channel-form [name=secret]", "whsec-browser").await;
    b.submit("#channel-form button.primary").await;
    b.wait_for_text("Saved the channel Ops hook").await;
    assert!(!b.source().await.contains("whsec-browser"));

    b.goto("/scorecards").await;
    typed(&b, "#scorecard-form [name=name]", "Monday digest").await;
    b.select("#scorecard-form [name=frequency]", "Weekly").await;
    set(&b, "#scorecard-form [name=at]", "08:00").await;
    b.click(&format!(
        "#scorecard-form input[name=metric][value='{}']",
        m.id.0
    ))
    .await;
    b.click("#scorecard-form input[name=channel]").await;
    b.submit("#scorecard-form button.primary").await;
    b.wait_for_text("Saved the scorecard Monday digest").await;
    assert!(
        b.text("#scorecards")
            .await
            .contains("weekly on Monday at 08:00")
    );
    b.screenshot("scorecards").await;
    let sc = app.state.store().list_scorecards().await.unwrap().remove(0);
    assert_eq!(sc.spec.metrics.len(), 1);
    assert_eq!(sc.channels.len(), 1);
}

/// What `GET path` of the API answers for the signed-in browser (a session reads the API).
async fn api_get(b: &Browser, path: &str) -> serde_json::Value {
    b.execute_async(
        "const done = arguments[arguments.length - 1];
         fetch(arguments[0]).then(r => r.json()).then(done, e => done({error: String(e)}));",
        vec![json!(path)],
    )
    .await
}

/// Whether the page is wider than the window (sideways scroll on a phone).
async fn overflows(b: &Browser) -> bool {
    b.execute(
        "return document.documentElement.scrollWidth > window.innerWidth + 1;",
        vec![],
    )
    .await
        == json!(true)
}

fn goal_spec(target: f64) -> GoalSpec {
    serde_json::from_value(
        json!({"goal": {"target": target, "criterion": "reach", "trend": "up",
        "period": {"kind": "calendar", "unit": "month", "start": "2026-01-01", "repeat": true}},
        "aggregation": "sum", "zone": "UTC"}),
    )
    .unwrap()
}

fn alert_spec(threshold: f64) -> AlertSpec {
    serde_json::from_value(
        json!({"watch": "value", "zone": "UTC", "rule": {"aggregation": "sum",
        "dimension": null, "condition": {"kind": "above", "threshold": threshold},
        "range": "last24_hours", "cooldown": "PT6H"}}),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_goal_is_edited_on_its_screen_and_the_api_reads_the_new_target() {
    let (app, m) = app_with_synced_metric().await;
    let g = app
        .state
        .app()
        .create_goal(app::GoalInput {
            name: "Monthly sends".into(),
            metric_id: m.id.0,
            spec: goal_spec(900.0),
        })
        .await
        .unwrap();
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto("/goals").await;
    b.submit(&format!("a[href='/goals/{}/edit']", g.id.0)).await;
    assert_eq!(
        b.find("#goal-form [name=target]")
            .await
            .prop("value")
            .await
            .unwrap(),
        Some("900".to_owned()),
        "the form opens with the stored target"
    );
    typed(&b, "#goal-form [name=target]", "1250").await;
    b.submit("#goal-form button.primary").await;
    b.wait_for_text("Saved the goal Monthly sends").await;
    assert!(
        b.text("#goals").await.contains("1,250"),
        "the new target in the metric's format: {}",
        b.text("#goals").await
    );
    let read = api_get(&b, &format!("/api/v1/goals/{}", g.id.0)).await;
    assert_eq!(
        read["goal"]["spec"]["goal"]["target"].as_f64(),
        Some(1250.0)
    );
    assert_eq!(app.state.store().list_goals().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_is_edited_on_its_screen_and_its_rule_reads_in_words() {
    let (app, m) = app_with_synced_metric().await;
    let a = app
        .state
        .app()
        .create_alert(app::AlertInput {
            name: "Busy day".into(),
            metric_id: m.id.0,
            spec: alert_spec(100.0),
            enabled: true,
            channels: Vec::new(),
            silent: true,
        })
        .await
        .unwrap();
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto("/alerts").await;
    assert!(
        b.text("#alerts")
            .await
            .contains("sum above 100 over the last day"),
        "{}",
        b.text("#alerts").await
    );
    b.submit(&format!("a[href='/alerts/{}/edit']", a.id.0))
        .await;
    typed(&b, "#alert-form [name=value]", "2500").await;
    b.submit("#alert-form button.primary").await;
    b.wait_for_text("Saved the alert Busy day").await;
    let rules = b.text("#alerts").await;
    assert!(
        rules.contains("sum above 2,500 over the last day; quiet for 6 hours after firing"),
        "{rules}"
    );
    let read = api_get(&b, &format!("/api/v1/alerts/{}", a.id.0)).await;
    let condition = &read["alert"]["spec"]["rule"]["condition"];
    assert_eq!(condition["kind"], "above");
    assert_eq!(condition["threshold"].as_f64(), Some(2500.0));
    b.screenshot("alerts-edited").await;

    // The same screen and its edit form on a phone in the dark theme: no sideways scroll.
    let Some(phone) = Browser::open_with(&app, Size::Phone, true).await else {
        return;
    };
    phone.login("ada").await;
    for path in ["/alerts".to_owned(), format!("/alerts/{}/edit", a.id.0)] {
        phone.goto(&path).await;
        let culprits = phone
            .execute(
                "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-wrap') && !e.closest('nav')).slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right));",
                vec![],
            )
            .await;
        assert!(!overflows(&phone).await, "{path} fits a phone: {culprits}");
    }
    phone.screenshot("alert-edit-dark").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_without_a_channel_is_refused_with_its_reason_and_keeps_the_form() {
    let (app, m) = app_with_synced_metric().await;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto("/alerts").await;
    typed(&b, "#alert-form [name=name]", "Nobody hears").await;
    b.select("#alert-form [name=metric]", &m.name).await;
    typed(&b, "#alert-form [name=value]", "42").await;
    b.submit("#alert-form button.primary").await;
    b.wait_for("#channel-error").await;
    assert_eq!(
        b.text("#channel-error").await,
        app::watching::NO_CHANNEL,
        "the reason sits next to the channels"
    );
    let kept = |name: &'static str| {
        let b = &b;
        async move {
            b.find(&format!("#alert-form [name={name}]"))
                .await
                .prop("value")
                .await
                .unwrap()
                .unwrap_or_default()
        }
    };
    assert_eq!(kept("name").await, "Nobody hears");
    assert_eq!(kept("value").await, "42");
    assert_eq!(kept("metric").await, m.id.0.to_string());
    assert!(app.state.store().list_alerts().await.unwrap().is_empty());
    b.screenshot("alert-refused").await;

    b.click("#alert-form [name=silent]").await;
    b.submit("#alert-form button.primary").await;
    b.wait_for_text("Saved the alert Nobody hears").await;
    assert!(b.text("#alerts").await.contains("No one is told"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_goal_form_that_errs_keeps_every_typed_field_and_names_the_field() {
    let (app, m) = app_with_synced_metric().await;
    let Some(b) = Browser::open(&app, Size::Phone).await else {
        return;
    };
    b.login("ada").await;
    b.goto("/goals").await;
    typed(&b, "#goal-form [name=name]", "Quarterly sends").await;
    b.select("#goal-form [name=metric]", &m.name).await;
    typed(&b, "#goal-form [name=target]", "777").await;
    b.select("#goal-form [name=unit]", "Quarter").await;
    set(&b, "#goal-form [name=start]", "2026-04-01").await;
    typed(&b, "#goal-form [name=dimension]", "US").await;
    typed(&b, "#goal-form [name=zone]", "Mars/Olympus").await;
    b.submit("#goal-form button.primary").await;
    b.wait_for("#form-error").await;
    let at_zone = b.text("#goal-form label:has([name=zone]) .hint.bad").await;
    assert!(at_zone.contains("Mars/Olympus"), "{at_zone}");
    for (field, typed_value) in [
        ("name", "Quarterly sends".to_owned()),
        ("target", "777".to_owned()),
        ("unit", "quarter".to_owned()),
        ("start", "2026-04-01".to_owned()),
        ("dimension", "US".to_owned()),
        ("zone", "Mars/Olympus".to_owned()),
        ("metric", m.id.0.to_string()),
    ] {
        let v = b
            .find(&format!("#goal-form [name={field}]"))
            .await
            .prop("value")
            .await
            .unwrap();
        assert_eq!(v.as_deref(), Some(typed_value.as_str()), "{field}");
    }
    assert!(!overflows(&b).await, "no sideways scroll on a phone");
    b.screenshot("goal-refused-phone").await;
    assert!(app.state.store().list_goals().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_is_edited_with_its_secret_kept_blank_and_a_refusal_keeps_the_fields() {
    let (app, _m) = app_with_synced_metric().await;
    let c = app
        .state
        .app()
        .create_channel(app::ChannelInput {
            name: "Ops hook".into(),
            config: ChannelConfig::Webhook {
                url: "https://hooks.example.com/old".into(),
            },
            secret: Some(domain::Secret::new("whsec-kept")),
            clear_secret: false,
        })
        .await
        .unwrap();
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto("/channels").await;
    b.submit(&format!("a[href='/channels/{}/edit']", c.id.0))
        .await;
    let secret = b.find("#channel-form [name=secret]").await;
    assert_eq!(secret.prop("value").await.unwrap().as_deref(), Some(""));
    assert_eq!(
        secret.attr("placeholder").await.unwrap().as_deref(),
        Some("leave blank to keep")
    );
    assert!(!b.source().await.contains("whsec-kept"));

    // A URL the guard refuses: the form comes back with what was typed.
    typed(&b, "#channel-form [name=name]", "Ops hook 2").await;
    typed(
        &b,
        "#channel-form [name=url]",
        "http://hooks.example.com/new",
    )
    .await;
    b.submit("#channel-form button.primary").await;
    b.wait_for("#form-error").await;
    assert!(b.has("#channel-form label:has([name=url]) .hint.bad").await);
    let value = |css: &'static str| {
        let b = &b;
        async move {
            b.find(css)
                .await
                .prop("value")
                .await
                .unwrap()
                .unwrap_or_default()
        }
    };
    assert_eq!(value("#channel-form [name=name]").await, "Ops hook 2");
    assert_eq!(
        value("#channel-form [name=url]").await,
        "http://hooks.example.com/new"
    );

    typed(
        &b,
        "#channel-form [name=url]",
        "https://hooks.example.com/new",
    )
    .await;
    b.submit("#channel-form button.primary").await;
    b.wait_for_text("Saved the channel Ops hook 2").await;
    assert!(
        b.text("#channels")
            .await
            .contains("https://hooks.example.com/new")
    );
    let read = api_get(&b, &format!("/api/v1/channels/{}", c.id.0)).await;
    assert_eq!(read["channel"]["name"], "Ops hook 2");
    assert_eq!(
        read["channel"]["config"]["url"],
        "https://hooks.example.com/new"
    );
    assert_eq!(
        read["channel"]["has_secret"], true,
        "a blank secret kept the stored one"
    );
    b.screenshot("channels-edited").await;
}

/// Messages of the simulator's dataset as "Messages sent" counts them (not inbound, dated when
/// sent, or created when not sent yet) within `[from_ms, to_ms)`: computed from the dump, not
/// from the store.
fn sent_in(from_ms: i64, to_ms: i64) -> usize {
    let at = |m: &serde_json::Value, field: &str| {
        m[field]
            .as_str()
            .and_then(|s| jiff::fmt::rfc2822::parse(s).ok())
            .map(|z| z.timestamp().as_millisecond())
    };
    support::shared().dump["accounts"][0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"].as_str() != Some("inbound"))
        .filter_map(|m| at(m, "date_sent").or_else(|| at(m, "date_created")))
        .filter(|&t| from_ms <= t && t < to_ms)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metric_page_shows_the_simulators_count_for_the_range_at_every_size_and_theme() {
    let (app, m) = app_with_synced_metric().await;
    const DAY: i64 = 86_400_000;
    let today = Timestamp::now().as_millisecond().div_euclid(DAY) * DAY;
    let expected = sent_in(today - 7 * DAY, today);
    assert!(
        expected > 0,
        "the dataset sends messages in the last 7 days"
    );
    let shown = format!("{expected}")
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(",");
    for (size, dark) in [
        (Size::Desktop, false),
        (Size::Desktop, true),
        (Size::Phone, false),
        (Size::Phone, true),
    ] {
        let Some(b) = Browser::open_with(&app, size, dark).await else {
            return;
        };
        b.login("ada").await;
        b.goto("/metrics/all").await;
        b.submit(&format!("li.metric h2 a[href='/metrics/{}']", m.id.0))
            .await;
        b.goto(&format!(
            "/metrics/{}?range=last_7_days&interval=day",
            m.id.0
        ))
        .await;
        let value = b.find("#metric-value").await;
        assert_eq!(
            value.attr("data-value").await.unwrap(),
            Some(expected.to_string()),
            "the page's number is the dataset's count"
        );
        assert_eq!(value.text().await.unwrap(), shown, "in the metric's format");
        assert!(b.has("#metric-chart svg").await, "a chart of the range");
        assert!(b.text("#freshness").await.contains("Last sync"));
        assert!(
            !overflows(&b).await,
            "no sideways scroll ({})",
            size.label()
        );
        let theme = if dark { "dark" } else { "light" };
        b.screenshot(&format!("metric-{}-{theme}", size.label()))
            .await;
    }
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    // A range before the dataset: no data, said in words, never a 0.
    b.goto(&format!(
        "/metrics/{}?range=custom:2001-01-01..2001-01-31",
        m.id.0
    ))
    .await;
    assert!(b.has("#metric-no-data").await);
    assert!(!b.has("#metric-value").await);
    b.click("#ledgers-tab").await;
    b.wait_for("#ledgers table").await;

    // A board's block names its metric with a link to the same page.
    let board = app
        .state
        .app()
        .create_board(app::BoardName::parse("Sends").unwrap())
        .await
        .unwrap();
    let pairs: Vec<(String, String)> = [
        ("kind", "number".to_owned()),
        ("title", "Sent".to_owned()),
        ("metric", m.id.0.to_string()),
        ("range", "last_7_days".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let form = app::BlockForm::parse(&pairs).unwrap();
    app.state.app().add_block(board.id, form).await.unwrap();
    b.goto(&format!("/boards/{}", board.id.0)).await;
    b.submit(&format!("a.metric-link[href='/metrics/{}']", m.id.0))
        .await;
    b.wait_for("#metric-total").await;
}
