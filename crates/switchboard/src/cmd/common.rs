//! Plumbing shared by the subcommands: where the store is, how Twilio is reached, how a secret
//! is read. Nothing here decides anything a library could decide.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use connector::{BaseUrl, Connector, ConnectorConfig};
use domain::Secret;
use store::{AnyStore, KeyConfig, KeySource, MasterKey, OpenMode};

/// Where Switchboard keeps its state, and the master key that seals its secrets.
#[derive(clap::Args, Clone, Debug)]
pub struct StoreArgs {
    /// The data folder of the SQLite store (created if missing).
    #[arg(long, global = true, env = "SWITCHBOARD_DATA_DIR", default_value = store::DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// A PostgreSQL URL (postgres://...) to use instead of the data folder, for several processes.
    #[arg(long, global = true, env = "SWITCHBOARD_DATABASE")]
    pub database: Option<String>,
    /// A file holding the PostgreSQL URL (a Docker or systemd secret); --database wins.
    #[arg(
        long,
        global = true,
        env = "SWITCHBOARD_DATABASE_FILE",
        value_name = "FILE"
    )]
    pub database_file: Option<PathBuf>,
    /// A file holding the base64 master key (created 0600 only for a new store). Wins over
    /// SWITCHBOARD_MASTER_KEY; without either, SQLite uses master.key in the data folder and
    /// PostgreSQL opens without secrets.
    #[arg(long, global = true, env = store::MASTER_KEY_FILE_ENV, value_name = "FILE")]
    pub master_key_file: Option<PathBuf>,
}

/// A store opened by a command, with the key it was given and where that came from.
pub struct Opened {
    pub store: AnyStore,
    pub key: Option<MasterKey>,
    pub source: KeySource,
    pub config: KeyConfig,
}

impl StoreArgs {
    /// Opens the store for a command other than `serve`, `worker` and `migrate`: a schema older
    /// than this binary's is refused (nothing written); a new store is created whole.
    pub async fn open(&self) -> anyhow::Result<AnyStore> {
        let opened = self.open_with(OpenMode::RequireCurrent).await?;
        if let Some(warning) = key_warning(&opened.store, &opened.source, &opened.config) {
            super::output::warn(&format!("warning: {warning}"));
        }
        Ok(opened.store)
    }

    /// Opens the store for `serve` and `worker`, applying pending migrations, and logs one
    /// warning naming every secret that is unavailable.
    pub async fn open_migrating(&self) -> anyhow::Result<AnyStore> {
        let opened = self.open_with(OpenMode::Migrate).await?;
        if let Some(warning) = key_warning(&opened.store, &opened.source, &opened.config) {
            let (connections, channels) = unavailable_secrets(&opened.store).await;
            tracing::warn!(
                unavailable_connection_secrets = %connections.join(", "),
                unavailable_channel_secrets = %channels.join(", "),
                "{warning}"
            );
        } else {
            let (connections, channels) = unavailable_secrets(&opened.store).await;
            if !connections.is_empty() || !channels.is_empty() {
                tracing::warn!(
                    unavailable_connection_secrets = %connections.join(", "),
                    unavailable_channel_secrets = %channels.join(", "),
                    "some secrets were dropped by `switchboard key reset --forget-secrets`: re-enter them (`switchboard connection update LABEL --secret-stdin`; channels on the Channels screen)"
                );
            }
        }
        Ok(opened.store)
    }

    /// Opens the store: the schema is read and the key chosen before anything is written (a
    /// key file is created only for a new store), then the store is opened under `mode`. When
    /// the schema was migrated or created, the one-time data steps of an upgrade run (each
    /// recorded in the store, so later opens only check). Without the right key the store
    /// opens without its secrets, and a line on standard error says so.
    pub async fn open_with(&self, mode: OpenMode) -> anyhow::Result<Opened> {
        // Read first, so a mistyped address is refused before anything is written.
        let location = self.location()?;
        let config = self.key_config(&location)?;
        let connected = store::connect(location)
            .await
            .with_context(|| format!("could not open the store at {}", self.describe()))?;
        let ready = async {
            let status = connected.schema().await?;
            let has_check = connected.has_key_check().await?;
            anyhow::Ok((status, has_check))
        };
        let (status, has_check) = match ready.await {
            Ok(found) => found,
            Err(e) => {
                connected.close().await;
                return Err(e);
            }
        };
        if let KeyConfig::DefaultFile(path) = &config
            && !has_check
            && let Some(dir) = path.parent()
        {
            store::create_data_dir(dir)
                .with_context(|| format!("could not create the data folder {}", dir.display()))?;
        }
        let (key, source) = match config.load(!has_check) {
            Ok(found) => found,
            Err(e) => {
                connected.close().await;
                return Err(e.into());
            }
        };
        let store = connected
            .open(key.clone(), mode)
            .await
            .with_context(|| format!("could not open the store at {}", self.describe()))?;
        if mode == OpenMode::Migrate || status.is_new() {
            run_data_steps(&store).await;
        }
        Ok(Opened {
            store,
            key,
            source,
            config,
        })
    }

    /// Where the store's schema stands, read without writing anything.
    pub async fn schema(&self) -> anyhow::Result<store::SchemaStatus> {
        let location = self.location()?;
        if let store::Location::DataDir(dir) = &location
            && !dir.join(store::DATABASE_FILE).exists()
        {
            // Connecting would create the folder and the file: a dry run writes nothing.
            return Ok(store::SchemaStatus {
                applied: None,
                known: store::schema_version(),
                pending: store::migrations(),
            });
        }
        let connected = store::connect(location)
            .await
            .with_context(|| format!("could not open the store at {}", self.describe()))?;
        let status = connected.schema().await;
        connected.close().await;
        Ok(status?)
    }

    /// Where the key comes from: `--master-key-file` / `SWITCHBOARD_MASTER_KEY_FILE`, then
    /// `SWITCHBOARD_MASTER_KEY` (set but empty is an error, not "unset"), then for SQLite the
    /// data folder's key file; for PostgreSQL nothing (never a file in the working directory).
    fn key_config(&self, location: &store::Location) -> anyhow::Result<KeyConfig> {
        if let Some(file) = &self.master_key_file {
            if file.as_os_str().is_empty() {
                bail!(
                    "--master-key-file (or {}) is empty: name the key file, or unset it",
                    store::MASTER_KEY_FILE_ENV
                );
            }
            return Ok(KeyConfig::File(file.clone()));
        }
        if let Some(value) = std::env::var_os(store::MASTER_KEY_ENV) {
            let text = value
                .into_string()
                .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", store::MASTER_KEY_ENV))?;
            return Ok(KeyConfig::Environment(text));
        }
        Ok(match location {
            store::Location::Postgres(_) => KeyConfig::Nothing,
            _ => KeyConfig::DefaultFile(self.data_dir.join(store::KEY_FILE_NAME)),
        })
    }

    /// The PostgreSQL URL from `--database`, else from the file `--database-file` names.
    fn database_url(&self) -> anyhow::Result<Option<String>> {
        if let Some(url) = &self.database {
            return Ok(Some(url.clone()));
        }
        let Some(path) = &self.database_file else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read the database URL file {}", path.display()))?;
        let url = text.trim();
        if url.is_empty() {
            bail!(
                "the database URL file {} is empty: it must hold a postgres:// URL",
                path.display()
            );
        }
        Ok(Some(url.to_owned()))
    }

    pub fn location(&self) -> anyhow::Result<store::Location> {
        match self.database_url()? {
            Some(url) => store::Location::parse_url(&url)
                .with_context(|| format!("--database {}", redact_url_password(&url))),
            None => Ok(store::Location::DataDir(self.data_dir.clone())),
        }
    }

    /// The store's location for messages, without any password in a URL.
    pub fn describe(&self) -> String {
        match self.database_url() {
            Ok(Some(url)) => redact_url_password(&url),
            _ => self.data_dir.display().to_string(),
        }
    }
}

/// The one-time data steps of an upgrade. A failure leaves the step unrecorded: it is tried
/// again at the next migrating open, and the command goes on, as refusing to start would not
/// remove anything.
async fn run_data_steps(store: &AnyStore) {
    match metric_sync::redact_stored_credentials(store, jiff::Timestamp::now()).await {
        Ok(done) => {
            if !done.metrics.is_empty() {
                super::output::note(&format!(
                    "upgrade: removed the Twilio credentials (Auth Tokens) an earlier version had stored for {} metric(s)",
                    done.metrics.len()
                ));
            }
            for (metric, reason) in &done.failures {
                super::output::warn(&format!(
                    "upgrade: could not remove stored Twilio credentials for metric {metric} ({reason}); it is tried again at the next start"
                ));
            }
        }
        Err(e) => super::output::warn(&format!(
            "upgrade: could not remove stored Twilio credentials ({e}); it is tried again at the next start"
        )),
    }
}

/// The labels of connections and names of channels whose secret cannot be opened.
async fn unavailable_secrets(store: &AnyStore) -> (Vec<String>, Vec<String>) {
    use store::{Store, WatchStore};
    let connections = store
        .list_connections()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.secret.is_err())
        .map(|c| c.label)
        .collect();
    let channels = store
        .list_channels()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.secret.is_err())
        .map(|c| c.name)
        .collect();
    (connections, channels)
}

/// What to tell an operator when the store opened without its secrets; `None` when they open.
pub fn key_warning(store: &AnyStore, source: &KeySource, config: &KeyConfig) -> Option<String> {
    use store::{KeyState, Store};
    let why = match store.key_state() {
        KeyState::Verified => return None,
        KeyState::Mismatched => format!(
            "the master key from {} is not the key this store's secrets were sealed with",
            describe_source(source)
        ),
        KeyState::Missing => match config {
            KeyConfig::DefaultFile(path) => format!(
                "there is no master key file at {} (a database restored without its key?)",
                path.display()
            ),
            _ => "no master key was given".to_owned(),
        },
    };
    Some(format!(
        "{why}: the store is open without its secrets (connection API Key Secrets, channel secrets, share-link signing keys are unavailable; everything else works). Give the right key with --master-key-file, {} or {}; if it is lost, run `switchboard key reset --forget-secrets` and re-enter each secret",
        store::MASTER_KEY_FILE_ENV,
        store::MASTER_KEY_ENV
    ))
}

fn describe_source(source: &KeySource) -> String {
    match source {
        KeySource::Environment => store::MASTER_KEY_ENV.to_owned(),
        KeySource::KeyFile(p) | KeySource::CreatedKeyFile(p) => p.display().to_string(),
        KeySource::None => "nowhere".to_owned(),
    }
}

fn redact_url_password(url: &str) -> String {
    // postgres://user:password@host/db -> postgres://user:***@host/db
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// How Twilio is reached.
#[derive(clap::Args, Clone, Debug)]
pub struct TwilioArgs {
    /// Send every Twilio request to this base URL instead of https://{host}.twilio.com
    /// (tests, benchmarks, the simulator). Nothing else changes where requests go.
    #[arg(long, global = true, env = "SWITCHBOARD_TWILIO_BASE_URL")]
    pub twilio_base_url: Option<String>,
    /// Requests in flight per Twilio account.
    #[arg(long, global = true, env = "SWITCHBOARD_MAX_IN_FLIGHT", default_value_t = connector::DEFAULT_MAX_IN_FLIGHT)]
    pub max_in_flight: usize,
}

impl TwilioArgs {
    /// The connector; it logs a warning at start when the base URL is overridden.
    pub fn connector(&self) -> anyhow::Result<Connector> {
        let base_url = self
            .twilio_base_url
            .as_deref()
            .map(BaseUrl::parse)
            .transpose()?;
        let config = ConnectorConfig {
            base_url,
            max_in_flight: self.max_in_flight,
            ..ConnectorConfig::default()
        };
        Ok(Connector::new(config)?)
    }
}

/// How the evaluator's channels may be reached.
#[derive(clap::Args, Clone, Debug)]
pub struct ChannelArgs {
    /// Let webhook and Slack channels send over `http` to this machine's loopback addresses
    /// (127.0.0.0/8, ::1, localhost): for tests with a local receiver only. Every other
    /// internal address stays refused.
    #[arg(long, env = "SWITCHBOARD_ALLOW_LOOPBACK_CHANNELS")]
    pub allow_loopback_channels: bool,
}

impl ChannelArgs {
    /// The sender of the evaluator's deliveries; says so at start when loopback is allowed,
    /// since it lowers the guard against internal addresses.
    pub fn sender(&self) -> anyhow::Result<notify::Sender> {
        if self.allow_loopback_channels {
            super::output::warn(
                "--allow-loopback-channels: webhook and Slack channels may send to this machine (tests only)",
            );
        }
        notify::Sender::new(notify::Policy {
            allow_loopback: self.allow_loopback_channels,
            ..notify::Policy::default()
        })
        .map_err(|e| anyhow::anyhow!("{e}"))
    }
}

/// Reads an API Key Secret: from the first line of standard input with `from_stdin`, else from
/// `SWITCHBOARD_API_KEY_SECRET`, else from a no-echo prompt on a terminal. Never from an argument,
/// so it does not land in shell history or the process list.
pub fn read_secret(from_stdin: bool) -> anyhow::Result<Secret> {
    let stdin = std::io::stdin();
    if !from_stdin {
        if let Ok(value) = std::env::var("SWITCHBOARD_API_KEY_SECRET") {
            return Ok(Secret::new(value));
        }
        if !stdin.is_terminal() {
            bail!(
                "no API Key Secret: pass --secret-stdin and pipe it in, set SWITCHBOARD_API_KEY_SECRET, or run in a terminal to be prompted"
            );
        }
        eprint!("API Key Secret: ");
        std::io::stderr().flush()?;
    }
    let echo_off = !from_stdin && set_echo(false);
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if echo_off {
        set_echo(true);
        eprintln!();
    }
    read.context("could not read the API Key Secret from standard input")?;
    Ok(Secret::new(line.trim_end_matches(['\r', '\n'])))
}

fn set_echo(on: bool) -> bool {
    // stty acts on the terminal it is given as stdin; if there is none this fails harmlessly.
    std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(std::process::Stdio::inherit())
        .status()
        .is_ok_and(|s| s.success())
}

/// A stored metric by id or name.
pub async fn find_metric(
    store: &AnyStore,
    name_or_id: &str,
) -> anyhow::Result<store::StoredMetric> {
    use store::Store;
    if let Ok(id) = name_or_id.trim().parse::<i64>()
        && let Ok(metric) = store.metric(store::MetricId(id)).await
    {
        return Ok(metric);
    }
    store
        .metric_by_name(name_or_id.trim())
        .await?
        .with_context(|| format!("no metric named '{name_or_id}': see `switchboard metric list`"))
}

/// An instant from the command line: `YYYY-MM-DD` (midnight UTC) or RFC 3339.
pub fn parse_instant(text: &str) -> anyhow::Result<jiff::Timestamp> {
    let text = text.trim();
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Ok(ts);
    }
    if let Ok(date) = text.parse::<jiff::civil::Date>() {
        return Ok(date.to_zoned(jiff::tz::TimeZone::UTC)?.timestamp());
    }
    bail!(
        "'{text}' is not a date: use YYYY-MM-DD (midnight UTC) or RFC 3339 (2026-03-15T12:00:00Z)"
    )
}

/// The application on an opened store, reaching Twilio through `connector`.
pub fn app_on(store: AnyStore, connector: Connector) -> app::App {
    app::App::new(std::sync::Arc::new(store), connector)
}

/// A connector for commands that never reach Twilio (people, stored metrics, the library):
/// the operations take one, these commands' operations do not use it.
pub fn no_twilio() -> anyhow::Result<Connector> {
    Ok(Connector::new(ConnectorConfig::default())?)
}

/// An operation's refusal as the CLI shows it: its message, which says what to change.
pub fn failed(e: app::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// Applies `--raw-pages` when `serve` or `worker` starts (off deletes the stored raw pages).
pub async fn apply_raw_pages(
    store: &store::AnyStore,
    setting: metric_sync::RawPagesSetting,
) -> anyhow::Result<()> {
    let deleted = metric_sync::raw::apply_setting(store, setting)
        .await
        .map_err(|e| anyhow::anyhow!("could not delete the stored raw pages: {e}"))?;
    if deleted > 0 {
        super::output::note(&format!(
            "raw pages are off: deleted the stored raw pages ({deleted} sets)"
        ));
    }
    Ok(())
}

/// The refusal of a command that must run alone on the store (`key rotate`, `key reset`,
/// `restore`) while `running` processes use it, with what to do.
pub fn still_running(running: &[store::ProcessRow], command: &str) -> anyhow::Error {
    let now = jiff::Timestamp::now().as_millisecond();
    let list: Vec<String> = running
        .iter()
        .map(|p| format!("{} (seen {} s ago)", p.id, (now - p.seen_ms).max(0) / 1000))
        .collect();
    anyhow::anyhow!(
        "{} still using this store: {}. Stop every `switchboard serve` and `switchboard worker` on it, then run `switchboard {command}` again (a process killed without stopping counts as running for {} s after it was last seen)",
        if running.len() == 1 {
            "a process is"
        } else {
            "processes are"
        },
        list.join(", "),
        metric_sync::presence::PRESENCE_GRACE.as_secs()
    )
}

#[cfg(test)]
mod tests {
    use super::redact_url_password;

    #[test]
    fn url_password_is_redacted() {
        assert_eq!(
            redact_url_password("postgres://bob:s3cret@db:5432/x"),
            "postgres://bob:***@db:5432/x"
        );
        assert_eq!(
            redact_url_password("postgres://bob@db/x"),
            "postgres://bob@db/x"
        );
    }
}

/// What `serve` and `worker` share for operators: the `/metrics` token and the stop bound.
#[derive(clap::Args, Clone, Debug)]
pub struct OpsArgs {
    /// A bearer token `/metrics` requires (`Authorization: Bearer <token>`); without it
    /// `/metrics` is open to anyone who reaches the port (it holds ids and counts only).
    #[arg(long, env = "SWITCHBOARD_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// A file holding the `/metrics` token (surrounding whitespace ignored), instead of
    /// --metrics-token.
    #[arg(
        long,
        env = "SWITCHBOARD_METRICS_TOKEN_FILE",
        conflicts_with = "metrics_token"
    )]
    metrics_token_file: Option<PathBuf>,
    /// Seconds after SIGTERM or Ctrl-C within which the process has exited: it stops taking
    /// work at once, and a sync still under way is dropped in time (its unfinished window is
    /// redone by the next worker).
    #[arg(long, env = "SWITCHBOARD_STOP_TIMEOUT", default_value_t = 20.0)]
    pub stop_timeout: f64,
}

impl OpsArgs {
    /// The `/metrics` token, if one is set; an empty one is refused rather than taken for none.
    pub fn metrics_token(&self) -> anyhow::Result<Option<Secret>> {
        let token = match (&self.metrics_token, &self.metrics_token_file) {
            (Some(token), _) => token.trim().to_owned(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .with_context(|| {
                    format!("could not read the metrics token file {}", path.display())
                })?
                .trim()
                .to_owned(),
            (None, None) => return Ok(None),
        };
        if token.is_empty() {
            bail!(
                "the metrics token is empty: set a non-empty --metrics-token (or \
                 SWITCHBOARD_METRICS_TOKEN / _FILE), or unset it to leave /metrics open"
            );
        }
        Ok(Some(Secret::new(token)))
    }

    /// The stop bound; at least 2 s, so the parts get a moment and the store can close.
    pub fn stop_within(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(self.stop_timeout.clamp(2.0, 3600.0))
    }
}
