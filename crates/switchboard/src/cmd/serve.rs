//! `switchboard serve`: the web app and the REST API from this binary, with a sync worker in the
//! same process. `--demo` starts the simulator in-process and shows real metrics at once.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use connector::{BaseUrl, Connector, ConnectorConfig};
use metric_sync::{WorkerConfig, run_worker};
use web::{AppState, StoreAccounts, WebConfig};

use super::process::{Companions, ProcessArgs, Stop, close_store};

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
    /// Reverse proxies whose X-Forwarded-For, X-Forwarded-Proto and X-Request-Id are believed:
    /// addresses or CIDR blocks (10.0.0.0/8), comma-separated. Without it every request's client
    /// is the connection's peer and those headers are ignored.
    #[arg(
        long = "trusted-proxies",
        env = "SWITCHBOARD_TRUSTED_PROXIES",
        value_name = "CIDRS"
    )]
    trusted_proxies: Vec<web::client::TrustedProxies>,
    /// The URL people open the app at (https://dash.example.com, maybe with a base path):
    /// share links and the setup link are built on it, and forms posted from its origin are
    /// accepted. Without it, links are shown relative to the page and the setup link on the
    /// listening address.
    #[arg(long, env = "SWITCHBOARD_PUBLIC_URL", value_name = "URL")]
    public_url: Option<web::client::PublicUrl>,
    /// Seconds a keep-alive connection may sit idle before it is closed; keep it longer than
    /// the idle timeout of a proxy's upstream connection pool.
    #[arg(
        long,
        env = "SWITCHBOARD_HTTP_IDLE_TIMEOUT",
        value_name = "SECONDS",
        default_value_t = web::DEFAULT_HTTP_IDLE_TIMEOUT.as_secs_f64(),
        value_parser = parse_idle_timeout
    )]
    http_idle_timeout: f64,
    /// Do not run a sync worker in this process (other `switchboard worker`s do the syncing).
    #[arg(long)]
    no_worker: bool,
    #[command(flatten)]
    process: ProcessArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let store = args.process.open_store().await?;
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
    let sync = metric_sync::SyncConfig {
        raw_pages: args.process.raw_pages,
        ..metric_sync::SyncConfig::default()
    };
    let state = AppState::new(
        Arc::clone(&store),
        connector.clone(),
        Arc::new(StoreAccounts::new(Arc::clone(&store))),
        web_config(&args, sync.clone())?,
    );
    let listener = tokio::net::TcpListener::bind(&args.addr)
        .await
        .with_context(|| format!("could not listen on {}", args.addr))?;
    let base = format!("http://{}", listener.local_addr()?);
    // Kept until shutdown: dropping it stops the demo's live traffic.
    let _live = match &sim {
        Some(sim) => announce_demo(&state, sim, &base).await?,
        None => {
            announce(&args, &state, &base).await;
            None
        }
    };

    let stop = Stop::on_signal(args.process.ops.stop_within());
    let companions = Companions::start(&store, "serve", args.process.channels.sender()?, &stop);
    let worker = (!args.no_worker).then(|| spawn_worker(&store, connector, sync, &stop));
    // Requests still in flight at the signal (a channel test on a server that never answers,
    // say) get the same deadline as the rest.
    let server = tokio::spawn(web::serve(listener, state, stop.requested()));
    let served = stop.finish("the web server", server).await;
    // Stopped by the signal or by an error of its own: the rest stops with it.
    stop.request();
    if let Some(worker) = worker
        && let Some(Err(e)) = stop.finish("the sync worker", worker).await
    {
        super::output::warn(&format!("the sync worker stopped with an error: {e}"));
    }
    // Last: the process counts as running until its worker has stopped.
    companions.finish(&stop).await;
    drop(sim);
    close_store(&store).await;
    if let Some(served) = served {
        served.context("the web server stopped with an error")?;
    }
    Ok(())
}

fn web_config(args: &Args, sync: metric_sync::SyncConfig) -> anyhow::Result<WebConfig> {
    Ok(WebConfig {
        secure_cookies: args.secure_cookies,
        trusted_origins: args.trusted_origins.clone(),
        trusted_proxies: trusted_proxies(&args.trusted_proxies),
        public_url: args.public_url.clone(),
        http_idle_timeout: Duration::from_secs_f64(args.http_idle_timeout),
        build_commit: crate::COMMIT.to_owned(),
        sync,
        metrics_token: args.process.ops.metrics_token()?,
        allow_loopback_channels: args.process.channels.allow_loopback_channels,
        ..WebConfig::default()
    })
}

/// The sync worker a server runs in its own process unless `--no-worker`.
fn spawn_worker(
    store: &Arc<store::AnyStore>,
    connector: Connector,
    sync: metric_sync::SyncConfig,
    stop: &Stop,
) -> tokio::task::JoinHandle<Result<(), metric_sync::SyncError>> {
    let config = WorkerConfig {
        poll: Duration::from_secs(1),
        sync,
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
}

/// The demo's simulator, or Twilio as the flags say.
fn connector_for(args: &Args, sim: Option<&twilio_sim::SimHandle>) -> anyhow::Result<Connector> {
    let Some(sim) = sim else {
        return args.process.twilio.connector();
    };
    if args.process.twilio.twilio_base_url.is_some() {
        super::output::warn(
            "--demo sends Twilio requests to its simulator; --twilio-base-url is ignored",
        );
    }
    Ok(Connector::new(ConnectorConfig {
        base_url: Some(BaseUrl::parse(&sim.base_url())?),
        max_in_flight: args.process.twilio.max_in_flight,
        ..ConnectorConfig::default()
    })?)
}

async fn announce_demo(
    state: &AppState,
    sim: &twilio_sim::SimHandle,
    base: &str,
) -> anyhow::Result<Option<web::demo::DemoLive>> {
    super::output::note("demo: syncing the starter metrics from the simulator...");
    let ready = web::demo::prepare(
        state,
        web::demo::DemoAccount::of(sim).map_err(|e| anyhow::anyhow!("{e}"))?,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context("could not prepare the demo")?;
    for (name, reason) in &ready.failures {
        super::output::warn(&format!("demo: the first sync of {name} failed: {reason}"));
    }
    super::output::say(&format!("Switchboard demo at {base}/"));
    super::output::say(&format!(
        "  sign in as {} with password {}",
        ready.user.name, ready.password
    ));
    super::output::say(&format!(
        "  {} metrics synced from a simulated Twilio account",
        ready.synced
    ));
    if let Some(home) = ready.boards.first() {
        super::output::say(&format!(
            "  {} boards; signing in opens {}",
            ready.boards.len(),
            home.settings.name
        ));
    }
    let live = web::demo::start_live(state, sim, base)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    match &live {
        Some(live) => super::output::say(&format!(
            "  live: new messages and calls every few seconds, their status callbacks shown as provisional until the hourly sync ({})",
            live.page
        )),
        None => super::output::note(
            "demo: no live traffic with --public-url (the simulator signs the address it calls, not the public one)",
        ),
    }
    Ok(live)
}

/// Where the app listens, and the setup link while no one has an account: on standard output
/// for a person in text mode, as log events in JSON mode so standard error stays all JSON.
async fn announce(args: &Args, state: &AppState, base: &str) {
    let store = args.process.store.describe();
    let public = args.public_url.as_ref().map(ToString::to_string);
    let setup = state.setup_path().await.map(|path| match &args.public_url {
        Some(url) => url.join(&path),
        None => format!("{base}{path}"),
    });
    if super::output::is_json() {
        tracing::info!(listening = %base, public_url = public.as_deref(), store, "Switchboard is serving");
        if let Some(setup_url) = setup {
            tracing::warn!(
                setup_url,
                "no one has an account yet: open the setup link to create the first admin (it works once)"
            );
        }
        return;
    }
    super::output::say(&format!("Switchboard at {base}/ (store: {store})"));
    if let Some(public) = public {
        super::output::say(&format!("  people open it at {public}/"));
    }
    if let Some(setup) = setup {
        super::output::say(&format!(
            "  no one has an account yet: open {setup} to create the first admin (the link works once)"
        ));
    }
}

/// The flag may be repeated, each a comma-separated list.
fn trusted_proxies(lists: &[web::client::TrustedProxies]) -> web::client::TrustedProxies {
    let mut all = web::client::TrustedProxies::default();
    for list in lists {
        all.extend(list.clone());
    }
    all
}

fn parse_idle_timeout(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs <= 86_400.0 => Ok(secs),
        _ => Err(format!(
            "'{text}' is not an idle timeout: give seconds, more than 0 and at most 86400, such as 75"
        )),
    }
}
