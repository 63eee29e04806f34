//! What the two long-running commands, `serve` and `worker`, share: their common flags, the
//! parts that run beside their main task (presence and the evaluator), and the stop.

use std::sync::Arc;
use std::time::Duration;

use super::common::{ChannelArgs, OpsArgs, StoreArgs, TwilioArgs};

/// The flags of a process that syncs and evaluates.
#[derive(clap::Args)]
pub struct ProcessArgs {
    /// Keep each request's last raw pages (pruned to the fields metrics read, sealed) so an
    /// edited metric is recomputed without calling Twilio: `on` or `off`. Off keeps none,
    /// deletes the stored ones at start, and every recompute fetches again.
    #[arg(long, env = "SWITCHBOARD_RAW_PAGES", default_value = "on")]
    pub raw_pages: metric_sync::RawPagesSetting,
    #[command(flatten)]
    pub ops: OpsArgs,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub twilio: TwilioArgs,
    #[command(flatten)]
    pub channels: ChannelArgs,
}

impl ProcessArgs {
    /// The store, migrated, with the raw-pages setting applied (stored pages deleted when off).
    pub async fn open_store(&self) -> anyhow::Result<Arc<store::AnyStore>> {
        let store = Arc::new(self.store.open_migrating().await?);
        super::common::apply_raw_pages(store.as_ref(), self.raw_pages).await?;
        Ok(store)
    }
}

/// What runs beside a process's main task until the stop, whatever the process.
pub struct Companions {
    presence: tokio::task::JoinHandle<()>,
    evaluator: tokio::task::JoinHandle<()>,
}

impl Companions {
    /// `kind` is how the process shows in the store's presence (`serve`, `worker`).
    pub fn start(
        store: &Arc<store::AnyStore>,
        kind: &'static str,
        sender: notify::Sender,
        stop: &Stop,
    ) -> Self {
        // Seen by `key rotate`, which must not re-seal secrets under a running process.
        let presence = {
            let store = Arc::clone(store);
            let stop = stop.requested();
            tokio::spawn(async move {
                let id = metric_sync::presence::process_id(kind);
                metric_sync::presence::keep_present(store.as_ref(), &id, kind, stop).await;
            })
        };
        // Alerts, goals, scorecards and deliveries, also in a server without a worker: they
        // only read what syncing stored.
        let evaluator = tokio::spawn(app::evaluate::run_evaluator(
            Arc::clone(store),
            sender,
            notify::Backoff::default(),
            Duration::from_secs(15),
            app::Clock::system(),
            stop.requested(),
        ));
        Self {
            presence,
            evaluator,
        }
    }

    pub async fn finish(self, stop: &Stop) {
        stop.finish("the evaluator", self.evaluator).await;
        stop.finish("recording this process as stopped", self.presence)
            .await;
    }
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
