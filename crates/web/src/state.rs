//! What every handler shares.

use std::sync::{Arc, Mutex};

use connector::Connector;
use metric_sync::SyncConfig;
use store::AnyStore;

use crate::accounts::{Accounts, random_token};
use crate::boards::cache::BucketCache;
use crate::heavy::Heavy;
use crate::telemetry::Telemetry;

/// How the app behaves, as set by `serve`.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark session cookies `Secure` (the app is reached over HTTPS, e.g. behind a proxy).
    pub secure_cookies: bool,
    /// How long a login lasts.
    pub session_ttl_ms: i64,
    pub sync: SyncConfig,
    /// Lets webhook and Slack channels use `http` and loopback addresses: for tests only.
    pub allow_loopback_channels: bool,
    /// How long a channel test may take, step by step and in all (shorter in tests).
    pub channel_timeouts: notify::Timeouts,
    /// Hourly buckets boards keep in memory between renders, over all metrics (0 reads the
    /// store on every render).
    pub board_cache_buckets: usize,
    /// Boards read whole days from the store's daily rollups and other pieces folded by the
    /// store (true), or every hour of their ranges (false: the path before rollups, kept as the
    /// benchmark's baseline).
    pub board_rollups: bool,
    /// Threads for CPU-heavy work (previews, password hashing, drawing boards); `None` takes
    /// one per core.
    pub heavy_workers: Option<usize>,
    /// Origins (`https://dash.example.com`) whose changes are accepted although they differ
    /// from the request's Host, e.g. behind a proxy that rewrites it (see [`crate::csrf`]).
    pub trusted_origins: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Request-Id` are
    /// believed (see [`crate::client`]); empty, every request's client is its peer.
    pub trusted_proxies: crate::client::TrustedProxies,
    /// The URL people reach the app at, for absolute links; `None` keeps links relative to the
    /// page. Its origin is accepted by the CSRF check like a trusted origin.
    pub public_url: Option<crate::client::PublicUrl>,
    /// How long a keep-alive connection may sit idle, no request under way and no byte sent,
    /// before `serve` closes it.
    pub http_idle_timeout: std::time::Duration,
    /// Where the app reads the time: the system clock, or one a test sets.
    pub clock: Clock,
    /// The commit the binary was built from (its `build.rs`), for `switchboard_build_info`;
    /// "unknown" when not told. The version is `CARGO_PKG_VERSION`, the schema
    /// `store::schema_version()`.
    pub build_commit: String,
    /// When set, `/metrics` answers only requests with `Authorization: Bearer <token>`.
    pub metrics_token: Option<domain::Secret>,
    /// Twilio's pushed events: body limits, the rate per hook, batching (see
    /// [`app::realtime`]).
    pub realtime: app::RealtimeConfig,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_ttl_ms: 12 * domain::HOUR_MS,
            sync: SyncConfig::default(),
            allow_loopback_channels: false,
            channel_timeouts: notify::Timeouts::default(),
            board_cache_buckets: crate::boards::cache::DEFAULT_CAPACITY,
            board_rollups: true,
            heavy_workers: None,
            trusted_origins: Vec::new(),
            trusted_proxies: crate::client::TrustedProxies::default(),
            public_url: None,
            http_idle_timeout: crate::DEFAULT_HTTP_IDLE_TIMEOUT,
            clock: Clock::system(),
            build_commit: "unknown".to_owned(),
            metrics_token: None,
            realtime: app::RealtimeConfig::default(),
        }
    }
}

/// The time as the web app reads it: `app`'s one clock, so a handler and the operation it calls
/// read the same time (a test sets it through [`app::ManualTime`]).
pub use app::Clock;

/// Cheap to clone: everything sits behind one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    store: Arc<AnyStore>,
    connector: Connector,
    accounts: Arc<dyn Accounts>,
    config: WebConfig,
    telemetry: Telemetry,
    setup_token: Mutex<Option<String>>,
    bucket_cache: BucketCache,
    heavy: Arc<Heavy>,
    app: app::App,
    realtime: app::Realtime,
}

impl AppState {
    pub fn new(
        store: Arc<AnyStore>,
        connector: Connector,
        accounts: Arc<dyn Accounts>,
        config: WebConfig,
    ) -> Self {
        let bucket_cache = BucketCache::new(config.board_cache_buckets);
        let heavy = match config.heavy_workers {
            Some(n) => Arc::new(Heavy::new(n)),
            None => Heavy::shared(),
        };
        let app = app::App::new(Arc::clone(&store), connector.clone())
            .with_accounts(Arc::clone(&accounts))
            .with_sync(config.sync.clone())
            .with_clock(config.clock.clone())
            .with_loopback_channels(config.allow_loopback_channels)
            .with_pool(Arc::new(crate::heavy::HeavyPool(Arc::clone(&heavy))));
        // Its writer and recompute tasks end when the state's last clone is dropped.
        let realtime = app::Realtime::start(app.clone(), config.realtime.clone());
        Self(Arc::new(Inner {
            store,
            connector,
            accounts,
            config,
            telemetry: Telemetry::default(),
            setup_token: Mutex::new(None),
            bucket_cache,
            heavy,
            app,
            realtime,
        }))
    }

    /// Every operation a person can perform, on this state's store, connector, accounts and
    /// heavy-work pool.
    pub fn app(&self) -> &app::App {
        &self.0.app
    }

    /// Twilio's pushed events: ingest, stats, flush.
    pub fn realtime(&self) -> &app::Realtime {
        &self.0.realtime
    }

    /// Sets or removes a connection's Auth Token, and has this process's ingest read the change
    /// at once (its cache would otherwise keep the old token for up to 30 s).
    pub async fn set_connection_auth_token(
        &self,
        role: app::Role,
        connection: store::ConnectionId,
        token: Option<app::realtime_settings::AuthToken>,
    ) -> app::AppResult<String> {
        let hook = self
            .app()
            .set_connection_auth_token(role, connection, token)
            .await?;
        self.realtime().forget(connection);
        Ok(hook)
    }

    /// Removes a connection (see [`app::App::remove_connection`]); its callbacks are refused at
    /// once rather than when the ingest's cache expires.
    pub async fn remove_connection(
        &self,
        connection: store::ConnectionId,
    ) -> app::AppResult<Vec<String>> {
        let stopped = self.app().remove_connection(connection).await?;
        self.realtime().forget(connection);
        Ok(stopped)
    }

    pub fn store(&self) -> &Arc<AnyStore> {
        &self.0.store
    }
    pub fn connector(&self) -> &Connector {
        &self.0.connector
    }
    pub fn accounts(&self) -> &dyn Accounts {
        self.0.accounts.as_ref()
    }
    pub fn config(&self) -> &WebConfig {
        &self.0.config
    }
    /// A link to `path` (starting with `/`) as people should be given it: on the public URL
    /// when one is set, else as the path, relative to the page it is shown on.
    pub fn link(&self, path: &str) -> String {
        match &self.0.config.public_url {
            Some(base) => base.join(path),
            None => path.to_owned(),
        }
    }

    /// The time, as every handler reads it.
    pub fn clock(&self) -> &Clock {
        &self.0.config.clock
    }
    pub fn telemetry(&self) -> &Telemetry {
        &self.0.telemetry
    }
    /// Where CPU-heavy work runs (see [`crate::heavy`]).
    pub fn heavy(&self) -> &Heavy {
        &self.0.heavy
    }
    /// The buckets boards read, kept between renders while the store's data versions match.
    pub fn bucket_cache(&self) -> &BucketCache {
        &self.0.bucket_cache
    }

    /// The path of the one-time setup page (`/setup?token=...`) while no Admin exists; the
    /// same token until it is used. `None` once anyone is an Admin, however they became one.
    pub async fn setup_path(&self) -> Option<String> {
        if self.accounts().count_admins().await.ok()? > 0 {
            return None;
        }
        let mut slot = self.0.setup_token.lock().ok()?;
        let token = slot.get_or_insert_with(random_token).clone();
        Some(format!("/setup?token={token}"))
    }

    /// Whether `token` is this process's setup token and no Admin exists yet. The store still
    /// decides who becomes the first Admin (`Accounts::create_first_admin`): this only saves a
    /// form that could not succeed.
    pub async fn setup_link_is_live(&self, token: &str) -> bool {
        let same = self.0.setup_token.lock().is_ok_and(|slot| {
            slot.as_deref().is_some_and(|t| {
                subtle::ConstantTimeEq::ct_eq(t.as_bytes(), token.as_bytes()).into()
            })
        });
        same && self.accounts().count_admins().await.is_ok_and(|n| n == 0)
    }

    /// Forgets the setup token: an Admin exists now.
    pub fn end_setup(&self) {
        if let Ok(mut slot) = self.0.setup_token.lock() {
            *slot = None;
        }
    }
}
