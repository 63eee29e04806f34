//! `switchboard serve`: the web app and the REST API from this binary, with a sync worker in the
//! same process. `--demo` starts the simulator in-process and shows real metrics at once.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use connector::{BaseUrl, Connector, ConnectorConfig};
use metric_sync::{WorkerConfig, run_worker};
use web::{AppState, StoreAccounts, WebConfig};

use super::common::{OpsArgs, StoreArgs, TwilioArgs};
use super::worker::{Stop, close_store};

#[derive(clap::Args)]
pub struct Args {
    /// Where to listen.
    #[arg(long, env = "SWITCHBOARD_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    /// Start the Twilio simulator in-process with a demo connection, starter metrics and a demo
    /// login, so the app shows real dashboards at once.
    #[arg(long)]
    demo: bool,
    /// Mark session cookies Secure: set this when people reach the app over HTTPS.
    #[arg(long, env = "SWITCHBOARD_SECURE_COOKIES")]
    secure_cookies: bool,
    /// An origin people reach the app at when a proxy in front rewrites the Host header
    /// (`https://dash.example.com`); forms posted from it are accepted. Repeat it, or separate
    /// several with commas in the variable.
    #[arg(
        long = "trusted-origin",
        env = "SWITCHBOARD_TRUSTED_ORIGINS",
        value_delimiter = ',',
        value_parser = web::csrf::parse_trusted_origin
    )]
    trusted_origins: Vec<String>,
    /// Do not run a sync worker in this process (other `switchboard worker`s do the syncing).
    #[arg(long)]
    no_worker: bool,
    #[command(flatten)]
    ops: OpsArgs,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    twilio: TwilioArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = Arc::new(args.store.open().await?);
    let sim = if args.demo {
        Some(
            web::demo::start_simulator(twilio_sim::SimConfig::default())
                .await
                .context("could not start the demo simulator")?,
        )
    } else {
        None
    };
    let connector = connector_for(&args, sim.as_ref())?;
    let state = AppState::new(
        Arc::clone(&store),
        connector.clone(),
        Arc::new(StoreAccounts::new(Arc::clone(&store))),
        WebConfig {
            secure_cookies: args.secure_cookies,
            trusted_origins: args.trusted_origins.clone(),
            metrics_token: args.ops.metrics_token()?,
            ..WebConfig::default()
        },
    );
    let listener = tokio::net::TcpListener::bind(&args.addr)
        .await
        .with_context(|| format!("could not listen on {}", args.addr))?;
    let base = format!("http://{}", listener.local_addr()?);
    match &sim {
        Some(sim) => announce_demo(&state, sim, &base).await?,
        None => announce(&args, &state, &base).await,
    }

    let stop = Stop::on_signal(args.ops.stop_within());
    let background = Background::start(&store, connector, args.no_worker, &stop)?;
    // Requests still in flight at the signal (a channel test on a server that never answers,
    // say) get the same deadline as the rest.
    let server = tokio::spawn(web::serve(listener, state, stop.requested()));
    let served = stop.finish("the web server", server).await;
    // Stopped by the signal or by an error of its own: the rest stops with it.
    stop.request();
    background.finish(&stop).await;
    drop(sim);
    close_store(&store).await;
    if let Some(served) = served {
        served.context("the web server stopped with an error")?;
    }
    Ok(())
}

/// The demo's simulator, or Twilio as the flags say.
fn connector_for(args: &Args, sim: Option<&twilio_sim::SimHandle>) -> anyhow::Result<Connector> {
    let Some(sim) = sim else {
        return args.twilio.connector();
    };
    if args.twilio.twilio_base_url.is_some() {
        eprintln!("--demo sends Twilio requests to its simulator; --twilio-base-url is ignored");
    }
    Ok(Connector::new(ConnectorConfig {
        base_url: Some(BaseUrl::parse(&sim.base_url())?),
        max_in_flight: args.twilio.max_in_flight,
        ..ConnectorConfig::default()
    })?)
}

async fn announce_demo(
    state: &AppState,
    sim: &twilio_sim::SimHandle,
    base: &str,
) -> anyhow::Result<()> {
    eprintln!("demo: syncing the starter metrics from the simulator...");
    let ready = web::demo::prepare(
        state,
        web::demo::DemoAccount::of(sim).map_err(|e| anyhow::anyhow!("{e}"))?,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("could not prepare the demo")?;
    for (name, reason) in &ready.failures {
        eprintln!("demo: the first sync of {name} failed: {reason}");
    }
    println!("Switchboard demo at {base}/");
    println!(
        "  sign in as {} with password {}",
        ready.user.name, ready.password
    );
    println!(
        "  {} metrics synced from a simulated Twilio account",
        ready.synced
    );
    if let Some(home) = ready.boards.first() {
        println!(
            "  {} boards; signing in opens {}",
            ready.boards.len(),
            home.settings.name
        );
    }
    Ok(())
}

async fn announce(args: &Args, state: &AppState, base: &str) {
    println!("Switchboard at {base}/ (store: {})", args.store.describe());
    if let Some(path) = state.setup_path().await {
        println!(
            "  no one has an account yet: open {base}{path} to create the first admin (the link works once)"
        );
    }
}

/// What runs beside the web server until the stop.
struct Background {
    worker: Option<tokio::task::JoinHandle<Result<(), metric_sync::SyncError>>>,
    presence: tokio::task::JoinHandle<()>,
    evaluator: tokio::task::JoinHandle<()>,
}

impl Background {
    fn start(
        store: &Arc<store::AnyStore>,
        connector: Connector,
        no_worker: bool,
        stop: &Stop,
    ) -> anyhow::Result<Self> {
        let worker = (!no_worker).then(|| {
            let config = WorkerConfig {
                poll: Duration::from_secs(1),
                ..WorkerConfig::default()
            };
            let id = format!("serve-{}", std::process::id());
            tokio::spawn(run_worker(
                Arc::clone(store),
                connector,
                id,
                config,
                stop.requested(),
            ))
        });
        // Seen by `key rotate`, which must not re-seal secrets under a running server.
        let presence = {
            let store = Arc::clone(store);
            let stop = stop.requested();
            tokio::spawn(async move {
                let id = metric_sync::presence::process_id("serve");
                metric_sync::presence::keep_present(store.as_ref(), &id, "serve", stop).await;
            })
        };
        // Alerts, goals, scorecards and deliveries run beside the worker, also with
        // --no-worker: they only read what syncing stored.
        let evaluator = tokio::spawn(app::evaluate::run_evaluator(
            Arc::clone(store),
            notify::Sender::new(notify::Policy::default()).map_err(|e| anyhow::anyhow!("{e}"))?,
            notify::Backoff::default(),
            Duration::from_secs(15),
            app::Clock::system(),
            stop.requested(),
        ));
        Ok(Self {
            worker,
            presence,
            evaluator,
        })
    }

    async fn finish(self, stop: &Stop) {
        stop.finish("the evaluator", self.evaluator).await;
        if let Some(worker) = self.worker
            && let Some(Err(e)) = stop.finish("the sync worker", worker).await
        {
            eprintln!("the sync worker stopped with an error: {e}");
        }
        stop.finish("recording this process as stopped", self.presence)
            .await;
    }
}
