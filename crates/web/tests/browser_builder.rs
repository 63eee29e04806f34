//! The Metric Builder wizard in headless Chromium: the app on a loopback port with a sync worker,
//! the simulator as Twilio. Each test opens its own browser session; without Chromium they SKIP
//! loudly (or fail under `SWITCHBOARD_REQUIRE_ALL=1`), as `browser.rs` does. Screenshots of every
//! step land in `target/screenshots/builder-*.png`.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use store::Store as _;
use support::browser::{Browser, Size, WebApp};
use support::shared;
use web::Role;
use web::pages::METRICS_SCREEN as METRICS;

const MESSAGES: &str = "/2010-04-01/Accounts/{AccountSid}/Messages.json";
const CONNECTION: &str = "sim";

/// An app with the connection [`CONNECTION`] and a signed-in Editor, or `None` without Chromium.
async fn signed_in(size: Size) -> Option<(WebApp, Browser)> {
    let app = WebApp::spawn().await;
    app.user("eddie", Role::Editor).await;
    app.connection(CONNECTION).await;
    let b = Browser::open(&app, size).await?;
    b.login("eddie").await;
    Some((app, b))
}

fn shown_step_script(n: u8) -> String {
    format!(
        "const s = document.getElementById('step-{n}');
         return s && !s.hidden && document.getElementById('builder').dataset.step === '{n}'"
    )
}

async fn wait_for_step(b: &Browser, n: u8) {
    b.wait_until(&format!("wizard step {n}"), &shown_step_script(n))
        .await;
}

async fn value_of(b: &Browser, css: &str) -> String {
    b.find(css)
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

async fn pick(b: &Browser, css: &str, value: &str) {
    b.find(css)
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("no option {value:?} in {css}: {e}"));
}

/// The text of an element that the wizard shows (not `hidden`), once it has some.
async fn shown_text(b: &Browser, id: &str) -> String {
    b.wait_until(
        &format!("#{id} to show a message"),
        &format!(
            "const e = document.getElementById('{id}');
             return e && !e.hidden && e.textContent.trim() !== ''"
        ),
    )
    .await;
    b.text(&format!("#{id}")).await
}

/// Step 1 as a person does it, up to Continue: words in the path field, then the Messages list
/// from the suggestions, which fills the blank parameter row with `PageSize=1000`.
async fn request_messages(b: &Browser) {
    b.goto("/builder").await;
    wait_for_step(b, 1).await;
    pick(b, "#b-connection", CONNECTION).await;
    b.fill("b-path", "messages").await;
    let suggestion = format!("button[data-test=path-suggestion][data-path='{MESSAGES}']");
    b.wait_for(&suggestion).await;
    b.click(&suggestion).await;
    assert_eq!(value_of(b, "#b-path").await, MESSAGES);
    assert_eq!(value_of(b, "#b-host").await, "api.twilio.com");
    let params = b
        .execute(
            "return [...document.querySelectorAll('#b-params .b-row')]
               .map(r => [...r.querySelectorAll('input')].map(i => i.value))",
            vec![],
        )
        .await;
    assert_eq!(
        params,
        json!([["PageSize", "1000"]]),
        "choosing a list endpoint asks for big pages"
    );
    assert!(
        b.find("#b-endpoint")
            .await
            .attr("hidden")
            .await
            .unwrap()
            .is_none(),
        "the endpoint's summary and docs link are shown"
    );
}

async fn run_request(b: &Browser) {
    b.click("#b-next-1").await;
    wait_for_step(b, 2).await;
}

/// Steps 2 to 4 with the count of messages, no dimension, dated by `date_created`.
async fn count_by_date_created(b: &Browser) {
    b.click("button[data-test=count-records][data-records=messages]")
        .await;
    b.click("#b-next-2").await;
    wait_for_step(b, 3).await;
    pick(b, "#b-dimension", "").await;
    b.click("#b-next-3").await;
    wait_for_step(b, 4).await;
    pick(b, "#b-date-field", "date_created").await;
    b.click("#b-next-4").await;
    wait_for_step(b, 5).await;
}

fn rfc2822_ms(m: &Value, field: &str) -> i64 {
    let s = m[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {m}"));
    jiff::fmt::rfc2822::parse(s)
        .unwrap_or_else(|e| panic!("{field}={s:?}: {e}"))
        .timestamp()
        .as_millisecond()
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
async fn every_step_builds_a_metric_whose_value_on_the_metrics_screen_is_the_simulators() {
    let Some((app, b)) = signed_in(Size::Desktop).await else {
        return;
    };
    let name = "Message segments by status";

    request_messages(&b).await;
    run_request(&b).await;
    assert!(
        b.text("#b-fetch-info")
            .await
            .contains("https://api.twilio.com/2010-04-01/Accounts/AC"),
        "step 2 says where the response came from"
    );
    let messages = shared().dump["accounts"][0]["messages"].as_array().unwrap();
    assert_eq!(
        b.text("details[data-path=messages] > summary").await,
        format!("messages [{} items]", messages.len()),
        "the live response holds every simulated message"
    );

    // Step 2: a number of the first record stands for that field of every record.
    let leaf = "button[data-test=leaf][data-path='messages[0].num_segments']";
    b.click(leaf).await;
    assert_eq!(
        b.find(leaf).await.attr("aria-pressed").await.unwrap(),
        Some("true".to_owned())
    );
    assert_eq!(
        b.text("#b-value-chosen").await,
        "Value: num_segments of each record in messages."
    );
    b.click("#b-next-2").await;

    wait_for_step(&b, 3).await;
    pick(&b, "#b-dimension", "status").await;
    b.click("#b-next-3").await;

    wait_for_step(&b, 4).await;
    pick(&b, "#b-date-field", "date_created").await;
    b.click("#b-next-4").await;

    // Step 5: the generated expression, then a live preview of its rows.
    wait_for_step(&b, 5).await;
    let expression = value_of(&b, "#b-expression").await;
    for part in ["messages", "num_segments", "status", "date_created"] {
        assert!(expression.contains(part), "{part} in {expression}");
    }
    b.click("#b-preview").await;
    b.wait_until(
        "the preview",
        "return !document.getElementById('b-preview-result').hidden",
    )
    .await;
    let rows: u64 = b
        .find("#b-preview-summary")
        .await
        .attr("data-total-rows")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rows > 0, "{}", b.text("#b-preview-summary").await);
    assert!(b.has("tr[data-test=preview-row]").await);
    assert!(b.has("#b-chart rect").await, "the preview draws its days");
    b.click("#b-next-5").await;

    wait_for_step(&b, 6).await;
    b.fill("b-name", name).await;
    pick(&b, "#b-aggregation", "sum").await;
    pick(&b, "#b-favourable", "up").await;
    b.submit("#b-save").await;
    assert!(b.path().await.starts_with(METRICS), "{}", b.path().await);
    assert!(
        b.body_text().await.contains(&format!(
            "{name} is saved; its history is being backfilled."
        )),
        "{}",
        b.body_text().await
    );

    let saved = app
        .state
        .store()
        .metric_by_name(name)
        .await
        .unwrap()
        .expect("the wizard saved the metric");
    let def: Value = serde_json::from_str(&saved.definition).unwrap();
    assert_eq!(def["extraction"]["expression"], json!(expression));
    assert_eq!(def["request"]["path"], MESSAGES);

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

    // Segments of the messages created inside the screen's period, added up from the dump.
    let expected: f64 = messages
        .iter()
        .filter(|m| (from..to).contains(&rfc2822_ms(m, "date_created")))
        .map(|m| m["num_segments"].as_str().unwrap().parse::<f64>().unwrap())
        .sum();
    assert!(expected > 0.0, "the simulator sent messages in the period");
    assert_eq!(shown, expected, "{row}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_expression_is_underlined_at_the_token_jsonata_blames() {
    let Some((_app, b)) = signed_in(Size::Desktop).await else {
        return;
    };
    request_messages(&b).await;
    run_request(&b).await;
    count_by_date_created(&b).await;

    let bad = "messages[status != ].{\"value\": 1, \"date\": date_created}";
    b.fill("b-expression", bad).await;
    assert!(
        !b.has("[data-test=expression-error-mark]").await,
        "nothing is underlined before the preview runs"
    );
    b.click("#b-preview").await;
    let message = shown_text(&b, "b-expression-error").await;
    b.wait_for("[data-test=expression-error-mark]").await;

    // Where the mark sits in the mirror is where the error is in the text.
    let mark = b
        .execute(
            r#"const mirror = document.getElementById('b-mirror');
               const mark = mirror.querySelector('[data-test=expression-error-mark]');
               let offset = 0;
               for (const n of mirror.childNodes) { if (n === mark) break; offset += n.textContent.length; }
               const r = mark.getBoundingClientRect();
               const t = document.getElementById('b-expression').getBoundingClientRect();
               const line = getComputedStyle(mark).textDecorationLine;
               return { offset, text: mark.textContent, line,
                        inside: r.width > 0 && r.height > 0 && r.left >= t.left && r.right <= t.right
                                && r.top >= t.top && r.bottom <= t.bottom };"#,
            vec![],
        )
        .await;
    let bracket = bad.find(']').unwrap();
    assert_eq!(mark["text"], "]", "only the bad token is marked: {mark}");
    assert_eq!(mark["offset"], json!(bracket), "{mark}");
    assert_eq!(mark["line"], "underline", "{mark}");
    assert_eq!(mark["inside"], true, "the mark lies under the text: {mark}");
    assert!(
        message.contains("\"]\""),
        "the message names the token: {message}"
    );
    assert!(
        b.find("#b-preview-result")
            .await
            .attr("hidden")
            .await
            .unwrap()
            .is_some(),
        "no preview of a broken expression"
    );

    // The mirror lays out text exactly as the textarea does, so the mark lands on the token.
    let same = b
        .execute(
            r#"const a = getComputedStyle(document.getElementById('b-mirror'));
               const b = getComputedStyle(document.getElementById('b-expression'));
               const keys = ['fontFamily', 'fontSize', 'lineHeight', 'paddingLeft', 'paddingTop',
                             'whiteSpace', 'letterSpacing', 'tabSize'];
               return keys.filter(k => a[k] !== b[k]).map(k => `${k}: ${a[k]} vs ${b[k]}`);"#,
            vec![],
        )
        .await;
    assert_eq!(same, json!([]), "mirror and editor differ");

    // Typing again clears the mark.
    b.find("#b-expression").await.send_keys(" ").await.unwrap();
    assert!(!b.has("[data-test=expression-error-mark]").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_other_than_get_is_refused_with_the_reason() {
    let Some((_app, b)) = signed_in(Size::Desktop).await else {
        return;
    };
    request_messages(&b).await;
    for method in ["POST", "PUT", "DELETE"] {
        b.select("#b-method", method).await;
        let note = b.text("#b-method-note").await;
        assert!(
            note.contains(&format!("{method} is refused")) && note.contains("only GET"),
            "{note}"
        );
        b.click("#b-next-1").await;
        let error = shown_text(&b, "b-error-1").await;
        assert!(
            error.contains(method) && error.contains("only GET"),
            "{method}: {error}"
        );
        b.wait_until(
            "the Continue button to come back",
            "return !document.getElementById('b-next-1').disabled",
        )
        .await;
        b.wait_until("step 1 to stay", &shown_step_script(1)).await;
        assert!(
            b.find("#b-tab-2")
                .await
                .attr("disabled")
                .await
                .unwrap()
                .is_some(),
            "{method}: step 2 stays out of reach"
        );
    }
    b.select("#b-method", "GET").await;
    assert_eq!(b.text("#b-method-note").await, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_that_leaves_twilio_is_refused_with_its_reason() {
    let Some((_app, b)) = signed_in(Size::Desktop).await else {
        return;
    };
    b.goto("/builder").await;
    wait_for_step(&b, 1).await;
    for (path, reason) in [
        ("//evil.example.com/steal", "'//'"),
        ("https://evil.example.com/", "must start with '/'"),
        ("/2010-04-01/../../evil", "'..'"),
    ] {
        b.fill("b-path", path).await;
        b.click("#b-next-1").await;
        let error = shown_text(&b, "b-error-1").await;
        b.wait_until(
            "the Continue button to come back",
            "return !document.getElementById('b-next-1').disabled",
        )
        .await;
        assert!(
            error.contains(reason),
            "{path}: expected {reason:?} in {error:?}"
        );
        assert!(
            b.find("#step-2")
                .await
                .attr("hidden")
                .await
                .unwrap()
                .is_some(),
            "{path}: nothing ran"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_saved_metric_opens_the_wizard_with_its_request_and_expression() {
    let app = WebApp::spawn().await;
    app.user("eddie", Role::Editor).await;
    app.connection(CONNECTION).await;
    let expression =
        "messages.{\n  \"value\": 1,\n  \"date\": date_sent,\n  \"dimension\": direction\n}";
    let def = metric::MetricDefinition::from_value(json!({
        "version": 1,
        "connection": CONNECTION,
        "request": {
            "host": "api.twilio.com",
            "path": MESSAGES,
            "params": [
                {"key": "PageSize", "value": "500"},
                {"key": "DateSent>", "value": "{{date_from}}"},
            ],
            "pagination": "none",
        },
        "extraction": {"expression": expression},
        "description": {
            "name": "Messages by direction", "summary": "Every message, in or out",
            "aggregation": "count", "favourable": "down",
            "format": {"unit": "count"}, "interval": "week",
        },
    }))
    .unwrap();
    let (saved, _) = app.state.app().create_metric(&def, true).await.unwrap();
    let Some(b) = Browser::open(&app, Size::Desktop).await else {
        return;
    };
    b.login("eddie").await;
    b.click(&format!("#metric-{} a[data-test=edit-metric]", saved.id.0))
        .await;
    b.wait_until("the wizard", &shown_step_script(1)).await;
    assert_eq!(b.path().await, format!("/metrics/{}/edit", saved.id.0));
    assert_eq!(b.text("#b-title").await, "Edit Messages by direction");

    assert_eq!(value_of(&b, "#b-connection").await, CONNECTION);
    assert_eq!(value_of(&b, "#b-host").await, "api.twilio.com");
    assert_eq!(value_of(&b, "#b-path").await, MESSAGES);
    assert_eq!(value_of(&b, "#b-pagination").await, "none");
    let params = b
        .execute(
            "return [...document.querySelectorAll('#b-params .b-row')]
               .map(r => [...r.querySelectorAll('input')].map(i => i.value))",
            vec![],
        )
        .await;
    assert_eq!(
        params,
        json!([["PageSize", "500"], ["DateSent>", "{{date_from}}"]])
    );
    assert_eq!(value_of(&b, "#b-expression").await, expression);

    // Every step is reachable at once; the preview step shows the saved expression as is.
    b.click("#b-tab-5").await;
    wait_for_step(&b, 5).await;
    assert_eq!(value_of(&b, "#b-expression").await, expression);
    assert_eq!(
        b.text("#b-lines").await.lines().count(),
        expression.lines().count()
    );
    b.click("#b-tab-6").await;
    wait_for_step(&b, 6).await;
    assert_eq!(value_of(&b, "#b-name").await, "Messages by direction");
    assert_eq!(value_of(&b, "#b-summary").await, "Every message, in or out");
    assert_eq!(value_of(&b, "#b-aggregation").await, "count");
    assert_eq!(value_of(&b, "#b-favourable").await, "down");
    assert_eq!(value_of(&b, "#b-interval").await, "week");
    assert_eq!(b.text("#b-save").await, "Save changes");
}

/// The record of how each step looks at both widths, and the check that none of them is wider
/// than a 390-pixel phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_of_every_step_and_none_overflows_a_phone() {
    for size in [Size::Phone, Size::Desktop] {
        let Some((_app, b)) = signed_in(size).await else {
            return;
        };
        let shot = |name: &'static str| {
            let b = &b;
            async move {
                // The innermost elements past the right edge name the culprit when it fails.
                let wide = b
                    .execute(
                        r#"const past = (e) => e.getBoundingClientRect().right > window.innerWidth + 0.5;
                           const culprits = [...document.body.querySelectorAll('*')]
                             .filter(e => past(e) && ![...e.children].some(past))
                             .slice(0, 5)
                             .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                                  + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\s+/).join('.') : ''));
                           return [document.documentElement.scrollWidth, window.innerWidth, culprits];"#,
                        vec![],
                    )
                    .await;
                let path = b.screenshot(name).await;
                let (scroll, inner) = (wide[0].as_u64().unwrap(), wide[1].as_u64().unwrap());
                assert!(
                    scroll <= inner,
                    "{name} at {}: {scroll} px of content in a {inner} px viewport, past the edge: {} ({})",
                    size.label(),
                    wide[2],
                    path.display()
                );
            }
        };
        request_messages(&b).await;
        b.click("[data-test=param-date]").await;
        b.wait_until(
            "the date picker",
            "return !document.getElementById('b-date-picker').hidden",
        )
        .await;
        shot("builder-1-request").await;
        b.click("#b-date-cancel").await;
        run_request(&b).await;
        b.click("button[data-test=count-records][data-records=messages]")
            .await;
        shot("builder-2-value").await;
        b.click("#b-next-2").await;
        wait_for_step(&b, 3).await;
        pick(&b, "#b-dimension", "status").await;
        shot("builder-3-dimension").await;
        b.click("#b-next-3").await;
        wait_for_step(&b, 4).await;
        pick(&b, "#b-date-field", "date_created").await;
        let radios = b
            .execute(
                "return [...document.querySelectorAll('#step-4 input[type=radio]')]
                   .map(r => r.getBoundingClientRect().width)",
                vec![],
            )
            .await;
        assert!(
            radios
                .as_array()
                .unwrap()
                .iter()
                .all(|w| w.as_f64().unwrap() < 30.0),
            "each radio sits beside its label, not stretched over a line: {radios}"
        );
        shot("builder-4-date").await;
        b.click("#b-next-4").await;
        wait_for_step(&b, 5).await;
        b.click("#b-preview").await;
        b.wait_until(
            "the preview",
            "return !document.getElementById('b-preview-result').hidden",
        )
        .await;
        shot("builder-5-preview").await;
        b.fill("b-expression", "messages[status != ].{\"value\": 1}")
            .await;
        b.click("#b-preview").await;
        b.wait_for("[data-test=expression-error-mark]").await;
        shot("builder-5-preview-error").await;
        b.click("#b-next-5").await;
        wait_for_step(&b, 6).await;
        b.fill("b-name", "Messages by status").await;
        shot("builder-6-describe").await;
    }
}
