//! Sending status changes the way Twilio does: status callbacks (one signed form POST per
//! change) and Event Streams batches (signed JSON arrays of CloudEvents, every 250 ms), with the
//! faults of `LiveFaults` applied per push. Pushes of one resource on one channel are sent one
//! after the other (each waits for the previous one to be answered), so without faults they
//! arrive in the order they happened; with faults, out of order only when the reorder fault or
//! a duplicate makes them so.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};

use super::{LiveConfig, LiveError, LiveFaults, sign};
use crate::Sim;
use crate::sid::Sid;

/// How long a receiver may take to answer a push (Twilio gives a webhook sink 5 s).
const TIMEOUT: Duration = Duration::from_secs(5);
/// Pushes in flight at once.
const IN_FLIGHT: usize = 32;
/// Events per Event Streams delivery.
const BATCH: usize = 50;
const BATCH_EVERY: Duration = Duration::from_millis(250);
/// Twilio's webhook requests name themselves so.
const USER_AGENT: &str = "TwilioProxy/1.1";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Kind {
    Message,
    Call,
}

/// One status change of one record, in both pushed forms.
pub(crate) struct Change {
    pub kind: Kind,
    pub sid: Sid,
    /// The record's final status: no later change of it will come.
    pub last: bool,
    /// The status callback's parameters.
    pub form: Vec<(String, String)>,
    /// The CloudEvent.
    pub event: serde_json::Value,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Channel {
    Callback,
    Events,
}

enum Payload {
    Form {
        url: Arc<str>,
        params: Vec<(String, String)>,
    },
    Event(serde_json::Value),
}

struct Unit {
    channel: Channel,
    sid: Sid,
    last: bool,
    payload: Payload,
}

/// What every send task needs.
#[derive(Clone)]
struct Sender {
    sim: Sim,
    client: reqwest::Client,
    token: Arc<str>,
    limit: Arc<Semaphore>,
}

pub(crate) struct Pusher {
    send: Sender,
    message_callback: Option<Arc<str>>,
    call_callback: Option<Arc<str>>,
    faults: LiveFaults,
    rng: ChaCha8Rng,
    /// Pushes held back by the reorder fault until the next push of their resource.
    held: BTreeMap<(Channel, Sid), Vec<Unit>>,
    /// Held final pushes (no push of their resource follows): sent after the next push of any
    /// resource on their channel.
    held_last: BTreeMap<Channel, Vec<Unit>>,
    /// The previous push of each resource per channel, finished when it has been answered.
    chains: HashMap<(Channel, Sid), oneshot::Receiver<()>>,
    dispatched: u64,
    tasks: JoinSet<()>,
    events: Option<mpsc::UnboundedSender<serde_json::Value>>,
    batcher: Option<JoinHandle<()>>,
}

fn client() -> Result<reqwest::Client, LiveError> {
    // The workspace builds rustls without a default provider; installing one twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        // Twilio does not go through the receiver's proxy.
        .no_proxy()
        .build()
        .map_err(|e| LiveError::Client(e.to_string()))
}

impl Pusher {
    pub(crate) fn new(sim: Sim, token: &str, config: &LiveConfig) -> Result<Pusher, LiveError> {
        let send = Sender {
            sim,
            client: client()?,
            token: Arc::from(token),
            limit: Arc::new(Semaphore::new(IN_FLIGHT)),
        };
        let (events, batcher) = match &config.event_sink {
            Some(url) => {
                let (tx, rx) = mpsc::unbounded_channel();
                let task = tokio::spawn(batcher(send.clone(), Arc::from(url.as_str()), rx));
                (Some(tx), Some(task))
            }
            None => (None, None),
        };
        Ok(Pusher {
            send,
            message_callback: config.message_callback.as_deref().map(Arc::from),
            call_callback: config.call_callback.as_deref().map(Arc::from),
            faults: config.faults.clone(),
            rng: ChaCha8Rng::seed_from_u64(config.seed ^ 0xFA17_5EED_0000_0001),
            held: BTreeMap::new(),
            held_last: BTreeMap::new(),
            chains: HashMap::new(),
            dispatched: 0,
            tasks: JoinSet::new(),
            events,
            batcher,
        })
    }

    /// Pushes `change` on every configured channel.
    pub(crate) fn push(&mut self, change: Change) {
        let callback = match change.kind {
            Kind::Message => self.message_callback.clone(),
            Kind::Call => self.call_callback.clone(),
        };
        if let Some(url) = callback {
            self.submit(Unit {
                channel: Channel::Callback,
                sid: change.sid,
                last: change.last,
                payload: Payload::Form {
                    url,
                    params: change.form,
                },
            });
        }
        if self.events.is_some() {
            self.submit(Unit {
                channel: Channel::Events,
                sid: change.sid,
                last: change.last,
                payload: Payload::Event(change.event),
            });
        }
    }

    fn roll(&mut self, pct: u8) -> bool {
        // Always drawn, so one fault's setting does not shift the others' choices.
        let r: f64 = self.rng.random();
        r * 100.0 < f64::from(pct.min(100))
    }

    fn submit(&mut self, unit: Unit) {
        let dropped = self.roll(self.faults.drop_pct);
        let reordered = self.roll(self.faults.reorder_pct);
        let (channel, sid) = (unit.channel, unit.sid);
        if dropped {
            self.send.sim.live().count(|s| s.dropped += 1);
        } else if reordered {
            self.send.sim.live().count(|s| s.reordered += 1);
            if unit.last {
                // Nothing of this resource follows: what it still holds waits with it.
                let earlier = self.held.remove(&(channel, sid)).unwrap_or_default();
                let queue = self.held_last.entry(channel).or_default();
                queue.extend(earlier);
                queue.push(unit);
            } else {
                self.held.entry((channel, sid)).or_default().push(unit);
            }
            return;
        } else {
            self.dispatch(unit);
        }
        for held in self.held.remove(&(channel, sid)).unwrap_or_default() {
            self.dispatch(held);
        }
        for held in self.held_last.remove(&channel).unwrap_or_default() {
            self.dispatch(held);
        }
    }

    fn dispatch(&mut self, unit: Unit) {
        let copies = if self.roll(self.faults.duplicate_pct) {
            self.send.sim.live().count(|s| s.duplicated += 1);
            2
        } else {
            1
        };
        let key = (unit.channel, unit.sid);
        for _ in 0..copies {
            let delay = match self.faults.max_delay_ms {
                0 => 0,
                max => self.rng.random_range(0..=max),
            };
            let previous = self.chains.remove(&key);
            let (done, next) = oneshot::channel::<()>();
            self.chains.insert(key, next);
            let send = self.send.clone();
            let events = self.events.clone();
            let payload = match &unit.payload {
                Payload::Form { url, params } => Payload::Form {
                    url: url.clone(),
                    params: params.clone(),
                },
                Payload::Event(e) => Payload::Event(e.clone()),
            };
            self.tasks.spawn(async move {
                if delay > 0 {
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                }
                if let Some(previous) = previous {
                    // Answered or given up: either way this one may go.
                    let _ = previous.await;
                }
                match payload {
                    Payload::Form { url, params } => send.form(&url, &params).await,
                    Payload::Event(event) => {
                        if let Some(events) = events {
                            let _ = events.send(event);
                        }
                    }
                }
                drop(done);
            });
        }
        self.tidy();
    }

    /// Forgets finished tasks and answered chains, so a long run does not grow without bound.
    fn tidy(&mut self) {
        while self.tasks.try_join_next().is_some() {}
        self.dispatched += 1;
        if self.dispatched.is_multiple_of(1024) {
            self.chains
                .retain(|_, rx| matches!(rx.try_recv(), Err(oneshot::error::TryRecvError::Empty)));
        }
    }

    /// Sends what is held back, waits for every push to be answered (delays included) and for
    /// the last Event Streams batch.
    pub(crate) async fn finish(mut self) {
        let held: Vec<Unit> = std::mem::take(&mut self.held)
            .into_values()
            .flatten()
            .chain(std::mem::take(&mut self.held_last).into_values().flatten())
            .collect();
        for unit in held {
            self.dispatch(unit);
        }
        while self.tasks.join_next().await.is_some() {}
        // The batcher ends once the queue is empty and every sender is gone.
        self.events = None;
        if let Some(batcher) = self.batcher.take() {
            let _ = batcher.await;
        }
    }
}

impl Sender {
    async fn form(&self, url: &str, params: &[(String, String)]) {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .finish();
        let signature = sign::signature(&self.token, url, params);
        let ok = self
            .post(url, "application/x-www-form-urlencoded", signature, body)
            .await;
        self.sim.live().count(|s| {
            if ok {
                s.callbacks_sent += 1;
            } else {
                s.pushes_failed += 1;
            }
        });
    }

    async fn batch(&self, sink: &str, events: Vec<serde_json::Value>) {
        let ok = match serde_json::to_vec(&events) {
            Ok(body) => {
                let url = sign::with_body_sha256(sink, &body);
                let signature = sign::signature(&self.token, &url, &[]);
                self.post(&url, "application/json", signature, body).await
            }
            Err(_) => false,
        };
        self.sim.live().count(|s| {
            if ok {
                s.event_batches_sent += 1;
            } else {
                s.pushes_failed += 1;
            }
        });
    }

    /// POSTs once; `true` when answered 2xx.
    async fn post(
        &self,
        url: &str,
        content_type: &str,
        signature: String,
        body: impl Into<reqwest::Body>,
    ) -> bool {
        let Ok(_permit) = self.limit.acquire().await else {
            return false;
        };
        let sent = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .header(reqwest::header::USER_AGENT, USER_AGENT)
            .header("X-Twilio-Signature", signature)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) => {
                let ok = response.status().is_success();
                // Read the answer so the connection can be reused.
                let _ = response.bytes().await;
                ok
            }
            Err(_) => false,
        }
    }
}

/// Every 250 ms, sends what the queue holds in batches of up to 50, one batch after the other;
/// ends once the queue is closed and empty.
async fn batcher(
    send: Sender,
    sink: Arc<str>,
    mut queue: mpsc::UnboundedReceiver<serde_json::Value>,
) {
    let mut tick = tokio::time::interval(BATCH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let mut closed = false;
        loop {
            let mut batch = Vec::with_capacity(BATCH);
            while batch.len() < BATCH {
                match queue.try_recv() {
                    Ok(event) => batch.push(event),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        closed = true;
                        break;
                    }
                }
            }
            if batch.is_empty() {
                break;
            }
            send.batch(&sink, batch).await;
        }
        if closed {
            return;
        }
    }
}
