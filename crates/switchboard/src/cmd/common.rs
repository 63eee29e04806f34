//! Plumbing shared by the subcommands: where the store is, how Twilio is reached, how a secret
//! is read. Nothing here decides anything a library could decide.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use connector::{BaseUrl, Connector, ConnectorConfig};
use domain::Secret;
use store::{AnyStore, KeySource, MasterKey};

/// Where Switchboard keeps its state.
#[derive(clap::Args, Clone, Debug)]
pub struct StoreArgs {
    /// The data folder of the SQLite store (created if missing).
    #[arg(long, global = true, env = "SWITCHBOARD_DATA_DIR", default_value = store::DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,
    /// A PostgreSQL URL (postgres://...) to use instead of the data folder, for several processes.
    #[arg(long, global = true, env = "SWITCHBOARD_DATABASE")]
    pub database: Option<String>,
}

impl StoreArgs {
    /// Opens the store, creating the data folder and the master key file on first use, and
    /// runs the one-time data steps of an upgrade (each recorded in the store, so later opens
    /// only check).
    pub async fn open(&self) -> anyhow::Result<AnyStore> {
        // Read first, so a mistyped address is refused before anything is written.
        let location = self.location()?;
        let (key, _) = self.master_key()?;
        let store = store::open_at(location, key)
            .await
            .with_context(|| format!("could not open the store at {}", self.describe()))?;
        // A failure leaves the step unrecorded: it is tried again at the next open, and the
        // command goes on, as refusing to start would not remove anything.
        match metric_sync::redact_stored_credentials(&store, jiff::Timestamp::now()).await {
            Ok(done) => {
                if !done.metrics.is_empty() {
                    eprintln!(
                        "upgrade: removed the Twilio credentials (Auth Tokens) an earlier version had stored for {} metric(s)",
                        done.metrics.len()
                    );
                }
                for (metric, reason) in &done.failures {
                    eprintln!(
                        "upgrade: could not remove stored Twilio credentials for metric {metric} ({reason}); it is tried again at the next start"
                    );
                }
            }
            Err(e) => eprintln!(
                "upgrade: could not remove stored Twilio credentials ({e}); it is tried again at the next start"
            ),
        }
        Ok(store)
    }

    /// The master key from `SWITCHBOARD_MASTER_KEY`, else the key file in the data folder.
    pub fn master_key(&self) -> anyhow::Result<(MasterKey, KeySource)> {
        store::create_data_dir(&self.data_dir).with_context(|| {
            format!(
                "could not create the data folder {}",
                self.data_dir.display()
            )
        })?;
        Ok(MasterKey::from_environment(&self.data_dir)?)
    }

    fn location(&self) -> anyhow::Result<store::Location> {
        match &self.database {
            Some(url) => store::Location::parse_url(url)
                .with_context(|| format!("--database {}", redact_url_password(url))),
            None => Ok(store::Location::DataDir(self.data_dir.clone())),
        }
    }

    /// The store's location for messages, without any password in a URL.
    pub fn describe(&self) -> String {
        match &self.database {
            Some(url) => redact_url_password(url),
            None => self.data_dir.display().to_string(),
        }
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
