//! The library files themselves: each parses, has every field the format requires, names an
//! endpoint the simulator serves, and follows the library's rules (page sizes, date filters,
//! rates as averages). Also how names and categories are looked up, and how a bad file is told.

mod support;

use library::{Category, LibraryError, Visualization, parse_file};
use metric::{Aggregation, definition::Unit};
use serde_json::Value;
use support::*;
use twilio_request::{Pagination, Window};

#[test]
fn every_library_file_parses_and_has_every_required_field() {
    let files = library::files();
    assert!(!files.is_empty());
    for (name, text) in files {
        let m = parse_file(name, text).unwrap_or_else(|e| panic!("{e}"));
        let raw: Value = serde_json::from_str(text).unwrap();
        for path in [
            "/category",
            "/visualization",
            "/definition/version",
            "/definition/connection",
            "/definition/request/host",
            "/definition/request/path",
            "/definition/extraction/expression",
            "/definition/description/name",
            "/definition/description/summary",
            "/definition/description/aggregation",
            "/definition/description/favourable",
            "/definition/description/format/unit",
            "/definition/description/interval",
        ] {
            assert!(raw.pointer(path).is_some(), "{name}: {path} is missing");
        }
        assert!(!m.summary().trim().is_empty(), "{name}");
        assert_eq!(format!("{}.json", m.slug), *name);
    }
}

#[test]
fn the_library_holds_at_least_forty_metrics_in_every_category() {
    let all = library::all().unwrap();
    assert!(all.len() >= 40, "{} metrics", all.len());
    for c in Category::ALL {
        assert!(
            all.iter().any(|m| m.category == c),
            "no metric in the category {c}"
        );
    }
    assert_eq!(all.len(), library::files().len());
}

#[test]
fn every_summary_says_which_source_it_reads() {
    for m in library::all().unwrap() {
        assert!(
            m.summary().contains("Source:"),
            "{}: the summary should name its source",
            m.slug
        );
    }
}

#[test]
fn lists_page_by_a_thousand_and_windowed_lists_filter_by_date() {
    for m in library::all().unwrap() {
        let r = &m.definition.request;
        if r.path.ends_with("/Balance.json") {
            continue;
        }
        let param = |k: &str| {
            r.params
                .iter()
                .find(|p| p.key == k)
                .map(|p| p.value.as_str())
        };
        assert_eq!(param("PageSize"), Some("1000"), "{}", m.slug);
        let tokens = r.params.iter().any(|p| p.value.contains("{{date_"));
        let snapshot = m.definition.description.aggregation == Aggregation::Latest;
        assert_eq!(
            tokens, !snapshot,
            "{}: a dated list filters by the window; a reading has no window",
            m.slug
        );
    }
}

#[test]
fn rates_and_averages_use_the_average_aggregation() {
    for m in library::all().unwrap() {
        let d = &m.definition.description;
        if d.format.unit == Unit::Percent {
            assert_eq!(d.aggregation, Aggregation::Average, "{}", m.slug);
        }
        if d.name.to_ascii_lowercase().contains("average") {
            assert_eq!(d.aggregation, Aggregation::Average, "{}", m.slug);
        }
    }
}

#[test]
fn snapshots_are_shown_as_numbers_and_breakdowns_as_stacked_bars_or_bars() {
    for m in library::all().unwrap() {
        let expression = m.definition.expression_text().unwrap();
        if m.definition.description.aggregation == Aggregation::Latest {
            assert_eq!(m.visualization, Visualization::Number, "{}", m.slug);
        }
        if expression.contains("\"dimension\"") {
            assert!(
                matches!(
                    m.visualization,
                    Visualization::StackedBar | Visualization::Bar
                ),
                "{}",
                m.slug
            );
        }
    }
}

/// Fetches the first page of every library request from the simulator, for the last day.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_library_request_names_an_endpoint_the_simulator_serves() {
    let connector = connector();
    let creds = credentials();
    let to = jiff::Timestamp::from_millisecond(whole_range().1).unwrap();
    let window = Window::new(to - jiff::SignedDuration::from_hours(24), to).unwrap();
    for m in library::all().unwrap() {
        let mut spec = m.definition.request.clone();
        spec.pagination = Pagination::None;
        let mut pages = 0;
        connector
            .fetch(&creds, &spec, Some(window), |_page| {
                pages += 1;
                Ok::<(), std::io::Error>(())
            })
            .await
            .unwrap_or_else(|e| panic!("{}: {} is not served: {e}", m.slug, m.source()));
        assert_eq!(pages, 1, "{}", m.slug);
    }
    // The same check refuses a path the simulator does not serve.
    let mut wrong = library::find("messages-sent")
        .unwrap()
        .definition
        .request
        .clone();
    wrong.path = "/2010-04-01/Accounts/{AccountSid}/Mesages.json".into();
    let result = connector
        .fetch(&creds, &wrong, Some(window), |_| {
            Ok::<(), std::io::Error>(())
        })
        .await;
    assert!(result.is_err(), "a misspelt path must not be served");
}

#[test]
fn a_metric_is_found_by_file_name_or_display_name_in_any_case() {
    let by_slug = library::find("message-delivery-rate").unwrap();
    assert_eq!(by_slug.name(), "Message delivery rate");
    assert_eq!(library::find("Message Delivery Rate").unwrap(), by_slug);
    assert_eq!(
        library::find("message-delivery-rate.json").unwrap(),
        by_slug
    );
    let err = library::find("message-delivery-ratio").unwrap_err();
    assert!(matches!(err, LibraryError::UnknownMetric { .. }));
    assert!(
        err.to_string().contains("switchboard library list"),
        "{err}"
    );
}

#[test]
fn a_category_is_read_as_users_type_it() {
    for (text, want) in [
        ("Messaging", Category::Messaging),
        ("voice", Category::Voice),
        ("Spend and usage", Category::SpendAndUsage),
        ("spend-and-usage", Category::SpendAndUsage),
        ("spend", Category::SpendAndUsage),
        ("ACCOUNT", Category::Account),
        ("reliability", Category::Reliability),
        ("verify", Category::Verify),
    ] {
        assert_eq!(Category::parse(text).unwrap(), want, "{text}");
    }
    let err = Category::parse("billing").unwrap_err();
    assert!(err.to_string().contains("Spend and usage"), "{err}");
}

#[test]
fn list_by_category_keeps_only_that_category_sorted_by_name() {
    let voice = library::list(Some(Category::Voice)).unwrap();
    assert!(!voice.is_empty());
    assert!(voice.iter().all(|m| m.category == Category::Voice));
    let names: Vec<_> = voice.iter().map(|m| m.name()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    assert_eq!(
        library::list(None).unwrap().len(),
        library::all().unwrap().len()
    );
}

fn good_file() -> Value {
    let (_, text) = library::files()[0];
    serde_json::from_str(text).unwrap()
}

fn error_of(name: &str, doc: &Value) -> String {
    parse_file(name, &doc.to_string()).unwrap_err().to_string()
}

#[test]
fn a_bad_library_file_is_refused_with_its_name_and_what_is_wrong() {
    let err = parse_file("broken.json", "{").unwrap_err().to_string();
    assert!(
        err.contains("broken.json") && err.contains("not valid JSON"),
        "{err}"
    );

    let mut doc = good_file();
    doc["colour"] = "red".into();
    let err = error_of("x.json", &doc);
    assert!(err.contains("x.json") && err.contains("colour"), "{err}");

    let mut doc = good_file();
    doc["category"] = "Billing".into();
    let err = error_of("x.json", &doc);
    assert!(err.contains("Billing"), "{err}");

    let mut doc = good_file();
    doc["definition"]["description"]["aggregation"] = "median".into();
    let err = error_of("x.json", &doc);
    assert!(
        err.contains("x.json") && err.contains("description.aggregation"),
        "{err}"
    );

    let mut doc = good_file();
    doc["definition"]["description"]
        .as_object_mut()
        .unwrap()
        .remove("summary");
    let err = error_of("x.json", &doc);
    assert!(err.contains("summary"), "{err}");

    let err = error_of("Messages Sent.json", &good_file());
    assert!(err.contains("lower-case"), "{err}");
    let err = error_of("messages-sent.txt", &good_file());
    assert!(err.contains(".json"), "{err}");
}

#[test]
fn a_definition_is_bound_to_the_connection_it_is_added_for() {
    let m = library::find("total-spend").unwrap();
    let text = m.definition_for("production");
    let def = metric::MetricDefinition::from_json(&text).unwrap();
    assert_eq!(def.connection, "production");
    assert_eq!(def.request, m.definition.request);
    assert_eq!(def.description, m.definition.description);
}

#[test]
fn the_listing_groups_metrics_under_their_category_with_their_file_names() {
    let all = library::list(None).unwrap();
    let text = library::render_list(&all);
    for c in Category::ALL {
        assert_eq!(
            text.lines().filter(|l| *l == c.label()).count(),
            1,
            "one heading {c}:\n{text}"
        );
    }
    for m in &all {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{} ", m.slug)))
            .unwrap_or_else(|| panic!("{} is not listed", m.slug));
        assert!(line.contains(m.name()), "{line}");
    }
    let verify = library::list(Some(Category::Verify)).unwrap();
    let text = library::render_list(&verify);
    assert!(text.starts_with("Verify\n"), "{text}");
    assert!(!text.contains("Messaging"), "{text}");
}

#[test]
fn the_docs_table_lists_every_metric_with_its_source() {
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/library.md"
    ))
    .unwrap();
    // The metrics table: the lines after its header, up to the first line that is not a row.
    let rows: Vec<&str> = docs
        .lines()
        .skip_while(|l| !l.starts_with("| metric | file |"))
        .skip(2)
        .take_while(|l| l.starts_with("| "))
        .collect();
    for m in library::all().unwrap() {
        let row = rows
            .iter()
            .find(|l| l.contains(&format!("| `{}` |", m.slug)))
            .unwrap_or_else(|| panic!("docs/library.md has no row for {}", m.slug));
        let r = &m.definition.request;
        assert!(
            row.contains(&format!("`{}{}", r.host, r.path)),
            "{}: the row should name {}{}: {row}",
            m.slug,
            r.host,
            r.path
        );
        assert!(row.contains(m.name()), "{row}");
    }
    assert_eq!(
        rows.len(),
        library::all().unwrap().len(),
        "one row per metric"
    );
}
