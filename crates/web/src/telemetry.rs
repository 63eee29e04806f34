//! HTTP figures for `/metrics`: requests by status class and a latency histogram, counted by a
//! middleware. Sync and Twilio figures come from the stored ledgers when `/metrics` is read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// Upper bounds of the latency histogram, in seconds.
pub const LATENCY_BOUNDS: [f64; 8] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
pub struct Telemetry {
    /// Indexed by status / 100 (1..=5).
    pub by_class: [AtomicU64; 6],
    pub latency_buckets: [AtomicU64; LATENCY_BOUNDS.len()],
    pub latency_count: AtomicU64,
    pub latency_sum_micros: AtomicU64,
}

impl Telemetry {
    pub fn record(&self, status: u16, seconds: f64) {
        let class = usize::from(status / 100).min(5);
        if let Some(c) = self.by_class.get(class) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        for (bound, bucket) in LATENCY_BOUNDS.iter().zip(&self.latency_buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    /// The HTTP part of the Prometheus text.
    pub fn render(&self, out: &mut String) {
        use std::fmt::Write as _;
        let _ = writeln!(
            out,
            "# HELP switchboard_http_requests_total HTTP requests served, by status class."
        );
        let _ = writeln!(out, "# TYPE switchboard_http_requests_total counter");
        for class in 1..=5usize {
            let n = self
                .by_class
                .get(class)
                .map_or(0, |c| c.load(Ordering::Relaxed));
            let _ = writeln!(
                out,
                "switchboard_http_requests_total{{class=\"{class}xx\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP switchboard_http_request_duration_seconds Time to answer an HTTP request."
        );
        let _ = writeln!(
            out,
            "# TYPE switchboard_http_request_duration_seconds histogram"
        );
        for (bound, bucket) in LATENCY_BOUNDS.iter().zip(&self.latency_buckets) {
            let _ = writeln!(
                out,
                "switchboard_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "switchboard_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let sum = self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "switchboard_http_request_duration_seconds_sum {sum}");
        let _ = writeln!(
            out,
            "switchboard_http_request_duration_seconds_count {count}"
        );
    }
}

pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    // The log event of the request is `request_log`'s.
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    state.telemetry().record(status, seconds);
    response
}
