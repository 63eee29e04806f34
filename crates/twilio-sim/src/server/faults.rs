//! Faults on demand: the per-account concurrency limit, random 429/500/503, latency, and
//! malformed, truncated or trickling bodies.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::http::HeaderValue;
use axum::response::Response;
use bytes::Bytes;
use rand::Rng;

use super::error::ApiError;
use super::{Sim, json_response};
use crate::config::Faults;

/// Counts a request as in flight for its account until dropped.
pub(crate) struct InFlight {
    sim: Sim,
    account: String,
    pub count: u32,
}

impl InFlight {
    pub fn enter(sim: &Sim, account: &str) -> InFlight {
        let count = match sim.inner.inflight.lock() {
            Ok(mut m) => {
                let c = m.entry(account.to_string()).or_default();
                *c += 1;
                *c
            }
            Err(_) => 1,
        };
        if let Ok(mut l) = sim.inner.log.lock() {
            l.saw_concurrency(account, count);
        }
        InFlight {
            sim: sim.clone(),
            account: account.to_string(),
            count,
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut m) = self.sim.inner.inflight.lock()
            && let Some(c) = m.get_mut(&self.account)
        {
            *c = c.saturating_sub(1);
        }
    }
}

pub(crate) fn concurrent_header(r: &mut Response, count: u32) {
    r.headers_mut()
        .insert("twilio-concurrent-requests", HeaderValue::from(count));
}

fn roll(sim: &Sim) -> f64 {
    sim.inner
        .rng
        .lock()
        .map(|mut r| r.random::<f64>())
        .unwrap_or(1.0)
}

/// Draws the random error shares, in the order 429, 500, 503, from the seeded generator.
pub(crate) fn random_error(sim: &Sim, f: &Faults) -> Option<ApiError> {
    if f.rate_429 <= 0.0 && f.rate_500 <= 0.0 && f.rate_503 <= 0.0 {
        return None;
    }
    let r = roll(sim);
    if r < f.rate_429 {
        return Some(ApiError::too_many(f.retry_after_secs));
    }
    if r < f.rate_429 + f.rate_500 {
        return Some(ApiError::new(500, 20500, "Internal Server Error"));
    }
    if r < f.rate_429 + f.rate_500 + f.rate_503 {
        return Some(ApiError::new(503, 20503, "Service Unavailable"));
    }
    None
}

pub(crate) async fn delay(sim: &Sim, f: &Faults) {
    let jitter = if f.jitter_ms > 0 {
        sim.inner
            .rng
            .lock()
            .map(|mut r| r.random_range(0..=f.jitter_ms))
            .unwrap_or(0)
    } else {
        0
    };
    // `Faults::validate` bounds both; the cap keeps a config built in code from overflowing a timer.
    let total = f.latency_ms.saturating_add(jitter).min(3_600_000);
    if total > 0 {
        tokio::time::sleep(Duration::from_millis(total)).await;
    }
}

/// The success body, perhaps broken or slowed, holding `guard` until it is fully sent.
pub(crate) fn shape_body(sim: &Sim, f: &Faults, mut body: Vec<u8>, guard: InFlight) -> Response {
    if f.malformed_rate > 0.0 && roll(sim) < f.malformed_rate {
        // A stray comma before the final brace: invalid JSON, still a complete HTTP body.
        let close = body.pop().unwrap_or(b'}');
        body.extend_from_slice(b",");
        body.push(close);
    } else if f.truncated_rate > 0.0 && roll(sim) < f.truncated_rate {
        body.truncate(body.len() / 2);
    }
    let len = body.len();
    let bytes = Bytes::from(body);
    // The guard is released as the last chunk is handed over, not on a later poll: a client
    // that has read `Content-Length` bytes may send its next request at once.
    let stream_body = match &f.slow_body {
        Some(slow) => {
            let chunk = slow.chunk_bytes.max(1);
            let interval = Duration::from_millis(slow.interval_ms.min(3_600_000));
            let state = (bytes, 0usize, Some(guard));
            Body::from_stream(futures::stream::unfold(
                state,
                move |(bytes, at, mut guard)| async move {
                    if at >= bytes.len() {
                        return None;
                    }
                    if at > 0 {
                        tokio::time::sleep(interval).await;
                    }
                    let end = (at + chunk).min(bytes.len());
                    if end == bytes.len() {
                        guard.take();
                    }
                    let piece = bytes.slice(at..end);
                    Some((Ok::<_, Infallible>(piece), (bytes, end, guard)))
                },
            ))
        }
        None => {
            let state = (Some(bytes), Some(guard));
            Body::from_stream(futures::stream::unfold(
                state,
                |(bytes, mut guard)| async move {
                    let b = bytes?;
                    guard.take();
                    Some((Ok::<_, Infallible>(b), (None, None)))
                },
            ))
        }
    };
    let mut r = json_response(stream_body);
    r.headers_mut()
        .insert(axum::http::header::CONTENT_LENGTH, HeaderValue::from(len));
    r
}
