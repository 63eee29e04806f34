//! Prints the docs table of `docs/library.md`: each library metric, its source endpoint and the
//! pages and rows one synced day costs at the simulator's default sizes, measured from sync
//! ledgers.
//!
//! `cargo run -p library --example pages_per_day`
//!
//! Each metric is added to a fresh SQLite store and synced over the same seven whole days
//! (the windows of a day each); pages per day = the ledger's pages / 7. A reading (balance,
//! numbers owned, services) has no window: its figure is the pages of one sync.

use std::sync::Arc;
use std::time::Duration;

use connector::{BaseUrl, Connector, ConnectorConfig};
use domain::{AccountSid, ApiKeySid, Secret};
use metric_sync::{SyncConfig, SyncOptions, Syncer};
use store::{MasterKey, NewConnection, RunStatus, SqliteStore, Store};
use twilio_sim::{SimConfig, Sizes};

const DAYS: i64 = 7;
const DAY_MS: i64 = 86_400_000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let now: jiff::Timestamp = "2026-11-20T10:30:00Z".parse()?;
    let sim = twilio_sim::spawn(SimConfig {
        seed: 1,
        now,
        sizes: Sizes::default(),
        faults: Default::default(),
        incidents: Vec::new(),
    })
    .await?;
    let account = sim.dataset().main_account();
    let key = account.main_key().ok_or("the simulator has no main key")?;
    let today = now.as_millisecond().div_euclid(DAY_MS) * DAY_MS;
    let range = (today - DAYS * DAY_MS, today);
    let dir = std::env::temp_dir().join(format!("library-pages-{}", std::process::id()));

    println!(
        "| metric | file | category | source endpoint | pages per synced day | rows per synced day |"
    );
    println!("|---|---|---|---|---|---|");
    for m in library::list(None)? {
        let _ = std::fs::remove_dir_all(&dir);
        let store = Arc::new(
            SqliteStore::open_dir(
                &dir,
                MasterKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "bench")?,
            )
            .await?,
        );
        store
            .create_connection(
                &NewConnection {
                    label: "sim".into(),
                    account_sid: AccountSid::parse(&account.sid)?,
                    api_key_sid: ApiKeySid::parse(&key.sid)?,
                    secret: Secret::new(key.secret.clone()),
                },
                0,
            )
            .await?;
        let added = library::add(store.as_ref(), &m.slug, "sim", 0).await?;
        let connector = Connector::new(ConnectorConfig {
            base_url: Some(BaseUrl::parse(&sim.base_url())?),
            ..ConnectorConfig::default()
        })?;
        let config = SyncConfig {
            backfill: Duration::from_secs(30 * 86_400),
            ..SyncConfig::default()
        };
        let syncer = Syncer::new(store.clone(), connector, config);
        let options = SyncOptions {
            range: Some(range),
            ..SyncOptions::default()
        };
        let report = syncer.sync_metric_with(added.id, &options, now).await?;
        if report.status != RunStatus::Succeeded {
            return Err(format!("{}: {:?}", m.slug, report.ledger).into());
        }
        let l = &report.ledger;
        let (pages, rows) = if l.shape == "snapshot" {
            (
                format!("{} per sync", l.pages),
                format!("{} per sync", l.rows_stored),
            )
        } else {
            let per_day = |n: f64| format!("{}", (n / DAYS as f64 * 10.0).round() / 10.0);
            (per_day(f64::from(l.pages)), per_day(l.rows_stored as f64))
        };
        let r = &m.definition.request;
        let category = r
            .params
            .iter()
            .find(|p| p.key == "Category")
            .map(|p| format!("?Category={}", p.value))
            .unwrap_or_default();
        println!(
            "| {} | `{}` | {} | `{}{}{}` | {} | {} |",
            m.name(),
            m.slug,
            m.category,
            r.host,
            r.path,
            category,
            pages,
            rows
        );
        store.close().await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
