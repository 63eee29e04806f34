//! The `switchboard` binary. It only parses the command line and wires the crates together;
//! each subcommand lives in its own module under `cmd/`.

mod cmd;

// Counts what each JSONata evaluation allocates, so its memory budget holds (see
// `metric::memory`); every other allocation goes straight to the system allocator.
#[global_allocator]
static ALLOCATOR: metric::memory::BudgetAllocator = metric::memory::BudgetAllocator;

use clap::{CommandFactory, Parser, Subcommand};

/// The commit this binary was built from (`build.rs`: git, else `SWITCHBOARD_COMMIT` at build
/// time, else "unknown").
pub const COMMIT: &str = env!("SWITCHBOARD_COMMIT");

/// `--version`: the version, the commit and the highest schema migration this binary knows.
static VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{} (commit {COMMIT}, schema {})",
        env!("CARGO_PKG_VERSION"),
        store::schema_version()
    )
});

#[derive(Parser)]
#[command(
    name = "switchboard",
    version = VERSION.as_str(),
    about = "Turn the Twilio REST API into business metrics"
)]
struct Cli {
    /// Log format on standard error: text or json.
    #[arg(
        long,
        global = true,
        env = "SWITCHBOARD_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: LogFormat,
    /// What to log: a level (error, warn, info, debug, trace) or a tracing filter such as
    /// `warn,switchboard=debug`. Without it, `RUST_LOG`; without that, `info` for `serve` and
    /// `worker` and `warn` for the other commands.
    #[arg(long, global = true, env = "SWITCHBOARD_LOG", value_name = "FILTER")]
    log_level: Option<String>,
    /// A TOML file of settings: any `SWITCHBOARD_*` setting, keyed by its name without the
    /// prefix in lower case (e.g. `twilio_base_url`, `data_dir`). Flags and the environment
    /// override it.
    #[arg(long, global = true, env = cmd::config::CONFIG_ENV, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Twilio API simulator, or dump its dataset as JSON.
    Sim(cmd::sim::Args),
    /// Add, test, list or remove Twilio connections.
    Connection(cmd::connection::Args),
    /// Apply the schema migrations this binary needs (--dry-run lists them); back up first.
    Migrate(cmd::migrate::Args),
    /// Manage the master key that seals stored secrets.
    Key(cmd::key::Args),
    /// Browse the library of pre-built Twilio metrics, or add one to the Metrics screen.
    Library(cmd::library::Args),
    /// Add, list, disable, enable, delete people, change their role or password, revoke their access.
    User(cmd::user::UserArgs),
    /// Create an API token for a user.
    Token(cmd::user::TokenArgs),
    /// Sync one metric now and print its ledger.
    Sync(cmd::sync::Args),
    /// Take sync jobs from the queue until stopped (several may share a PostgreSQL store).
    Worker(cmd::worker::Args),
    /// Show the ledgers of recent syncs.
    Runs(cmd::runs::Args),
    /// Show a metric's stored values by interval and dimension.
    Data(cmd::data::Args),
    /// Fetch any Twilio GET endpoint through the connector and print the pages and the ledger.
    Fetch(cmd::fetch::Args),
    /// Evaluate a JSONata expression against a JSON document.
    Jsonata(cmd::jsonata::Args),
    /// Check or preview a metric definition file.
    Metric(cmd::metric::Args),
    /// Serve the web app and the REST API (with a sync worker); --demo shows a simulated account.
    Serve(cmd::serve::Args),
    /// Write a consistent copy of a SQLite store while it runs (PostgreSQL: use pg_dump).
    Backup(cmd::backup::BackupArgs),
    /// Put a backup back in place of the SQLite store; serve and worker must be stopped.
    Restore(cmd::backup::RestoreArgs),
    /// Exit 0 when serve answers 200 at its /healthz (a container's HEALTHCHECK).
    Healthcheck(cmd::healthcheck::Args),
}

fn main() -> std::process::ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Err(err) = cmd::config::apply(&args, &Cli::command()) {
        eprintln!("error: {err:#}");
        return std::process::ExitCode::FAILURE;
    }
    let cli = Cli::parse_from(args);
    let long_running = matches!(cli.command, Command::Serve(_) | Command::Worker(_));
    if let Err(err) = init_logs(cli.log_format, cli.log_level.as_deref(), long_running) {
        eprintln!("error: {err}");
        return std::process::ExitCode::FAILURE;
    }
    if let Some(path) = &cli.config {
        tracing::info!(config = %path.display(), "settings read from the config file");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            cmd::output::error(&format!("could not start the async runtime: {err}"));
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Sim(args) => cmd::sim::run(args).await,
            Command::Connection(args) => cmd::connection::run(args).await,
            Command::Migrate(args) => cmd::migrate::run(args).await,
            Command::Key(args) => cmd::key::run(args).await,
            Command::Library(args) => cmd::library::run(args).await,
            Command::User(args) => cmd::user::run_user(args).await,
            Command::Token(args) => cmd::user::run_token(args).await,
            Command::Sync(args) => cmd::sync::run(args).await,
            Command::Worker(args) => cmd::worker::run(args).await,
            Command::Runs(args) => cmd::runs::run(args).await,
            Command::Data(args) => cmd::data::run(args).await,
            Command::Fetch(args) => cmd::fetch::run(args).await,
            Command::Jsonata(args) => cmd::jsonata::run(args).await,
            Command::Metric(args) => cmd::metric::run(args).await,
            Command::Serve(args) => cmd::serve::run(args).await,
            Command::Backup(args) => cmd::backup::run_backup(args).await,
            Command::Restore(args) => cmd::backup::run_restore(args).await,
            Command::Healthcheck(args) => cmd::healthcheck::run(args).await,
        }
    });
    // Whatever the command left running (a blocking name lookup, say) gets a second, not a
    // wait without end: `serve` and `worker` have a deadline after SIGTERM to keep.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            cmd::output::error(&format!("{err:#}"));
            std::process::ExitCode::FAILURE
        }
    }
}

/// Logs go to standard error, so that standard output stays the command's result. The filter
/// is `--log-level`/`SWITCHBOARD_LOG`, else `RUST_LOG`, else `info` for the long-running
/// commands (their request and job events) and `warn` for the rest; a filter that does not
/// parse is an error naming it rather than a silent default.
fn init_logs(format: LogFormat, level: Option<&str>, long_running: bool) -> Result<(), String> {
    let rust_log = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let (directive, source) = match (level, rust_log) {
        (Some(level), _) => (
            level.to_owned(),
            "--log-level (SWITCHBOARD_LOG, or `log` in the config file)",
        ),
        (None, Some(env)) => (env, "RUST_LOG"),
        (None, None) => {
            let default = if long_running { "info" } else { "warn" };
            (default.to_owned(), "the default")
        }
    };
    let filter = log_filter(&directive).map_err(|e| format!("{source}: {e}"))?;
    cmd::output::set_json(matches!(format, LogFormat::Json));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
    };
    Ok(())
}

const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];

/// A tracing filter. A bare word that is not a level is refused although tracing would read it
/// as a target: `infoo` or `debg` would otherwise silence every log without a word.
fn log_filter(directive: &str) -> Result<tracing_subscriber::EnvFilter, String> {
    let hint = "write a level (error, warn, info, debug, trace) or target=level pairs separated by commas, such as warn,switchboard=debug";
    for part in directive
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let bare = !part.contains(['=', '[', '{']);
        if bare && !LEVELS.iter().any(|l| l.eq_ignore_ascii_case(part)) {
            return Err(format!(
                "'{part}' in '{directive}' is not a log level: {hint}"
            ));
        }
    }
    tracing_subscriber::EnvFilter::builder()
        .parse(directive)
        .map_err(|e| format!("'{directive}' is not a log filter ({e}): {hint}"))
}

#[cfg(test)]
mod tests {
    use super::log_filter;

    #[test]
    fn a_log_filter_is_a_level_or_target_level_pairs_and_a_bad_one_is_named() {
        for good in [
            "info",
            "WARN",
            "warn,switchboard=debug",
            "web=trace,info",
            "off",
        ] {
            assert!(log_filter(good).is_ok(), "{good}");
        }
        for (bad, named) in [
            ("infoo", "infoo"),
            ("warn,debg", "debg"),
            ("switchboard=loud", "switchboard=loud"),
        ] {
            let e = log_filter(bad).unwrap_err();
            assert!(
                e.contains(named) && e.contains("warn,switchboard=debug"),
                "{e}"
            );
        }
    }
}
