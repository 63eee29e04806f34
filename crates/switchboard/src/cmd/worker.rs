//! `switchboard worker`: take sync jobs from the store's queue until told to stop. On
//! PostgreSQL several workers on several machines share the queue; leases hand a dead worker's
//! jobs to the others.

use std::sync::Arc;
use std::time::Duration;

use metric_sync::{WorkerConfig, run_worker};

use anyhow::Context as _;

use super::process::{Companions, ProcessArgs, Stop, close_store};

#[derive(clap::Args)]
pub struct Args {
    /// This worker's name in job leases (default: host name and process id).
    #[arg(long, env = "SWITCHBOARD_WORKER_ID")]
    id: Option<String>,
    /// Seconds a claimed job stays this worker's without renewal.
    #[arg(long, default_value_t = 60)]
    lease_secs: u64,
    /// Seconds to wait for work when the queue is empty.
    #[arg(long, default_value_t = 2.0)]
    poll_secs: f64,
    /// The longest wait, in seconds, between two looks at the queue while it stays empty (the
    /// wait starts at --poll-secs and doubles). Default: 5 on SQLite; 30 on PostgreSQL, where
    /// any process's new job wakes the worker at once.
    #[arg(long)]
    idle_poll_secs: Option<f64>,
    /// Only take queued jobs; do not enqueue the metrics that are due.
    #[arg(long)]
    no_schedule: bool,
    /// Serve `/metrics` (Prometheus text: this process's figures and the store's) and
    /// `/healthz` on this address, e.g. 127.0.0.1:9187.
    #[arg(long, env = "SWITCHBOARD_WORKER_METRICS_ADDR")]
    metrics_addr: Option<String>,
    #[command(flatten)]
    process: ProcessArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = args.process.open_store().await?;
    let id = args.id.clone().unwrap_or_else(default_worker_id);
    let metrics_token = args.process.ops.metrics_token()?;
    let metrics_listener = bind_metrics(args.metrics_addr.as_deref()).await?;
    super::output::note(&format!(
        "worker {id} started on {}",
        args.process.store.describe()
    ));
    if let Some(listener) = &metrics_listener {
        super::output::note(&format!(
            "worker {id} serves /metrics at http://{}/metrics",
            listener.local_addr()?
        ));
    }
    let stop = Stop::on_signal(args.process.ops.stop_within());
    let metrics = metrics_listener.map(|listener| {
        tokio::spawn(web::exposition::serve_worker_ops(
            listener,
            Arc::clone(&store),
            metrics_token,
            crate::COMMIT.to_owned(),
            app::Clock::system(),
            stop.requested(),
        ))
    });
    let companions = Companions::start(&store, "worker", args.process.channels.sender()?, &stop);
    let worker = tokio::spawn(run_worker(
        Arc::clone(&store),
        args.process.twilio.connector()?,
        id.clone(),
        config(&args),
        stop.requested(),
    ));
    let worked = stop.finish("the sync worker", worker).await;
    // Stopped by the signal or by an error of its own: the rest stops with it.
    stop.request();
    companions.finish(&stop).await;
    if let Some(metrics) = metrics
        && let Some(Err(e)) = stop.finish("the /metrics server", metrics).await
    {
        super::output::warn(&format!("the /metrics server stopped with an error: {e}"));
    }
    close_store(&store).await;
    if let Some(worked) = worked {
        worked?;
    }
    super::output::note(&format!("worker {id} stopped"));
    Ok(())
}

fn config(args: &Args) -> WorkerConfig {
    let lease = Duration::from_secs(args.lease_secs.max(2));
    let mut config = WorkerConfig {
        lease,
        renew_every: lease / 3,
        poll: Duration::from_secs_f64(args.poll_secs.clamp(0.01, 3600.0)),
        idle_poll: args
            .idle_poll_secs
            .map(|s| Duration::from_secs_f64(s.clamp(0.01, 3600.0))),
        ..WorkerConfig::default()
    };
    if args.no_schedule {
        config.schedule = None;
    }
    config.sync.raw_pages = args.process.raw_pages;
    config
}

async fn bind_metrics(addr: Option<&str>) -> anyhow::Result<Option<tokio::net::TcpListener>> {
    let Some(addr) = addr else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("could not listen on --metrics-addr {addr}"))?;
    Ok(Some(listener))
}

fn default_worker_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "worker".to_owned());
    format!("{host}-{}", std::process::id())
}
