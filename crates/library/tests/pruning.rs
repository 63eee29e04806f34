//! Raw pages keep only the fields their metrics read (`metric::fields_read`): for every library
//! metric, its expression evaluated on each page the simulator serves for its request gives the
//! same result on the page pruned to its own fields, and on the page pruned to the union of the
//! fields of every library metric sharing that request (what the sync stores), as on the whole
//! page; and the library's Messages metrics agree likewise on random pages (a property test).

mod support;

use std::collections::BTreeMap;

use metric::extract::sync_context;
use metric::{Expression, FieldSet, Limits, fields_read};
use serde_json::Value;
use support::*;
use twilio_request::Window;

/// A result as far as the equivalence goes: the value, or the error's code.
fn outcome(expression: &Expression, page: &Value) -> Result<Option<Value>, String> {
    expression
        .evaluate_in(Some(page), &sync_context(sim_now()))
        .map_err(|e| e.code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_library_metric_gives_the_same_result_on_its_pruned_pages() {
    let connector = connector();
    let creds = credentials();
    let (from, to) = whole_range();
    let window = Window::new(
        jiff::Timestamp::from_millisecond(from).unwrap(),
        jiff::Timestamp::from_millisecond(to).unwrap(),
    )
    .unwrap();

    // The library's metrics grouped by request, as the sync shares a fetch.
    let mut groups: BTreeMap<String, Vec<(String, Expression)>> = BTreeMap::new();
    let all = library::all().unwrap();
    for m in all {
        let expression = m.definition.compile(Limits::default()).unwrap();
        let request = serde_json::to_string(&m.definition.request).unwrap();
        groups
            .entry(request)
            .or_default()
            .push((m.slug.clone(), expression));
    }

    let (mut checked, mut pruned_pages, mut pages_seen) = (0, 0, 0);
    for metrics in groups.values() {
        let union = metrics
            .iter()
            .fold(FieldSet::nothing(), |u, (_, e)| u.union(&fields_read(e)));
        let spec = all
            .iter()
            .find(|m| m.slug == metrics[0].0)
            .unwrap()
            .definition
            .request
            .clone();
        let mut pages = Vec::new();
        connector
            .fetch(&creds, &spec, Some(window), |page| {
                pages.push(page.value);
                Ok::<(), std::io::Error>(())
            })
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", metrics[0].0));
        for page in &pages {
            pages_seen += 1;
            let shared = union.prune(page);
            if shared != *page {
                pruned_pages += 1;
            }
            for (slug, expression) in metrics {
                let whole = outcome(expression, page);
                let own = outcome(expression, &fields_read(expression).prune(page));
                assert_eq!(own, whole, "{slug}: on the page pruned to its own fields");
                let union_result = outcome(expression, &shared);
                assert_eq!(
                    union_result, whole,
                    "{slug}: on the page pruned to its request's metrics' fields"
                );
                checked += 1;
            }
        }
    }
    eprintln!(
        "{checked} evaluations of {} metrics on {pages_seen} pages of {} requests; \
         {pruned_pages} pages lost fields",
        all.len(),
        groups.len()
    );
    assert!(checked >= all.len(), "every metric was checked on a page");
    // Not a vacuous check: pruning removes fields from most pages.
    assert!(
        pruned_pages * 2 > pages_seen,
        "{pruned_pages} of {pages_seen} pages lost a field"
    );
}

/// No library metric reads a message's body or phone numbers, so the pages kept for the
/// Messages list hold none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_library_keeps_no_message_body_or_number() {
    let union = library::all()
        .unwrap()
        .iter()
        .filter(|m| m.definition.request.path.ends_with("/Messages.json"))
        .map(|m| fields_read(&m.definition.compile(Limits::default()).unwrap()))
        .fold(FieldSet::nothing(), |u, f| u.union(&f));
    let page =
        serde_json::json!({"messages": [shared().dump["accounts"][0]["messages"][0].clone()]});
    let kept = union.prune(&page);
    let message = kept["messages"][0].as_object().unwrap();
    assert!(!message.is_empty(), "some fields are kept: {kept}");
    for field in ["body", "to", "from"] {
        assert!(
            page["messages"][0].get(field).is_some(),
            "the page has {field}"
        );
        assert!(!message.contains_key(field), "{field} is kept: {kept}");
    }
}

mod random_pages {
    use super::*;
    use proptest::prelude::*;

    /// The fields of a Messages record, and a few no metric reads.
    const FIELDS: [&str; 12] = [
        "body",
        "to",
        "from",
        "status",
        "direction",
        "price",
        "num_segments",
        "num_media",
        "error_code",
        "date_sent",
        "date_created",
        "messaging_service_sid",
    ];

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            (-5i64..50).prop_map(Value::from),
            "-?[0-9]{1,2}\\.[0-9]{2}".prop_map(Value::from),
            prop::sample::select(vec![
                "delivered",
                "failed",
                "outbound-api",
                "inbound",
                "Mon, 16 Nov 2026 10:00:00 +0000",
                "Tue, 17 Nov 2026 23:59:59 +0000",
                "not a date",
                "",
            ])
            .prop_map(Value::from),
        ]
    }

    /// A Messages page whose records hold random subsets of the fields with random values.
    fn page() -> impl Strategy<Value = Value> {
        let record = prop::collection::vec((prop::sample::select(FIELDS.to_vec()), value()), 0..12)
            .prop_map(|pairs| {
                Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            });
        prop::collection::vec(record, 0..6)
            .prop_map(|messages| serde_json::json!({"messages": messages, "page": 0}))
    }

    fn message_metrics() -> Vec<(String, Expression)> {
        library::all()
            .unwrap()
            .iter()
            .filter(|m| m.definition.request.path.ends_with("/Messages.json"))
            .map(|m| {
                (
                    m.slug.clone(),
                    m.definition.compile(Limits::default()).unwrap(),
                )
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Every Messages metric of the library, on random pages: the page pruned to the
        /// union of their fields gives each the result (or error code) of the whole page.
        #[test]
        fn the_messages_metrics_agree_on_random_pruned_pages(page in page()) {
            let metrics = message_metrics();
            prop_assert!(metrics.len() > 3);
            let union = metrics
                .iter()
                .fold(FieldSet::nothing(), |u, (_, e)| u.union(&fields_read(e)));
            let pruned = union.prune(&page);
            for (slug, expression) in &metrics {
                prop_assert_eq!(
                    outcome(expression, &pruned),
                    outcome(expression, &page),
                    "{}", slug
                );
            }
        }
    }
}
