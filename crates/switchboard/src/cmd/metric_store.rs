//! `switchboard metric list|show|import|export`: metric definitions kept in the store.

use std::path::PathBuf;

use anyhow::Context;
use app::{App, AppError, SyncInterval};
use metric::MetricDefinition;
use store::Store;

use super::common::{StoreArgs, app_on, failed, find_metric, no_twilio};

#[derive(clap::Subcommand)]
pub enum StoredCommand {
    /// List stored metrics with their sync state.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Show one stored metric: its definition, version, where it is used, its last sync.
    Show {
        /// The metric's name or id.
        metric: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Import a definition file: a new metric, or a new version of the metric with its name.
    Import {
        file: PathBuf,
        /// Do not put it on the Metrics screen (it then syncs only by hand).
        #[arg(long)]
        off_screen: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Set how often a metric syncs: 15m, 1h, 2h30m, 1d (5m to 7d), or `default` (hourly).
    /// Running `serve` and `worker` processes use it from their next scheduling pass.
    Interval {
        /// The metric's name or id.
        metric: String,
        /// The interval, or `default`.
        every: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print a stored metric's definition (the import format).
    Export {
        /// The metric's name or id.
        metric: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub async fn run(command: StoredCommand) -> anyhow::Result<()> {
    let (store, command) = match command {
        StoredCommand::List { store } => (store, Op::List),
        StoredCommand::Show { metric, store } => (store, Op::Show(metric)),
        StoredCommand::Export { metric, store } => (store, Op::Export(metric)),
        StoredCommand::Interval {
            metric,
            every,
            store,
        } => {
            // Checked before the store is opened, so a bad interval does not wait on it.
            let interval = SyncInterval::parse(&every).map_err(|e| failed(e.into()))?;
            (store, Op::Interval(metric, interval))
        }
        StoredCommand::Import {
            file,
            off_screen,
            store,
        } => {
            // Read and checked before the store is opened, so a bad file does not wait on it.
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("could not read {}", file.display()))?;
            let definition = MetricDefinition::from_json(&text)
                .with_context(|| format!("{} is not a valid metric definition", file.display()))?;
            (store, Op::Import(Box::new(definition), !off_screen))
        }
    };
    let app = app_on(store.open().await?, no_twilio()?);
    let done = match command {
        Op::List => list(&app).await,
        Op::Show(metric) => show(&app, &metric).await,
        Op::Export(metric) => find_metric(app.store(), &metric)
            .await
            .map(|m| println!("{}", pretty(&m.definition))),
        Op::Import(definition, on_screen) => import(&app, &definition, on_screen).await,
        Op::Interval(metric, interval) => set_interval(&app, &metric, interval).await,
    };
    app.store().close().await;
    done
}

/// A command with its own arguments, once the store's are taken out.
enum Op {
    List,
    Show(String),
    Export(String),
    Import(Box<MetricDefinition>, bool),
    Interval(String, Option<SyncInterval>),
}

async fn list(app: &App) -> anyhow::Result<()> {
    let metrics = app.store().list_metrics().await?;
    if metrics.is_empty() {
        println!("no metrics yet: import one with `switchboard metric import FILE.json`");
    }
    let now = app.clock().now_ms();
    for m in metrics {
        let runs = app.store().sync_runs(Some(m.id), 5).await?;
        let every = SyncInterval::of_stored(m.sync_interval_s);
        let state = metric_sync::freshness(&runs, every.duration(), now);
        println!(
            "{:>4}  {:<40} v{:<3} {:<10} {:<7} {}",
            m.id.0,
            m.name,
            m.version,
            format!("{state:?}").to_lowercase(),
            every.to_string(),
            if m.in_use() {
                m.used_by.join(",")
            } else {
                "not in use".into()
            }
        );
    }
    Ok(())
}

/// What the interval is now, in words, with "(the default)" when the metric has none of its own.
fn interval_words(m: &store::StoredMetric) -> String {
    let every = SyncInterval::of_stored(m.sync_interval_s).describe();
    match m.sync_interval_s {
        Some(_) => every,
        None => format!("{every} (the default)"),
    }
}

async fn set_interval(
    app: &App,
    metric: &str,
    interval: Option<SyncInterval>,
) -> anyhow::Result<()> {
    let m = find_metric(app.store(), metric).await?;
    let saved = app
        .set_sync_interval(m.id, interval)
        .await
        .map_err(failed)?;
    println!(
        "metric {} (id {}) now syncs {}",
        saved.name,
        saved.id,
        interval_words(&saved)
    );
    Ok(())
}

async fn show(app: &App, metric: &str) -> anyhow::Result<()> {
    let m = find_metric(app.store(), metric).await?;
    let runs = app.store().sync_runs(Some(m.id), 5).await?;
    let every = SyncInterval::of_stored(m.sync_interval_s);
    let state = metric_sync::freshness(&runs, every.duration(), app.clock().now_ms());
    println!("metric {} (id {}), version {}", m.name, m.id, m.version);
    println!("state: {}", format!("{state:?}").to_lowercase());
    println!("syncs: {}", interval_words(&m));
    println!(
        "used by: {}",
        if m.in_use() {
            m.used_by.join(", ")
        } else {
            "nothing (synced only by hand)".into()
        }
    );
    if let Some(run) = runs.first() {
        println!(
            "last sync: run {} {:?}{}",
            run.id,
            run.status,
            run.error
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        );
    }
    println!("{}", pretty(&m.definition));
    Ok(())
}

async fn import(app: &App, definition: &MetricDefinition, on_screen: bool) -> anyhow::Result<()> {
    let saved = app
        .import_metric(definition, on_screen)
        .await
        .map_err(|e| match e {
            AppError::Invalid {
                field: "connection",
                ..
            } => anyhow::anyhow!(
                "the definition names the connection '{}', which does not exist: add it with `switchboard connection add`",
                definition.connection
            ),
            other => failed(other),
        })?;
    println!(
        "imported '{}' as metric {} version {}",
        saved.name, saved.id, saved.version
    );
    Ok(())
}

fn pretty(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| text.to_owned())
}
