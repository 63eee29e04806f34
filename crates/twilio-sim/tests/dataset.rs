//! The generated data: deterministic, realistic, and consistent across resources.

mod support;

use std::collections::BTreeMap;

use serde_json::Value;
use support::*;
use twilio_sim::{SimConfig, generate};

fn dump_of(config: &SimConfig) -> String {
    serde_json::to_string(&generate(config)).unwrap()
}

#[test]
fn same_seed_and_clock_give_an_identical_dump() {
    let a = dump_of(&small_config(11));
    let b = dump_of(&small_config(11));
    assert_eq!(a, b);
    let c = dump_of(&small_config(12));
    assert_ne!(a, c);
    let mut later = small_config(11);
    later.now = "2026-03-16T12:34:56Z".parse().unwrap();
    assert_ne!(a, dump_of(&later));
}

#[test]
fn every_account_has_a_main_and_a_standard_key() {
    let data = generate(&small_config(3));
    assert_eq!(data.accounts.len(), 2);
    for a in &data.accounts {
        assert!(a.sid.starts_with("AC") && a.sid.len() == 34);
        assert_eq!(a.auth_token.len(), 32);
        let main = a.main_key().expect("main key");
        let std = a.standard_key().expect("standard key");
        assert!(main.sid.starts_with("SK") && std.sid.starts_with("SK"));
        assert_ne!(main.secret, std.secret);
    }
    assert_eq!(data.main_account().sid, data.accounts[0].sid);
    assert_eq!(data.accounts[1].owner_account_sid, data.accounts[0].sid);
}

/// Integer 0.00001 units per (day, category) computed straight from the dumped records.
fn expected_usage(acct: &Value) -> BTreeMap<(String, String), (i64, i64, i64)> {
    let mut out: BTreeMap<(String, String), (i64, i64, i64)> = BTreeMap::new();
    let mut add = |day: String, cat: &str, count: i64, usage: i64, price: i64| {
        let e = out.entry((day, cat.to_string())).or_default();
        e.0 += count;
        e.1 += usage;
        e.2 += price;
    };
    for m in acct["messages"].as_array().unwrap() {
        let (Some(price), Some(sent)) = (m["price"].as_str(), m["date_sent"].as_str()) else {
            continue;
        };
        let day = day_of_rfc2822(sent);
        let mms = m["sid"].as_str().unwrap().starts_with("MM");
        let dir = if m["direction"] == "inbound" {
            "inbound"
        } else {
            "outbound"
        };
        let usage = if mms {
            1
        } else {
            m["num_segments"].as_str().unwrap().parse().unwrap()
        };
        let fam = if mms { "mms" } else { "sms" };
        add(day.clone(), fam, 1, usage, -money(price));
        add(
            day.clone(),
            &format!("{fam}-{dir}"),
            1,
            usage,
            -money(price),
        );
        add(day, "totalprice", 0, -money(price), -money(price));
    }
    for c in acct["calls"].as_array().unwrap() {
        let Some(price) = c["price"].as_str() else {
            continue;
        };
        let day = day_of_rfc2822(c["start_time"].as_str().unwrap());
        let secs: i64 = c["duration"].as_str().unwrap_or("0").parse().unwrap();
        let minutes = (secs + 59) / 60;
        let dir = if c["direction"] == "inbound" {
            "inbound"
        } else {
            "outbound"
        };
        add(day.clone(), "calls", 1, minutes, -money(price));
        add(
            day.clone(),
            &format!("calls-{dir}"),
            1,
            minutes,
            -money(price),
        );
        add(day, "totalprice", 0, -money(price), -money(price));
    }
    for r in acct["recordings"].as_array().unwrap() {
        let Some(price) = r["price"].as_str() else {
            continue;
        };
        let day = day_of_rfc2822(r["date_created"].as_str().unwrap());
        let secs: i64 = r["duration"].as_str().unwrap().parse().unwrap();
        add(
            day.clone(),
            "recordings",
            1,
            (secs + 59) / 60,
            -money(price),
        );
        add(day, "totalprice", 0, -money(price), -money(price));
    }
    out
}

#[test]
fn daily_usage_agrees_with_the_messages_calls_and_recordings_of_each_day() {
    let data = generate(&small_config(5));
    let dump = serde_json::to_value(&data).unwrap();
    for acct in dump["accounts"].as_array().unwrap() {
        let expected = expected_usage(acct);
        let numbers = acct["incoming_phone_numbers"].as_array().unwrap().len() as i64;
        let mut checked = 0;
        let mut number_fees = 0;
        for r in acct["usage_records_daily_own"].as_array().unwrap() {
            let day = r["start_date"].as_str().unwrap().to_string();
            assert_eq!(r["end_date"], day.as_str());
            let cat = r["category"].as_str().unwrap().to_string();
            let got = (
                r["count"].as_str().unwrap().parse::<i64>().unwrap(),
                if cat == "totalprice" {
                    money(r["usage"].as_str().unwrap())
                } else {
                    r["usage"].as_str().unwrap().parse().unwrap()
                },
                money(r["price"].as_str().unwrap()),
            );
            if cat == "phonenumbers" {
                // Each number's monthly fee of 1.15 lands on one day a month.
                assert_eq!(got.2, got.0 * 115_000);
                assert!(got.0 <= numbers);
                number_fees += got.2;
                continue;
            }
            let mut want = expected
                .get(&(day.clone(), cat.clone()))
                .copied()
                .unwrap_or_default();
            if cat == "totalprice" {
                let fees = acct["usage_records_daily_own"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|x| x["start_date"] == day.as_str() && x["category"] == "phonenumbers")
                    .map(|x| money(x["price"].as_str().unwrap()))
                    .unwrap();
                want.1 += fees;
                want.2 += fees;
            }
            assert_eq!(got, want, "{day} {cat}");
            checked += 1;
        }
        assert!(checked > 300, "checked {checked}");
        assert!(number_fees > 0, "no phone number fees in two months");
    }
}

#[test]
fn parent_usage_total_is_every_accounts_own_usage_added_per_day_and_category() {
    let mut config = small_config(8);
    config.sizes.subaccounts = 4;
    config.sizes.days = 12;
    let data = generate(&config);
    assert_eq!(data.subaccounts().len(), 4);
    let main = data.main_account();
    assert_eq!(main.usage_days_total.len(), 13);
    let mut nonzero = 0;
    for (d, total) in main.usage_days_total.iter().enumerate() {
        for (c, cat) in twilio_sim::model::CATEGORIES.iter().enumerate() {
            let mut sum = (0, 0, 0);
            for a in &data.accounts {
                let day = &a.usage_days[d];
                assert_eq!(day.day, total.day, "{} day {d}", a.sid);
                sum.0 += day.values[c].count;
                sum.1 += day.values[c].usage;
                sum.2 += day.values[c].price;
            }
            let got = total.values[c];
            assert_eq!(
                (got.count, got.usage, got.price),
                sum,
                "day {} {}",
                total.day,
                cat.name
            );
            nonzero += usize::from(sum.2 > 0);
        }
    }
    assert!(
        nonzero > 50,
        "too few charged days to prove anything: {nonzero}"
    );
    for s in data.subaccounts() {
        assert_eq!(s.usage_days_total, s.usage_days, "{}", s.sid);
        assert!(s.usage_days.iter().any(|d| d.values[0].count > 0));
    }
}

#[test]
fn balance_is_starting_credit_minus_the_spend_of_the_account_and_its_subaccounts() {
    let config = small_config(5);
    let dump = serde_json::to_value(generate(&config)).unwrap();
    let accounts = dump["accounts"].as_array().unwrap();
    let spend_of = |acct: &Value| -> i64 {
        acct["usage_records_daily_own"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["category"] == "totalprice")
            .map(|r| money(r["price"].as_str().unwrap()))
            .sum()
    };
    let family: i64 = accounts.iter().map(spend_of).sum();
    assert!(spend_of(&accounts[1]) > 0);
    let expected = i64::from(config.sizes.starting_credit_usd) * 100_000 - family;
    for acct in accounts {
        assert_eq!(
            money(acct["balance"]["balance"].as_str().unwrap()),
            expected
        );
    }
}

#[test]
fn main_account_usage_includes_subaccounts_by_default() {
    let dump = serde_json::to_value(generate(&small_config(6))).unwrap();
    let records = |acct: &Value, key: &str| -> BTreeMap<(String, String), (String, i64, i64)> {
        acct[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let k = (
                    r["start_date"].as_str().unwrap().to_string(),
                    r["category"].as_str().unwrap().to_string(),
                );
                // Usage is a whole number except for totalprice, which is money.
                let usage = r["usage"].as_str().unwrap();
                let usage = if usage.contains('.') {
                    money(usage)
                } else {
                    usage.parse::<i64>().unwrap()
                };
                (
                    k,
                    (
                        r["count"].as_str().unwrap().to_string(),
                        usage,
                        money(r["price"].as_str().unwrap()),
                    ),
                )
            })
            .collect()
    };
    let main_total = records(&dump["accounts"][0], "usage_records_daily");
    let main_own = records(&dump["accounts"][0], "usage_records_daily_own");
    let sub_own = records(&dump["accounts"][1], "usage_records_daily_own");
    assert_eq!(main_total.len(), main_own.len());
    for (k, total) in &main_total {
        let (a, b) = (&main_own[k], &sub_own[k]);
        let count = a.0.parse::<i64>().unwrap() + b.0.parse::<i64>().unwrap();
        assert_eq!(total.0.parse::<i64>().unwrap(), count, "{k:?}");
        assert_eq!(total.1, a.1 + b.1, "{k:?}");
        assert_eq!(total.2, a.2 + b.2, "{k:?}");
    }
    assert_eq!(
        records(&dump["accounts"][1], "usage_records_daily"),
        sub_own
    );
}

#[tokio::test]
async fn include_subaccounts_false_serves_only_the_accounts_own_usage() {
    let sim = start().await;
    let dump = dump(&sim);
    let acct = main_sid(&sim);
    let own: i64 = dump["accounts"][0]["usage_records_daily_own"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["category"] == "totalprice")
        .map(|r| money(r["price"].as_str().unwrap()))
        .sum();
    let all: i64 = dump["accounts"][0]["usage_records_daily"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["category"] == "totalprice")
        .map(|r| money(r["price"].as_str().unwrap()))
        .sum();
    assert!(all > own);
    let path =
        format!("/2010-04-01/Accounts/{acct}/Usage/Records/AllTime.json?Category=totalprice");
    let default = api(&sim, &path).await.json();
    assert_eq!(
        money(default["usage_records"][0]["price"].as_str().unwrap()),
        all
    );
    let only = api(&sim, &format!("{path}&IncludeSubaccounts=false"))
        .await
        .json();
    assert_eq!(
        money(only["usage_records"][0]["price"].as_str().unwrap()),
        own
    );
    assert!(
        only["uri"]
            .as_str()
            .unwrap()
            .contains("IncludeSubaccounts=false")
    );
}

#[test]
fn data_is_realistic_mixes_nulls_errors_and_string_numbers() {
    let dump = serde_json::to_value(generate(&small_config(9))).unwrap();
    let msgs = dump["accounts"][0]["messages"].as_array().unwrap();
    let count = |f: &dyn Fn(&Value) -> bool| msgs.iter().filter(|m| f(m)).count();
    assert!(count(&|m| m["status"] == "delivered") > msgs.len() / 2);
    assert!(count(&|m| m["status"] == "undelivered") > 0);
    assert!(count(&|m| m["status"] == "failed") > 0);
    assert!(count(&|m| m["direction"] == "inbound") > msgs.len() / 10);
    assert!(count(&|m| m["price"].is_null()) > 0);
    for m in msgs {
        assert!(m["num_segments"].is_string() && m["num_media"].is_string());
        let failing = m["status"] == "failed" || m["status"] == "undelivered";
        assert_eq!(m["error_code"].is_i64(), failing, "{m}");
    }
    let calls = dump["accounts"][0]["calls"].as_array().unwrap();
    assert!(calls.iter().any(|c| c["status"] == "no-answer"));
    assert!(
        calls
            .iter()
            .filter(|c| c["status"] == "completed")
            .all(|c| c["duration"].as_str().unwrap().parse::<u32>().unwrap() >= 10)
    );
    assert!(
        dump["accounts"][0]["alerts"][0]["date_generated"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
}

#[test]
fn volume_follows_a_weekly_pattern_and_a_rising_trend() {
    let mut config = small_config(4);
    config.sizes.messages_per_day = 300;
    config.sizes.days = 84;
    let data = generate(&config);
    let mut per_day: BTreeMap<i64, u32> = BTreeMap::new();
    for m in &data.main_account().messages {
        *per_day
            .entry(m.date_created.div_euclid(86_400_000))
            .or_default() += 1;
    }
    let today = data.today();
    let full: Vec<(i64, u32)> = per_day.into_iter().filter(|(d, _)| *d < today).collect();
    // 1970-01-01 was a Thursday: (day + 3) % 7 gives 5 and 6 for Saturday and Sunday.
    let (mut weekend, mut weekday) = (Vec::new(), Vec::new());
    for (d, n) in &full {
        if (d + 3).rem_euclid(7) >= 5 {
            weekend.push(*n)
        } else {
            weekday.push(*n)
        }
    }
    let avg = |v: &[u32]| v.iter().map(|x| f64::from(*x)).sum::<f64>() / v.len() as f64;
    assert!(
        avg(&weekend) < 0.85 * avg(&weekday),
        "weekend {} weekday {}",
        avg(&weekend),
        avg(&weekday)
    );
    let first: Vec<u32> = full[..28].iter().map(|x| x.1).collect();
    let last: Vec<u32> = full[full.len() - 28..].iter().map(|x| x.1).collect();
    assert!(
        avg(&last) > 1.25 * avg(&first),
        "first {} last {}",
        avg(&first),
        avg(&last)
    );
}

#[test]
fn volume_follows_business_hours_and_quieter_weekends_hour_by_hour() {
    let mut config = small_config(9);
    config.sizes.messages_per_day = 400;
    config.sizes.calls_per_day = 100;
    config.sizes.days = 56;
    let data = generate(&config);
    let today = data.today();
    let created = data
        .main_account()
        .messages
        .iter()
        .map(|m| m.date_created)
        .chain(data.main_account().calls.iter().map(|c| c.date_created));
    // Counts per (weekend?, UTC hour of day) over the whole days before today.
    let mut per_hour = [[0u32; 24]; 2];
    let mut days = [
        std::collections::BTreeSet::new(),
        std::collections::BTreeSet::new(),
    ];
    for t in created {
        let day = t.div_euclid(86_400_000);
        if day >= today {
            continue;
        }
        // 1970-01-01 was a Thursday: (day + 3) % 7 gives 5 and 6 for Saturday and Sunday.
        let weekend = usize::from((day + 3).rem_euclid(7) >= 5);
        per_hour[weekend][(t.rem_euclid(86_400_000) / 3_600_000) as usize] += 1;
        days[weekend].insert(day);
    }
    let mean = |weekend: usize, hours: std::ops::Range<usize>| {
        let n = hours.len() as f64 * days[weekend].len() as f64;
        hours.map(|h| f64::from(per_hour[weekend][h])).sum::<f64>() / n
    };
    let (business, night) = (mean(0, 10..16), mean(0, 0..5));
    assert!(
        business > 5.0 * night,
        "weekday 10:00-16:00 {business:.1} an hour, 00:00-05:00 {night:.1}"
    );
    let weekday_business = business;
    let weekend_business = mean(1, 10..16);
    assert!(
        weekend_business < 0.85 * weekday_business,
        "weekend 10:00-16:00 {weekend_business:.1} an hour, weekdays {weekday_business:.1}"
    );
    assert!(
        mean(1, 10..16) > 5.0 * mean(1, 0..5),
        "weekends keep the daily rhythm"
    );
}

#[tokio::test]
async fn usage_endpoints_sum_the_daily_records() {
    let sim = start().await;
    let acct = main_sid(&sim);
    let daily = api(&sim, &format!("/2010-04-01/Accounts/{acct}/Usage/Records/Daily.json?Category=totalprice&StartDate=2026-02-01&EndDate=2026-02-28&PageSize=1000")).await.json();
    let feb: i64 = daily["usage_records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| money(r["price"].as_str().unwrap()))
        .sum();
    let monthly = api(
        &sim,
        &format!("/2010-04-01/Accounts/{acct}/Usage/Records/Monthly.json?Category=totalprice"),
    )
    .await
    .json();
    let recs = monthly["usage_records"].as_array().unwrap();
    let feb_rec = recs
        .iter()
        .find(|r| r["start_date"] == "2026-02-01")
        .expect("February record");
    assert_eq!(feb_rec["end_date"], "2026-02-28");
    assert_eq!(money(feb_rec["price"].as_str().unwrap()), feb);
    let last_month = api(
        &sim,
        &format!("/2010-04-01/Accounts/{acct}/Usage/Records/LastMonth.json?Category=totalprice"),
    )
    .await
    .json();
    assert_eq!(
        money(last_month["usage_records"][0]["price"].as_str().unwrap()),
        feb
    );
    let all_time = api(
        &sim,
        &format!("/2010-04-01/Accounts/{acct}/Usage/Records/AllTime.json?Category=totalprice"),
    )
    .await
    .json();
    let total: i64 = recs
        .iter()
        .map(|r| money(r["price"].as_str().unwrap()))
        .sum();
    assert_eq!(
        money(all_time["usage_records"][0]["price"].as_str().unwrap()),
        total
    );
    let balance = api(&sim, &format!("/2010-04-01/Accounts/{acct}/Balance.json"))
        .await
        .json();
    assert_eq!(
        money(balance["balance"].as_str().unwrap()),
        2000 * 100_000 - total
    );
    let today = api(
        &sim,
        &format!("/2010-04-01/Accounts/{acct}/Usage/Records/Today.json?Category=sms"),
    )
    .await
    .json();
    assert_eq!(today["usage_records"][0]["start_date"], "2026-03-15");
    let yesterday = api(
        &sim,
        &format!("/2010-04-01/Accounts/{acct}/Usage/Records/Yesterday.json?Category=sms"),
    )
    .await
    .json();
    assert_eq!(yesterday["usage_records"][0]["start_date"], "2026-03-14");
}

#[tokio::test]
async fn messages_older_than_400_days_and_alerts_older_than_30_are_not_served() {
    let mut config = small_config(8);
    config.sizes.days = 420;
    config.sizes.messages_per_day = 3;
    config.sizes.calls_per_day = 1;
    let sim = start_with(config).await;
    let acct = main_sid(&sim);
    let cutoff = now().as_millisecond() - 400 * 86_400_000;
    let all = &sim.dataset().main_account().messages;
    let old = all.iter().filter(|m| m.sort_ms() < cutoff).count();
    assert!(old > 0, "the dataset has messages past retention");
    let pages = walk(
        &sim,
        "api.twilio.com",
        &format!("/2010-04-01/Accounts/{acct}/Messages.json?PageSize=1000"),
        Cred::MainKey(sim.dataset().main_account()),
    )
    .await;
    let served: usize = pages
        .iter()
        .map(|p| p["messages"].as_array().unwrap().len())
        .sum();
    assert_eq!(served, all.len() - old);
    let old_sid = all.iter().find(|m| m.sort_ms() < cutoff).unwrap().sid;
    assert_error(
        &api(
            &sim,
            &format!("/2010-04-01/Accounts/{acct}/Messages/{old_sid}.json"),
        )
        .await,
        404,
        20404,
    );
    let alerts = get(
        &sim,
        "monitor.twilio.com",
        "/v1/Alerts?StartDate=2020-01-01&PageSize=1000",
        Cred::MainKey(sim.dataset().main_account()),
    )
    .await
    .json();
    let oldest = alerts["alerts"].as_array().unwrap().last().unwrap()["date_generated"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap();
    assert!(oldest.as_millisecond() >= now().as_millisecond() - 30 * 86_400_000);
    // Usage still covers the whole history.
    let first = api(&sim, &format!("/2010-04-01/Accounts/{acct}/Usage/Records/Daily.json?Category=sms&PageSize=1000&StartDate=2025-01-20&EndDate=2025-01-25")).await.json();
    assert_eq!(first["usage_records"].as_array().unwrap().len(), 6);
}
