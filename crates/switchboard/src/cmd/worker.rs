//! `switchboard worker`: take sync jobs from the store's queue until told to stop. On
//! PostgreSQL several workers on several machines share the queue; leases hand a dead worker's
//! jobs to the others.

use std::sync::Arc;
use std::time::Duration;

use metric_sync::{WorkerConfig, run_worker};

use anyhow::Context as _;

use super::common::{ChannelArgs, OpsArgs, StoreArgs, TwilioArgs};

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
    /// Keep each request's last raw pages (pruned to the fields metrics read, sealed) so an
    /// edited metric is recomputed without calling Twilio: `on` or `off`. Off keeps none,
    /// deletes the stored ones at start, and every recompute fetches again.
    #[arg(long, env = "SWITCHBOARD_RAW_PAGES", default_value = "on")]
    raw_pages: metric_sync::RawPagesSetting,
    /// Serve `/metrics` (Prometheus text: this process's figures and the store's) and
    /// `/healthz` on this address, e.g. 127.0.0.1:9187.
    #[arg(long, env = "SWITCHBOARD_WORKER_METRICS_ADDR")]
    metrics_addr: Option<String>,
    #[command(flatten)]
    ops: OpsArgs,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    twilio: TwilioArgs,
    #[command(flatten)]
    channels: ChannelArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = Arc::new(args.store.open_migrating().await?);
    let id = args.id.unwrap_or_else(default_worker_id);
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
    let metrics_token = args.ops.metrics_token()?;
    let metrics_listener = match &args.metrics_addr {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("could not listen on --metrics-addr {addr}"))?,
        ),
        None => None,
    };
    config.sync.raw_pages = args.raw_pages;
    super::common::apply_raw_pages(store.as_ref(), args.raw_pages).await?;
    super::output::note(&format!("worker {id} started on {}", args.store.describe()));
    if let Some(listener) = &metrics_listener {
        super::output::note(&format!(
            "worker {id} serves /metrics at http://{}/metrics",
            listener.local_addr()?
        ));
    }
    let stop = Stop::on_signal(args.ops.stop_within());
    let metrics = metrics_listener.map(|listener| {
        tokio::spawn(web::exposition::serve_worker_ops(
            listener,
            Arc::clone(&store),
            metrics_token,
            crate::COMMIT.to_owned(),
            stop.requested(),
        ))
    });
    // Seen by `key rotate`, which must not re-seal secrets under a running worker.
    let presence = {
        let store = Arc::clone(&store);
        let stop = stop.requested();
        tokio::spawn(async move {
            let id = metric_sync::presence::process_id("worker");
            metric_sync::presence::keep_present(store.as_ref(), &id, "worker", stop).await;
        })
    };
    let evaluator = tokio::spawn(app::evaluate::run_evaluator(
        Arc::clone(&store),
        args.channels.sender()?,
        notify::Backoff::default(),
        Duration::from_secs(15),
        app::Clock::system(),
        stop.requested(),
    ));
    let worker = tokio::spawn(run_worker(
        Arc::clone(&store),
        args.twilio.connector()?,
        id.clone(),
        config,
        stop.requested(),
    ));
    let worked = stop.finish("the sync worker", worker).await;
    // Stopped by the signal or by an error of its own: the evaluator stops with it.
    stop.request();
    stop.finish("the evaluator", evaluator).await;
    stop.finish("recording this process as stopped", presence)
        .await;
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

fn default_worker_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "worker".to_owned());
    format!("{host}-{}", std::process::id())
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
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

/// What the process keeps, of its stop bound, to close the store and exit after its parts'
/// deadline. A part still running at that deadline (a request, a sync, a send) is dropped: a
/// sync cut short is left as a SIGKILL would leave it (each window whole or untouched, the
/// run never marked good, the job's lease lapsing to another worker, which redoes the window);
/// a delivery's lapsed claim counts as a failed attempt.
const CLOSING: Duration = Duration::from_secs(2);

/// The process's stop: requested by Ctrl-C or SIGTERM (or by the process itself), then every
/// part has until the stop bound (`--stop-timeout`) less [`CLOSING`] after the request.
#[derive(Clone)]
pub struct Stop {
    at: std::sync::Arc<tokio::sync::watch::Sender<Option<tokio::time::Instant>>>,
    parts_within: Duration,
}

impl Stop {
    /// Listens for Ctrl-C and SIGTERM from now on; the process is to be gone `within` after.
    pub fn on_signal(within: Duration) -> Stop {
        let stop = Stop {
            at: std::sync::Arc::new(tokio::sync::watch::Sender::new(None)),
            parts_within: within
                .saturating_sub(CLOSING)
                .max(Duration::from_millis(500)),
        };
        let on_signal = stop.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            on_signal.request();
        });
        stop
    }

    /// Stops the process as a signal would; a second request changes nothing.
    pub fn request(&self) {
        self.at.send_if_modified(|at| {
            let first = at.is_none();
            at.get_or_insert_with(tokio::time::Instant::now);
            first
        });
    }

    /// Resolves once the stop is requested: the shutdown future the parts take.
    pub fn requested(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.at.subscribe();
        async move {
            let _ = rx.wait_for(Option::is_some).await;
        }
    }

    async fn deadline(&self) -> tokio::time::Instant {
        let mut rx = self.at.subscribe();
        let requested = match rx.wait_for(Option::is_some).await {
            Ok(at) => *at,
            // The sender lives in `self`: it cannot go while we wait.
            Err(_) => None,
        };
        requested.unwrap_or_else(tokio::time::Instant::now) + self.parts_within
    }

    /// Waits for `task` to end; once the stop is requested, no longer than the parts' share of
    /// the stop bound after the request, then drops it and says so. `None` when it panicked or was dropped.
    pub async fn finish<T>(&self, what: &str, mut task: tokio::task::JoinHandle<T>) -> Option<T> {
        tokio::select! {
            ended = &mut task => match ended {
                Ok(value) => Some(value),
                Err(e) => {
                    super::output::warn(&format!("{what} panicked: {e}"));
                    None
                }
            },
            () = async { tokio::time::sleep_until(self.deadline().await).await } => {
                task.abort();
                super::output::warn(&format!(
                    "{what} was still busy {:.1} s after the stop signal: stopped it",
                    self.parts_within.as_secs_f64()
                ));
                None
            }
        }
    }
}

/// Closes the store, waiting at most a second for connections still held (by a part that was
/// stopped mid-query, say).
pub async fn close_store(store: &store::AnyStore) {
    use store::Store as _;
    if tokio::time::timeout(Duration::from_secs(1), store.close())
        .await
        .is_err()
    {
        super::output::warn("the store did not close within 1 s");
    }
}
