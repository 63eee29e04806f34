//! `switchboard runs [METRIC]`: the ledgers of recent syncs.

use store::Store;

use super::common::{StoreArgs, find_metric};

#[derive(clap::Args)]
pub struct Args {
    /// Only this metric's runs (name or id).
    metric: Option<String>,
    /// How many runs, newest first.
    #[arg(long, default_value_t = 20)]
    limit: u32,
    /// Print each run's whole ledger as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = args.store.open().await?;
    let metric = match &args.metric {
        Some(m) => Some(find_metric(&store, m).await?.id),
        None => None,
    };
    let runs = store.sync_runs(metric, args.limit).await?;
    if runs.is_empty() {
        println!("no sync runs yet");
    }
    for run in runs {
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "id": run.id, "metric": run.metric_id, "status": format!("{:?}", run.status),
                    "from_ms": run.from_ms, "to_ms": run.to_ms, "started_ms": run.started_ms,
                    "finished_ms": run.finished_ms, "error": run.error, "ledger": run.ledger,
                })
            );
            continue;
        }
        let get = |k: &str| run.ledger.get(k).cloned().unwrap_or_default();
        println!(
            "run {:>5}  metric {:>4}  {:<8} {}  requests {} pages {} retries {} 429s {} cap hits {} rows {}{}",
            run.id.0,
            run.metric_id.0,
            format!("{:?}", run.status).to_lowercase(),
            instant(run.started_ms),
            get("requests"),
            get("pages"),
            get("retries"),
            get("throttled"),
            get("cap_hits"),
            get("rows_stored"),
            run.error
                .map(|e| format!("  error: {e}"))
                .unwrap_or_default()
        );
    }
    store.close().await;
    Ok(())
}

fn instant(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}
