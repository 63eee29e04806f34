//! Builds a dataset from (seed, now, sizes). Every random choice comes from a ChaCha stream
//! seeded from the seed and the account's index, so the result never depends on anything else.

use std::collections::HashSet;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::{SimConfig, Sizes};
use crate::dataset::{AccountData, Dataset};
use crate::incident::Incidents;
use crate::model::*;
use crate::sid::Sid;
use crate::time::{
    MS_PER_DAY, MS_PER_HOUR, civil_from_days, day_of, days_from_civil, weekday_mon0,
};
use crate::usage;

/// Relative volume per weekday, Monday first: weekends are quiet.
const WEEKLY: [f64; 7] = [1.10, 1.15, 1.12, 1.08, 1.02, 0.80, 0.73];
/// Relative volume per UTC hour.
const HOURLY: [u32; 24] = [
    2, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 10, 10, 11, 11, 10, 9, 7, 6, 5, 4, 3, 2,
];

pub const BODIES: [&str; 8] = [
    "Your verification code is 482913",
    "Your order #10422 has shipped and will arrive on Tuesday.",
    "Reminder: your appointment is tomorrow at 10:30. Reply C to confirm.",
    "Thanks! We got your message and will reply shortly.",
    "STOP",
    "Hi, is the store open on Sunday?",
    "Your table for 4 is ready. Please come to the host stand.",
    "Flash sale: 20% off everything today only. Reply STOP to opt out.",
];

pub(crate) const SMS_RATE: Micros5 = 790; // 0.00790 per segment
pub(crate) const MMS_OUT_RATE: Micros5 = 2000;
const MMS_IN_RATE: Micros5 = 1000;
const CALL_IN_RATE: Micros5 = 850; // per minute
pub(crate) const CALL_OUT_RATE: Micros5 = 1400;
const RECORDING_RATE: Micros5 = 250;
pub const NUMBER_MONTHLY_FEE: Micros5 = 115_000; // 1.15

pub const UNDELIVERED_CODES: [u32; 4] = [30003, 30005, 30006, 30008];
pub const FAILED_CODES: [u32; 4] = [21610, 21211, 30007, 30034];
/// "Message filtered": what a carrier's filtering returns (the `carrier-filtering` incident).
pub const FILTERED_CODE: u32 = 30007;

pub fn error_message(code: u32) -> &'static str {
    match code {
        30003 => "Unreachable destination handset",
        30005 => "Unknown destination handset",
        30006 => "Landline or unreachable carrier",
        30007 => "Message filtered",
        30008 => "Unknown error",
        30034 => "Message from an unregistered number",
        21610 => "Attempt to send to unsubscribed recipient",
        21211 => "Invalid 'To' Phone Number",
        11200 => "HTTP retrieval failure",
        _ => "Error",
    }
}

struct Gen {
    rng: ChaCha8Rng,
}

impl Gen {
    fn sid(&mut self, prefix: &[u8; 2]) -> Sid {
        Sid::new(prefix, self.rng.random())
    }
    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.random_range(0..items.len())]
    }
    fn us_number(&mut self) -> u64 {
        let area = self.rng.random_range(201u64..990);
        let rest = self.rng.random_range(2_000_000u64..9_999_999);
        10_000_000_000 + area * 10_000_000 + rest
    }
    fn hex(&mut self, len: usize) -> String {
        const HEX: &[u8] = b"0123456789abcdef";
        (0..len)
            .map(|_| HEX[self.rng.random_range(0..16)] as char)
            .collect()
    }
    fn alnum(&mut self, len: usize) -> String {
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..len)
            .map(|_| ALNUM[self.rng.random_range(0..ALNUM.len())] as char)
            .collect()
    }
    /// A time within the given day, weighted by the hourly profile.
    fn time_in_day(&mut self, day: i64) -> i64 {
        let total: u32 = HOURLY.iter().sum();
        let mut r = self.rng.random_range(0..total);
        let mut hour = 0;
        for (h, w) in HOURLY.iter().enumerate() {
            if r < *w {
                hour = h;
                break;
            }
            r -= w;
        }
        // Whole seconds: the API shows seconds, so filters must not see hidden milliseconds.
        day * MS_PER_DAY + hour as i64 * MS_PER_HOUR + self.rng.random_range(0..3_600) * 1000
    }
    /// How many events a day gets: the average bent by weekday, trend and noise.
    fn daily_count(&mut self, avg: f64, day: i64, index: u32, days: u32) -> u32 {
        let trend = 0.8 + 0.4 * f64::from(index) / f64::from(days.max(1));
        let noise = self.rng.random_range(0.9..1.1);
        (avg * WEEKLY[weekday_mon0(day)] * trend * noise)
            .round()
            .max(0.0) as u32
    }
}

fn seed_for(seed: u64, account: u32, stream: u64) -> u64 {
    // SplitMix64-style mixing so neighbouring seeds give unrelated streams.
    let mut z = seed
        .wrapping_add(u64::from(account).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(stream.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn gen_for(seed: u64, account: u32, stream: u64) -> Gen {
    Gen {
        rng: ChaCha8Rng::seed_from_u64(seed_for(seed, account, stream)),
    }
}

pub fn generate(config: &SimConfig) -> Dataset {
    // Whole seconds, like every timestamp the API shows.
    let now = config.now.as_second() * 1000;
    let sizes = &config.sizes;
    let today = day_of(now);
    let first_day = today - i64::from(sizes.days);
    let mut accounts = Vec::new();
    let mut ids = gen_for(config.seed, u32::MAX, 0);
    let main_sid = ids.sid(b"AC");
    for index in 0..=sizes.subaccounts {
        let sid = if index == 0 { main_sid } else { ids.sid(b"AC") };
        let friendly_name = if index == 0 {
            "Switchboard Demo".to_string()
        } else {
            format!("Switchboard Demo Subaccount {index}")
        };
        let scale = if index == 0 { 1.0 } else { 1.0 / 3.0 };
        accounts.push(generate_account(
            config.seed,
            index,
            sid,
            main_sid,
            friendly_name,
            scale,
            sizes,
            Incidents(&config.incidents),
            first_day,
            now,
        ));
    }
    settle_accounts(&mut accounts, sizes);
    Dataset {
        seed: config.seed,
        now_ms: now,
        sizes: sizes.clone(),
        first_day,
        accounts,
        incidents: config.incidents.clone(),
    }
}

/// Subaccounts bill to their parent, as on Twilio: the parent's usage with subaccounts (the API's
/// default, `IncludeSubaccounts=true`) adds theirs day by day, and one balance, the parent's
/// starting credit minus that whole spend, is what every account of the family reports.
fn settle_accounts(accounts: &mut [AccountData], sizes: &Sizes) {
    let Some((main, subs)) = accounts.split_first_mut() else {
        return;
    };
    for sub in subs.iter() {
        for (total, day) in main.usage_days_total.iter_mut().zip(sub.usage_days.iter()) {
            for (t, v) in total.values.iter_mut().zip(day.values.iter()) {
                *t += *v;
            }
        }
    }
    let spend: Micros5 = main
        .usage_days_total
        .iter()
        .map(|d| d.values[TOTALPRICE].price)
        .sum();
    main.balance = i64::from(sizes.starting_credit_usd) * 100_000 - spend;
    for sub in subs.iter_mut() {
        sub.balance = main.balance;
    }
}

#[allow(clippy::too_many_arguments)]
fn generate_account(
    seed: u64,
    index: u32,
    sid: Sid,
    owner: Sid,
    friendly_name: String,
    scale: f64,
    sizes: &Sizes,
    incidents: Incidents,
    first_day: i64,
    now: i64,
) -> AccountData {
    let today = day_of(now);
    let mut g = gen_for(seed, index, 1);
    let created = (first_day - 400 - i64::from(index) * 7) * MS_PER_DAY + 13 * MS_PER_HOUR;
    let auth_token = g.hex(32);
    let keys = vec![
        ApiKeyData {
            sid: g.sid(b"SK").to_string(),
            secret: g.alnum(32),
            key_type: KeyType::Main,
            friendly_name: "main key".into(),
        },
        ApiKeyData {
            sid: g.sid(b"SK").to_string(),
            secret: g.alnum(32),
            key_type: KeyType::Standard,
            friendly_name: "standard key".into(),
        },
    ];
    let phone_numbers: Vec<PhoneNumber> = (0..sizes.phone_numbers.clamp(1, 200))
        .map(|i| {
            let number = g.us_number();
            let date_created = created + i64::from(i) * 9 * MS_PER_DAY + 5_400_000;
            let n = number % 10_000_000_000;
            PhoneNumber {
                sid: g.sid(b"PN"),
                number,
                date_created,
                friendly_name: format!(
                    "({}) {}-{:04}",
                    n / 10_000_000,
                    n / 10_000 % 1000,
                    n % 10_000
                ),
            }
        })
        .collect();
    let messaging_services: Vec<MessagingService> = (0..sizes.messaging_services.min(200))
        .map(|i| MessagingService {
            sid: g.sid(b"MG"),
            friendly_name: ["Notifications", "Marketing", "Support", "Alerts"][i as usize % 4]
                .to_string()
                + &if i >= 4 {
                    format!(" {i}")
                } else {
                    String::new()
                },
            date_created: created + i64::from(i) * 3 * MS_PER_DAY + 7_200_000,
            date_updated: created + i64::from(i) * 3 * MS_PER_DAY + 9_000_000,
        })
        .collect();
    let customers: Vec<u64> = (0..500).map(|_| g.us_number()).collect();
    let verify_service = g.sid(b"VA");

    let mut mg = gen_for(seed, index, 2);
    let messages = gen_messages(
        &mut mg,
        sizes,
        scale,
        incidents,
        first_day,
        now,
        &phone_numbers,
        &messaging_services,
        &customers,
    );
    let mut cg = gen_for(seed, index, 3);
    let calls = gen_calls(
        &mut cg,
        sizes,
        scale,
        incidents,
        first_day,
        now,
        &phone_numbers,
        &customers,
    );
    let mut rg = gen_for(seed, index, 4);
    let recordings = gen_recordings(&mut rg, &calls, now);
    let mut fg = gen_for(seed, index, 5);
    let conferences = gen_conferences(&mut fg, sizes, scale, first_day, now);
    let mut ag = gen_for(seed, index, 6);
    let alerts = gen_alerts(&mut ag, &messages, &messaging_services, sid, now);
    let (messages, calls, recordings, alerts) =
        drop_traffic(incidents, messages, calls, recordings, alerts);
    let mut vg = gen_for(seed, index, 7);
    let verify_attempts = gen_verify(
        &mut vg,
        sizes,
        scale,
        first_day,
        now,
        verify_service,
        &customers,
    );

    let usage_days = usage::daily(
        first_day,
        today,
        &messages,
        &calls,
        &recordings,
        &phone_numbers,
    );

    let message_index = messages
        .iter()
        .enumerate()
        .map(|(i, m)| (m.sid, i as u32))
        .collect();
    let call_index = calls
        .iter()
        .enumerate()
        .map(|(i, c)| (c.sid, i as u32))
        .collect();
    AccountData {
        sid: sid.to_string(),
        auth_token,
        friendly_name,
        owner_account_sid: owner.to_string(),
        keys,
        date_created: created,
        date_updated: created + MS_PER_HOUR,
        sid_typed: sid,
        is_subaccount: index > 0,
        messages,
        calls,
        conferences,
        recordings,
        phone_numbers,
        messaging_services,
        alerts,
        verify_service,
        verify_attempts,
        usage_days_total: usage_days.clone(),
        usage_days,
        // Set once every account exists (see `settle_accounts`).
        balance: 0,
        message_index,
        call_index,
        _private: (),
    }
}

/// Removes what a traffic drop did not let happen. Only now, once recordings and alerts have
/// drawn their values for every message and call, so their random streams stay as without
/// incidents. An inbound call that a kept call names as its parent stays, so no kept record
/// outside the window changes or points to nothing.
fn drop_traffic(
    incidents: Incidents,
    mut messages: Vec<Message>,
    mut calls: Vec<Call>,
    mut recordings: Vec<Recording>,
    mut alerts: Vec<Alert>,
) -> (Vec<Message>, Vec<Call>, Vec<Recording>, Vec<Alert>) {
    if !incidents.any(crate::incident::IncidentKind::TrafficDrop) {
        return (messages, calls, recordings, alerts);
    }
    let parents: HashSet<Sid> = calls
        .iter()
        .filter(|c| !incidents.dropped(c.date_created, c.sid))
        .filter_map(|c| c.parent_call)
        .collect();
    let dropped_calls: HashSet<Sid> = calls
        .iter()
        .filter(|c| incidents.dropped(c.date_created, c.sid) && !parents.contains(&c.sid))
        .map(|c| c.sid)
        .collect();
    let dropped_messages: HashSet<Sid> = messages
        .iter()
        .filter(|m| incidents.dropped(m.date_created, m.sid))
        .map(|m| m.sid)
        .collect();
    calls.retain(|c| !dropped_calls.contains(&c.sid));
    recordings.retain(|r| !dropped_calls.contains(&r.call_sid));
    messages.retain(|m| !dropped_messages.contains(&m.sid));
    alerts.retain(|a| !dropped_messages.contains(&a.resource_sid));
    (messages, calls, recordings, alerts)
}

fn sort_desc<T>(items: &mut [T], key: impl Fn(&T) -> (i64, Sid)) {
    items.sort_by_key(|x| std::cmp::Reverse(key(x)));
}

#[allow(clippy::too_many_arguments)]
fn gen_messages(
    g: &mut Gen,
    sizes: &Sizes,
    scale: f64,
    incidents: Incidents,
    first_day: i64,
    now: i64,
    numbers: &[PhoneNumber],
    services: &[MessagingService],
    customers: &[u64],
) -> Vec<Message> {
    let mut out = Vec::new();
    let avg = f64::from(sizes.messages_per_day) * scale;
    for (i, day) in (first_day..=day_of(now)).enumerate() {
        let n = g.daily_count(avg, day, i as u32, sizes.days);
        for _ in 0..n {
            let created = g.time_in_day(day);
            // Always draw the same number of values so a record's fate does not shift the stream.
            let r_dir: f64 = g.rng.random();
            let mms = g.chance(0.08);
            let r_status: f64 = g.rng.random();
            let segments: u8 = if mms {
                1
            } else {
                g.pick(&[1, 1, 1, 1, 1, 1, 1, 2, 2, 3])
            };
            let media: u8 = if mms { g.rng.random_range(1..=3) } else { 0 };
            let send_delay = g.rng.random_range(1..4) * 1000;
            let update_delay = g.rng.random_range(1..20) * 1000;
            let customer = g.pick(customers);
            let own = numbers[g.rng.random_range(0..numbers.len())].number;
            let via_service = !services.is_empty() && g.chance(0.6);
            let service = if via_service {
                Some(g.rng.random_range(0..services.len()) as u8)
            } else {
                None
            };
            let body = g.rng.random_range(0..BODIES.len()) as u16;
            let code_pick: usize = g.rng.random_range(0..4);
            let sid = g.sid(if mms { b"MM" } else { b"SM" });
            if created > now {
                continue;
            }
            let direction = match r_dir {
                r if r < 0.70 => MessageDirection::OutboundApi,
                r if r < 0.90 => MessageDirection::Inbound,
                r if r < 0.98 => MessageDirection::OutboundReply,
                _ => MessageDirection::OutboundCall,
            };
            let inbound = direction == MessageDirection::Inbound;
            let age = now - created;
            let (status, error_code) = if inbound {
                if age < 5_000 {
                    (MessageStatus::Receiving, None)
                } else {
                    (MessageStatus::Received, None)
                }
            } else if age < 120_000 {
                (
                    [
                        MessageStatus::Queued,
                        MessageStatus::Accepted,
                        MessageStatus::Sending,
                    ][(r_status * 3.0) as usize % 3],
                    None,
                )
            } else if incidents.filtered(created, !inbound, r_status) {
                (MessageStatus::Undelivered, Some(FILTERED_CODE))
            } else {
                match r_status {
                    r if r < 0.86 => (MessageStatus::Delivered, None),
                    r if r < 0.90 => (MessageStatus::Sent, None),
                    r if r < 0.95 => (
                        MessageStatus::Undelivered,
                        Some(UNDELIVERED_CODES[code_pick]),
                    ),
                    _ => (MessageStatus::Failed, Some(FAILED_CODES[code_pick])),
                }
            };
            let unsent = matches!(
                status,
                MessageStatus::Queued | MessageStatus::Accepted | MessageStatus::Sending
            );
            let date_sent = if unsent {
                None
            } else {
                Some((created + send_delay).min(now))
            };
            let date_updated = match status {
                MessageStatus::Delivered | MessageStatus::Undelivered => {
                    (created + send_delay + update_delay).min(now)
                }
                _ => date_sent.unwrap_or(created),
            };
            let rate = match (mms, inbound) {
                (true, true) => MMS_IN_RATE,
                (true, false) => MMS_OUT_RATE,
                (false, _) => SMS_RATE,
            };
            let price = match status {
                MessageStatus::Queued
                | MessageStatus::Accepted
                | MessageStatus::Sending
                | MessageStatus::Receiving
                | MessageStatus::Failed => None,
                _ => Some(
                    -rate
                        * i64::from(segments)
                        * incidents
                            .price_factor(created, direction == MessageDirection::OutboundApi),
                ),
            };
            let (from, to) = if inbound {
                (customer, own)
            } else {
                (own, customer)
            };
            out.push(Message {
                sid,
                date_created: created,
                date_sent,
                date_updated,
                direction,
                status,
                from,
                to,
                body,
                num_segments: segments,
                num_media: media,
                price,
                error_code,
                service,
            });
        }
    }
    sort_desc(&mut out, |m| (m.sort_ms(), m.sid));
    out
}

#[allow(clippy::too_many_arguments)]
fn gen_calls(
    g: &mut Gen,
    sizes: &Sizes,
    scale: f64,
    incidents: Incidents,
    first_day: i64,
    now: i64,
    numbers: &[PhoneNumber],
    customers: &[u64],
) -> Vec<Call> {
    let mut out: Vec<Call> = Vec::new();
    let avg = f64::from(sizes.calls_per_day) * scale;
    for (i, day) in (first_day..=day_of(now)).enumerate() {
        let n = g.daily_count(avg, day, i as u32, sizes.days);
        let mut last_inbound: Option<Sid> = None;
        for _ in 0..n {
            let created = g.time_in_day(day);
            let r_dir: f64 = g.rng.random();
            let r_status: f64 = g.rng.random();
            let queue_ms = g.rng.random_range(0..3u32) * 1000;
            let ring_ms = g.rng.random_range(2..20i64) * 1000;
            // Talk time: mostly short, a long tail up to an hour.
            let talk: u32 = (10.0 + -170.0 * (1.0 - g.rng.random::<f64>()).ln()).min(3600.0) as u32;
            let customer = g.pick(customers);
            let number_index = g.rng.random_range(0..numbers.len());
            let sid = g.sid(b"CA");
            if created > now {
                continue;
            }
            let direction = match r_dir {
                r if r < 0.45 => CallDirection::Inbound,
                r if r < 0.90 => CallDirection::OutboundApi,
                _ => CallDirection::OutboundDial,
            };
            let start = created + i64::from(queue_ms);
            let answered_at = start + ring_ms;
            let mut status = match r_status {
                r if incidents.call_fails(created, r) => CallStatus::Failed,
                r if r < 0.72 => CallStatus::Completed,
                r if r < 0.84 => CallStatus::NoAnswer,
                r if r < 0.91 => CallStatus::Busy,
                r if r < 0.95 => CallStatus::Failed,
                _ => CallStatus::Canceled,
            };
            if start > now {
                status = CallStatus::Queued;
            } else if answered_at > now {
                status = CallStatus::Ringing;
            } else if status == CallStatus::Completed && answered_at + i64::from(talk) * 1000 > now
            {
                status = CallStatus::InProgress;
            }
            let (duration, end_time) = match status {
                CallStatus::Completed => (Some(talk), Some(answered_at + i64::from(talk) * 1000)),
                CallStatus::Busy
                | CallStatus::NoAnswer
                | CallStatus::Canceled
                | CallStatus::Failed => (Some(0), Some(answered_at)),
                _ => (None, None),
            };
            let rate = if direction == CallDirection::Inbound {
                CALL_IN_RATE
            } else {
                CALL_OUT_RATE
            };
            let price = match (status, end_time) {
                // Twilio prices a call a little after it ends.
                (_, Some(end)) if now - end < 120_000 => None,
                (CallStatus::Completed, _) => Some(-rate * i64::from(talk.div_ceil(60))),
                (CallStatus::Busy | CallStatus::NoAnswer | CallStatus::Canceled, _) => Some(0),
                _ => None,
            };
            let own = numbers[number_index].number;
            let (from, to) = if direction == CallDirection::Inbound {
                (customer, own)
            } else {
                (own, customer)
            };
            let parent_call = if direction == CallDirection::OutboundDial {
                last_inbound
            } else {
                None
            };
            if direction == CallDirection::Inbound {
                last_inbound = Some(sid);
            }
            out.push(Call {
                sid,
                date_created: created,
                start_time: start,
                end_time,
                date_updated: end_time.unwrap_or(start),
                direction,
                status,
                from,
                to,
                duration,
                price,
                phone_number: number_index as u8,
                parent_call,
                queue_time_ms: queue_ms,
            });
        }
    }
    sort_desc(&mut out, |c| (c.start_time, c.sid));
    out
}

fn gen_recordings(g: &mut Gen, calls: &[Call], now: i64) -> Vec<Recording> {
    let mut out = Vec::new();
    for call in calls.iter().rev() {
        let roll = g.chance(0.3);
        let channels = g.pick(&[1u8, 1, 2]);
        let source = g.pick(&[
            "DialVerb",
            "RecordVerb",
            "OutboundAPI",
            "StartCallRecordingAPI",
        ]);
        let lead = g.rng.random_range(1..3i64) * 1000;
        let sid = g.sid(b"RE");
        let (Some(duration), Some(end)) = (call.duration, call.end_time) else {
            continue;
        };
        if !roll || call.status != CallStatus::Completed || duration < 15 {
            continue;
        }
        let rec_duration = duration - 2;
        let start = end - i64::from(duration) * 1000 + lead;
        let created = end + 1_000;
        if created > now {
            continue;
        }
        out.push(Recording {
            sid,
            call_sid: call.sid,
            date_created: created,
            start_time: start,
            date_updated: (created + 4_000).min(now),
            duration: rec_duration,
            price: Some(-RECORDING_RATE * i64::from(rec_duration.div_ceil(60))),
            channels,
            source,
        });
    }
    sort_desc(&mut out, |r| (r.date_created, r.sid));
    out
}

fn gen_conferences(
    g: &mut Gen,
    sizes: &Sizes,
    scale: f64,
    first_day: i64,
    now: i64,
) -> Vec<Conference> {
    let mut out = Vec::new();
    let avg = f64::from(sizes.conferences_per_day) * scale;
    let names = [
        "standup",
        "support-bridge",
        "sales-sync",
        "onboarding",
        "incident-room",
    ];
    for (i, day) in (first_day..=day_of(now)).enumerate() {
        let n = g.daily_count(avg, day, i as u32, sizes.days);
        for k in 0..n {
            let created = g.time_in_day(day);
            let length = g.rng.random_range(60..3_600i64) * 1000;
            let name = g.pick(&names);
            let via_api = g.chance(0.2);
            let ending = g.sid(b"CA");
            let sid = g.sid(b"CF");
            if created > now {
                continue;
            }
            let ended = created + length <= now;
            out.push(Conference {
                sid,
                date_created: created,
                date_updated: if ended { created + length } else { created },
                friendly_name: format!("{name}-{}-{k}", crate::time::Ymd(day)),
                status: if ended {
                    ConferenceStatus::Completed
                } else {
                    ConferenceStatus::InProgress
                },
                region: "us1",
                reason_ended: match (ended, via_api) {
                    (false, _) => None,
                    (true, true) => Some("conference-ended-via-api"),
                    (true, false) => Some("last-participant-left"),
                },
                call_sid_ending: if ended && !via_api {
                    Some(ending)
                } else {
                    None
                },
            });
        }
    }
    sort_desc(&mut out, |c| (c.date_created, c.sid));
    out
}

/// Alerts follow the account's failed messages and some webhook failures, kept 30 days as Twilio does.
fn gen_alerts(
    g: &mut Gen,
    messages: &[Message],
    services: &[MessagingService],
    account: Sid,
    now: i64,
) -> Vec<Alert> {
    let cutoff = now - 30 * MS_PER_DAY;
    let mut out = Vec::new();
    for m in messages.iter().rev() {
        let webhook = g.chance(0.01);
        let warning = g.chance(0.25);
        let sid = g.sid(b"NO");
        if m.sort_ms() < cutoff {
            continue;
        }
        let service_sid = m
            .service
            .and_then(|i| services.get(usize::from(i)))
            .map(|s| s.sid);
        let (code, level, method, url) = if let Some(code) = m.error_code {
            (
                code,
                if warning && m.status == MessageStatus::Undelivered {
                    "warning"
                } else {
                    "error"
                },
                "POST",
                format!("https://api.twilio.com/2010-04-01/Accounts/{account}/Messages.json"),
            )
        } else if webhook && m.is_inbound() {
            (
                11200,
                "error",
                "POST",
                "https://hooks.example.com/twilio/inbound".to_string(),
            )
        } else {
            continue;
        };
        let generated = (m.date_updated + 1_000).min(now);
        out.push(Alert {
            sid,
            date_generated: generated,
            error_code: code,
            log_level: level,
            alert_text: format!(
                "Msg&sourceComponent=14100&ErrorCode={code}&LogLevel={}&errorMessage={}&resourceSid={}",
                level.to_uppercase(),
                error_message(code).replace(' ', "+"),
                m.sid
            ),
            resource_sid: m.sid,
            service_sid,
            request_method: method,
            request_url: url,
        });
    }
    sort_desc(&mut out, |a| (a.date_generated, a.sid));
    out
}

fn gen_verify(
    g: &mut Gen,
    sizes: &Sizes,
    scale: f64,
    first_day: i64,
    now: i64,
    service: Sid,
    customers: &[u64],
) -> Vec<VerifyAttempt> {
    let mut out = Vec::new();
    let avg = f64::from(sizes.verify_attempts_per_day) * scale;
    for (i, day) in (first_day..=day_of(now)).enumerate() {
        let n = g.daily_count(avg, day, i as u32, sizes.days);
        for _ in 0..n {
            let created = g.time_in_day(day);
            let channel = g.pick(&[
                "sms", "sms", "sms", "sms", "sms", "sms", "call", "email", "whatsapp", "sms",
            ]);
            let converted = g.chance(0.78);
            let undelivered = g.chance(0.05);
            let to = g.pick(customers);
            let sid = g.sid(b"VL");
            let verification = g.sid(b"VE");
            let update = g.rng.random_range(1..5i64) * 1000;
            if created > now {
                continue;
            }
            let (message_status, error_code) = if undelivered {
                ("undelivered", Some(30008))
            } else {
                ("delivered", None)
            };
            let price = match channel {
                "sms" => Some(5_000),
                "call" => Some(5_000),
                "whatsapp" => Some(5_000),
                _ => None,
            };
            out.push(VerifyAttempt {
                sid,
                service_sid: service,
                verification_sid: verification,
                date_created: created,
                date_updated: (created + update).min(now),
                converted: converted && !undelivered,
                channel,
                to,
                country: "US",
                price,
                message_status,
                error_code,
            });
        }
    }
    sort_desc(&mut out, |a| (a.date_created, a.sid));
    out
}

/// Day numbers of (first day of month) for a day.
pub fn month_start(day: i64) -> i64 {
    let (y, m, _) = civil_from_days(day);
    days_from_civil(y, m, 1)
}
