use domain::{AccountSid, ApiKeySid, Secret};
use store::{
    ConnectionId, MetricId, NewConnection, NewMetric, NewRawPages, RawPageContent, RawPagesStored,
    Store,
};

use crate::support::{Harness, key_a};

async fn setup<S: Store>(store: &S, metrics: usize) -> (ConnectionId, Vec<MetricId>) {
    let c = store
        .create_connection(
            &NewConnection {
                label: "prod".into(),
                account_sid: AccountSid::parse("AC0123456789abcdef0123456789abcdef").expect("sid"),
                api_key_sid: ApiKeySid::parse("SK0123456789abcdef0123456789abcdef").expect("sid"),
                secret: Secret::new("s"),
            },
            1,
        )
        .await
        .expect("connection");
    let mut ids = Vec::new();
    for i in 0..metrics {
        let m = NewMetric {
            name: format!("m{i}"),
            connection_id: Some(c.id),
            definition: "{}".into(),
        };
        ids.push(store.create_metric(&m, 1).await.expect("metric").id);
    }
    (c.id, ids)
}

/// Pages that compress poorly (pseudo-random digits), so sizes are predictable enough to test a cap.
fn pages(seed: u64, count: usize, len: usize) -> Vec<Vec<u8>> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    (0..count)
        .map(|_| {
            (0..len)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    b'0' + ((x >> 33) % 10) as u8
                })
                .collect()
        })
        .collect()
}

/// Stores `pages` as the set of request `fingerprint`, read by `readers`.
async fn put<S: Store>(
    store: &S,
    c: ConnectionId,
    fingerprint: &str,
    readers: &[MetricId],
    synced_at_ms: i64,
    pages: &[Vec<u8>],
    cap: u64,
) -> RawPagesStored {
    store
        .put_raw_pages(
            &NewRawPages {
                connection_id: c,
                fingerprint,
                readers,
                from_ms: 3_600_000,
                to_ms: 7_200_000,
                synced_at_ms,
                fields: r#"{"messages":{"price":{}}}"#,
                pages,
            },
            cap,
        )
        .await
        .expect("put raw pages")
}

fn opened(content: &RawPageContent) -> &Vec<Vec<u8>> {
    match content {
        RawPageContent::Open(pages) => pages,
        RawPageContent::Unavailable => panic!("the store's own key must open its raw pages"),
    }
}

async fn raw_pages_round_trip<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let (c, ms) = setup(&store, 1).await;
    let mut sent = pages(1, 5, 2_000);
    sent.push(Vec::new());
    sent.push(br#"{"messages":[],"next_page_uri":null}"#.to_vec());
    let stored = put(&store, c, "req", &ms, 77, &sent, 1 << 20).await;
    assert!(
        matches!(stored, RawPagesStored::Stored { ref evicted, .. } if evicted.is_empty()),
        "{stored:?}"
    );
    let got = store.raw_pages(ms[0]).await.expect("get").expect("some");
    assert_eq!(opened(&got.pages), &sent);
    assert_eq!(
        (
            got.connection_id,
            got.fingerprint.as_str(),
            got.readers.clone(),
            got.from_ms,
            got.to_ms,
            got.synced_at_ms,
            got.fields.as_str()
        ),
        (
            c,
            "req",
            ms.clone(),
            3_600_000,
            7_200_000,
            77,
            r#"{"messages":{"price":{}}}"#
        )
    );
    // A later sync replaces the pages.
    put(&store, c, "req", &ms, 88, &pages(2, 1, 10), 1 << 20).await;
    let got = store.raw_pages(ms[0]).await.expect("get").expect("some");
    assert_eq!(opened(&got.pages), &pages(2, 1, 10));
}

async fn stored_bytes_are_sealed_not_plain<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let (c, ms) = setup(&store, 1).await;
    let body = "Your verification code is 918273, do not share it";
    let page = format!(r#"{{"messages":[{{"body":"{body}","to":"+15005550006"}}]}}"#);
    put(&store, c, "req", &ms, 1, &[page.into_bytes()], 1 << 20).await;
    let sealed = h
        .read_bytes("SELECT sealed FROM raw_page_sets".to_owned())
        .await;
    assert!(sealed.len() > body.len(), "the set is stored");
    let found = |needle: &str| sealed.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(!found(body), "the message body is stored in the clear");
    assert!(
        !found("+15005550006"),
        "the phone number is stored in the clear"
    );
    assert!(!found("918273"), "part of the body is stored in the clear");
}

async fn pages_sealed_for_another_row_are_unavailable_not_an_error<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let (c, ms) = setup(&store, 2).await;
    put(&store, c, "one", &ms[..1], 1, &pages(1, 2, 50), 1 << 20).await;
    put(&store, c, "two", &ms[1..], 2, &pages(2, 2, 50), 1 << 20).await;
    // The first set's sealed bytes copied into the second row do not open there: the
    // associated data binds them to their row.
    h.execute_raw(
        "UPDATE raw_page_sets SET sealed = (SELECT sealed FROM raw_page_sets WHERE \
         fingerprint = 'one') WHERE fingerprint = 'two'"
            .to_owned(),
    )
    .await;
    let got = store.raw_pages(ms[1]).await.expect("get").expect("some");
    assert_eq!(got.pages, RawPageContent::Unavailable);
    let first = store.raw_pages(ms[0]).await.expect("get").expect("some");
    assert_eq!(opened(&first.pages), &pages(1, 2, 50));
}

async fn metrics_reading_one_request_share_one_set<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let (c, ms) = setup(&store, 5).await;
    put(&store, c, "req", &ms, 1, &pages(1, 3, 1_000), 1 << 20).await;
    let usage = store.raw_pages_usage().await.expect("usage");
    assert_eq!((usage.sets, usage.readers), (1, 5));
    for m in &ms {
        let got = store.raw_pages(*m).await.expect("get").expect("some");
        assert_eq!(got.readers, ms);
        assert_eq!(opened(&got.pages), &pages(1, 3, 1_000));
    }
    // A metric syncing the request alone takes the set over: the others stop reading it.
    put(&store, c, "req", &ms[..1], 2, &pages(2, 1, 10), 1 << 20).await;
    let usage = store.raw_pages_usage().await.expect("usage");
    assert_eq!((usage.sets, usage.readers), (1, 1));
    assert!(store.raw_pages(ms[1]).await.expect("get").is_none());
}

async fn deleting_readers_drops_the_set_with_the_last_one<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let (c, ms) = setup(&store, 2).await;
    put(&store, c, "req", &ms, 1, &pages(1, 2, 100), 1 << 20).await;
    assert!(store.delete_metric(ms[0]).await.expect("delete"));
    let got = store
        .raw_pages(ms[1])
        .await
        .expect("get")
        .expect("still read");
    assert_eq!(got.readers, vec![ms[1]]);
    assert!(store.delete_metric(ms[1]).await.expect("delete"));
    assert_eq!(store.raw_pages_usage().await.expect("usage").sets, 0);
}

async fn dropping_a_reader_keeps_the_set_for_the_others<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let (c, ms) = setup(&store, 2).await;
    put(&store, c, "req", &ms, 1, &pages(1, 2, 100), 1 << 20).await;
    assert_eq!(store.drop_raw_pages(&ms[..1]).await.expect("drop"), 0);
    assert!(store.raw_pages(ms[0]).await.expect("get").is_none());
    assert!(store.raw_pages(ms[1]).await.expect("get").is_some());
    assert_eq!(store.drop_raw_pages(&ms[1..]).await.expect("drop"), 1);
    assert_eq!(store.raw_pages_usage().await.expect("usage").sets, 0);
}

async fn delete_all_leaves_no_raw_pages<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let (c, ms) = setup(&store, 2).await;
    put(&store, c, "one", &ms[..1], 1, &pages(1, 2, 100), 1 << 20).await;
    put(&store, c, "two", &ms[1..], 1, &pages(2, 2, 100), 1 << 20).await;
    assert_eq!(store.delete_all_raw_pages().await.expect("delete"), 2);
    assert_eq!(
        store.raw_pages_usage().await.expect("usage"),
        store::RawPagesUsage::default()
    );
}

async fn rotating_the_master_key_drops_raw_pages<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let (c, ms) = setup(&store, 1).await;
    put(&store, c, "req", &ms, 1, &pages(1, 2, 100), 1 << 20).await;
    store
        .rotate_master_key(&key_a(), &crate::support::key_b())
        .await
        .expect("rotate");
    assert_eq!(store.raw_pages_usage().await.expect("usage").sets, 0);
    assert!(store.raw_pages(ms[0]).await.expect("get").is_none());
}

async fn cap_evicts_the_oldest_pages_of_the_connection<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let (c, ms) = setup(&store, 3).await;
    let size = |s: &RawPagesStored| match s {
        RawPagesStored::Stored {
            compressed_bytes, ..
        } => *compressed_bytes,
        other => panic!("not stored: {other:?}"),
    };
    let s0 = size(
        &put(
            &store,
            c,
            "r0",
            &ms[..1],
            100,
            &pages(10, 4, 5_000),
            1 << 30,
        )
        .await,
    );
    let s1 = size(
        &put(
            &store,
            c,
            "r1",
            &ms[1..2],
            200,
            &pages(11, 4, 5_000),
            1 << 30,
        )
        .await,
    );
    // A cap that fits two of the three: the oldest (m0's) goes.
    let cap = s0 + s1 + s1 / 2;
    match put(&store, c, "r2", &ms[2..], 300, &pages(12, 4, 5_000), cap).await {
        RawPagesStored::Stored { evicted, .. } => assert_eq!(evicted, vec![ms[0]]),
        other => panic!("not stored: {other:?}"),
    }
    assert!(store.raw_pages(ms[0]).await.expect("m0").is_none());
    assert!(store.raw_pages(ms[1]).await.expect("m1").is_some());
    assert!(store.raw_pages(ms[2]).await.expect("m2").is_some());
}

async fn pages_larger_than_the_cap_are_not_kept<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let (c, ms) = setup(&store, 1).await;
    put(&store, c, "req", &ms, 1, &pages(1, 1, 100), 1 << 20).await;
    let stored = put(&store, c, "req", &ms, 2, &pages(2, 10, 10_000), 1_000).await;
    assert!(
        matches!(
            stored,
            RawPagesStored::TooLarge {
                cap_bytes: 1_000,
                ..
            }
        ),
        "{stored:?}"
    );
    // The older pages no longer match the metric's data, so they are gone too.
    assert!(store.raw_pages(ms[0]).await.expect("get").is_none());
}

crate::contract_tests!(
    raw_pages_round_trip,
    stored_bytes_are_sealed_not_plain,
    pages_sealed_for_another_row_are_unavailable_not_an_error,
    metrics_reading_one_request_share_one_set,
    deleting_readers_drops_the_set_with_the_last_one,
    dropping_a_reader_keeps_the_set_for_the_others,
    delete_all_leaves_no_raw_pages,
    rotating_the_master_key_drops_raw_pages,
    cap_evicts_the_oldest_pages_of_the_connection,
    pages_larger_than_the_cap_are_not_kept
);
