//! `switchboard connection accounts LABEL [--discover]` and `library add --accounts`, against
//! a simulator with three subaccounts over HTTP.

mod support;

use support::{add_main_connection, ok, scratch_dir, switchboard, text};
use twilio_sim::{SimConfig, SimHandle, Sizes};

async fn sim_with_subaccounts() -> SimHandle {
    twilio_sim::spawn(SimConfig {
        seed: 7,
        now: support::NOW.parse().unwrap(),
        sizes: Sizes {
            messages_per_day: 2,
            calls_per_day: 1,
            days: 2,
            subaccounts: 3,
            ..Sizes::default()
        },
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

#[tokio::test(flavor = "multi_thread")]
async fn adding_a_connection_says_how_many_subaccounts_it_found() {
    let sim = sim_with_subaccounts().await;
    let dir = scratch_dir("accts-add");
    let account = sim.dataset().main_account();
    let key = account.main_key().unwrap();
    let args = [
        "connection",
        "add",
        "prod",
        "--account-sid",
        &account.sid,
        "--api-key-sid",
        &key.sid,
        "--secret-stdin",
    ];
    let out = tokio::task::block_in_place(|| {
        switchboard(&dir, &sim, &args, &format!("{}\n", key.secret))
    });
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("prod: 3 subaccounts found"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_prints_every_account_with_its_status() {
    let sim = sim_with_subaccounts().await;
    let dir = scratch_dir("accts-list");
    tokio::task::block_in_place(|| add_main_connection(&dir, &sim, &[]));
    let shown = tokio::task::block_in_place(|| ok(&dir, &sim, &["connection", "accounts", "prod"]));
    for a in &sim.dataset().accounts {
        let line = shown
            .lines()
            .find(|l| l.starts_with(&a.sid))
            .unwrap_or_else(|| panic!("{} missing: {shown}", a.sid));
        assert!(
            line.contains("active") && line.contains(&a.friendly_name),
            "{line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn accounts_with_discover_lists_them_on_twilio_first() {
    let sim = sim_with_subaccounts().await;
    let dir = scratch_dir("accts-discover");
    tokio::task::block_in_place(|| add_main_connection(&dir, &sim, &[]));
    let shown = tokio::task::block_in_place(|| {
        ok(
            &dir,
            &sim,
            &["connection", "accounts", "prod", "--discover"],
        )
    });
    assert!(shown.starts_with("prod: 3 subaccounts found"), "{shown}");
    assert_eq!(
        shown.lines().filter(|l| l.starts_with("AC")).count(),
        4,
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn library_add_reads_every_active_account_when_asked() {
    let sim = sim_with_subaccounts().await;
    let dir = scratch_dir("accts-library");
    tokio::task::block_in_place(|| add_main_connection(&dir, &sim, &[]));
    tokio::task::block_in_place(|| {
        ok(
            &dir,
            &sim,
            &[
                "library",
                "add",
                "messages-sent",
                "--connection",
                "prod",
                "--accounts",
                "active",
            ],
        )
    });
    let exported =
        tokio::task::block_in_place(|| ok(&dir, &sim, &["metric", "export", "Messages sent"]));
    let def: serde_json::Value = serde_json::from_str(&exported).expect("the export is JSON");
    assert_eq!(def["accounts"], "active", "{exported}");
}
