use domain::{AccountSid, ApiKeySid, Secret};
use store::{ConnectionId, MetricId, NewConnection, NewMetric, RawPagesStored, Store};

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

async fn raw_pages_round_trip<H: Harness>(h: &H) {
    let store = h.open(key_a()).await.expect("open");
    let (c, ms) = setup(&store, 1).await;
    let mut sent = pages(1, 5, 2_000);
    sent.push(Vec::new());
    sent.push(br#"{"messages":[],"next_page_uri":null}"#.to_vec());
    let stored = store
        .put_raw_pages(ms[0], c, 77, &sent, 1 << 20)
        .await
        .expect("put");
    assert!(
        matches!(stored, RawPagesStored::Stored { ref evicted, .. } if evicted.is_empty()),
        "{stored:?}"
    );
    let got = store.raw_pages(ms[0]).await.expect("get").expect("some");
    assert_eq!(got.pages, sent);
    assert_eq!(
        (got.metric_id, got.connection_id, got.synced_at_ms),
        (ms[0], c, 77)
    );
    // A later sync replaces the pages.
    store
        .put_raw_pages(ms[0], c, 88, &pages(2, 1, 10), 1 << 20)
        .await
        .expect("put");
    assert_eq!(
        store
            .raw_pages(ms[0])
            .await
            .expect("get")
            .expect("some")
            .pages,
        pages(2, 1, 10)
    );
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
        &store
            .put_raw_pages(ms[0], c, 100, &pages(10, 4, 5_000), 1 << 30)
            .await
            .expect("m0"),
    );
    let s1 = size(
        &store
            .put_raw_pages(ms[1], c, 200, &pages(11, 4, 5_000), 1 << 30)
            .await
            .expect("m1"),
    );
    // A cap that fits two of the three: the oldest (m0) goes.
    let cap = s0 + s1 + s1 / 2;
    let stored = store
        .put_raw_pages(ms[2], c, 300, &pages(12, 4, 5_000), cap)
        .await
        .expect("m2");
    match stored {
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
    store
        .put_raw_pages(ms[0], c, 1, &pages(1, 1, 100), 1 << 20)
        .await
        .expect("small");
    let stored = store
        .put_raw_pages(ms[0], c, 2, &pages(2, 10, 10_000), 1_000)
        .await
        .expect("large");
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
    cap_evicts_the_oldest_pages_of_the_connection,
    pages_larger_than_the_cap_are_not_kept
);
