//! `switchboard sync METRIC [--from D --to D]`: sync one metric now, with a progress line for
//! long backfills, and print its ledger.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use anyhow::Context;
use metric_sync::{ProgressEvent, SyncConfig, SyncOptions, Syncer};

use super::common::{StoreArgs, TwilioArgs, find_metric, parse_instant};

#[derive(clap::Args)]
pub struct Args {
    /// The metric's name or id.
    metric: String,
    /// Sync this range instead of the planned one: start, YYYY-MM-DD (midnight UTC) or RFC 3339.
    #[arg(long, requires = "to")]
    from: Option<String>,
    /// End of the range (exclusive).
    #[arg(long, requires = "from")]
    to: Option<String>,
    /// Days the first sync reaches back (never before what the endpoint keeps).
    #[arg(long, default_value_t = 90)]
    backfill_days: u64,
    /// Keep this sync's raw pages (pruned, sealed): `on` or `off`, as for `serve` and `worker`,
    /// so a one-off sync stores nothing where they keep nothing.
    #[arg(long, env = "SWITCHBOARD_RAW_PAGES", default_value = "on")]
    raw_pages: metric_sync::RawPagesSetting,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    twilio: TwilioArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = Arc::new(args.store.open().await?);
    let metric = find_metric(store.as_ref(), &args.metric).await?;
    let range = match (&args.from, &args.to) {
        (Some(from), Some(to)) => Some((
            parse_instant(from)?.as_millisecond(),
            parse_instant(to)?.as_millisecond(),
        )),
        _ => None,
    };
    let config = SyncConfig {
        backfill: std::time::Duration::from_secs(args.backfill_days.saturating_mul(86_400)),
        raw_pages: args.raw_pages,
        ..SyncConfig::default()
    };
    let syncer = Syncer::new(store.clone(), args.twilio.connector()?, config);
    let show_progress = std::io::stderr().is_terminal();
    let options = SyncOptions {
        range,
        progress: Some(Arc::new(move |e: ProgressEvent| {
            if show_progress {
                eprint!("\r{}", progress_line(e));
                let _ = std::io::stderr().flush();
            }
        })),
    };
    let report = syncer
        .sync_metric_with(metric.id, &options, jiff::Timestamp::now())
        .await
        .with_context(|| format!("could not sync '{}'", metric.name))?;
    if show_progress {
        eprintln!();
    }
    println!(
        "{} (id {}): {:?} over {} .. {}",
        report.name,
        report.metric,
        report.status,
        fmt_ms(report.range.from_ms),
        fmt_ms(report.range.to_ms)
    );
    println!("{}", serde_json::to_string_pretty(&report.ledger)?);
    store_close(store).await;
    match report.error() {
        Some(error) => anyhow::bail!("the sync failed: {error}"),
        None => Ok(()),
    }
}

async fn store_close(store: Arc<store::AnyStore>) {
    use store::Store;
    store.close().await;
}

fn progress_line(e: ProgressEvent) -> String {
    const WIDTH: usize = 30;
    let total = e.windows_total.max(1) as usize;
    let done = (e.windows_done as usize).min(total);
    let filled = WIDTH * done / total;
    format!(
        "[{}{}] {done}/{total} windows, {} pages",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        e.pages
    )
}

fn fmt_ms(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| ms.to_string())
}
