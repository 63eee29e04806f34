//! The live traffic: new outbound messages and calls arrive as Poisson processes in simulated
//! time, each with its whole status path drawn when it is created; a scheduler takes the steps
//! as the clock reaches them, changes the records and hands each change to the pusher.
//!
//! Paths (each step whole simulated seconds after the previous one):
//! * message: queued → sent (1–3 s) → delivered (90 %), undelivered (6 %, error 30003/30005/
//!   30006/30008) or failed (4 %, error 21610/21211/30007/30034), 1–10 s later; priced (as
//!   `generate` prices messages) once delivered or undelivered;
//! * call: queued → initiated (1–3 s) → ringing (1 s) → in-progress (2–20 s) → completed (75 %,
//!   after the talk time), or no-answer (13 %), busy (8 %), failed (4 %) instead of answering.
//!   While initiated the record still says `queued` (the REST API has no `initiated` status;
//!   only the callback does).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};

use super::push::{Change, Kind, Pusher};
use super::records::AccountLive;
use super::{LiveConfig, LiveError};
use crate::Sim;
use crate::generate::{
    BODIES, CALL_OUT_RATE, FAILED_CODES, MMS_OUT_RATE, SMS_RATE, UNDELIVERED_CODES,
};
use crate::model::*;
use crate::render::API_VERSION;
use crate::sid::Sid;
use crate::time::{Iso, Rfc2822, civil_from_days};

/// The longest the scheduler sleeps, so a stop is seen promptly.
const MAX_SLEEP: Duration = Duration::from_millis(50);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CallEvent {
    Initiated,
    Ringing,
    Answered,
    Completed,
}

impl CallEvent {
    fn as_str(self) -> &'static str {
        match self {
            CallEvent::Initiated => "initiated",
            CallEvent::Ringing => "ringing",
            CallEvent::Answered => "answered",
            CallEvent::Completed => "completed",
        }
    }
}

enum Step {
    NewMessage,
    NewCall,
    Message {
        sid: Sid,
        status: MessageStatus,
        error_code: Option<u32>,
        price: Option<Micros5>,
    },
    Call {
        sid: Sid,
        event: CallEvent,
        status: CallStatus,
        /// Set on the final step: duration, end instant, price.
        end: Option<(u32, i64, Option<Micros5>)>,
    },
}

pub(crate) struct Driver {
    sim: Sim,
    account: usize,
    config: LiveConfig,
    /// Records and their paths.
    rng: ChaCha8Rng,
    /// CloudEvent ids, drawn for every change whether a sink is set or not.
    ids: ChaCha8Rng,
    due: BinaryHeap<Reverse<(i64, u64)>>,
    steps: HashMap<u64, Step>,
    seq: u64,
    /// Each live call's next `SequenceNumber`.
    call_seq: HashMap<Sid, u32>,
    /// The next arrival of each process, fractional simulated milliseconds.
    next_message: f64,
    next_call: f64,
    pusher: Pusher,
}

fn ceil_second(ms: f64) -> i64 {
    ((ms / 1000.0).ceil() as i64) * 1000
}

/// `YYMMDDhhmm` in UTC, the form of `RawDlrDoneDate`.
fn dlr_date(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let secs = ms.rem_euclid(86_400_000) / 1000;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{:02}{m:02}{d:02}{:02}{:02}",
        y.rem_euclid(100),
        secs / 3600,
        secs / 60 % 60
    )
}

fn e164(n: u64) -> String {
    format!("+{n}")
}

fn pair(name: &str, value: impl ToString) -> (String, String) {
    (name.to_string(), value.to_string())
}

impl Driver {
    pub(crate) fn new(sim: Sim, account: usize, config: LiveConfig) -> Result<Driver, LiveError> {
        let token = sim.dataset().accounts[account].auth_token.clone();
        let pusher = Pusher::new(sim.clone(), &token, &config)?;
        Ok(Driver {
            rng: ChaCha8Rng::seed_from_u64(config.seed ^ 0x11FE_0000_0000_0001),
            ids: ChaCha8Rng::seed_from_u64(config.seed ^ 0x11FE_0000_0000_0002),
            sim,
            account,
            config,
            due: BinaryHeap::new(),
            steps: HashMap::new(),
            seq: 0,
            call_seq: HashMap::new(),
            next_message: f64::INFINITY,
            next_call: f64::INFINITY,
            pusher,
        })
    }

    fn account(&self) -> &crate::dataset::AccountData {
        &self.sim.dataset().accounts[self.account]
    }

    /// Runs until `stopped` turns true (or its sender is gone), then sends what is still due.
    pub(crate) async fn run(mut self, mut stopped: tokio::sync::watch::Receiver<bool>) {
        let start = self.sim.now_ms() as f64;
        self.next_message = start;
        self.next_call = start;
        self.schedule_arrival(true);
        self.schedule_arrival(false);
        loop {
            let now = self.sim.now_ms();
            self.take_steps(now);
            let wait = self.real_wait(now);
            tokio::select! {
                changed = stopped.changed() => if changed.is_err() { break },
                () = tokio::time::sleep(wait) => {}
            }
            if *stopped.borrow() {
                break;
            }
        }
        self.sim.live().freeze();
        self.pusher.finish().await;
        self.sim.live().finish();
    }

    /// Real time until the next step, at most `MAX_SLEEP`.
    fn real_wait(&self, now: i64) -> Duration {
        let Some(Reverse((due, _))) = self.due.peek() else {
            return MAX_SLEEP;
        };
        let sim_ms = (due - now).max(0) as f64;
        Duration::from_secs_f64(sim_ms / self.config.speed / 1000.0)
            .clamp(Duration::from_millis(1), MAX_SLEEP)
    }

    fn schedule(&mut self, at: i64, step: Step) {
        self.seq += 1;
        self.due.push(Reverse((at, self.seq)));
        self.steps.insert(self.seq, step);
    }

    /// The next arrival of messages (`true`) or calls: an exponential gap at the configured
    /// rate after the previous one (none when the rate is 0).
    fn schedule_arrival(&mut self, message: bool) {
        let per_minute = if message {
            self.config.messages_per_minute
        } else {
            self.config.calls_per_minute
        };
        if per_minute <= 0.0 {
            return;
        }
        let u: f64 = self.rng.random();
        let gap = (-(1.0 - u).ln() * 60_000.0 / per_minute).max(1.0);
        let next = if message {
            self.next_message += gap;
            self.next_message
        } else {
            self.next_call += gap;
            self.next_call
        };
        self.schedule(
            next.ceil() as i64,
            if message {
                Step::NewMessage
            } else {
                Step::NewCall
            },
        );
    }

    fn take_steps(&mut self, now: i64) {
        while let Some(&Reverse((at, seq))) = self.due.peek() {
            if at > now {
                break;
            }
            self.due.pop();
            let Some(step) = self.steps.remove(&seq) else {
                continue;
            };
            match step {
                Step::NewMessage => {
                    self.new_message(at);
                    self.schedule_arrival(true);
                }
                Step::NewCall => {
                    self.new_call(at);
                    self.schedule_arrival(false);
                }
                Step::Message {
                    sid,
                    status,
                    error_code,
                    price,
                } => self.message_step(at, sid, status, error_code, price),
                Step::Call {
                    sid,
                    event,
                    status,
                    end,
                } => self.call_step(at, sid, event, status, end),
            }
        }
    }

    fn us_number(&mut self) -> u64 {
        let area = self.rng.random_range(201u64..990);
        let rest = self.rng.random_range(2_000_000u64..9_999_999);
        10_000_000_000 + area * 10_000_000 + rest
    }

    /// A SID no record of the account has yet.
    fn fresh_sid(&mut self, prefix: &[u8; 2]) -> Sid {
        loop {
            let sid = Sid::new(prefix, self.rng.random());
            let a = self.account();
            let taken = a.message_index.contains_key(&sid) || a.call_index.contains_key(&sid);
            if !taken {
                return sid;
            }
        }
    }

    fn new_message(&mut self, at: i64) {
        let created = ceil_second(at as f64);
        let g = &mut self.rng;
        let mms = g.random_bool(0.08);
        let segments: u8 = if mms {
            1
        } else {
            [1, 1, 1, 1, 1, 1, 1, 2, 2, 3][g.random_range(0..10)]
        };
        let media: u8 = if mms { g.random_range(1..=3) } else { 0 };
        let body = g.random_range(0..BODIES.len()) as u16;
        let via_service: f64 = g.random();
        let service_pick: usize = g.random_range(0..256);
        let number_pick: usize = g.random_range(0..256);
        let outcome: f64 = g.random();
        let code_pick = g.random_range(0..4);
        let send_after = g.random_range(1..=3i64) * 1000;
        let final_after = g.random_range(1..=10i64) * 1000;
        let to = self.us_number();
        let sid = self.fresh_sid(if mms { b"MM" } else { b"SM" });
        let a = self.account();
        let services = a.messaging_services.len();
        let service = (services > 0 && via_service < 0.6).then(|| (service_pick % services) as u8);
        let from = a.phone_numbers[number_pick % a.phone_numbers.len()].number;
        let message = Message {
            sid,
            date_created: created,
            date_sent: None,
            date_updated: created,
            direction: MessageDirection::OutboundApi,
            status: MessageStatus::Queued,
            from,
            to,
            body,
            num_segments: segments,
            num_media: media,
            price: None,
            error_code: None,
            service,
        };
        let account_sid = a.sid.clone();
        self.sim
            .live()
            .write_records()
            .account_mut(&account_sid)
            .messages
            .insert(message);
        self.sim.live().count(|s| s.messages_created += 1);
        let rate = if mms { MMS_OUT_RATE } else { SMS_RATE };
        let price = Some(-rate * i64::from(segments));
        let (status, error_code, price) = match outcome {
            r if r < 0.90 => (MessageStatus::Delivered, None, price),
            r if r < 0.96 => (
                MessageStatus::Undelivered,
                Some(UNDELIVERED_CODES[code_pick]),
                price,
            ),
            _ => (MessageStatus::Failed, Some(FAILED_CODES[code_pick]), None),
        };
        let sent = created + send_after;
        self.schedule(
            sent,
            Step::Message {
                sid,
                status: MessageStatus::Sent,
                error_code: None,
                price: None,
            },
        );
        self.schedule(
            sent + final_after,
            Step::Message {
                sid,
                status,
                error_code,
                price,
            },
        );
    }

    fn new_call(&mut self, at: i64) {
        let created = ceil_second(at as f64);
        let g = &mut self.rng;
        let outcome: f64 = g.random();
        let queue_ms = g.random_range(1..=3u32) * 1000;
        let ring_ms = g.random_range(2..=20i64) * 1000;
        // Talk time: mostly short, a long tail up to an hour (as `generate` draws it).
        let talk = (10.0 + -170.0 * (1.0 - g.random::<f64>()).ln()).min(3600.0) as u32;
        let number_pick: usize = g.random_range(0..256);
        let to = self.us_number();
        let sid = self.fresh_sid(b"CA");
        let a = self.account();
        let number_index = number_pick % a.phone_numbers.len();
        let start = created + i64::from(queue_ms);
        let call = Call {
            sid,
            date_created: created,
            start_time: start,
            end_time: None,
            date_updated: created,
            direction: CallDirection::OutboundApi,
            status: CallStatus::Queued,
            from: a.phone_numbers[number_index].number,
            to,
            duration: None,
            price: None,
            phone_number: number_index as u8,
            parent_call: None,
            queue_time_ms: queue_ms,
        };
        let account_sid = a.sid.clone();
        self.sim
            .live()
            .write_records()
            .account_mut(&account_sid)
            .calls
            .insert(call);
        self.sim.live().count(|s| s.calls_created += 1);
        self.call_seq.insert(sid, 0);
        let ringing = start + 1000;
        let answered = ringing + ring_ms;
        let steps = [
            (start, CallEvent::Initiated, CallStatus::Queued, None),
            (ringing, CallEvent::Ringing, CallStatus::Ringing, None),
        ];
        for (at, event, status, end) in steps {
            self.schedule(
                at,
                Step::Call {
                    sid,
                    event,
                    status,
                    end,
                },
            );
        }
        let (status, end) = match outcome {
            r if r < 0.75 => {
                self.schedule(
                    answered,
                    Step::Call {
                        sid,
                        event: CallEvent::Answered,
                        status: CallStatus::InProgress,
                        end: None,
                    },
                );
                let minutes = i64::from(talk.div_ceil(60));
                let ended = answered + i64::from(talk) * 1000;
                (
                    CallStatus::Completed,
                    (talk, ended, Some(-CALL_OUT_RATE * minutes)),
                )
            }
            r if r < 0.88 => (CallStatus::NoAnswer, (0, answered, Some(0))),
            r if r < 0.96 => (CallStatus::Busy, (0, answered, Some(0))),
            _ => (CallStatus::Failed, (0, answered, None)),
        };
        self.schedule(
            end.1,
            Step::Call {
                sid,
                event: CallEvent::Completed,
                status,
                end: Some(end),
            },
        );
    }

    fn event_id(&mut self) -> String {
        format!("EZ{:032x}", self.ids.random::<u128>())
    }

    /// Applies `update` to this account's live records and counts the status change it made;
    /// `None` when the record it names is not there (nothing changed, nothing counted).
    fn status_change<T>(
        &self,
        update: impl FnOnce(&mut AccountLive) -> Option<T>,
    ) -> Option<(String, T)> {
        let account_sid = self.account().sid.clone();
        let changed = update(self.sim.live().write_records().account_mut(&account_sid))?;
        self.sim.live().count(|s| s.status_changes += 1);
        Some((account_sid, changed))
    }

    fn message_step(
        &mut self,
        at: i64,
        sid: Sid,
        status: MessageStatus,
        error_code: Option<u32>,
        price: Option<Micros5>,
    ) {
        let changed = self.status_change(|records| {
            records.messages.update(sid, |m| {
                m.status = status;
                m.date_updated = at;
                if status == MessageStatus::Sent {
                    m.date_sent = Some(at);
                }
                m.error_code = error_code;
                m.price = price;
                (m.from, m.to)
            })
        });
        let Some((account_sid, (from, to))) = changed else {
            return;
        };
        let id = self.event_id();
        let word = status.as_str();
        let mut form = vec![
            pair("MessageSid", sid),
            pair("SmsSid", sid),
            pair("MessageStatus", word),
            pair("SmsStatus", word),
            pair("AccountSid", &account_sid),
            pair("From", e164(from)),
            pair("To", e164(to)),
            pair("ApiVersion", API_VERSION),
        ];
        if let Some(code) = error_code {
            form.push(pair("ErrorCode", code));
        }
        if matches!(
            status,
            MessageStatus::Delivered | MessageStatus::Undelivered
        ) {
            form.push(pair("RawDlrDoneDate", dlr_date(at)));
        }
        let mut data = Map::new();
        data.insert("messageSid".into(), json!(sid.to_string()));
        data.insert("accountSid".into(), json!(account_sid));
        data.insert("from".into(), json!(e164(from)));
        data.insert("to".into(), json!(e164(to)));
        data.insert("messageStatus".into(), json!(word));
        if let Some(code) = error_code {
            data.insert("errorCode".into(), json!(code.to_string()));
        }
        data.insert("timestamp".into(), json!(Iso(at).to_string()));
        let event = cloud_event(
            id,
            format!("/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json"),
            format!("com.twilio.messaging.message.{word}"),
            at,
            Value::Object(data),
        );
        self.pusher.push(Change {
            kind: Kind::Message,
            sid,
            last: status != MessageStatus::Sent,
            form,
            event,
        });
    }

    fn call_step(
        &mut self,
        at: i64,
        sid: Sid,
        event: CallEvent,
        status: CallStatus,
        end: Option<(u32, i64, Option<Micros5>)>,
    ) {
        let changed = self.status_change(|records| {
            records.calls.update(sid, |c| {
                c.status = status;
                c.date_updated = at;
                if let Some((duration, ended, price)) = end {
                    c.duration = Some(duration);
                    c.end_time = Some(ended);
                    c.price = price;
                }
                (c.from, c.to)
            })
        });
        let Some((account_sid, (from, to))) = changed else {
            return;
        };
        let sequence = self.call_seq.get(&sid).copied().unwrap_or(0);
        if end.is_some() {
            self.call_seq.remove(&sid);
        } else {
            self.call_seq.insert(sid, sequence + 1);
        }
        let id = self.event_id();
        // The callback's CallStatus: `initiated` exists there, not in the REST API.
        let word = match event {
            CallEvent::Initiated => "initiated",
            _ => status.as_str(),
        };
        let stamp = Rfc2822(at).to_string();
        let mut form = vec![
            pair("CallSid", sid),
            pair("CallStatus", word),
            pair("AccountSid", &account_sid),
            pair("From", e164(from)),
            pair("To", e164(to)),
            pair("Direction", CallDirection::OutboundApi.as_str()),
            pair("ApiVersion", API_VERSION),
            pair("Timestamp", &stamp),
            pair("SequenceNumber", sequence),
            pair("StatusCallbackEvent", event.as_str()),
        ];
        let mut data = Map::new();
        data.insert("CallSid".into(), json!(sid.to_string()));
        data.insert("AccountSid".into(), json!(account_sid));
        data.insert("CallStatus".into(), json!(word));
        data.insert("From".into(), json!(e164(from)));
        data.insert("To".into(), json!(e164(to)));
        data.insert("Timestamp".into(), json!(stamp));
        if let Some((duration, _, _)) = end {
            form.push(pair("CallDuration", duration));
            data.insert("CallDuration".into(), json!(duration.to_string()));
        }
        data.insert("SequenceNumber".into(), json!(sequence.to_string()));
        let cloud = cloud_event(
            id,
            format!("/2010-04-01/Accounts/{account_sid}/Calls/{sid}.json"),
            format!("com.twilio.voice.status-callback.call.{}", event.as_str()),
            at,
            Value::Object(data),
        );
        self.pusher.push(Change {
            kind: Kind::Call,
            sid,
            last: end.is_some(),
            form,
            event: cloud,
        });
    }
}

fn cloud_event(id: String, source: String, kind: String, at: i64, data: Value) -> Value {
    json!({
        "specversion": "1.0",
        "type": kind,
        "source": source,
        "id": id,
        "time": Iso(at).to_string(),
        "datacontenttype": "application/json",
        "data": data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dlr_date_is_two_digit_year_month_day_hour_minute_in_utc() {
        let at: jiff::Timestamp = "2026-03-05T07:09:59Z".parse().unwrap();
        assert_eq!(dlr_date(at.as_millisecond()), "2603050709");
    }

    #[test]
    fn arrivals_round_up_to_the_next_whole_second() {
        assert_eq!(ceil_second(1_000.0), 1_000);
        assert_eq!(ceil_second(1_000.5), 2_000);
    }
}
