//! Subaccounts over real HTTP: `Accounts.json` paging and filters, live statuses (suspended,
//! closed, absent) and renames, the `deny_subaccounts` fault, and usage with and without
//! subaccounts. Expected values come from the dataset and from what each test set.

mod support;

use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};
use support::*;
use twilio_sim::{AccountState, Faults, SimConfig, SimHandle};

/// A main account and `n` subaccounts with a few days of light traffic.
fn family(n: u32) -> SimConfig {
    let mut config = small_config(21);
    config.sizes.subaccounts = n;
    config.sizes.days = 4;
    config
}

async fn start_family(n: u32) -> SimHandle {
    start_with(family(n)).await
}

fn sub(sim: &SimHandle, number: usize) -> twilio_sim::AccountData {
    sim.dataset().accounts[number].clone()
}

/// `Accounts.json` with the main account's auth token, every page followed.
async fn listed(sim: &SimHandle, query: &str) -> Vec<Value> {
    let main = sim.dataset().main_account();
    let first = format!("/2010-04-01/Accounts.json{query}");
    walk(sim, "api.twilio.com", &first, Cred::Token(main))
        .await
        .iter()
        .flat_map(|p| p["accounts"].as_array().cloned().unwrap_or_default())
        .collect()
}

fn sids_of(accounts: &[Value]) -> Vec<String> {
    accounts
        .iter()
        .map(|a| a["sid"].as_str().expect("sid").to_string())
        .collect()
}

async fn parent_get(sim: &SimHandle, path: &str) -> Reply {
    let main = sim.dataset().main_account();
    get(sim, "api.twilio.com", path, Cred::MainKey(main)).await
}

async fn put_admin(sim: &SimHandle, path: &str, body: Value) -> (u16, Value) {
    let r = client()
        .put(format!("{}{path}", sim.base_url()))
        .json(&body)
        .send()
        .await
        .expect("admin request reaches the simulator");
    let status = r.status().as_u16();
    (status, r.json().await.expect("admin answers JSON"))
}

#[tokio::test]
async fn accounts_list_pages_a_hundred_subaccounts_naming_every_sid_once() {
    let sim = start_family(100).await;
    let main = sim.dataset().main_account();
    let pages = walk(
        &sim,
        "api.twilio.com",
        "/2010-04-01/Accounts.json",
        Cred::MainKey(main),
    )
    .await;
    let sizes: Vec<usize> = pages
        .iter()
        .map(|p| p["accounts"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, [50, 50, 1], "PageSize defaults to 50");
    let got: Vec<String> = pages.iter().flat_map(|p| sids(p, "accounts")).collect();
    let unique: HashSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "a SID listed twice");
    let want: HashSet<String> = sim
        .dataset()
        .accounts
        .iter()
        .map(|a| a.sid.clone())
        .collect();
    assert_eq!(want.len(), 101);
    assert_eq!(got.into_iter().collect::<HashSet<_>>(), want);
}

#[tokio::test]
async fn accounts_list_takes_a_page_size_up_to_a_thousand() {
    let sim = start_family(100).await;
    let one = parent_get(&sim, "/2010-04-01/Accounts.json?PageSize=1000").await;
    assert_eq!(one.status, 200, "{}", one.text);
    let body = one.json();
    assert_eq!(body["accounts"].as_array().map(Vec::len), Some(101));
    assert_eq!(body["page_size"], 1000);
    assert!(body["next_page_uri"].is_null());
}

#[tokio::test]
async fn standard_key_is_refused_the_accounts_list_and_a_subaccounts_account() {
    let sim = start_family(2).await;
    let main = sim.dataset().main_account();
    let child = sub(&sim, 1);
    for path in [
        "/2010-04-01/Accounts.json".to_string(),
        format!("/2010-04-01/Accounts/{}.json", child.sid),
    ] {
        let r = get(&sim, "api.twilio.com", &path, Cred::StandardKey(main)).await;
        assert_error(&r, 401, 20003);
        assert_eq!(r.json()["message"], "Authenticate");
    }
}

#[tokio::test]
async fn status_filter_lists_only_the_accounts_in_that_status() {
    let sim = start_family(4).await;
    let (s1, s2) = (sub(&sim, 1), sub(&sim, 2));
    sim.set_account_state(&s1.sid, AccountState::Suspended)
        .unwrap();
    sim.set_account_state(&s2.sid, AccountState::Closed)
        .unwrap();
    let all: Vec<&str> = sim
        .dataset()
        .accounts
        .iter()
        .map(|a| a.sid.as_str())
        .collect();
    let expect = |status: &str| -> Vec<String> {
        all.iter()
            .filter(|sid| match status {
                "suspended" => **sid == s1.sid,
                "closed" => **sid == s2.sid,
                _ => **sid != s1.sid && **sid != s2.sid,
            })
            .map(|s| s.to_string())
            .collect()
    };
    for status in ["active", "suspended", "closed"] {
        let got = listed(&sim, &format!("?Status={status}")).await;
        assert_eq!(sids_of(&got), expect(status), "Status={status}");
        assert!(got.iter().all(|a| a["status"] == status), "Status={status}");
    }
    let every = listed(&sim, "").await;
    assert_eq!(sids_of(&every).len(), 5, "no filter lists every status");
}

#[tokio::test]
async fn status_filter_is_echoed_in_the_page_links() {
    let sim = start_family(3).await;
    let body = parent_get(&sim, "/2010-04-01/Accounts.json?Status=closed&PageSize=2")
        .await
        .json();
    assert_eq!(
        body["uri"],
        "/2010-04-01/Accounts.json?Status=closed&PageSize=2&Page=0"
    );
    assert_eq!(body["accounts"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn friendly_name_filter_finds_a_renamed_account_by_its_new_name() {
    let sim = start_family(3).await;
    let child = sub(&sim, 2);
    sim.rename_account(&child.sid, "Acme Retail").unwrap();
    let found = listed(&sim, "?FriendlyName=Acme+Retail").await;
    assert_eq!(sids_of(&found), vec![child.sid.clone()]);
    assert_eq!(found[0]["friendly_name"], "Acme Retail");
    let old = listed(
        &sim,
        &format!("?FriendlyName={}", child.friendly_name.replace(' ', "+")),
    )
    .await;
    assert!(old.is_empty(), "the old name still matches: {old:?}");
    let account = parent_get(&sim, &format!("/2010-04-01/Accounts/{}.json", child.sid))
        .await
        .json();
    assert_eq!(account["friendly_name"], "Acme Retail");
}

#[tokio::test]
async fn closed_accounts_resources_are_refused_but_its_account_resource_shows_closed() {
    let sim = start_family(2).await;
    let child = sub(&sim, 1);
    sim.set_account_state(&child.sid, AccountState::Closed)
        .unwrap();
    for resource in ["Messages.json", "Calls.json", "Usage/Records/Daily.json"] {
        let r = parent_get(
            &sim,
            &format!("/2010-04-01/Accounts/{}/{resource}", child.sid),
        )
        .await;
        assert_error(&r, 401, 20003);
    }
    let account = parent_get(&sim, &format!("/2010-04-01/Accounts/{}.json", child.sid)).await;
    assert_eq!(account.status, 200, "{}", account.text);
    assert_eq!(account.json()["status"], "closed");
    let listed = listed(&sim, "").await;
    assert!(
        listed
            .iter()
            .any(|a| a["sid"] == child.sid && a["status"] == "closed")
    );
}

#[tokio::test]
async fn closed_account_keeps_its_records_in_the_dataset_and_the_dump() {
    let sim = start_family(2).await;
    let child = sub(&sim, 1);
    assert!(!child.messages.is_empty());
    sim.set_account_state(&child.sid, AccountState::Closed)
        .unwrap();
    let kept = sim.dataset().account(&child.sid).unwrap();
    assert_eq!(kept.messages.len(), child.messages.len());
    let dump = serde_json::to_value(sim.dataset().dump(&sim.sim().accounts())).unwrap();
    let entry = &dump["accounts"][1];
    assert_eq!(entry["sid"], child.sid);
    assert_eq!(entry["account"]["status"], "closed");
    assert_eq!(
        entry["messages"].as_array().map(Vec::len),
        Some(child.messages.len())
    );
}

#[tokio::test]
async fn closed_accounts_own_credentials_no_longer_authenticate() {
    let sim = start_family(1).await;
    let child = sub(&sim, 1);
    sim.set_account_state(&child.sid, AccountState::Closed)
        .unwrap();
    let path = format!("/2010-04-01/Accounts/{}.json", child.sid);
    for cred in [Cred::Token(&child), Cred::MainKey(&child)] {
        let r = get(&sim, "api.twilio.com", &path, cred).await;
        assert_error(&r, 401, 20003);
    }
}

#[tokio::test]
async fn suspended_accounts_resources_answer_403_account_not_active() {
    let sim = start_family(1).await;
    let child = sub(&sim, 1);
    sim.set_account_state(&child.sid, AccountState::Suspended)
        .unwrap();
    let messages = format!("/2010-04-01/Accounts/{}/Messages.json", child.sid);
    let by_parent = parent_get(&sim, &messages).await;
    assert_error(&by_parent, 403, 20005);
    assert_eq!(by_parent.json()["message"], "Account not active");
    let own = get(&sim, "api.twilio.com", &messages, Cred::Token(&child)).await;
    assert_error(&own, 403, 20005);
    let product = get(
        &sim,
        "monitor.twilio.com",
        "/v1/Alerts",
        Cred::Token(&child),
    )
    .await;
    assert_error(&product, 403, 20005);
    let account = get(
        &sim,
        "api.twilio.com",
        &format!("/2010-04-01/Accounts/{}.json", child.sid),
        Cred::Token(&child),
    )
    .await;
    assert_eq!(account.status, 200, "{}", account.text);
    assert_eq!(account.json()["status"], "suspended");
}

#[tokio::test]
async fn absent_account_is_missing_until_it_becomes_active_with_its_history() {
    let sim = start_family(2).await;
    let child = sub(&sim, 2);
    sim.set_account_state(&child.sid, AccountState::Absent)
        .unwrap();
    let before = listed(&sim, "").await;
    assert!(!sids_of(&before).contains(&child.sid));
    assert_eq!(before.len(), 2);
    let messages = format!(
        "/2010-04-01/Accounts/{}/Messages.json?PageSize=1000",
        child.sid
    );
    assert_error(&parent_get(&sim, &messages).await, 404, 20404);
    let account = format!("/2010-04-01/Accounts/{}.json", child.sid);
    assert_error(&parent_get(&sim, &account).await, 404, 20404);
    let own = get(&sim, "api.twilio.com", &account, Cred::Token(&child)).await;
    assert_error(&own, 401, 20003);

    sim.set_account_state(&child.sid, AccountState::Active)
        .unwrap();
    let after = listed(&sim, "").await;
    assert!(sids_of(&after).contains(&child.sid));
    let main = sim.dataset().main_account();
    let pages = walk(&sim, "api.twilio.com", &messages, Cred::MainKey(main)).await;
    let served: Vec<String> = pages.iter().flat_map(|p| sids(p, "messages")).collect();
    let dumped = dump(&sim);
    let want: Vec<String> = dumped["accounts"][2]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["sid"].as_str().unwrap().to_string())
        .collect();
    assert!(!served.is_empty());
    assert_eq!(served, want);
}

#[tokio::test]
async fn deny_subaccounts_refuses_the_parent_but_still_lists_the_subaccount() {
    let sim = start_family(2).await;
    let (denied, open) = (sub(&sim, 1), sub(&sim, 2));
    sim.set_faults(Faults {
        deny_subaccounts: vec![denied.sid.clone()],
        ..Faults::default()
    });
    for path in [
        format!("/2010-04-01/Accounts/{}/Messages.json", denied.sid),
        format!("/2010-04-01/Accounts/{}.json", denied.sid),
    ] {
        assert_error(&parent_get(&sim, &path).await, 401, 20003);
    }
    let other = parent_get(
        &sim,
        &format!("/2010-04-01/Accounts/{}/Messages.json", open.sid),
    )
    .await;
    assert_eq!(other.status, 200, "{}", other.text);
    let own = get(
        &sim,
        "api.twilio.com",
        &format!("/2010-04-01/Accounts/{}/Messages.json", denied.sid),
        Cred::MainKey(&denied),
    )
    .await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert!(sids_of(&listed(&sim, "").await).contains(&denied.sid));
}

#[tokio::test]
async fn deny_subaccounts_refuses_what_is_no_subaccount_sid() {
    let sim = start_family(1).await;
    let main = main_sid(&sim);
    for (sid, says) in [
        ("ACnope", "not an Account SID"),
        (main.as_str(), "is not a subaccount"),
        ("AC0123456789abcdef0123456789abcdef", "is not a subaccount"),
    ] {
        let (status, body) =
            put_admin(&sim, "/__sim/faults", json!({"deny_subaccounts": [sid]})).await;
        assert_eq!(status, 400, "{sid}: {body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("deny_subaccounts") && error.contains(says),
            "{error}"
        );
    }
    assert_eq!(sim.sim().faults(), Faults::default());
}

#[tokio::test]
async fn admin_route_changes_an_accounts_status_and_name() {
    let sim = start_family(2).await;
    let child = sub(&sim, 1);
    let (status, body) = put_admin(
        &sim,
        &format!("/__sim/accounts/{}", child.sid),
        json!({"status": "suspended", "friendly_name": "Paused brand"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "suspended");
    let account = parent_get(&sim, &format!("/2010-04-01/Accounts/{}.json", child.sid))
        .await
        .json();
    assert_eq!(account["status"], "suspended");
    assert_eq!(account["friendly_name"], "Paused brand");
}

#[tokio::test]
async fn admin_route_refuses_a_bad_change_and_changes_nothing() {
    let sim = start_family(1).await;
    let child = sub(&sim, 1);
    let main = main_sid(&sim);
    let refused = [
        (child.sid.as_str(), json!({"status": "gone"}), 400),
        (child.sid.as_str(), json!({}), 400),
        (
            child.sid.as_str(),
            json!({"status": "closed", "friendly_name": ""}),
            400,
        ),
        (main.as_str(), json!({"status": "absent"}), 400),
        (
            "AC0123456789abcdef0123456789abcdef",
            json!({"status": "closed"}),
            404,
        ),
    ];
    for (sid, body, want) in refused {
        let (status, answer) = put_admin(&sim, &format!("/__sim/accounts/{sid}"), body).await;
        assert_eq!(status, want, "{answer}");
        assert!(answer["error"].is_string(), "{answer}");
    }
    assert_eq!(
        sim.sim().account_state(&child.sid),
        Some(AccountState::Active)
    );
    assert_eq!(sim.sim().account_state(&main), Some(AccountState::Active));
}

/// Per day and category: `(count, usage, price)` in units of 0.00001 for money.
type Daily = BTreeMap<(String, String), (i64, i64, i64)>;

fn usage_number(s: &str) -> i64 {
    if s.contains('.') {
        money(s)
    } else {
        s.parse().expect("usage is a number")
    }
}

async fn parent_daily(sim: &SimHandle, extra: &str) -> Daily {
    let main = sim.dataset().main_account();
    let first = format!(
        "/2010-04-01/Accounts/{}/Usage/Records/Daily.json?PageSize=1000{extra}",
        main.sid
    );
    let pages = walk(sim, "api.twilio.com", &first, Cred::MainKey(main)).await;
    pages
        .iter()
        .flat_map(|p| p["usage_records"].as_array().cloned().unwrap_or_default())
        .map(|r| {
            let key = (
                r["start_date"].as_str().unwrap().to_string(),
                r["category"].as_str().unwrap().to_string(),
            );
            let value = (
                usage_number(r["count"].as_str().unwrap()),
                usage_number(r["usage"].as_str().unwrap()),
                money(r["price"].as_str().unwrap()),
            );
            (key, value)
        })
        .collect()
}

/// The dataset's own usage of `accounts`, added per day and category.
fn own_usage<'a>(accounts: impl Iterator<Item = &'a twilio_sim::AccountData>) -> Daily {
    let mut out = Daily::new();
    for a in accounts {
        for day in &a.usage_days {
            let date = jiff::civil::date(1970, 1, 1)
                .checked_add(jiff::Span::new().days(day.day))
                .unwrap()
                .to_string();
            for (cat, v) in twilio_sim::model::CATEGORIES.iter().zip(day.values.iter()) {
                let e = out.entry((date.clone(), cat.name.to_string())).or_default();
                e.0 += v.count;
                e.1 += v.usage;
                e.2 += v.price;
            }
        }
    }
    out
}

#[tokio::test]
async fn parent_usage_without_subaccounts_is_its_own_and_by_default_the_familys() {
    let sim = start_family(3).await;
    let data = sim.dataset();
    let own = parent_daily(&sim, "&IncludeSubaccounts=false").await;
    assert_eq!(own, own_usage(std::iter::once(data.main_account())));
    let total = parent_daily(&sim, "").await;
    assert_eq!(total, own_usage(data.accounts.iter()));
    assert_ne!(own, total);
}
