//! Switchboard's application layer: every operation a person or a script performs, whatever
//! the surface (pages, REST API, CLI). An operation takes parsed input ([`names`], `connector`'s
//! [`connector::Credentials`], `metric`'s definitions), reads the clock once, and answers a
//! result or an [`AppError`] in words a person can act on. No HTTP and no command line here:
//! the surfaces parse, call, and render.
//!
//! Each module holds free functions over exactly what they need (the store, the accounts, the
//! instant `now_ms`), which [`App`] calls with its parts and one clock reading; a caller that
//! holds only a store (a test, a benchmark) can call them directly.

pub mod accounts;
pub mod boards;
pub mod clock;
pub mod connections;
mod error;
pub mod evaluate;
pub mod forecast;
pub mod metrics;
pub mod names;
pub mod outliers;
pub mod people;
pub mod pool;
pub mod realtime;
pub mod realtime_settings;
pub mod seasonal;
pub mod sync_interval;
pub mod twilio_accounts;
pub mod unusual;
pub mod watching;

use std::sync::Arc;

use connector::{ConnectionCheck, Connector, Credentials};
use metric_sync::SyncConfig;
use store::{AnyStore, Connection, ConnectionId, MetricId, StoredMetric};

pub use self::realtime::{Realtime, RealtimeConfig};
pub use accounts::{Accounts, Role, StoreAccounts, TokenInfo, User};
pub use clock::{Clock, ManualTime};
pub use error::{AppError, AppResult};
pub use metrics::MetricUpdate;
pub use names::{BoardName, Label, Name, NameError, TokenName, UserName};
pub use pool::{Blocking, Pool};
pub use sync_interval::SyncInterval;
pub use watching::{AlertInput, ChannelInput, GoalInput, ScorecardInput};

use store::{AlertId, AlertRow, ChannelId, ChannelRow, GoalId, GoalRow};
use store::{BlockId, BlockRow, BoardId, BoardRow, Place, ShareId, ShareRow};
use store::{ScorecardId, ScorecardRow};

pub use boards::BoardChange;
pub use boards::model::BlockForm;

/// What every operation runs against. Cheap to clone.
#[derive(Clone)]
pub struct App {
    store: Arc<AnyStore>,
    connector: Connector,
    accounts: Arc<dyn Accounts>,
    clock: Clock,
    pool: Arc<dyn Pool>,
    sync: SyncConfig,
    loopback_channels: bool,
    fits: Arc<seasonal::FitCache>,
}

impl App {
    /// On the system clock, with the accounts kept in `store` and heavy work on tokio's blocking
    /// threads; the `with_*` methods change each part.
    pub fn new(store: Arc<AnyStore>, connector: Connector) -> Self {
        Self {
            accounts: Arc::new(StoreAccounts::new(Arc::clone(&store))),
            store,
            connector,
            clock: Clock::system(),
            pool: Arc::new(Blocking),
            sync: SyncConfig::default(),
            loopback_channels: false,
            fits: Arc::default(),
        }
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    pub fn with_accounts(mut self, accounts: Arc<dyn Accounts>) -> Self {
        self.accounts = accounts;
        self
    }

    pub fn with_pool(mut self, pool: Arc<dyn Pool>) -> Self {
        self.pool = pool;
        self
    }

    /// How a metric whose expression changed is recomputed from its stored pages.
    pub fn with_sync(mut self, sync: SyncConfig) -> Self {
        self.sync = sync;
        self
    }

    /// Lets channels send to loopback addresses: for tests with a local receiver only.
    pub fn with_loopback_channels(mut self, allow: bool) -> Self {
        self.loopback_channels = allow;
        self
    }

    pub fn store(&self) -> &Arc<AnyStore> {
        &self.store
    }
    pub fn connector(&self) -> &Connector {
        &self.connector
    }
    pub fn accounts(&self) -> &dyn Accounts {
        self.accounts.as_ref()
    }
    pub fn clock(&self) -> &Clock {
        &self.clock
    }
    pub fn pool(&self) -> &dyn Pool {
        self.pool.as_ref()
    }
    /// The seasonal fits kept between renders.
    pub fn fits(&self) -> &Arc<seasonal::FitCache> {
        &self.fits
    }

    // ------------------------------------------------------------ expected bands

    /// A chart's expected band per point and its unusual hours, now; `Err(NoBand)` inside when
    /// the aggregation has no band.
    pub async fn expected(
        &self,
        q: &seasonal::BandQuery,
    ) -> AppResult<Result<seasonal::Expected, seasonal::NoBand>> {
        let now = self.clock.now_ms();
        seasonal::expected(self.store.as_ref(), &self.fits, self.pool(), q, now).await
    }

    /// The dimension values behind an unusual hour of a metric, largest share first.
    pub async fn explain_hour(
        &self,
        metric: MetricId,
        aggregation: metric::Aggregation,
        hour_ms: i64,
        top: usize,
    ) -> AppResult<Vec<::seasonal::why::Contribution>> {
        seasonal::explain_hour(
            self.store.as_ref(),
            &self.fits,
            self.pool(),
            metric,
            aggregation,
            hour_ms,
            top,
        )
        .await
    }

    // ------------------------------------------------------------ connections

    /// Asks Twilio about the credentials, saves them under `label` if Twilio accepts them, then
    /// lists the accounts they reach.
    pub async fn add_connection(
        &self,
        label: &Label,
        creds: Credentials,
    ) -> AppResult<connections::Added> {
        let now = self.clock.now_ms();
        connections::add(&self.store, &self.connector, label, creds, now).await
    }

    /// Lists a connection's accounts on Twilio now and records them.
    pub async fn discover_accounts(&self, id: ConnectionId) -> AppResult<metric_sync::Discovery> {
        let now = self.clock.now_ms();
        twilio_accounts::discover(&self.store, &self.connector, id, now).await
    }

    /// A connection's accounts as last discovered: its own first, then by name.
    pub async fn twilio_accounts(&self, id: ConnectionId) -> AppResult<Vec<store::TwilioAccount>> {
        store::Store::connection(self.store.as_ref(), id).await?;
        twilio_accounts::list(&self.store, id).await
    }

    /// Asks Twilio whether a saved connection still works; a conflict when its secret is
    /// unavailable.
    pub async fn check_connection(&self, c: &Connection) -> AppResult<ConnectionCheck> {
        Ok(self.connector.check(&connections::credentials_of(c)?).await)
    }

    /// Replaces a connection's API Key Secret once Twilio accepts it.
    pub async fn update_connection_secret(
        &self,
        id: ConnectionId,
        secret: domain::Secret,
    ) -> AppResult<(Connection, ConnectionCheck)> {
        let now = self.clock.now_ms();
        connections::update_secret(&self.store, &self.connector, id, secret, now).await
    }

    /// Stores (`Some`) or removes (`None`) a connection's Auth Token, which verifies Twilio's
    /// callbacks; an Editor's or Admin's operation, a new token checked with Twilio first.
    /// Returns the connection's hook key (its callback URLs' public part).
    pub async fn set_connection_auth_token(
        &self,
        role: Role,
        id: ConnectionId,
        token: Option<realtime_settings::AuthToken>,
    ) -> AppResult<String> {
        let now = self.clock.now_ms();
        realtime_settings::set_auth_token(&self.store, &self.connector, role, id, token, now).await
    }

    /// A connection's callback hook (whether an Auth Token is stored, never the token) and the
    /// last events received.
    pub async fn connection_realtime(
        &self,
        id: ConnectionId,
    ) -> AppResult<realtime_settings::RealtimeInfo> {
        realtime_settings::realtime_info(&self.store, id).await
    }

    /// How far a metric's real-time values were from the poll over its last reconciled windows.
    pub async fn realtime_ledger(
        &self,
        metric: MetricId,
    ) -> AppResult<Option<realtime_settings::LedgerSummary>> {
        realtime_settings::ledger_summary(&self.store, metric).await
    }

    pub async fn connection_by_label(&self, label: &str) -> AppResult<Connection> {
        connections::by_label(&self.store, label).await
    }

    /// The connection a metric definition names, or why there is none (refused as the
    /// definition's `connection` field).
    pub async fn connection_in_definition(&self, label: &str) -> AppResult<Connection> {
        connections::named_in_definition(&self.store, label).await
    }

    /// The metrics that read through a connection.
    pub async fn metrics_of_connection(&self, id: ConnectionId) -> AppResult<Vec<StoredMetric>> {
        connections::metrics_of(&self.store, id).await
    }

    pub async fn rename_connection(
        &self,
        id: ConnectionId,
        label: &Label,
    ) -> AppResult<Connection> {
        let now = self.clock.now_ms();
        connections::rename(&self.store, id, label, now).await
    }

    /// Removes a connection; the names of the metrics that read through it (they leave the
    /// Metrics screen, keeping their history).
    pub async fn remove_connection(&self, id: ConnectionId) -> AppResult<Vec<String>> {
        let now = self.clock.now_ms();
        connections::remove(&self.store, id, now).await
    }

    // ------------------------------------------------------------ metrics

    /// The metrics on the Metrics screen, by name.
    pub async fn screen_metrics(&self) -> AppResult<Vec<StoredMetric>> {
        metrics::screen_metrics(&self.store).await
    }

    pub async fn enqueue_sync(&self, id: MetricId) -> AppResult<i64> {
        let now = self.clock.now_ms();
        metrics::enqueue_sync(&self.store, id, now).await
    }

    pub async fn create_metric(
        &self,
        def: &metric::MetricDefinition,
        on_metrics_screen: bool,
    ) -> AppResult<(StoredMetric, Option<i64>)> {
        let now = self.clock.now_ms();
        metrics::create(&self.store, def, on_metrics_screen, now).await
    }

    pub async fn update_metric(
        &self,
        id: MetricId,
        def: &metric::MetricDefinition,
    ) -> AppResult<MetricUpdate> {
        let now = self.clock.now_ms();
        metrics::update(&self.store, &self.connector, &self.sync, id, def, now).await
    }

    /// A new metric, or a new version of the metric of the same name: `switchboard metric
    /// import`.
    pub async fn import_metric(
        &self,
        def: &metric::MetricDefinition,
        on_metrics_screen: bool,
    ) -> AppResult<StoredMetric> {
        let now = self.clock.now_ms();
        metrics::import(&self.store, def, on_metrics_screen, now).await
    }

    pub async fn duplicate_metric(&self, id: MetricId) -> AppResult<StoredMetric> {
        let now = self.clock.now_ms();
        metrics::duplicate(&self.store, id, now).await
    }

    pub async fn delete_metric(&self, id: MetricId) -> AppResult<bool> {
        metrics::delete(&self.store, id).await
    }

    /// Sets how often a metric syncs; `None` puts it back on the default (hourly). An Editor's
    /// operation.
    pub async fn set_sync_interval(
        &self,
        id: MetricId,
        interval: Option<SyncInterval>,
    ) -> AppResult<StoredMetric> {
        let now = self.clock.now_ms();
        metrics::set_sync_interval(&self.store, id, interval, now).await
    }

    /// Adds a library metric for a connection and queues its backfill.
    pub async fn add_library_metric(
        &self,
        slug: &str,
        connection: &str,
    ) -> AppResult<StoredMetric> {
        self.add_library_metric_scoped(slug, connection, &metric::AccountScope::Connection)
            .await
    }

    /// Adds a library metric over the accounts `scope` names and queues its backfill: the one
    /// operation behind the library page, the API and the CLI.
    pub async fn add_library_metric_scoped(
        &self,
        slug: &str,
        connection: &str,
        scope: &metric::AccountScope,
    ) -> AppResult<StoredMetric> {
        let now = self.clock.now_ms();
        metrics::add_from_library_scoped(&self.store, slug, connection, scope, true, now).await
    }

    /// Adds a library metric without queueing its backfill: for a caller that syncs it at once
    /// itself (the demo), so it is not synced twice.
    pub async fn add_library_metric_unsynced(
        &self,
        slug: &str,
        connection: &str,
    ) -> AppResult<StoredMetric> {
        let now = self.clock.now_ms();
        metrics::add_from_library(&self.store, slug, connection, false, now).await
    }

    // ------------------------------------------------------------ people and tokens

    pub async fn add_user(&self, name: &UserName, role: Role, password: &str) -> AppResult<User> {
        let now = self.clock.now_ms();
        people::add_user(self.accounts(), self.pool(), name, role, password, now).await
    }

    pub async fn create_first_admin(&self, name: &UserName, password: &str) -> AppResult<User> {
        let now = self.clock.now_ms();
        people::create_first_admin(self.accounts(), self.pool(), name, password, now).await
    }

    /// Whether `password` matches the stored hash, checked on the app's pool; with no hash it
    /// takes as long, so the time does not tell which names exist.
    pub async fn password_matches(&self, password: &str, phc: Option<&str>) -> AppResult<bool> {
        people::password_matches(self.pool(), password, phc).await
    }

    /// A hash of a new password for `field`, refused in that field's name if it is too weak.
    pub async fn new_password_hash(
        &self,
        field: &'static str,
        password: &str,
    ) -> AppResult<String> {
        people::new_password_hash(self.pool(), field, password).await
    }

    pub async fn user_named(&self, name: &str) -> AppResult<User> {
        people::user_named(self.accounts(), name).await
    }

    pub async fn list_users(&self) -> AppResult<Vec<User>> {
        Ok(self.accounts.list_users().await?)
    }

    pub async fn set_user_disabled(&self, id: i64, disabled: bool) -> AppResult<User> {
        people::set_disabled(self.accounts(), id, disabled).await
    }

    pub async fn set_user_role(&self, id: i64, role: Role) -> AppResult<User> {
        people::set_role(self.accounts(), id, role).await
    }

    pub async fn delete_user(&self, id: i64) -> AppResult<()> {
        people::delete_user(self.accounts(), id).await
    }

    pub async fn reset_password(&self, id: i64, password: &str) -> AppResult<()> {
        people::reset_password(self.accounts(), self.pool(), id, password).await
    }

    pub async fn revoke_access(&self, id: i64) -> AppResult<accounts::Revoked> {
        people::revoke_access(self.accounts(), id).await
    }

    /// A new API token: the token itself (shown once) and what is kept of it.
    pub async fn create_token(
        &self,
        user_id: i64,
        name: &TokenName,
    ) -> AppResult<(String, TokenInfo)> {
        let now = self.clock.now_ms();
        people::create_token(self.accounts(), user_id, name, now).await
    }

    pub async fn delete_own_token(&self, user_id: i64, token_id: i64) -> AppResult<()> {
        people::delete_own_token(self.accounts(), user_id, token_id).await
    }
}

impl App {
    // ------------------------------------------------------------ goals, alerts, scorecards, channels

    pub async fn create_goal(&self, input: GoalInput) -> AppResult<GoalRow> {
        let now = self.clock.now_ms();
        watching::create_goal(&self.store, input, now).await
    }

    pub async fn update_goal(&self, id: GoalId, input: GoalInput) -> AppResult<GoalRow> {
        let now = self.clock.now_ms();
        watching::update_goal(&self.store, id, input, now).await
    }

    /// Which of a multi-account metric's accounts is out of line over `range` in `zone`; see
    /// [`outliers::account_outliers`].
    pub async fn account_outliers(
        &self,
        metric: MetricId,
        range: &metric::NamedRange,
        zone: &jiff::tz::TimeZone,
    ) -> AppResult<outliers::AccountOutliers> {
        let now = self.clock.now_ms();
        outliers::account_outliers(&self.store, metric, range, zone, now).await
    }

    pub async fn delete_goal(&self, id: GoalId) -> AppResult<()> {
        watching::delete_goal(&self.store, id).await
    }

    pub async fn create_alert(&self, input: AlertInput) -> AppResult<AlertRow> {
        let now = self.clock.now_ms();
        watching::create_alert(&self.store, input, now).await
    }

    pub async fn update_alert(&self, id: AlertId, input: AlertInput) -> AppResult<AlertRow> {
        let now = self.clock.now_ms();
        watching::update_alert(&self.store, id, input, now).await
    }

    pub async fn delete_alert(&self, id: AlertId) -> AppResult<()> {
        watching::delete_alert(&self.store, id).await
    }

    /// How an unusual rule would have fired on a metric; see [`watching::backtest_unusual`].
    pub async fn backtest_unusual(
        &self,
        input: watching::UnusualBacktestInput,
    ) -> AppResult<watch::unusual::UnusualBacktest> {
        let now = self.clock.now_ms();
        watching::backtest_unusual(&self.store, input, now).await
    }

    pub async fn create_scorecard(&self, input: ScorecardInput) -> AppResult<ScorecardRow> {
        let now = self.clock.now_ms();
        watching::create_scorecard(&self.store, input, now).await
    }

    pub async fn update_scorecard(
        &self,
        id: ScorecardId,
        input: ScorecardInput,
    ) -> AppResult<ScorecardRow> {
        let now = self.clock.now_ms();
        watching::update_scorecard(&self.store, id, input, now).await
    }

    pub async fn delete_scorecard(&self, id: ScorecardId) -> AppResult<()> {
        watching::delete_scorecard(&self.store, id).await
    }

    pub async fn create_channel(&self, input: ChannelInput) -> AppResult<ChannelRow> {
        let now = self.clock.now_ms();
        watching::create_channel(&self.store, input, self.loopback_channels, now).await
    }

    pub async fn update_channel(
        &self,
        id: ChannelId,
        input: ChannelInput,
    ) -> AppResult<ChannelRow> {
        let now = self.clock.now_ms();
        watching::update_channel(&self.store, id, input, self.loopback_channels, now).await
    }

    pub async fn delete_channel(&self, id: ChannelId) -> AppResult<()> {
        watching::delete_channel(&self.store, id).await
    }

    pub async fn send_channel_test(
        &self,
        id: ChannelId,
        sender: &notify::Sender,
    ) -> AppResult<watching::ChannelTest> {
        let now = self.clock.now_ms();
        watching::send_channel_test(&self.store, sender, id, now).await
    }
}

impl App {
    // ------------------------------------------------------------ boards and blocks

    pub async fn create_board(&self, name: BoardName) -> AppResult<BoardRow> {
        let now = self.clock.now_ms();
        boards::create(&self.store, name, now).await
    }

    pub async fn rename_board(&self, id: BoardId, name: BoardName) -> AppResult<BoardRow> {
        let now = self.clock.now_ms();
        boards::rename(&self.store, id, name, now).await
    }

    pub async fn duplicate_board(&self, id: BoardId) -> AppResult<BoardRow> {
        let now = self.clock.now_ms();
        boards::duplicate(&self.store, id, now).await
    }

    pub async fn delete_board(&self, id: BoardId) -> AppResult<BoardRow> {
        boards::delete(&self.store, id).await
    }

    pub async fn update_board(&self, id: BoardId, change: BoardChange) -> AppResult<BoardRow> {
        let now = self.clock.now_ms();
        boards::update_settings(&self.store, id, change, now).await
    }

    /// Chooses the board signing in lands on, or none.
    pub async fn set_home_board(&self, board: Option<BoardId>) -> AppResult<()> {
        boards::set_home(&self.store, board).await
    }

    pub async fn board_from_template(&self, slug: &str) -> AppResult<BoardRow> {
        let now = self.clock.now_ms();
        boards::from_template(&self.store, slug, now).await
    }

    pub async fn add_block(&self, board: BoardId, form: BlockForm) -> AppResult<BlockRow> {
        let now = self.clock.now_ms();
        boards::add_block(&self.store, board, form, now).await
    }

    pub async fn edit_block(&self, board: BoardId, id: BlockId, form: BlockForm) -> AppResult<()> {
        let now = self.clock.now_ms();
        boards::edit_block(&self.store, board, id, form, now).await
    }

    pub async fn delete_block(&self, board: BoardId, id: BlockId) -> AppResult<()> {
        boards::delete_block(&self.store, board, id).await
    }

    pub async fn move_block(&self, board: BoardId, id: BlockId, dir: &str) -> AppResult<Place> {
        let now = self.clock.now_ms();
        boards::move_block(&self.store, board, id, dir, now).await
    }

    /// Every block's place once the layout is stored (blocks in the way moved down).
    pub async fn arrange_blocks(
        &self,
        board: BoardId,
        places: &[(BlockId, Place)],
    ) -> AppResult<Vec<(BlockId, Place)>> {
        let now = self.clock.now_ms();
        boards::arrange(&self.store, board, places, now).await
    }

    pub async fn duplicate_block(&self, board: BoardId, id: BlockId) -> AppResult<BlockRow> {
        let now = self.clock.now_ms();
        boards::duplicate_block(&self.store, board, id, now).await
    }

    /// Takes back the last change to the board's blocks; answers the change undone (`move`,
    /// `edit`, `delete` or `add`).
    pub async fn undo_board(&self, board: BoardId) -> AppResult<&'static str> {
        let now = self.clock.now_ms();
        boards::undo(&self.store, board, now).await
    }

    /// A share link's row and token; `sign` answers the token and its stored hash for the
    /// link's id and expiry (see [`boards::create_share`]).
    pub async fn create_share(
        &self,
        board: BoardId,
        label: &str,
        days: i64,
        sign: impl FnOnce(ShareId, i64) -> (String, String),
    ) -> AppResult<(ShareRow, String)> {
        let now = self.clock.now_ms();
        boards::create_share(&self.store, board, label, days, now, sign).await
    }

    pub async fn revoke_share(&self, board: BoardId, id: ShareId) -> AppResult<bool> {
        let now = self.clock.now_ms();
        boards::revoke_share(&self.store, board, id, now).await
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("store", &self.store)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}
