//! The real UI in headless Chromium: the app on a loopback port, the simulator as Twilio.
//! Each test opens its own browser session; without Chromium they SKIP loudly (or fail under
//! `SWITCHBOARD_REQUIRE_ALL=1`). Screenshots of every main page land in `target/screenshots/`.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use store::Store;
use support::browser::{Browser, Size, WebApp, screenshot_dir};
use support::{PASSWORD, shared};
use web::Role;
use web::pages::METRICS_SCREEN as METRICS;

fn rfc2822_ms(v: &Value, field: &str) -> Option<i64> {
    let s = v.get(field)?.as_str()?;
    Some(
        jiff::fmt::rfc2822::parse(s)
            .unwrap_or_else(|e| panic!("{field}={s:?}: {e}"))
            .timestamp()
            .as_millisecond(),
    )
}

/// What the Metrics screen shows for the metric named `name`, or `None` if it is not listed.
async fn metric_row(b: &Browser, name: &str) -> Option<Value> {
    let row = b
        .execute(
            r#"const li = [...document.querySelectorAll('li.metric')]
                 .find(l => l.querySelector('h2').textContent.trim() === arguments[0]);
               if (!li) return null;
               const v = li.querySelector('.value');
               return { id: li.dataset.metricId, from: li.dataset.from, to: li.dataset.to,
                        state: li.querySelector('.badge').textContent.trim(),
                        value: v.dataset.value, shown: v.textContent.trim() };"#,
            vec![json!(name)],
        )
        .await;
    (!row.is_null()).then_some(row)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_one_time_setup_link_creates_the_first_admin() {
    let app = WebApp::spawn().await;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    let path = app
        .state
        .setup_path()
        .await
        .expect("an empty install offers setup");
    b.goto(&path).await;
    b.wait_for_text("Create the first admin").await;
    b.fill("name", "ada").await;
    b.fill("password", PASSWORD).await;
    b.submit("form button.primary").await;

    assert_eq!(b.path().await, "/connections", "{}", b.body_text().await);
    assert!(b.text("header .who").await.contains("ada"));
    let users = app.state.accounts().list_users().await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(
        (users[0].name.as_str(), users[0].role),
        ("ada", Role::Admin)
    );

    // The link worked once.
    b.goto(&path).await;
    b.wait_for_text("not valid or was already used").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_opens_the_metrics_screen() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Editor).await;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.goto(METRICS).await;
    assert_eq!(
        b.path().await,
        "/login",
        "signed-out visitors are sent to sign in"
    );
    b.login("ada").await;
    assert!(b.text("header .who").await.contains("ada"));
    assert!(
        b.has("nav.main a[aria-current=page][href='/metrics/all']")
            .await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_refused() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Admin).await;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.goto("/login").await;
    b.fill("name", "ada").await;
    b.fill("password", "not the password").await;
    b.submit("form button.primary").await;
    assert_eq!(b.path().await, "/login");
    assert!(
        b.text("[role=alert]").await.contains("do not match"),
        "{}",
        b.body_text().await
    );
    assert!(
        !b.has("header .who").await,
        "no session after a wrong password"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_shows_twilios_refusal_and_saves_nothing() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Admin).await;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    let s = shared();
    let wrong = "wrong-secret-0123456789abcdef";
    b.login("ada").await;
    b.goto("/connections").await;
    b.fill("label", "production").await;
    b.fill("account_sid", &s.account_sid).await;
    b.fill("api_key_sid", &s.key_sid).await;
    b.fill("secret", wrong).await;
    b.submit("form[action='/connections'] button.primary").await;

    b.screenshot("data-manager-refused").await;
    let alert = b.text(".alert.bad").await;
    assert!(
        alert.contains("Twilio refused the connection (HTTP 401, code 20003"),
        "{alert}"
    );
    assert!(alert.contains("API Key SID or secret is wrong"), "{alert}");
    assert!(
        app.state
            .store()
            .list_connections()
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!b.has("table").await, "no connection is listed");
    assert!(
        !b.source().await.contains(wrong),
        "the refused secret is not sent back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_right_secret_saves_the_connection_and_never_shows_it() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Admin).await;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    let s = shared();
    b.login("ada").await;
    b.goto("/connections").await;
    b.fill("label", "production").await;
    b.fill("account_sid", &s.account_sid).await;
    b.fill("api_key_sid", &s.key_sid).await;
    b.fill("secret", &s.key_secret).await;
    b.submit("form[action='/connections'] button.primary").await;

    let flash = b.text(".alert.good").await;
    assert!(flash.contains("Saved production: connected"), "{flash}");
    let saved = app.state.store().list_connections().await.unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].account_sid.to_string(), s.account_sid);
    assert!(b.text("table").await.contains(&s.account_sid));
    assert!(!b.source().await.contains(&s.key_secret));
    assert_eq!(
        b.find("#secret")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(""),
        "the secret field is empty again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_library_metric_asks_for_the_connection_and_shows_the_simulators_value() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Editor).await;
    app.connection("sim-main").await;
    app.connection("sim-other").await;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    let name = "Outbound calls";
    b.login("ada").await;
    b.goto("/library?q=outbound+calls").await;
    let picker = format!("select[aria-label='Connection for {name}']");
    let options = b
        .execute(
            "return [...document.querySelector(arguments[0]).options].map(o => o.text)",
            vec![json!(picker)],
        )
        .await;
    assert_eq!(
        options,
        json!(["sim-main", "sim-other"]),
        "it asks which connection"
    );
    b.select(&picker, "sim-other").await;
    let form = b
        .execute(
            "const f = document.querySelector(arguments[0]).form; f.id = 'add-it'; return f.id",
            vec![json!(picker)],
        )
        .await;
    b.submit(&format!("#{} button", form.as_str().unwrap()))
        .await;
    assert!(b.path().await.starts_with(METRICS));
    assert!(b.body_text().await.contains(&format!("Added {name}")));

    let stored = app.state.store().list_metrics().await.unwrap();
    let other = app
        .state
        .store()
        .connection_by_label("sim-other")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].connection_id, Some(other.id));

    // The worker backfills it; reload until the screen says it is fresh.
    let deadline = Instant::now() + Duration::from_secs(60);
    let row = loop {
        b.goto(METRICS).await;
        let row = metric_row(&b, name).await.expect("the metric is listed");
        if row["state"] == "fresh" {
            break row;
        }
        assert!(Instant::now() < deadline, "never synced: {row}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let from: i64 = row["from"].as_str().unwrap().parse().unwrap();
    let to: i64 = row["to"].as_str().unwrap().parse().unwrap();
    let shown: f64 = row["value"].as_str().unwrap().parse().unwrap();

    // Calls not inbound, dated when they started, inside the period: counted from the dump.
    let expected = shared().dump["accounts"][0]["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["direction"].as_str() != Some("inbound"))
        .filter_map(|c| rfc2822_ms(c, "start_time"))
        .filter(|&at| from <= at && at < to)
        .count();
    assert!(expected > 0, "the simulator placed calls in the period");
    assert_eq!(shown, expected as f64, "{row}");
    assert_eq!(row["shown"], expected.to_string(), "{row}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_sees_no_edit_controls_and_a_direct_post_is_refused() {
    let app = WebApp::spawn().await;
    app.user("val", Role::Viewer).await;
    app.connection("sim").await;
    let m = app
        .state
        .app()
        .add_library_metric("outbound-calls", "sim")
        .await
        .unwrap();
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("val").await;
    assert!(metric_row(&b, "Outbound calls").await.is_some());
    for css in [
        "form[action$='/sync']",
        "form[action$='/duplicate']",
        "form[action$='/delete']",
        "a[href='/connections']",
        "a[href='/users']",
    ] {
        assert!(
            !b.has(css).await,
            "a Viewer sees {css} on the Metrics screen"
        );
    }
    b.goto("/library").await;
    assert!(!b.has("form[action='/library/add']").await);

    // Posting anyway, with the session and its valid CSRF token, is refused.
    let reply = b
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               const csrf = document.querySelector('form.who input[name=csrf]').value;
               fetch(arguments[0], { method: 'POST', body: new URLSearchParams({ csrf }) })
                 .then(async r => done({ status: r.status, text: await r.text() }))
                 .catch(e => done({ status: 0, text: String(e) }));"#,
            vec![json!(format!("/metrics/{}/delete", m.id.0))],
        )
        .await;
    assert_eq!(reply["status"], 403, "{reply}");
    assert!(
        reply["text"]
            .as_str()
            .unwrap()
            .contains("needs the Editor role")
    );
    assert_eq!(app.state.store().list_metrics().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_posted_without_its_csrf_token_is_refused() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Admin).await;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto("/users").await;
    b.fill("name", "mallory").await;
    b.fill("password", PASSWORD).await;
    b.execute(
        "document.querySelector(\"form[action='/users'] input[name=csrf]\").remove()",
        vec![],
    )
    .await;
    b.submit("form[action='/users'] button.primary").await;
    assert!(
        b.body_text().await.contains("Form expired"),
        "{}",
        b.body_text().await
    );
    let users = app.state.accounts().list_users().await.unwrap();
    assert_eq!(users.len(), 1, "nobody was added");
}

/// Issue 15, finding 14, in the browser: the People page's Disable button asks first (a
/// dismissed question changes nothing), then disables the person; and a person changes their
/// own password on the account page and stays signed in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_are_disabled_after_a_confirmation_and_change_their_own_password() {
    let app = WebApp::spawn().await;
    app.user("ada", Role::Admin).await;
    app.user("bob", Role::Viewer).await;
    let bob = app
        .state
        .accounts()
        .user_for_login("bob")
        .await
        .unwrap()
        .unwrap()
        .user;
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("ada").await;
    b.goto("/users").await;
    let disable = format!("form[action='/users/{}/disable'] button", bob.id);
    b.click(&disable).await;
    b.client
        .dismiss_alert()
        .await
        .expect("a confirmation is asked");
    assert!(
        !app.state
            .accounts()
            .user(bob.id)
            .await
            .unwrap()
            .unwrap()
            .user
            .disabled
    );
    b.click(&disable).await;
    b.client
        .accept_alert()
        .await
        .expect("a confirmation is asked");
    b.wait_for_text("Disabled bob").await;
    b.screenshot("users-disabled").await;
    assert!(
        app.state
            .accounts()
            .user(bob.id)
            .await
            .unwrap()
            .unwrap()
            .user
            .disabled
    );
    assert!(
        b.has(&format!("form[action='/users/{}/enable']", bob.id))
            .await
    );

    b.goto("/account").await;
    b.fill("current_password", PASSWORD).await;
    b.fill("new_password", "a new passphrase for ada").await;
    b.submit("form[action='/account/password'] button.primary")
        .await;
    b.wait_for_text("Password changed").await;
    assert_eq!(b.path().await.split('?').next(), Some("/account"));
    let ada = app
        .state
        .accounts()
        .user_for_login("ada")
        .await
        .unwrap()
        .unwrap();
    assert!(web::accounts::verify_password(
        "a new passphrase for ada",
        &ada.password_hash
    ));
}

/// Not a behaviour but the record of how the pages look: every main page at both widths (and
/// a few in dark mode), for people to look at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_of_every_main_page() {
    let started = Instant::now();
    let empty = WebApp::spawn().await;
    let app = WebApp::spawn().await;
    let s = shared();
    let ready = web::demo::prepare(
        &app.state,
        web::demo::DemoAccount {
            account_sid: s.account_sid.clone(),
            api_key_sid: s.key_sid.clone(),
            secret: domain::Secret::new(s.key_secret.clone()),
        },
    )
    .await
    .unwrap();
    app.user("grace", Role::Editor).await;
    app.user("val", Role::Viewer).await;
    let script = app::TokenName::parse("weekly report script").unwrap();
    app.state
        .app()
        .create_token(ready.user.id, &script)
        .await
        .unwrap();
    let first = ready.metrics.first().expect("demo metrics").id.0;
    let setup = empty.state.setup_path().await.unwrap();
    let connection = app.state.store().list_connections().await.unwrap()[0].id.0;

    // Desktop light comes last: it uses up the setup link to show a new install's screen.
    for (size, dark) in [
        (Size::Phone, false),
        (Size::Desktop, true),
        (Size::Desktop, false),
    ] {
        let Some(b) = Browser::open_with(&app, size, dark).await else {
            return;
        };
        let suffix = if dark { "-dark" } else { "" };
        let Some(fresh) = Browser::open_with(&empty, size, dark).await else {
            return;
        };
        fresh.goto(&setup).await;
        fresh.screenshot(&format!("setup{suffix}")).await;
        if size == Size::Desktop && !dark {
            // A new install after setup: the empty Metrics screen.
            fresh.fill("name", "ada").await;
            fresh.fill("password", PASSWORD).await;
            fresh.submit("form button.primary").await;
            fresh.goto(METRICS).await;
            fresh.screenshot("metrics-empty").await;
        }
        drop(fresh);

        b.goto("/login").await;
        b.screenshot(&format!("login{suffix}")).await;
        b.goto("/login").await;
        b.fill("name", &ready.user.name).await;
        b.fill("password", &ready.password).await;
        b.submit("form button.primary").await;
        for (page, path) in [
            ("metrics", METRICS.to_owned()),
            ("data-manager", "/connections".to_owned()),
            ("library", "/library".to_owned()),
            ("account", "/account".to_owned()),
            ("users", "/users".to_owned()),
            ("runs", format!("/metrics/{first}/runs")),
            (
                "connection-remove",
                format!("/connections/{connection}/delete"),
            ),
        ] {
            b.goto(&path).await;
            b.wait_for("main h1").await;
            b.screenshot(&format!("{page}{suffix}")).await;
        }
    }
    eprintln!(
        "screenshots in {} ({:.1} s)",
        screenshot_dir().display(),
        started.elapsed().as_secs_f64()
    );
}

/// The metric page with its expected band and an unusual hour ringed and explained, at both
/// widths in both themes, over the generator's hours of `support::seasonal` (the app's clock
/// just after them); the page never overflows a phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metric_page_draws_its_expected_band_at_every_size() {
    use support::seasonal;
    let app = WebApp::spawn_with(web::WebConfig {
        clock: app::ManualTime::at(seasonal::NOW).into(),
        ..web::WebConfig::default()
    })
    .await;
    app.user("ada", Role::Admin).await;
    // Made in the store, so no backfill from the simulator writes over the generator's hours.
    let def = &library::find("messages-sent").unwrap().definition;
    let m = app
        .state
        .store()
        .create_metric(
            &store::NewMetric {
                name: def.description.name.clone(),
                connection_id: None,
                definition: def.to_json_pretty(),
            },
            seasonal::NOW,
        )
        .await
        .unwrap();
    seasonal::seed(
        app.state.store(),
        m.id,
        seasonal::T0 - 35 * seasonal::DAY_MS,
    )
    .await;
    let path = format!("/metrics/{}?range=last_7_days&interval=day", m.id);
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
        b.goto(&path).await;
        b.wait_for("#metric-chart svg path.band").await;
        assert_eq!(b.find_all("#metric-chart circle.unusual").await.len(), 1);
        let why = b.text("#metric-unusual li").await;
        assert!(why.contains("“30007” explains "), "{why}");
        let wider = b
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                vec![],
            )
            .await
            .as_i64()
            .unwrap_or(0);
        assert!(
            wider <= 0,
            "{size:?}: the page is {wider} px wider than the screen"
        );
        b.screenshot(&format!("metric-band{}", if dark { "-dark" } else { "" }))
            .await;
    }
}
