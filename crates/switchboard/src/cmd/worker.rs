//! `switchboard worker`: take sync jobs from the store's queue until told to stop. On
//! PostgreSQL several workers on several machines share the queue; leases hand a dead worker's
//! jobs to the others.

use std::sync::Arc;
use std::time::Duration;

use metric_sync::{WorkerConfig, run_worker};

use super::common::{StoreArgs, TwilioArgs};

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
    /// Only take queued jobs; do not enqueue the metrics that are due.
    #[arg(long)]
    no_schedule: bool,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    twilio: TwilioArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = Arc::new(args.store.open().await?);
    let id = args.id.unwrap_or_else(default_worker_id);
    let lease = Duration::from_secs(args.lease_secs.max(2));
    let mut config = WorkerConfig {
        lease,
        renew_every: lease / 3,
        poll: Duration::from_secs_f64(args.poll_secs.clamp(0.01, 3600.0)),
        ..WorkerConfig::default()
    };
    if args.no_schedule {
        config.schedule = None;
    }
    eprintln!("worker {id} started on {}", args.store.describe());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let presence = {
        let store = Arc::clone(&store);
        let mut rx = stop_rx.clone();
        tokio::spawn(async move {
            let id = metric_sync::presence::process_id("worker");
            let stop = async move {
                let _ = rx.wait_for(|stop| *stop).await;
            };
            metric_sync::presence::keep_present(store.as_ref(), &id, "worker", stop).await;
        })
    };
    let evaluator = tokio::spawn(notify::run_evaluator(
        Arc::clone(&store),
        notify::Sender::new(notify::Policy::default()).map_err(|e| anyhow::anyhow!("{e}"))?,
        notify::Backoff::default(),
        Duration::from_secs(15),
        async move {
            let mut rx = stop_rx;
            let _ = rx.wait_for(|stop| *stop).await;
        },
    ));
    let worked = run_worker(
        Arc::clone(&store),
        args.twilio.connector()?,
        id.clone(),
        config,
        shutdown_signal(),
    )
    .await;
    let _ = stop_tx.send(true);
    let _ = evaluator.await;
    let _ = presence.await;
    worked?;
    eprintln!("worker {id} stopped");
    Ok(())
}

fn default_worker_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "worker".to_owned());
    format!("{host}-{}", std::process::id())
}

/// Ctrl-C or SIGTERM: finish the job in hand, then stop.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
