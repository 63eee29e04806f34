//! Twilio's pushed events received (issue 22): status callbacks and Event Streams deliveries
//! verified with the connection's Auth Token, parsed, stored through a group-commit writer, and
//! the provisional values of the metrics they stand in for recomputed a moment later.
//!
//! * [`Realtime::ingest`]: size limit, a token bucket per hook key (before any lookup or
//!   crypto), the hook key's connection and Auth Token (cached 30 s), the signature, the parse;
//!   then the events go to the writer and the call waits for their commit, so an event the web
//!   acknowledged is stored.
//! * The writer takes everything queued (up to `batch_max` events) and applies it with one
//!   `apply_live_events` per connection, then answers every waiter: one transaction for a burst.
//! * The recompute task, every `recompute_every`, turns the (connection, kind, hour) pairs the
//!   writer changed into the provisional live part of each metric that reads them
//!   ([`recompute`]), and prunes old events once an hour.
//!
//! Both tasks end when the last [`Realtime`] clone is dropped: they hold the channels' receiving
//! ends only.

mod auth;
mod limit;
mod recompute;
mod writer;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ::realtime::{EventError, LiveEvent, ResourceKind, SignatureError};
use store::{ConnectionId, LiveEventRow, LiveStore};
use tokio::sync::{mpsc, oneshot};

use crate::App;
use auth::{AuthCache, HookAuth};
use limit::Limiter;

/// How the ingest path behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealtimeConfig {
    /// The largest status callback body (form-encoded) read.
    pub max_form_bytes: usize,
    /// The largest Event Streams delivery (JSON) read.
    pub max_json_bytes: usize,
    /// Requests per second admitted per hook key, once the burst is spent.
    pub rate_per_second: u32,
    /// Requests admitted at once per hook key.
    pub burst: u32,
    /// The most events one commit of the writer takes.
    pub batch_max: usize,
    /// How often changed hours are recomputed.
    pub recompute_every: Duration,
}

impl Default for RealtimeConfig {
    fn default() -> Self {
        Self {
            max_form_bytes: 16 * 1024,
            max_json_bytes: 1024 * 1024,
            rate_per_second: 2000,
            burst: 20_000,
            batch_max: 500,
            recompute_every: Duration::from_millis(250),
        }
    }
}

/// Which of a connection's hooks a request was sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// Message status callbacks (form).
    Messages,
    /// Call status callbacks (form).
    Calls,
    /// An Event Streams webhook sink (JSON).
    Events,
}

impl Endpoint {
    pub fn is_json(self) -> bool {
        matches!(self, Self::Events)
    }
}

/// One pushed request as the web received it.
#[derive(Debug, Clone, Copy)]
pub struct Pushed<'a> {
    pub hook_key: &'a str,
    pub endpoint: Endpoint,
    /// The full URL as Twilio requested it (scheme, host, port, path and query), which the
    /// signature covers.
    pub url: &'a str,
    /// The `X-Twilio-Signature` header.
    pub signature: Option<&'a str>,
    pub body: &'a [u8],
}

/// What an accepted request did to its events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ingested {
    /// Events that moved their resource forward (or created it).
    pub applied: usize,
    /// Events already received (same key): nothing changed.
    pub duplicates: usize,
    /// New events whose status was not above the one stored (out of order).
    pub stale: usize,
    /// CloudEvents that are no message or call status change, skipped.
    pub skipped: usize,
}

/// Why a pushed request was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    #[error("the body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("too many requests for this hook; retry after {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    /// An unknown hook key, a connection without a usable Auth Token, or a missing or wrong
    /// signature: one answer for all, so a caller learns nothing about which.
    #[error("the request is not signed for this hook")]
    Forbidden,
    /// Signed, but not a status callback or Event Streams batch; the reason names fields, never
    /// what was sent.
    #[error("{0}")]
    BadRequest(String),
    /// The events could not be stored (the store failed, or the service is stopping); Twilio
    /// delivers again.
    #[error("the events could not be stored: {0}")]
    Unavailable(String),
}

/// A connection's pushed requests since the process started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestStats {
    /// Events that moved their resource forward.
    pub accepted: u64,
    pub duplicates: u64,
    pub stale: u64,
    /// CloudEvents of other types, skipped.
    pub skipped: u64,
    /// Requests refused, by reason in words.
    pub refused: BTreeMap<&'static str, u64>,
    pub rate_limited: u64,
    /// The last refusal: when (epoch ms) and why.
    pub last_refusal: Option<(i64, &'static str)>,
    /// When the last request was accepted (epoch ms).
    pub last_accepted_ms: Option<i64>,
}

/// The ingest service. Cheap to clone; its tasks end when the last clone is dropped.
#[derive(Clone)]
pub struct Realtime {
    core: Arc<Core>,
    handles: Arc<Handles>,
}

/// What the request path and both tasks share.
pub(crate) struct Core {
    app: App,
    config: RealtimeConfig,
    limiter: Mutex<Limiter>,
    auth: Mutex<AuthCache>,
    stats: Mutex<HashMap<ConnectionId, IngestStats>>,
    /// (connection, kind, hour) the writer changed and the recompute has not seen yet.
    dirty: Mutex<BTreeSet<(ConnectionId, ResourceKind, i64)>>,
}

/// The sending ends: dropped with the last [`Realtime`], which ends the tasks.
struct Handles {
    writer: mpsc::Sender<writer::Msg>,
    recompute: mpsc::Sender<oneshot::Sender<()>>,
}

/// Requests waiting for the writer at most; beyond it `ingest` waits for room.
const QUEUE: usize = 4096;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Realtime {
    /// Starts the writer and recompute tasks on the current tokio runtime.
    pub fn start(app: App, config: RealtimeConfig) -> Realtime {
        let core = Arc::new(Core {
            limiter: Mutex::new(Limiter::new(config.rate_per_second, config.burst)),
            auth: Mutex::default(),
            stats: Mutex::default(),
            dirty: Mutex::default(),
            app,
            config,
        });
        let (writer_tx, writer_rx) = mpsc::channel(QUEUE);
        let (recompute_tx, recompute_rx) = mpsc::channel(16);
        tokio::spawn(writer::run(Arc::clone(&core), writer_rx));
        tokio::spawn(recompute::run(Arc::clone(&core), recompute_rx));
        Realtime {
            core,
            handles: Arc::new(Handles {
                writer: writer_tx,
                recompute: recompute_tx,
            }),
        }
    }

    pub fn config(&self) -> &RealtimeConfig {
        &self.core.config
    }

    /// Verifies, parses and stores one pushed request; returns once its events are committed.
    pub async fn ingest(&self, pushed: Pushed<'_>) -> Result<Ingested, IngestError> {
        let core = &self.core;
        let limit = if pushed.endpoint.is_json() {
            core.config.max_json_bytes
        } else {
            core.config.max_form_bytes
        };
        if pushed.body.len() > limit {
            if let Some(c) = core.cached_connection(pushed.hook_key) {
                core.refuse(c, "body too large");
            }
            return Err(IngestError::TooLarge { limit });
        }
        let taken = lock(&core.limiter).take(pushed.hook_key, Instant::now());
        if let Err(retry_after_s) = taken {
            if let Some(c) = core.cached_connection(pushed.hook_key) {
                lock(&core.stats).entry(c).or_default().rate_limited += 1;
            }
            return Err(IngestError::RateLimited { retry_after_s });
        }
        let auth = core.auth_of(pushed.hook_key).await?;
        let Some((connection, _account)) = auth.connection else {
            tracing::debug!("a pushed request for an unknown hook key refused");
            return Err(IngestError::Forbidden);
        };
        let token = match auth.token {
            Ok(token) => token,
            Err(why) => {
                tracing::debug!(%connection, reason = why.reason(), "a pushed request refused");
                core.refuse(connection, why.reason());
                return Err(IngestError::Forbidden);
            }
        };
        let params = (!pushed.endpoint.is_json()).then(|| form_pairs(pushed.body));
        let verified = match &params {
            Some(params) => ::realtime::signature::verify_form(
                pushed.url,
                params,
                token.expose(),
                pushed.signature,
            ),
            None => ::realtime::signature::verify_json(
                pushed.url,
                pushed.body,
                token.expose(),
                pushed.signature,
            ),
        };
        if let Err(e) = verified {
            let reason = signature_reason(&e);
            tracing::debug!(%connection, reason, "a pushed request refused");
            core.refuse(connection, reason);
            return Err(IngestError::Forbidden);
        }
        let (events, skipped) = match parse(pushed.endpoint, params.as_deref(), pushed.body) {
            Ok(parsed) => parsed,
            Err(e) => {
                core.refuse(connection, "malformed body");
                return Err(IngestError::BadRequest(words(&e)));
            }
        };
        let received_ms = core.app.clock().now_ms();
        let rows: Vec<LiveEventRow> = events.iter().map(|e| row_of(e, received_ms)).collect();
        if rows.is_empty() {
            let mut stats = lock(&core.stats);
            let s = stats.entry(connection).or_default();
            s.skipped += skipped as u64;
            s.last_accepted_ms = Some(received_ms);
            return Ok(Ingested {
                skipped,
                ..Ingested::default()
            });
        }
        let (reply, answer) = oneshot::channel();
        let job = writer::Job {
            connection,
            rows,
            skipped,
            received_ms,
            reply,
        };
        self.handles
            .writer
            .send(writer::Msg::Job(job))
            .await
            .map_err(|_| IngestError::Unavailable("the writer has stopped".to_owned()))?;
        answer
            .await
            .map_err(|_| IngestError::Unavailable("the writer has stopped".to_owned()))?
    }

    /// Forgets what was cached about `connection`'s hook (its Auth Token changed, or it was
    /// removed): the next request reads the store.
    pub fn forget(&self, connection: ConnectionId) {
        lock(&self.core.auth).forget(connection);
    }

    /// The connection's counts since the process started.
    pub fn stats(&self, connection: ConnectionId) -> IngestStats {
        lock(&self.core.stats)
            .get(&connection)
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until everything queued before the call is committed and every hour it changed is
    /// recomputed (tests and the benchmark).
    pub async fn flush(&self) {
        let (done, committed) = oneshot::channel();
        if self
            .handles
            .writer
            .send(writer::Msg::Flush(done))
            .await
            .is_ok()
        {
            let _ = committed.await;
        }
        let (done, recomputed) = oneshot::channel();
        if self.handles.recompute.send(done).await.is_ok() {
            let _ = recomputed.await;
        }
    }
}

impl std::fmt::Debug for Realtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Realtime")
            .field("config", &self.core.config)
            .finish_non_exhaustive()
    }
}

impl Core {
    /// The hook key's connection when the cache knows it (no store read).
    fn cached_connection(&self, hook_key: &str) -> Option<ConnectionId> {
        lock(&self.auth)
            .get(hook_key, Instant::now())
            .and_then(|a| a.connection.as_ref().map(|(c, _)| *c))
    }

    async fn auth_of(&self, hook_key: &str) -> Result<HookAuth, IngestError> {
        if let Some(found) = lock(&self.auth).get(hook_key, Instant::now()) {
            return Ok(found.clone());
        }
        let found = self
            .app
            .store()
            .callback_auth(hook_key)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "could not read a hook key's connection");
                IngestError::Unavailable("the store did not answer".to_owned())
            })?;
        let auth = HookAuth::from(found);
        lock(&self.auth).put(hook_key, auth.clone(), Instant::now());
        Ok(auth)
    }

    fn refuse(&self, connection: ConnectionId, reason: &'static str) {
        let now = self.app.clock().now_ms();
        let mut stats = lock(&self.stats);
        let s = stats.entry(connection).or_default();
        *s.refused.entry(reason).or_default() += 1;
        s.last_refusal = Some((now, reason));
    }
}

/// An `application/x-www-form-urlencoded` body as its pairs, in order.
fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn signature_reason(e: &SignatureError) -> &'static str {
    match e {
        SignatureError::Missing => "no signature",
        SignatureError::Mismatch => "signature mismatch",
        SignatureError::NoBodyHash => "no bodySHA256 in the URL",
        SignatureError::BodyHashMismatch => "bodySHA256 mismatch",
    }
}

/// The events of a verified request, and how many CloudEvents were skipped.
fn parse(
    endpoint: Endpoint,
    params: Option<&[(String, String)]>,
    body: &[u8],
) -> Result<(Vec<LiveEvent>, usize), EventError> {
    let params = params.unwrap_or_default();
    match endpoint {
        Endpoint::Messages => Ok((vec![::realtime::event::parse_message_callback(params)?], 0)),
        Endpoint::Calls => Ok((vec![::realtime::event::parse_call_callback(params)?], 0)),
        Endpoint::Events => {
            let mut events = Vec::new();
            let mut skipped = 0;
            for one in ::realtime::event::parse_event_stream(body)? {
                match one {
                    Ok(event) => events.push(event),
                    Err(EventError::UnhandledType(_)) => skipped += 1,
                    Err(e) => {
                        tracing::debug!(reason = %words(&e), "an Event Streams event skipped");
                        skipped += 1;
                    }
                }
            }
            Ok((events, skipped))
        }
    }
}

/// A parse error in words that name fields but never repeat what was sent.
fn words(e: &EventError) -> String {
    match e {
        EventError::MissingField(field) => format!("the request lacks the field {field}"),
        EventError::BadValue { field, .. } => format!("{field} has an unexpected value"),
        EventError::UnknownStatus { kind, .. } => {
            format!("the status is not a known {kind} status")
        }
        EventError::BadBatch(_) => {
            "the body is not an Event Streams batch (a JSON array of CloudEvents)".to_owned()
        }
        EventError::UnhandledType(_) => "the event type is not a message or call status".to_owned(),
    }
}

/// The store's row of an event: its own instant, or its arrival when it carries none.
fn row_of(e: &LiveEvent, received_ms: i64) -> LiveEventRow {
    let fields: serde_json::Map<String, serde_json::Value> = e
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    LiveEventRow {
        key: e.key.clone(),
        kind: e.kind.as_str().to_owned(),
        sid: e.sid.clone(),
        account_sid: e.account_sid.clone(),
        status: e.status.clone(),
        rank: i64::from(e.rank),
        at_ms: e.at_ms.unwrap_or(received_ms),
        received_ms,
        source: e.source.as_str().to_owned(),
        fields: serde_json::Value::Object(fields).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_body_is_read_as_its_pairs_in_order_and_decoded() {
        assert_eq!(
            form_pairs(b"To=%2B15550001111&MessageStatus=sent&Body=a+b"),
            vec![
                ("To".to_owned(), "+15550001111".to_owned()),
                ("MessageStatus".to_owned(), "sent".to_owned()),
                ("Body".to_owned(), "a b".to_owned()),
            ]
        );
    }

    #[test]
    fn parse_errors_never_repeat_the_value_sent() {
        let e = EventError::BadValue {
            field: "Timestamp",
            value: "<script>".to_owned(),
        };
        assert!(!words(&e).contains("<script>"));
        let e = EventError::UnknownStatus {
            kind: "message",
            status: "secret-status".to_owned(),
        };
        assert!(!words(&e).contains("secret-status"));
        let e = EventError::BadBatch("expected value at 'abc'".to_owned());
        assert!(!words(&e).contains("abc"));
    }

    #[test]
    fn an_event_without_an_instant_is_stored_at_its_arrival() {
        let event = LiveEvent {
            kind: ResourceKind::Message,
            sid: "SM1".to_owned(),
            account_sid: "AC1".to_owned(),
            status: "sent".to_owned(),
            rank: 3,
            at_ms: None,
            key: "SM1:sent".to_owned(),
            source: ::realtime::Source::Callback,
            fields: [("To".to_owned(), "+1".to_owned())].into(),
        };
        let row = row_of(&event, 42);
        assert_eq!((row.at_ms, row.received_ms), (42, 42));
        assert_eq!(row.kind, "message");
        assert_eq!(row.source, "callback");
        assert_eq!(row.rank, 3);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&row.fields).unwrap(),
            serde_json::json!({"To": "+1"})
        );
        let timed = LiveEvent {
            at_ms: Some(7),
            ..event
        };
        assert_eq!(row_of(&timed, 42).at_ms, 7);
    }
}
