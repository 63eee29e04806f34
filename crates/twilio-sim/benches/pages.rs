//! Pages per second of 1000-record Messages pages, walked over loopback HTTP with reqwest, against
//! a baseline: a trivial axum handler returning one pre-serialized page of the same size.
//!
//! Run: `cargo bench -p twilio-sim --bench pages`

use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Deserialize;
use twilio_sim::{SimConfig, Sizes};

#[derive(Deserialize)]
struct Links {
    next_page_uri: Option<String>,
}

const WALKERS: usize = 4;

async fn fetch(client: &reqwest::Client, url: &str, auth: (&str, &str)) -> (Option<String>, usize) {
    let body = client
        .get(url)
        .header("Host", "api.twilio.com")
        .basic_auth(auth.0, Some(auth.1))
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    let links: Links = serde_json::from_slice(&body).expect("a JSON page");
    (links.next_page_uri, body.len())
}

/// Walks `walks` full walks from `first` (following next links), returning (pages, bytes).
async fn walk_sim(
    client: &reqwest::Client,
    base: &str,
    first: &str,
    auth: (&str, &str),
    walks: usize,
) -> (usize, usize) {
    let (mut pages, mut bytes) = (0, 0);
    for _ in 0..walks {
        let mut next = Some(first.to_string());
        while let Some(path) = next {
            let (n, len) = fetch(client, &format!("{base}{path}"), auth).await;
            pages += 1;
            bytes += len;
            next = n;
        }
    }
    (pages, bytes)
}

async fn walk_baseline(client: &reqwest::Client, url: &str, pages: usize) -> (usize, usize) {
    let mut bytes = 0;
    for _ in 0..pages {
        bytes += fetch(client, url, ("u", "p")).await.1;
    }
    (pages, bytes)
}

fn report(name: &str, pages: usize, bytes: usize, elapsed: Duration) -> f64 {
    let rate = pages as f64 / elapsed.as_secs_f64();
    println!(
        "{name:<34} {pages:>5} pages in {:>6.2}s = {rate:>7.1} pages/s ({:.0} MB/s)",
        elapsed.as_secs_f64(),
        bytes as f64 / elapsed.as_secs_f64() / 1e6
    );
    rate
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let config = SimConfig {
            seed: 1,
            now: "2026-03-15T12:00:00Z".parse().expect("timestamp"),
            sizes: Sizes {
                messages_per_day: 1000,
                days: 30,
                subaccounts: 0,
                ..Sizes::default()
            },
            faults: Default::default(),
            incidents: Vec::new(),
        };
        let t = Instant::now();
        let sim = twilio_sim::spawn(config).await.expect("spawn");
        let a = sim.dataset().main_account();
        println!(
            "generated {} messages in {:.2}s",
            a.messages.len(),
            t.elapsed().as_secs_f64()
        );
        let key = a.main_key().expect("main key");
        let auth = (key.sid.as_str(), key.secret.as_str());
        let first = format!("/2010-04-01/Accounts/{}/Messages.json?PageSize=1000", a.sid);
        let base = sim.base_url();
        let client = reqwest::Client::new();

        // Baseline server: one pre-serialized 1000-record page from the simulator itself.
        let page: Bytes = client
            .get(format!("{base}{first}"))
            .header("Host", "api.twilio.com")
            .basic_auth(auth.0, Some(auth.1))
            .send()
            .await
            .expect("first page")
            .bytes()
            .await
            .expect("body");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let baseline_url = format!("http://{}/page", listener.local_addr().expect("addr"));
        let body = page.clone();
        let app = axum::Router::new().route(
            "/page",
            axum::routing::get(move || {
                let body = body.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        body,
                    )
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        println!("page size: {} bytes, 1000 records", page.len());

        // The simulator's own cost per page, in process (no sockets, no client parsing).
        {
            use tower::ServiceExt;
            let router = twilio_sim::router(sim.sim().clone());
            let auth_header = format!(
                "Basic {}",
                base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    format!("{}:{}", auth.0, auth.1)
                )
            );
            let t = Instant::now();
            let n = 100;
            let mut bytes = 0;
            for _ in 0..n {
                let req = axum::http::Request::get(&first)
                    .header("Host", "api.twilio.com")
                    .header("Authorization", &auth_header)
                    .body(axum::body::Body::empty())
                    .expect("request");
                let resp = router.clone().oneshot(req).await.expect("response");
                bytes += axum::body::to_bytes(resp.into_body(), usize::MAX)
                    .await
                    .expect("body")
                    .len();
            }
            report("twilio-sim router in process", n, bytes, t.elapsed());
        }

        // Warm up both.
        walk_sim(&client, &base, &first, auth, 1).await;
        walk_baseline(&client, &baseline_url, 20).await;

        let t = Instant::now();
        let (pages, bytes) = walk_sim(&client, &base, &first, auth, 10).await;
        let sim_seq = report("twilio-sim, 1 client", pages, bytes, t.elapsed());
        let t = Instant::now();
        let (bp, bb) = walk_baseline(&client, &baseline_url, pages).await;
        let base_seq = report("baseline (static page), 1 client", bp, bb, t.elapsed());

        let t = Instant::now();
        let runs = futures::future::join_all(
            (0..WALKERS).map(|_| walk_sim(&client, &base, &first, auth, 5)),
        )
        .await;
        let (pages, bytes) = runs.iter().fold((0, 0), |a, r| (a.0 + r.0, a.1 + r.1));
        let sim_par = report(
            &format!("twilio-sim, {WALKERS} clients"),
            pages,
            bytes,
            t.elapsed(),
        );
        let t = Instant::now();
        let runs = futures::future::join_all(
            (0..WALKERS).map(|_| walk_baseline(&client, &baseline_url, pages / WALKERS)),
        )
        .await;
        let (bp, bb) = runs.iter().fold((0, 0), |a, r| (a.0 + r.0, a.1 + r.1));
        let base_par = report(&format!("baseline, {WALKERS} clients"), bp, bb, t.elapsed());

        println!(
            "ratio twilio-sim / baseline: 1 client {:.2}, {WALKERS} clients {:.2}",
            sim_seq / base_seq,
            sim_par / base_par
        );
        sim.shutdown().await;
    });
}
