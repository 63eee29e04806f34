//! Databoards end to end, in-process: a board with one block of each type over synced
//! simulator data, numbers checked against values computed from the simulator's dataset (what
//! `sim dump` prints), the date picker, exports, share links and roles.

mod support;

use axum::http::StatusCode;
use serde_json::Value;
use store::{BoardStore as _, Store as _};
use support::dataset::{DAY_MS, rfc2822_ms, sent_in, today_utc_ms};
use support::sync_now;
use support::{Session, TestApp, flash, shared, spawn_app};
use web::Role;

/// Every message of the dump by status, as "Messages by status" counts them.
fn by_status_in(from_ms: i64, to_ms: i64) -> std::collections::BTreeMap<String, usize> {
    let mut out = std::collections::BTreeMap::new();
    for m in shared().dump["accounts"][0]["messages"].as_array().unwrap() {
        let at = rfc2822_ms(m, "date_sent").or_else(|| rfc2822_ms(m, "date_created"));
        if at.is_some_and(|at| from_ms <= at && at < to_ms) {
            *out.entry(m["status"].as_str().unwrap_or("").to_owned())
                .or_insert(0) += 1;
        }
    }
    out
}

/// The text of block `id`'s section.
fn block(body: &str, id: i64) -> &str {
    let marker = format!("id=\"block-{id}\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no block {id} in {body}"));
    let rest = &body[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

/// The value of the first `attr="..."` in `text`.
fn attr(text: &str, attr: &str) -> Option<String> {
    let marker = format!("{attr}=\"");
    let start = text.find(&marker)? + marker.len();
    Some(text[start..].split('"').next()?.to_owned())
}

fn id_from_location(location: &str, prefix: &str) -> i64 {
    location
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{location} does not start with {prefix}"))
        .split(['?', '#', '/'])
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The "Messages sent" metric the board of every type shows.
async fn messages_sent(app: &TestApp) -> store::StoredMetric {
    app.state
        .store()
        .metric_by_name("Messages sent")
        .await
        .unwrap()
        .unwrap()
}

struct Board {
    id: i64,
    blocks: Vec<(&'static str, i64)>,
}

impl Board {
    fn block(&self, kind: &str) -> i64 {
        self.blocks.iter().find(|(k, _)| *k == kind).unwrap().1
    }
}

/// A board with one block of each type over "Messages sent" and "Messages by status", both
/// synced from the simulator.
async fn board_of_every_type(app: &TestApp, admin: &Session) -> Board {
    let sent = app
        .add_connection_and_library_metric(admin, "sim", "messages-sent")
        .await;
    let added = app
        .post_form(
            "/library/add",
            Some(admin),
            &[
                ("csrf", &admin.csrf),
                ("slug", "messages-by-status"),
                ("connection", "sim"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let status = app
        .state
        .store()
        .metric_by_name("Messages by status")
        .await
        .unwrap()
        .unwrap();
    sync_now(app, sent.id).await;
    sync_now(app, status.id).await;

    let created = app
        .post_form(
            "/boards",
            Some(admin),
            &[("csrf", &admin.csrf), ("name", "Ops")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let id = id_from_location(created.location().unwrap(), "/boards/");
    let saved = app
        .post_form(
            &format!("/boards/{id}/settings"),
            Some(admin),
            &[
                ("csrf", &admin.csrf),
                ("name", "Ops"),
                ("range", "last_7_days"),
                ("compare", "previous_period"),
                ("zone", "UTC"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(flash(&saved).is_some_and(|f| f.0), "{:?}", saved.location());

    let (s, st) = (sent.id.0.to_string(), status.id.0.to_string());
    let specs: Vec<(&'static str, Vec<(&str, &str)>)> = vec![
        ("number", vec![("metric", &s), ("change", "absolute")]),
        ("line", vec![("metric", &s), ("interval", "day")]),
        (
            "bar",
            vec![("metric", &st), ("by_dimension", "on"), ("stacked", "on")],
        ),
        (
            "table",
            vec![
                ("metric", &st),
                ("table_rows", "by_dimension"),
                ("top", "10"),
            ],
        ),
        ("pie", vec![("metric", &st), ("donut", "on")]),
        ("progress", vec![("metric", &s), ("goal", "1000")]),
        ("text", vec![("text", "Shift notes <b>bold?</b>")]),
    ];
    for (kind, extra) in &specs {
        let mut fields = vec![
            ("csrf", admin.csrf.as_str()),
            ("kind", *kind),
            ("title", *kind),
        ];
        fields.extend(extra.iter().copied());
        let r = app
            .post_form(&format!("/boards/{id}/blocks"), Some(admin), &fields)
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(flash(&r).is_some_and(|f| f.0), "{kind}: {:?}", r.location());
    }
    let rows = app.state.store().blocks(store::BoardId(id)).await.unwrap();
    let blocks = specs
        .iter()
        .map(|(kind, _)| {
            (
                *kind,
                rows.iter().find(|r| r.block.kind == *kind).unwrap().id.0,
            )
        })
        .collect();
    Board { id, blocks }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_of_every_block_type_shows_the_simulators_numbers() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let board = board_of_every_type(&app, &admin).await;
    let page = app
        .get(&format!("/boards/{}", board.id), Some(&admin))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;

    // Last 7 days in UTC: the seven whole days before today, against the seven before those.
    let today = today_utc_ms();
    let current = sent_in(today - 7 * DAY_MS, today);
    let previous = sent_in(today - 14 * DAY_MS, today - 7 * DAY_MS);
    assert!(current > 0, "the simulator sent messages in the range");
    let number = block(body, board.block("number"));
    assert_eq!(
        attr(number, "data-value").unwrap(),
        current.to_string(),
        "{number}"
    );
    assert_eq!(
        attr(number, "data-previous").unwrap(),
        previous.to_string(),
        "{number}"
    );
    let diff = current as i64 - previous as i64;
    let expected_change = format!("{}{}", if diff < 0 { "−" } else { "+" }, diff.abs());
    assert!(
        number.contains(&expected_change),
        "change shown as absolute {expected_change}: {number}"
    );
    assert!(number.contains("class=\"chart sparkline\""));

    // The line chart has a point per day and names its zone.
    let line = block(body, board.block("line"));
    assert!(line.contains("class=\"chart line\""), "{line}");
    assert!(line.contains(">UTC</text>"), "{line}");
    assert_eq!(
        line.matches("class=\"hit\"").count(),
        7,
        "one hover band per day"
    );

    // The table by dimension lists each status with its count.
    let statuses = by_status_in(today - 7 * DAY_MS, today);
    let table = block(body, board.block("table"));
    for (status, n) in &statuses {
        let cell = format!(
            "<td class=\"label\" title=\"{status}\">{status}</td><td class=\"num\" data-value=\"{n}\">"
        );
        assert!(table.contains(&cell), "{cell} in {table}");
    }
    // The stacked bar names the same statuses in its legend; the donut totals them.
    let bar = block(body, board.block("bar"));
    assert!(bar.contains("class=\"chart bar\""));
    for status in statuses.keys().take(5) {
        assert!(
            bar.contains(&format!(">{status}</text>")),
            "{status} in the legend"
        );
    }
    let total: usize = statuses.values().sum();
    let pie = block(body, board.block("pie"));
    assert!(
        pie.contains(&format!(
            ">{}</text>",
            charts::format_plain(Some(total as f64))
        )),
        "{pie}"
    );
    let progress = block(body, board.block("progress"));
    assert!(
        progress.contains(&format!("max=\"1000\" value=\"{current}\"")),
        "{progress}"
    );
    let text = block(body, board.block("text"));
    assert!(
        text.contains("Shift notes &lt;b&gt;bold?&lt;/b&gt;"),
        "notes are escaped: {text}"
    );

    // The date picker: yesterday with no comparison.
    let yesterday = app
        .get(
            &format!("/boards/{}?range=yesterday&compare=none", board.id),
            Some(&admin),
        )
        .await;
    let number = block(&yesterday.body, board.block("number"));
    assert_eq!(
        attr(number, "data-value").unwrap(),
        sent_in(today - DAY_MS, today).to_string()
    );
    assert!(!number.contains("data-previous"), "no comparison: {number}");
    // Since a date, compared with the same period last year (nothing synced then).
    let since = jiff::Timestamp::from_millisecond(today - 3 * DAY_MS)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let page = app
        .get(
            &format!(
                "/boards/{}?range=since&from={since}&compare=same_period_last_year",
                board.id
            ),
            Some(&admin),
        )
        .await;
    let number = block(&page.body, board.block("number"));
    let now = jiff::Timestamp::now().as_millisecond();
    assert_eq!(
        attr(number, "data-value").unwrap(),
        sent_in(today - 3 * DAY_MS, now + 1).to_string()
    );
    // Nothing had synced a year ago: no earlier value, not a zero (issue 17).
    assert_eq!(attr(number, "data-previous").unwrap(), "");
    assert!(number.contains("no earlier value"), "{number}");
    // A bad range is refused, not guessed.
    let bad = app
        .get(&format!("/boards/{}?range=soon", board.id), Some(&admin))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Exports: the block's CSV has its total; the board's PNG is a PNG.
    let csv = app
        .get(
            &format!("/boards/{}/blocks/{}.csv", board.id, board.block("number")),
            Some(&admin),
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body
            .starts_with("block,metric,dimension,start,end,value\n"),
        "{}",
        csv.body
    );
    assert!(
        csv.body.contains("number,Messages sent,(total),"),
        "{}",
        csv.body
    );
    assert!(
        csv.body
            .lines()
            .any(|l| l.starts_with("number,Messages sent,(total),")
                && l.ends_with(&format!(",{current}"))),
        "{}",
        csv.body
    );
    let all = app
        .get(&format!("/boards/{}/board.csv", board.id), Some(&admin))
        .await;
    assert!(
        all.body.contains("table,Messages by status,"),
        "{}",
        all.body
    );
    let png = app
        .get(&format!("/boards/{}/board.png", board.id), Some(&admin))
        .await;
    assert_eq!(png.status, StatusCode::OK, "{}", png.body);
    assert!(png.body.starts_with("\u{FFFD}PNG"), "a PNG");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_link_shows_the_board_read_only_until_revoked() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let board = board_of_every_type(&app, &admin).await;
    let link = format!(
        "/shared/{}",
        share_token(&app, &admin, board.id, "wall").await
    );

    // No session: the board shows, with the date picker, and without any edit control.
    let page = app.get(&link, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"read-only\""));
    assert!(page.body.contains("id=\"range-picker\""));
    assert!(
        !page.body.contains("method=\"post\""),
        "no form that changes anything"
    );
    let today = today_utc_ms();
    let number = block(&page.body, board.block("number"));
    assert_eq!(
        attr(number, "data-value").unwrap(),
        sent_in(today - 7 * DAY_MS, today).to_string()
    );
    let picked = app.get(&format!("{link}?range=yesterday"), None).await;
    let number = block(&picked.body, board.block("number"));
    assert_eq!(
        attr(number, "data-value").unwrap(),
        sent_in(today - DAY_MS, today).to_string()
    );
    let csv = app
        .get(
            &format!("{link}/blocks/{}.csv", board.block("number")),
            None,
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);

    // Every change is refused: through the link, and on the board without a session.
    for path in [
        link.clone(),
        format!("{link}/blocks"),
        format!("{link}/settings"),
    ] {
        let r = app.post_form(&path, None, &[("name", "hijack")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "POST {path}");
    }
    let r = app
        .post_form(
            &format!("/boards/{}/settings", board.id),
            None,
            &[
                ("name", "hijack"),
                ("range", "today"),
                ("compare", "none"),
                ("zone", "UTC"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/login"));
    assert_eq!(
        app.state
            .store()
            .board(store::BoardId(board.id))
            .await
            .unwrap()
            .settings
            .name,
        "Ops"
    );

    // An altered link is refused; so is the link once revoked.
    let mut altered = link.clone();
    altered.pop();
    altered.push(if link.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(app.get(&altered, None).await.status, StatusCode::NOT_FOUND);
    let share = app
        .state
        .store()
        .shares(store::BoardId(board.id))
        .await
        .unwrap()[0]
        .clone();
    let revoked = app
        .post_form(
            &format!("/boards/{}/shares/{}/revoke", board.id, share.id),
            Some(&admin),
            &[("csrf", &admin.csrf)],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    let gone = app.get(&link, None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boards_are_renamed_duplicated_deleted_and_viewers_only_look() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let board = board_of_every_type(&app, &admin).await;
    let path = format!("/boards/{}", board.id);

    // Arranging: a block moves right and grows, saved at once.
    let number = board.block("number");
    for dir in ["right", "wider"] {
        let r = app
            .post_form(
                &format!("{path}/blocks/{number}/move"),
                Some(&admin),
                &[("csrf", &admin.csrf), ("dir", dir)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let rows = app
        .state
        .store()
        .blocks(store::BoardId(board.id))
        .await
        .unwrap();
    let moved = rows.iter().find(|r| r.id.0 == number).unwrap();
    assert_eq!((moved.block.place.x, moved.block.place.w), (1, 4));
    let page = app.get(&path, Some(&admin)).await;
    let tag = &page.body[..page.body.find(&format!("id=\"block-{number}\"")).unwrap()];
    let class = &tag[tag.rfind("<section").unwrap()..];
    assert!(
        class.contains(" gx1 gw4 "),
        "the grid class follows: {class}"
    );

    // What boards.js sends after a drag: the block's new place, saved in one transaction.
    let text = board.block("text");
    let layout = format!("{text}:8,6,4,2");
    let r = app
        .post_form(
            &format!("{path}/arrange"),
            Some(&admin),
            &[("csrf", &admin.csrf), ("layout", &layout)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let rows = app
        .state
        .store()
        .blocks(store::BoardId(board.id))
        .await
        .unwrap();
    let place = rows.iter().find(|r| r.id.0 == text).unwrap().block.place;
    assert_eq!((place.x, place.y, place.w, place.h), (8, 6, 4, 2));
    let outside = format!("{text}:10,0,4,2");
    let r = app
        .post_form(
            &format!("{path}/arrange"),
            Some(&admin),
            &[("csrf", &admin.csrf), ("layout", &outside)],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a block must stay in the grid"
    );
    let page = app.get(&path, Some(&admin)).await;
    assert!(
        page.body.contains("src=\"/assets/boards.js\""),
        "editors get the drag script"
    );

    let r = app
        .post_form(
            &format!("{path}/rename"),
            Some(&admin),
            &[("csrf", &admin.csrf), ("name", "Night shift")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app
        .post_form(
            &format!("{path}/duplicate"),
            Some(&admin),
            &[("csrf", &admin.csrf)],
        )
        .await;
    let copy = id_from_location(r.location().unwrap(), "/boards/");
    assert_ne!(copy, board.id);
    assert_eq!(
        app.state
            .store()
            .blocks(store::BoardId(copy))
            .await
            .unwrap()
            .len(),
        7
    );
    let list = app.get("/boards", Some(&admin)).await;
    assert!(list.body.contains("Night shift (copy)"), "{}", list.body);

    // A Viewer sees the board but no edit control, and a direct change is refused.
    app.user("val", Role::Viewer).await;
    let val = app.login("val").await;
    let seen = app.get(&path, Some(&val)).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(
        !seen.body.contains("/blocks/") || !seen.body.contains("method=\"post\" action=\"/boards/"),
        "no edit forms"
    );
    let r = app
        .post_form(
            &format!("{path}/delete"),
            Some(&val),
            &[("csrf", &val.csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A change without the CSRF token is refused too.
    let r = app
        .post_form(&format!("{path}/delete"), Some(&admin), &[("csrf", "nope")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = app
        .post_form(
            &format!("{path}/delete"),
            Some(&admin),
            &[("csrf", &admin.csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&path, Some(&admin)).await.status,
        StatusCode::NOT_FOUND
    );

    // The TV loop shows a board and names the next one.
    let tv = app
        .get(&format!("/tv?boards={copy}&every=30"), Some(&val))
        .await;
    assert_eq!(tv.status, StatusCode::OK);
    assert!(
        tv.body.contains(&format!(
            "content=\"30;url=/tv?boards={copy}&#38;i=0&#38;every=30\""
        )),
        "{}",
        tv.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_makes_a_board_from_library_metrics_in_one_click() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    // A connection and one of the template's metrics already there: it is reused.
    let sent = app
        .add_connection_and_library_metric(&admin, "sim", "messages-sent")
        .await;
    let r = app
        .post_form(
            "/boards/templates",
            Some(&admin),
            &[("csrf", &admin.csrf), ("template", "messaging")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = id_from_location(r.location().unwrap(), "/boards/");
    let blocks = app.state.store().blocks(store::BoardId(id)).await.unwrap();
    assert_eq!(blocks.len(), 8);
    assert!(
        blocks[0]
            .block
            .settings
            .contains(&format!("[{}]", sent.id.0)),
        "{:?}",
        blocks[0]
    );
    let metrics = app.state.store().list_metrics().await.unwrap();
    assert!(metrics.iter().any(|m| m.name == "Messages by status"));
    // Not synced yet: the blocks say so, with the reason on hover.
    let page = app.get(&format!("/boards/{id}"), Some(&admin)).await;
    assert!(page.body.contains("data-status=\"never\""), "{}", page.body);
    assert!(
        page.body
            .contains("title=\"Messages by direction: not synced yet\""),
        "{}",
        page.body
    );
    for t in ["voice", "spend"] {
        let r = app
            .post_form(
                "/boards/templates",
                Some(&admin),
                &[("csrf", &admin.csrf), ("template", t)],
            )
            .await;
        assert!(flash(&r).is_some_and(|f| f.0), "{t}: {:?}", r.location());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_block_draws_its_previous_period_with_the_earlier_values() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let board = board_of_every_type(&app, &admin).await;
    let page = app
        .get(&format!("/boards/{}", board.id), Some(&admin))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let line = block(&page.body, board.block("line"));
    assert_eq!(
        line.matches("stroke-dasharray").count(),
        1,
        "one dashed comparison line: {line}"
    );
    assert!(line.contains(">- - previous period</text>"), "{line}");

    // Each day of the last 7 against the same weekday of the 7 before, counted from the dump
    // (the sync covered both weeks, so a day without messages shows 0).
    let shown = |n: usize| charts::format_plain(Some(n as f64));
    let today = today_utc_ms();
    let mut compared = 0;
    for i in 0..7 {
        let day = today - (7 - i) * DAY_MS;
        let now = sent_in(day, day + DAY_MS);
        let earlier = sent_in(day - 7 * DAY_MS, day - 6 * DAY_MS);
        let date = jiff::Timestamp::from_millisecond(day)
            .unwrap()
            .strftime("%Y-%m-%d")
            .to_string();
        let expected = format!(
            "{date}\nMessages sent: {} (previous period: {})",
            shown(now),
            shown(earlier)
        );
        assert!(line.contains(&expected), "{expected:?} in {line}");
        compared += usize::from(earlier > 0);
    }
    assert!(compared > 0, "the dump reaches back into the previous week");

    let none = app
        .get(&format!("/boards/{}?compare=none", board.id), Some(&admin))
        .await;
    let line = block(&none.body, board.block("line"));
    assert!(
        !line.contains("stroke-dasharray"),
        "no comparison, no dashes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_shows_new_buckets_as_soon_as_they_are_stored() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let board = board_of_every_type(&app, &admin).await;
    let path = format!("/boards/{}", board.id);
    let value = |body: &str| -> f64 {
        attr(block(body, board.block("number")), "data-value")
            .unwrap()
            .parse()
            .unwrap()
    };
    let first = value(&app.get(&path, Some(&admin)).await.body);
    // Rendered twice: the second render is served from memory.
    assert_eq!(value(&app.get(&path, Some(&admin)).await.body), first);

    // Five more messages two days ago, written as a sync would write them.
    let sent = messages_sent(&app).await;
    let at = today_utc_ms() - 2 * DAY_MS + 3_600_000;
    let points: Vec<store::Point> = (0..5)
        .map(|i| store::Point {
            dimension: String::new(),
            at_ms: at + i,
            value: 1.0,
        })
        .collect();
    app.state
        .store()
        .add_points(sent.id, &points)
        .await
        .unwrap();
    assert_eq!(
        value(&app.get(&path, Some(&admin)).await.body),
        first + 5.0,
        "the cached buckets were dropped when the store's changed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_progress_block_follows_a_stored_goal_with_its_pace_and_projection() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let board = board_of_every_type(&app, &admin).await;
    let token = app.token(&admin).await;
    let sent = messages_sent(&app).await;
    // A weekly goal, repeating from three days ago (UTC).
    let start_date = jiff::Timestamp::from_millisecond(today_utc_ms() - 3 * DAY_MS)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let target = 400.0;
    let created = app
        .api(
            axum::http::Method::POST,
            "/api/v1/goals",
            Some(&token),
            Some(serde_json::json!({"name": "Weekly sends", "metric_id": sent.id.0, "spec": {
                "goal": {"target": target, "criterion": "reach", "trend": "up",
                         "period": {"kind": "calendar", "unit": "week", "start": start_date.to_string(), "repeat": true}},
                "aggregation": "sum", "zone": "UTC"}})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let goal_id = created.json()["goal"]["id"].as_i64().unwrap().to_string();
    // Calendar weeks start on Mondays: the API says which week is current.
    let period_start: jiff::Timestamp = created.json()["goal"]["progress"]["period"]["start"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let start_ms = period_start.as_millisecond();

    let progress = board.block("progress");
    let saved = app
        .post_form(
            &format!("/boards/{}/blocks/{progress}", board.id),
            Some(&admin),
            &[
                ("csrf", admin.csrf.as_str()),
                ("kind", "progress"),
                ("title", "Weekly sends"),
                ("goal_id", &goal_id),
            ],
        )
        .await;
    assert!(flash(&saved).is_some_and(|f| f.0), "{:?}", saved.location());
    let stored = app
        .state
        .store()
        .blocks(store::BoardId(board.id))
        .await
        .unwrap();
    let settings: Value = serde_json::from_str(
        &stored
            .iter()
            .find(|b| b.id.0 == progress)
            .unwrap()
            .block
            .settings,
    )
    .unwrap();
    assert_eq!(
        settings["metrics"],
        serde_json::json!([sent.id.0]),
        "the goal's metric"
    );

    let week_ms = 7 * DAY_MS;
    let before = jiff::Timestamp::now().as_millisecond();
    let page = app
        .get(&format!("/boards/{}", board.id), Some(&admin))
        .await;
    let after = jiff::Timestamp::now().as_millisecond();
    let shown = block(&page.body, progress);
    let num = |name: &str| -> f64 {
        attr(shown, name)
            .unwrap_or_else(|| panic!("{name} in {shown}"))
            .parse()
            .unwrap()
    };
    let so_far = sent_in(start_ms, start_ms + week_ms) as f64;
    assert_eq!(num("data-value"), so_far, "{shown}");
    assert_eq!(num("data-target"), target);
    let (lo, hi) = (
        (before - start_ms) as f64 / week_ms as f64,
        (after - start_ms) as f64 / week_ms as f64,
    );
    let expected = num("data-expected");
    assert!(
        target * lo - 1e-9 <= expected && expected <= target * hi + 1e-9,
        "expected by now {expected} is the target times the elapsed share ({lo}..{hi})"
    );
    let projection = num("data-projection");
    // The first sync backfills 90 days, so the series has its three weeks of (mostly quiet)
    // history and the goal projects with its seasonal forecast, which starts from what is
    // already there; without a model it would be the straight-line pace.
    match attr(shown, "data-basis").as_deref() {
        Some("forecast") => {
            assert!(
                projection >= so_far - 1e-9,
                "forecast {projection} below the value so far {so_far}"
            );
            assert!(shown.contains("forecast ("), "{shown}");
        }
        Some("pace") => assert!(
            so_far / hi - 1e-9 <= projection && projection <= so_far / lo + 1e-9,
            "projection {projection} is the value so far over the elapsed share"
        ),
        other => panic!("basis {other:?} in {shown}"),
    }
    assert!(shown.contains("Weekly sends"), "{shown}");

    // A goal that goes leaves a block that says so.
    let gone = app
        .api(
            axum::http::Method::DELETE,
            &format!("/api/v1/goals/{goal_id}"),
            Some(&token),
            None,
        )
        .await;
    assert!(gone.status.is_success(), "{}", gone.body);
    let page = app
        .get(&format!("/boards/{}", board.id), Some(&admin))
        .await;
    assert!(
        block(&page.body, progress).contains("was deleted"),
        "{}",
        block(&page.body, progress)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metric_a_board_shows_is_not_deleted_until_its_blocks_go() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let board = board_of_every_type(&app, &admin).await;
    let token = app.token(&admin).await;
    let sent = messages_sent(&app).await;
    let refused = app
        .api(
            axum::http::Method::DELETE,
            &format!("/api/v1/metrics/{}", sent.id.0),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body.contains("board 'Ops'"), "{}", refused.body);
    assert!(
        app.state.store().metric(sent.id).await.is_ok(),
        "still there"
    );

    // Once no block shows it, it goes.
    for kind in ["number", "line", "progress"] {
        let r = app
            .post_form(
                &format!("/boards/{}/blocks/{}/delete", board.id, board.block(kind)),
                Some(&admin),
                &[("csrf", admin.csrf.as_str())],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let deleted = app
        .api(
            axum::http::Method::DELETE,
            &format!("/api/v1/metrics/{}", sent.id.0),
            Some(&token),
            None,
        )
        .await;
    assert!(deleted.status.is_success(), "{}", deleted.body);
}

/// Makes a share link of `board` and returns its token (the part after `/shared/`).
/// Issue 15, finding 2: a share link asking for 273 years by day draws a bounded page (a
/// coarser interval, said so on each block), the data API refuses an unbounded series, and a
/// flood of one link is turned away with 503 and Retry-After instead of being drawn many times
/// over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_share_link_over_centuries_draws_a_bounded_page_and_a_flood_is_turned_away() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let board = board_of_every_type(&app, &admin).await;
    let token = share_token(&app, &admin, board.id, "wall").await;
    let centuries = format!("/shared/{token}?range=custom&from=1753-06-01&to=2026-12-01");

    let page = app.get(&centuries, None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.len() < 1 << 20,
        "the page is {} bytes",
        page.body.len()
    );
    assert!(
        page.body.contains("by year (too long to draw by day)"),
        "the coarser interval is named"
    );
    let line = block(&page.body, board.block("line"));
    assert!(
        line.matches("<circle").count() + line.matches("<title>").count() < 2_000,
        "the line block draws a bounded series"
    );

    let token_api = app.token(&admin).await;
    let sent = app
        .state
        .store()
        .metric_by_name("Messages sent")
        .await
        .unwrap()
        .unwrap();
    let data = |interval: &'static str| {
        let app = &app;
        let token_api = &token_api;
        async move {
            app.api(
                axum::http::Method::GET,
                &format!(
                    "/api/v1/metrics/{}/data?from=1753-06-01T00:00:00Z&to=2026-12-01T00:00:00Z&interval={interval}",
                    sent.id.0
                ),
                Some(token_api),
                None,
            )
            .await
        }
    };
    let hourly = data("hour").await;
    assert_eq!(
        hourly.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        hourly.body
    );
    assert!(hourly.body.contains("coarser interval"), "{}", hourly.body);
    let yearly = data("year").await;
    assert_eq!(yearly.status, StatusCode::OK, "{}", yearly.body);

    // Fifty at once: each is drawn or refused fast, never queued without bound.
    let replies = futures::future::join_all((0..50).map(|_| {
        let router = app.router.clone();
        let uri = centuries.clone();
        tokio::spawn(async move {
            use tower::ServiceExt as _;
            let r = router
                .oneshot(
                    axum::http::Request::get(uri)
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            (r.status(), r.headers().get("retry-after").cloned())
        })
    }))
    .await;
    let mut drawn = 0;
    for r in replies {
        let (status, retry) = r.unwrap();
        match status {
            StatusCode::OK => drawn += 1,
            StatusCode::SERVICE_UNAVAILABLE => assert!(retry.is_some(), "503 says when to retry"),
            other => panic!("unexpected {other}"),
        }
    }
    assert!(drawn >= 1, "some requests were drawn");
}

/// Issue 15, finding 15: a block may name only metrics that exist, and at most a dozen, so a
/// forged form cannot make every render of a board look up thousands of ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_names_only_existing_metrics_and_at_most_a_dozen() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let board = board_of_every_type(&app, &admin).await;
    let before = app
        .state
        .store()
        .blocks(store::BoardId(board.id))
        .await
        .unwrap();
    let real = app
        .state
        .store()
        .metric_by_name("Messages sent")
        .await
        .unwrap()
        .unwrap()
        .id
        .0;
    let missing = (real + 1_000).to_string();
    let real = real.to_string();
    let many: Vec<String> = (0..20).map(|i| (1_000_000 + i).to_string()).collect();
    let edit = format!("/boards/{}/blocks/{}", board.id, board.block("number"));
    let add = format!("/boards/{}/blocks", board.id);

    let mut forms: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            add.as_str(),
            vec![("metric", real.as_str()), ("metric", missing.as_str())],
        ),
        (edit.as_str(), vec![("metric", missing.as_str())]),
    ];
    forms.push((
        add.as_str(),
        many.iter().map(|id| ("metric", id.as_str())).collect(),
    ));
    for (path, metrics) in forms {
        let mut fields = vec![
            ("csrf", admin.csrf.as_str()),
            ("kind", "line"),
            ("title", "x"),
        ];
        fields.extend(metrics.iter().copied());
        let r = app.post_form(path, Some(&admin), &fields).await;
        let flash: String = match flash(&r) {
            Some((false, text)) => text,
            other => panic!("{path} with {} ids was accepted: {other:?}", metrics.len()),
        };
        assert!(flash.starts_with("metric: "), "{flash}");
        if metrics.len() > 12 {
            assert!(flash.contains("at most 12"), "{flash}");
        } else {
            assert!(flash.contains(&format!("no metric {missing}")), "{flash}");
        }
    }
    let after = app
        .state
        .store()
        .blocks(store::BoardId(board.id))
        .await
        .unwrap();
    assert_eq!(after, before, "no block was added or changed");
}

/// Issue 15, finding 12: the request log at INFO never carries a share link's token (it opens
/// the board for anyone who reads the log) nor the setup link's.
#[tokio::test]
async fn share_and_setup_tokens_never_reach_the_request_log() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let board = board_of_every_type(&app, &admin).await;
    let token = share_token(&app, &admin, board.id, "wall").await;

    let log = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(log.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let page = app.get(&format!("/shared/{token}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    let csv = app
        .get(
            &format!("/shared/{token}/blocks/{}.csv", board.block("number")),
            None,
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    let _ = app
        .get(&format!("/shared/{token}x?range=today"), None)
        .await;
    let _ = app.get("/setup?token=setup-token-in-a-query", None).await;
    drop(guard);

    let text = log.text();
    assert!(
        text.contains("/shared/{token}"),
        "the requests were logged by their route template: {text}"
    );
    assert!(
        !text.contains(&token),
        "a share token reached the log: {text}"
    );
    assert!(
        !text.contains("setup-token-in-a-query"),
        "a setup token reached the log: {text}"
    );
}

/// Log lines written by a test's subscriber.
#[derive(Clone, Default)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl LogBuffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

async fn share_token(app: &TestApp, admin: &Session, board: i64, label: &str) -> String {
    let made = app
        .post_form(
            &format!("/boards/{board}/shares"),
            Some(admin),
            &[("csrf", &admin.csrf), ("label", label), ("days", "7")],
        )
        .await;
    let flash: String = flash(&made).expect("a message with the link").1;
    flash
        .rsplit(' ')
        .next()
        .unwrap()
        .strip_prefix("/shared/")
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tv_loop_of_share_links_runs_without_login_and_stops_at_a_revoked_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let board = board_of_every_type(&app, &admin).await;
    let other = app
        .post_form(
            "/boards",
            Some(&admin),
            &[("csrf", &admin.csrf), ("name", "Lobby")],
        )
        .await;
    let other_id = id_from_location(other.location().unwrap(), "/boards/");
    let a = share_token(&app, &admin, board.id, "wall").await;
    let b = share_token(&app, &admin, other_id, "lobby").await;

    let first = app
        .get(&format!("/tv/shared?links={a},{b}&every=30"), None)
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(
        first.body.contains("id=\"read-only\""),
        "through the share link"
    );
    assert!(!first.body.contains("method=\"post\""), "nothing to change");
    // The page refreshes to the next board (askama writes `&` as `&#38;`).
    let refresh = format!("content=\"30;url=/tv/shared?links={a},{b}&#38;i=1&#38;every=30\"");
    assert!(first.body.contains(&refresh), "{refresh} in the page");
    let today = today_utc_ms();
    assert_eq!(
        attr(block(&first.body, board.block("number")), "data-value").unwrap(),
        sent_in(today - 7 * DAY_MS, today).to_string()
    );
    let second = app
        .get(&format!("/tv/shared?links={a},{b}&i=1&every=30"), None)
        .await;
    assert_eq!(second.status, StatusCode::OK);
    assert!(second.body.contains("Lobby"), "the second board");

    // Revoked: that board is no longer shown.
    let share = app
        .state
        .store()
        .shares(store::BoardId(other_id))
        .await
        .unwrap()
        .remove(0);
    app.state
        .store()
        .revoke_share(
            store::BoardId(other_id),
            share.id,
            jiff::Timestamp::now().as_millisecond(),
        )
        .await
        .unwrap();
    let gone = app
        .get(&format!("/tv/shared?links={a},{b}&i=1&every=30"), None)
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.body);
    let forged = app
        .get(&format!("/tv/shared?links={a}x&every=30"), None)
        .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);
}

/// The places the store holds for a board's blocks, by block id: (x, y, w, h).
async fn stored_places(app: &TestApp, board: i64) -> Vec<(i64, (i64, i64, i64, i64))> {
    let mut places: Vec<(i64, (i64, i64, i64, i64))> = app
        .state
        .store()
        .blocks(store::BoardId(board))
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let p = r.block.place;
            (r.id.0, (p.x, p.y, p.w, p.h))
        })
        .collect();
    places.sort_unstable();
    places
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_designers_layout_call_never_stores_an_overlap_and_says_why_it_refuses() {
    use axum::http::Method;
    use serde_json::json;
    let app = spawn_app().await;
    let admin = app.admin().await;
    let created = app
        .api_session(
            Method::POST,
            "/api/v1/boards",
            &admin,
            Some(json!({ "name": "Layout" })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let board = created.json()["board"]["id"].as_i64().unwrap();
    let mut ids = Vec::new();
    for note in ["one", "two"] {
        let r = app
            .api_session(
                Method::POST,
                &format!("/api/v1/boards/{board}/blocks"),
                &admin,
                Some(json!({ "kind": "text", "text": note })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.json()["block"]["id"].as_i64().unwrap());
    }
    // Text blocks are 3×2: the second lands beside the first.
    assert_eq!(
        stored_places(&app, board).await,
        [(ids[0], (0, 0, 3, 2)), (ids[1], (3, 0, 3, 2))]
    );

    // Both proposed onto the same cells: the first named keeps them, the other goes below.
    let layout = format!("/api/v1/boards/{board}/layout");
    let r = app
        .api_session(
            Method::PUT,
            &layout,
            &admin,
            Some(json!({ "blocks": [
                { "id": ids[1], "x": 1, "y": 0, "w": 3, "h": 2 },
                { "id": ids[0], "x": 1, "y": 0, "w": 3, "h": 2 },
            ] })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let stored = stored_places(&app, board).await;
    assert_eq!(
        stored,
        [(ids[0], (1, 2, 3, 2)), (ids[1], (1, 0, 3, 2))],
        "{}",
        r.body
    );
    let mut answered: Vec<(i64, (i64, i64, i64, i64))> = r.json()["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let n = |k: &str| b[k].as_i64().unwrap();
            (n("id"), (n("x"), n("y"), n("w"), n("h")))
        })
        .collect();
    answered.sort_unstable();
    assert_eq!(answered, stored, "the answer is what is stored");
    assert_eq!(r.json()["undo"], "Undo move");

    // Off the grid, or a block of no board: refused with the reason, nothing moves.
    let r = app
        .api_session(
            Method::PUT,
            &layout,
            &admin,
            Some(json!({ "blocks": [{ "id": ids[0], "x": 11, "y": 0, "w": 3, "h": 2 }] })),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("inside the 12-column grid"), "{}", r.body);
    let r = app
        .api_session(
            Method::PUT,
            &layout,
            &admin,
            Some(json!({ "blocks": [{ "id": 987_654, "x": 0, "y": 0, "w": 3, "h": 2 }] })),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(stored_places(&app, board).await, stored);

    // Undo through the API puts both back.
    let r = app
        .api_session(
            Method::POST,
            &format!("/api/v1/boards/{board}/undo"),
            &admin,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["undone"], "move");
    assert_eq!(
        stored_places(&app, board).await,
        [(ids[0], (0, 0, 3, 2)), (ids[1], (3, 0, 3, 2))]
    );
}

#[tokio::test]
async fn a_layout_or_undo_for_a_board_that_does_not_exist_is_not_found() {
    use axum::http::Method;
    use serde_json::json;
    let app = spawn_app().await;
    let admin = app.admin().await;
    let layout = app
        .api_session(
            Method::PUT,
            "/api/v1/boards/987654/layout",
            &admin,
            Some(json!({ "blocks": [] })),
        )
        .await;
    assert_eq!(layout.status, StatusCode::NOT_FOUND, "{}", layout.body);
    let undo = app
        .api_session(Method::POST, "/api/v1/boards/987654/undo", &admin, None)
        .await;
    assert_eq!(undo.status, StatusCode::NOT_FOUND, "{}", undo.body);
}
