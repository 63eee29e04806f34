//! `switchboard metric list|show|import|export`: metric definitions kept in the store.

use std::path::PathBuf;

use anyhow::Context;
use metric::MetricDefinition;
use store::{NewMetric, Store};

use super::common::{StoreArgs, find_metric, now_ms};

use library::METRICS_SCREEN;

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
    /// Print a stored metric's definition (the import format).
    Export {
        /// The metric's name or id.
        metric: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub async fn run(command: StoredCommand) -> anyhow::Result<()> {
    match command {
        StoredCommand::List { store } => {
            let store = store.open().await?;
            let metrics = store.list_metrics().await?;
            if metrics.is_empty() {
                println!("no metrics yet: import one with `switchboard metric import FILE.json`");
            }
            for m in metrics {
                let runs = store.sync_runs(Some(m.id), 5).await?;
                let state = metric_sync::freshness(&runs, metric_sync::DEFAULT_INTERVAL, now_ms());
                println!(
                    "{:>4}  {:<40} v{:<3} {:<10} {}",
                    m.id.0,
                    m.name,
                    m.version,
                    format!("{state:?}").to_lowercase(),
                    if m.in_use() {
                        m.used_by.join(",")
                    } else {
                        "not in use".into()
                    }
                );
            }
            store.close().await;
        }
        StoredCommand::Show { metric, store } => {
            let store = store.open().await?;
            let m = find_metric(&store, &metric).await?;
            let runs = store.sync_runs(Some(m.id), 5).await?;
            let state = metric_sync::freshness(&runs, metric_sync::DEFAULT_INTERVAL, now_ms());
            println!("metric {} (id {}), version {}", m.name, m.id, m.version);
            println!("state: {}", format!("{state:?}").to_lowercase());
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
            store.close().await;
        }
        StoredCommand::Import {
            file,
            off_screen,
            store,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("could not read {}", file.display()))?;
            let definition = MetricDefinition::from_json(&text)
                .with_context(|| format!("{} is not a valid metric definition", file.display()))?;
            let store = store.open().await?;
            let connection = store
                .connection_by_label(&definition.connection)
                .await?
                .with_context(|| format!("the definition names the connection '{}', which does not exist: add it with `switchboard connection add`", definition.connection))?;
            let name = definition.description.name.clone();
            let canonical = definition.to_json_pretty();
            let saved = match store.metric_by_name(&name).await? {
                Some(existing) => {
                    store
                        .update_metric_definition(existing.id, &canonical, now_ms())
                        .await?
                }
                None => {
                    store
                        .create_metric(
                            &NewMetric {
                                name,
                                connection_id: Some(connection.id),
                                definition: canonical,
                            },
                            now_ms(),
                        )
                        .await?
                }
            };
            if !off_screen {
                let mut used_by = saved.used_by.clone();
                if !used_by.iter().any(|u| u == METRICS_SCREEN) {
                    used_by.push(METRICS_SCREEN.to_owned());
                }
                store.set_metric_usage(saved.id, &used_by, now_ms()).await?;
            }
            println!(
                "imported '{}' as metric {} version {}",
                saved.name, saved.id, saved.version
            );
            store.close().await;
        }
        StoredCommand::Export { metric, store } => {
            let store = store.open().await?;
            let m = find_metric(&store, &metric).await?;
            println!("{}", pretty(&m.definition));
            store.close().await;
        }
    }
    Ok(())
}

fn pretty(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| text.to_owned())
}
